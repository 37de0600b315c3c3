/* An LD_PRELOAD shim for tests/e2e/test_dlopen.py: a machine without
 * libcurl. dlopen("libcurl.so.4") fails, and the next dlerror() says so in
 * two lines (the plugin must still print one); every other dlopen() and
 * dlerror() goes to the real one. */
#include "autoconfig.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>

#define REFUSED_SONAME "libcurl.so.4"

static char refusal[] = REFUSED_SONAME ": refused by the no_curl test shim\n\tas if not installed";
static bool refused; /* the last dlopen() was refused and nobody asked why yet */

static bool is_refused(const char *file)
{
	const char *slash = file ? strrchr(file, '/') : NULL;

	return file && strcmp(slash ? slash + 1 : file, REFUSED_SONAME) == 0;
}

void *dlopen(const char *file, int flags)
{
	static void *(*real)(const char *, int);

	refused = is_refused(file);
	if (refused)
		return NULL;
	if (real == NULL) {
		void *p = dlsym(RTLD_NEXT, "dlopen"); /* libc's */

		memcpy(&real, &p, sizeof p);
	}
	return real ? real(file, flags) : NULL;
}

char *dlerror(void)
{
	static char *(*real)(void);

	if (refused) {
		refused = false;
		return refusal;
	}
	if (real == NULL) {
		void *p = dlsym(RTLD_NEXT, "dlerror");

		memcpy(&real, &p, sizeof p);
	}
	return real ? real() : NULL;
}
