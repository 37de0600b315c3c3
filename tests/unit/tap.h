/* A tiny TAP producer for the unit tests (run by automake's tap-driver.sh).
 * Each test program calls tap_ok() per case and returns tap_done(). */
#ifndef VSPC_TAP_H
#define VSPC_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 2, 3), unused)) static bool tap_ok(bool ok, const char *fmt, ...)
{
	char desc[1024];
	va_list ap;

	tap_count++;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof desc, fmt, ap);
	va_end(ap);
	/* a description must stay on its TAP line; '#' would start a directive */
	for (char *p = desc; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '#')
			*p = ' ';
	printf("%sok %d - %s\n", ok ? "" : "not ", tap_count, desc);
	if (!ok)
		tap_failed++;
	return ok;
}

__attribute__((unused)) static bool tap_str_eq(const char *got, const char *want, const char *what)
{
	bool ok = strcmp(got, want) == 0;

	tap_ok(ok, "%s", what);
	if (!ok)
		printf("# got:  '%s'\n# want: '%s'\n", got, want);
	return ok;
}

__attribute__((unused)) static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
