/* Every input the fuzzers were seeded with or once crashed on, replayed
 * through the fuzz targets' own entry points by make check, built with the
 * normal compiler (and the sanitizers or valgrind of the build): a fixed
 * crash stays fixed without clang or libFuzzer.
 *
 * Inputs: tests/fuzz/corpus/NAME/ (the seeds) and tests/fuzz/regressions/NAME/
 * (what `make fuzz-run` once found: copy the artifact there). */
#include "autoconfig.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

int replay_job(const uint8_t *data, size_t size);
int replay_session(const uint8_t *data, size_t size);
int replay_page(const uint8_t *data, size_t size);
int replay_oauth(const uint8_t *data, size_t size);
int replay_values(const uint8_t *data, size_t size);
int replay_credentials(const uint8_t *data, size_t size);
int replay_ini(const uint8_t *data, size_t size);
int replay_cli(const uint8_t *data, size_t size);
int replay_snapshot(const uint8_t *data, size_t size);
int replay_element(const uint8_t *data, size_t size);
int replay_trim(const uint8_t *data, size_t size);
int replay_confesc(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	int (*fn)(const uint8_t *data, size_t size);
} targets[] = {
	{ "fuzz_job", replay_job },           { "fuzz_session", replay_session },
	{ "fuzz_page", replay_page },         { "fuzz_oauth", replay_oauth },
	{ "fuzz_values", replay_values },     { "fuzz_credentials", replay_credentials },
	{ "fuzz_ini", replay_ini },           { "fuzz_cli", replay_cli },
	{ "fuzz_snapshot", replay_snapshot }, { "fuzz_element", replay_element },
	{ "fuzz_trim", replay_trim },         { "fuzz_confesc", replay_confesc },
};

/* Replays every file of @dir through @fn; how many, or -1 if unreadable. */
static long replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		uint8_t *data;
		FILE *f;

		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		f = fopen(path, "rb");
		data = malloc((size_t)st.st_size + 1);
		if (f == NULL || data == NULL ||
		    fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
			fprintf(stderr, "cannot read %s\n", path);
			exit(1);
		}
		fclose(f);
		fn(data, (size_t)st.st_size);
		free(data);
		n++;
	}
	closedir(d);
	return n;
}

int main(void)
{
	const char *srcdir = getenv("srcdir");

	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		char corpus[2048];
		char regressions[2048];
		long seeds, fixed;

		snprintf(corpus, sizeof corpus, "%s/tests/fuzz/corpus/%s", srcdir ? srcdir : ".",
			 targets[i].name);
		snprintf(regressions, sizeof regressions, "%s/tests/fuzz/regressions/%s",
			 srcdir ? srcdir : ".", targets[i].name);
		seeds = replay_dir(corpus, targets[i].fn);
		fixed = replay_dir(regressions, targets[i].fn);
		tap_ok(seeds > 0, "%s: %ld seed inputs and %ld regression inputs replayed",
		       targets[i].name, seeds, fixed < 0 ? 0 : fixed);
	}
	return tap_done();
}
