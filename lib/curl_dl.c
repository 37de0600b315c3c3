#include "autoconfig.h"

#include "curl_dl.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The dlopen dependency, declared for packagers the way systemd does it:
 * an ELF note in section ".note.dlopen", owner "FDO", type 0x407c0c0a,
 * whose payload is a NUL-terminated JSON array of the libraries loaded at
 * run time (read it with `readelf -n`). The fields of an ELF note are
 * 4-byte words and its owner and payload are padded to 4 bytes. */
#ifdef __ELF__
#define DLOPEN_NOTE_OWNER "FDO"
#define DLOPEN_NOTE_TYPE  0x407c0c0aU
#define DLOPEN_NOTE_JSON                                                                           \
	"[{\"feature\":\"http\",\"description\":\"HTTPS requests to VSPC\","                       \
	"\"priority\":\"required\",\"soname\":[\"" CURL_DL_SONAME "\"]}]"

struct dlopen_note {
	uint32_t owner_size;
	uint32_t payload_size;
	uint32_t type;
	char owner[sizeof DLOPEN_NOTE_OWNER];
	_Alignas(4) char payload[sizeof DLOPEN_NOTE_JSON];
};

/* "used": no code refers to it, the compiler must emit it all the same.
 * _Alignas on the object itself: gcc would give an object this large the
 * 32-byte alignment of vector loads, and readers of notes want 4 or 8.
 * clang's AddressSanitizer would pad it with a red zone (gcc's leaves
 * objects in named sections alone). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DLOPEN_NOTE_NO_ASAN __attribute__((no_sanitize("address")))
#endif
#endif
#ifndef DLOPEN_NOTE_NO_ASAN
#define DLOPEN_NOTE_NO_ASAN
#endif
#define DLOPEN_NOTE_SECTION __attribute__((used, section(".note.dlopen"))) DLOPEN_NOTE_NO_ASAN
_Alignas(4) static const struct dlopen_note dlopen_note DLOPEN_NOTE_SECTION = {
	.owner_size = sizeof DLOPEN_NOTE_OWNER,
	.payload_size = sizeof DLOPEN_NOTE_JSON,
	.type = DLOPEN_NOTE_TYPE,
	.owner = DLOPEN_NOTE_OWNER,
	.payload = DLOPEN_NOTE_JSON,
};
#endif

struct curl_sym {
	const char *name;
	void *slot; /* the member of struct curl_dl to fill */
};

static struct curl_dl table;
static bool loaded;

/* Writes "cannot load libcurl.so.4: @why" to @err on one line. */
static void load_error(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "cannot load %s: %s", CURL_DL_SONAME, why ? why : "unknown error");
	for (char *p = err; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
}

/* POSIX guarantees that a function's address survives the trip through
 * dlsym()'s void *; copying the bytes says so without a cast C forbids. */
static bool resolve(void *handle, const struct curl_sym *sym, char *err, size_t errlen)
{
	void *p;

	_Static_assert(sizeof p == sizeof table.easy_init, "function pointers are not void *");
	(void)dlerror();
	p = dlsym(handle, sym->name);
	if (p == NULL) {
		load_error(err, errlen, dlerror());
		return false;
	}
	memcpy(sym->slot, &p, sizeof p);
	return true;
}

/* dlopen() with stderr pointing at /dev/null: a library whose constructor
 * fails (GnuTLS, which libcurl's dependencies load, when memory runs out)
 * may say so on stderr, which Icinga 2 would show as the status line. */
static void *dlopen_quietly(const char *name, int flags)
{
	int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	int null = saved >= 0 ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
	void *handle;

	if (null >= 0) {
		(void)dup2(null, STDERR_FILENO);
		close(null);
	}
	handle = dlopen(name, flags);
	if (saved >= 0) {
		(void)dup2(saved, STDERR_FILENO);
		close(saved);
	}
	return handle;
}

const struct curl_dl *curl_dl_load(char *err, size_t errlen)
{
	struct curl_dl t;
	const struct curl_sym syms[] = {
		{ "curl_global_init", &t.global_init },
		{ "curl_global_cleanup", &t.global_cleanup },
		{ "curl_easy_init", &t.easy_init },
		{ "curl_easy_setopt", &t.easy_setopt },
		{ "curl_easy_getinfo", &t.easy_getinfo },
		{ "curl_easy_perform", &t.easy_perform },
		{ "curl_easy_cleanup", &t.easy_cleanup },
		{ "curl_easy_strerror", &t.easy_strerror },
		{ "curl_easy_escape", &t.easy_escape },
		{ "curl_free", &t.mem_free },
		{ "curl_slist_append", &t.slist_append },
		{ "curl_slist_free_all", &t.slist_free_all },
	};
	void *handle;

	_Static_assert(sizeof syms / sizeof syms[0] == sizeof t / sizeof t.easy_init,
		       "one name per member of struct curl_dl");
	if (loaded)
		return &table;
	/* RTLD_LOCAL: libcurl's symbols stay out of the global namespace,
	 * where nothing else needs them. */
	handle = dlopen_quietly(CURL_DL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		load_error(err, errlen, dlerror());
		return NULL;
	}
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		if (!resolve(handle, &syms[i], err, errlen))
			return NULL; /* never dlclose()d, see curl_dl.h */
	}
	table = t;
	loaded = true;
	return &table;
}
