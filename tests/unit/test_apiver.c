/* API versions: syntax, order, the negotiation's steps, the memory file. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apiver.h"
#include "tap.h"

static void test_syntax(void)
{
	static const char *const good[] = { "3.6", "3.5.1", "3.4", "3.6.2", "10", "1.2.3.4" };
	static const char *const bad[] = { "",     "3.",  ".3",        "3..6",    "3.6a",
					   "auto", "3,6", "1.2.3.4.5", "12345.1", "3.6\r\nX: 1" };

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		tap_ok(apiver_valid(good[i]), "'%s' is a version", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tap_ok(!apiver_valid(bad[i]), "'%s' is refused", bad[i]);
	tap_ok(apiver_compare("3.5.1", "3.5") > 0 && apiver_compare("3.5", "3.5.1") < 0 &&
		   apiver_compare("3.6", "3.6.0") == 0 && apiver_compare("3.10", "3.6") > 0,
	       "versions compare number by number");
	tap_ok(apiver_has_read_only("3.6") && apiver_has_read_only("3.6.2") &&
		   !apiver_has_read_only("3.5.1") && !apiver_has_read_only("3.4"),
	       "readOnly logins from 3.6 on");
}

static void test_negotiation(void)
{
	struct apiver v;

	apiver_start(&v, NULL, NULL);
	tap_ok(strcmp(v.current, "3.6") == 0 && v.origin == APIVER_NEWEST, "auto starts at 3.6");
	tap_ok(apiver_refused(&v) && strcmp(v.current, "3.5.1") == 0 && v.origin == APIVER_STEPPED,
	       "a refusal steps down to 3.5.1");
	tap_ok(apiver_refused(&v) && strcmp(v.current, "3.4") == 0, "then to 3.4");
	tap_ok(!apiver_refused(&v) && strcmp(v.refused, "3.6, 3.5.1, 3.4") == 0,
	       "then nothing is left, and all three are named (%s)", v.refused);

	apiver_start(&v, NULL, "3.5.1");
	tap_ok(strcmp(v.current, "3.5.1") == 0 && v.origin == APIVER_REMEMBERED,
	       "a remembered version is used first");
	tap_ok(apiver_refused(&v) && strcmp(v.current, "3.6") == 0 && apiver_refused(&v) &&
		   strcmp(v.current, "3.4") == 0 && !apiver_refused(&v),
	       "a refused remembered version negotiates again, without trying it twice");

	apiver_start(&v, NULL, "2.0");
	tap_ok(strcmp(v.current, "3.6") == 0 && v.origin == APIVER_NEWEST,
	       "a remembered version the plugin does not negotiate is ignored");

	apiver_start(&v, "3.5", "3.4");
	tap_ok(strcmp(v.current, "3.5") == 0 && v.origin == APIVER_PINNED && !apiver_refused(&v) &&
		   strcmp(v.current, "3.5") == 0,
	       "a pinned version wins and is never replaced");
}

static void test_memory(void)
{
	char dir[] = "/tmp/vspc-apiver-XXXXXX";
	char path[256];
	char version[APIVER_TEXT_MAX + 1];
	char note[512] = "";
	int64_t at = 0;
	struct stat st;
	FILE *f;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/api-test", dir);
	tap_ok(!apiver_memory_load(path, version, &at, note, sizeof note) && version[0] == '\0',
	       "no file: nothing remembered (%s)", note);
	tap_ok(apiver_memory_store(path, "3.5.1", 1790000000, note, sizeof note) &&
		   apiver_memory_load(path, version, &at, note, sizeof note) &&
		   strcmp(version, "3.5.1") == 0 && at == 1790000000,
	       "a stored version reads back");
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is 0600");
	f = fopen(path, "w");
	fputs("check_vspc_replication api version 1\nversion=3.5.1\nagreed=17", f);
	fclose(f);
	chmod(path, 0600);
	tap_ok(!apiver_memory_load(path, version, &at, note, sizeof note) &&
		   strstr(note, "corrupt"),
	       "a truncated file is ignored (%s)", note);
	f = fopen(path, "w");
	fputs("check_vspc_replication api version 1\nversion=3.6\r\nX\nagreed=1\n", f);
	fclose(f);
	tap_ok(!apiver_memory_load(path, version, &at, note, sizeof note) && version[0] == '\0',
	       "a version that is not one is ignored");
	apiver_memory_store(path, "3.4", 1, note, sizeof note);
	chmod(path, 0644);
	tap_ok(!apiver_memory_load(path, version, &at, note, sizeof note) &&
		   strstr(note, "not a private file"),
	       "a file others can read is not trusted (%s)", note);
	unlink(path);
	tap_ok(symlink("/etc/passwd", path) == 0 &&
		   !apiver_memory_load(path, version, &at, note, sizeof note),
	       "a symlink is not followed (%s)", note);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_syntax();
	test_negotiation();
	test_memory();
	return tap_done();
}
