/* libFuzzer targets for everything that reads the user's input: ranges,
 * durations and timestamps, the credentials file, the extra-opts ini reader
 * and the command line. FUZZ_TARGET picks one (see build.sh). */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiver.h"
#include "cli.h"
#include "config.h"
#include "credentials.h"
#include "ini.h"
#include "range.h"
#include "timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input. */
static __attribute__((unused)) char *text_of(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* build.sh picks the target with -DFUZZ_TARGET=n; without it, say so
 * rather than let the tests below read an unset macro as 0 (-Wundef) */
#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=n, n from 5 to 8 (see build.sh)"
#elif FUZZ_TARGET == 5 /* fuzz_values: ranges, durations, timestamps */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = text_of(data, size);
	struct range r;
	int64_t v;

	if (range_parse(s, &r) == RANGE_OK)
		(void)range_alerts(&r, 5);
	(void)time_parse_duration(s, &v);
	(void)time_parse_rfc3339(s, size, &v);
	{
		bool has_offset;

		(void)time_parse_local(s, size, &v, &has_offset);
	}
	if (apiver_valid(s))
		(void)apiver_compare(s, "3.5.1");
	free(s);
	return 0;
}
#elif FUZZ_TARGET == 6 /* fuzz_credentials */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct credentials c;
	char err[256];

	credentials_init(&c);
	credentials_parse((const char *)data, size, &c, err, sizeof err);
	credentials_free(&c);
	return 0;
}
#elif FUZZ_TARGET == 7 /* fuzz_ini: the extra-opts reader */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ini_args args = { 0 };
	char err[256];

	ini_parse_text((const char *)data, size, "check_vspc_replication", &args, err, sizeof err);
	ini_args_free(&args);
	return 0;
}
#elif FUZZ_TARGET == 8 /* fuzz_cli: argv split at NUL bytes */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char name[] = "check_vspc_replication";
	char *s = text_of(data, size);
	char *argv[66];
	int argc = 0;
	struct config cfg;
	char err[512];

	argv[argc++] = name;
	for (size_t i = 0; i <= size && argc < 64; i++) {
		argv[argc++] = s + i;
		i += strlen(s + i);
	}
	argv[argc] = NULL;
	config_init(&cfg);
	(void)cli_parse(argc, argv, &cfg, err, sizeof err);
	free(s);
	return 0;
}
#else
#error "FUZZ_TARGET must be 5 to 8"
#endif
