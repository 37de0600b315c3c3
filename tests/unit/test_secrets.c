/* The credentials file and extra-opts ini readers, including malformed
 * lines, and the token cache's refusal of unsafe files. */
#include "autoconfig.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "clock.h"
#include "credentials.h"
#include "ini.h"
#include "privdir.h"
#include "tap.h"
#include "token_cache.h"

static const struct {
	const char *text;
	bool ok;
	const char *user;
	const char *password;
	const char *mention;
} cred_cases[] = {
	{ "username=svc\npassword=s3cret\n", true, "svc", "s3cret", NULL },
	{ "# comment\n\n  username=DOMAIN\\svc\npassword=a b=c;d\\e #not a comment\n", true,
	  "DOMAIN\\svc", "a b=c;d\\e #not a comment", NULL },
	{ "username=svc\r\npassword= spaced \r\n", true, "svc", " spaced ", NULL },
	{ "password=p\nusername=u", true, "u", "p", NULL },
	{ "username=svc\n", false, NULL, NULL, "password" },
	{ "password=x\n", false, NULL, NULL, "username" },
	{ "username=a\nusername=b\npassword=x\n", false, NULL, NULL, "line 2" },
	{ "username=a\npassword=x\nrealm=y\n", false, NULL, NULL, "line 3" },
	{ "username=a\njunk\npassword=x\n", false, NULL, NULL, "line 2" },
	{ "username=\npassword=x\n", false, NULL, NULL, "line 1" },
	{ "username=a\x01\npassword=x\n", false, NULL, NULL, "line 1" },
	{ "", false, NULL, NULL, "username" },
};

static void test_credentials(void)
{
	for (size_t i = 0; i < sizeof cred_cases / sizeof cred_cases[0]; i++) {
		struct credentials c;
		char err[256] = "";
		enum credentials_error rc;

		credentials_init(&c);
		rc = credentials_parse(cred_cases[i].text, strlen(cred_cases[i].text), &c, err,
				       sizeof err);
		if (cred_cases[i].ok)
			tap_ok(rc == CREDENTIALS_OK &&
				   strcmp(buf_str(&c.username), cred_cases[i].user) == 0 &&
				   strcmp(buf_str(&c.password), cred_cases[i].password) == 0,
			       "credentials case %zu parses (%s)", i, err);
		else
			tap_ok(rc == CREDENTIALS_ERR_SYNTAX && strstr(err, cred_cases[i].mention) &&
				   !strstr(err, "s3cret"),
			       "credentials case %zu is refused naming '%s' (%s)", i,
			       cred_cases[i].mention, err);
		credentials_free(&c);
	}
}

/* Writes @text to a temporary file; returns its path (static buffer). */
static const char *temp_file(const char *text, mode_t mode)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof path, "/tmp/vspc-unit-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	fchmod(fd, mode);
	close(fd);
	return path;
}

static void test_credentials_file(void)
{
	const char *path = temp_file("username=u\npassword=p\n", 0644);
	struct credentials c;
	char err[256];

	credentials_init(&c);
	tap_ok(credentials_load(path, &c, err, sizeof err) == CREDENTIALS_OK && c.loose_permissions,
	       "a world-readable credentials file works and is flagged");
	credentials_free(&c);
	unlink(path);
	credentials_init(&c);
	tap_ok(credentials_load("/nonexistent/creds", &c, err, sizeof err) ==
		       CREDENTIALS_ERR_READ &&
		   strstr(err, "/nonexistent/creds"),
	       "a missing credentials file is named");
	credentials_free(&c);
}

static const char ini_text[] = "# Monitoring Plugins style\n"
			       "[other]\n"
			       "hostname=wrong\n"
			       "[check_vspc_replication]\n"
			       "  hostname = vspc.example.com  \n"
			       "credentials-file=/etc/vspc/creds\n"
			       "w=10:\n"
			       "insecure=\n"
			       "; another comment\n"
			       "[ special ]\n"
			       "token=abc def\n"
			       "organization=1\n"
			       "organization=2\n";

static void test_ini(void)
{
	const char *path = temp_file(ini_text, 0600);
	char locator[128];
	struct ini_args args = { 0 };
	char err[256] = "";

	snprintf(locator, sizeof locator, "@%s", path);
	tap_ok(ini_read_locator(locator, "check_vspc_replication", &args, err, sizeof err) ==
		       INI_OK &&
		   args.argc == 5 && strcmp(args.argv[0], "--hostname=vspc.example.com") == 0 &&
		   strcmp(args.argv[1], "--credentials-file=/etc/vspc/creds") == 0 &&
		   strcmp(args.argv[2], "-w") == 0 && strcmp(args.argv[3], "10:") == 0 &&
		   strcmp(args.argv[4], "--insecure") == 0,
	       "the default section becomes options in order (%s)", err);
	ini_args_free(&args);

	snprintf(locator, sizeof locator, "special@%s", path);
	tap_ok(ini_read_locator(locator, "check_vspc_replication", &args, err, sizeof err) ==
		       INI_OK &&
		   args.argc == 3 && strcmp(args.argv[0], "--token=abc def") == 0 &&
		   strcmp(args.argv[2], "--organization=2") == 0,
	       "a named section, repeated keys kept (%s)", err);
	ini_args_free(&args);

	snprintf(locator, sizeof locator, "missing@%s", path);
	tap_ok(ini_read_locator(locator, "check_vspc_replication", &args, err, sizeof err) ==
		       INI_ERR_SECTION &&
		   strstr(err, "[missing]"),
	       "a missing section is an error (%s)", err);
	ini_args_free(&args);
	unlink(path);

	path = temp_file("hostname=x\n[check_vspc_replication]\n", 0600);
	snprintf(locator, sizeof locator, "@%s", path);
	tap_ok(ini_read_locator(locator, "check_vspc_replication", &args, err, sizeof err) ==
		       INI_ERR_SYNTAX &&
		   strstr(err, "line 1"),
	       "an option before any section is an error (%s)", err);
	ini_args_free(&args);
	unlink(path);

	path = temp_file("[check_vspc_replication]\njust words\n", 0600);
	snprintf(locator, sizeof locator, "@%s", path);
	tap_ok(ini_read_locator(locator, "check_vspc_replication", &args, err, sizeof err) ==
		       INI_ERR_SYNTAX &&
		   strstr(err, "line 2"),
	       "a line without = is an error (%s)", err);
	ini_args_free(&args);

	setenv("MP_CONFIG_FILE", path, 1);
	tap_ok(ini_default_file() && strcmp(ini_default_file(), path) == 0,
	       "MP_CONFIG_FILE names the default file");
	unsetenv("MP_CONFIG_FILE");
	unlink(path);

	tap_ok(ini_read_locator("@/nonexistent.ini", "x", &args, err, sizeof err) == INI_ERR_READ,
	       "an unreadable file is an error (%s)", err);
	ini_args_free(&args);
}

static void test_cache(void)
{
	char dir[] = "/tmp/vspc-cache-XXXXXX";
	struct token_cache tc;
	struct cached_token t;
	struct cached_token back;
	char note[512] = "";
	FILE *f;

	if (!mkdtemp(dir))
		abort();
	tap_ok(token_cache_open(&tc, dir, "vspc", 1280, "svc", note, sizeof note),
	       "a private directory is accepted (%s)", note);
	cached_token_init(&t);
	cached_token_init(&back);
	buf_append_str(&t.access, "acc-123");
	buf_append_str(&t.refresh, "ref-456");
	t.expires_at = 1800000000;
	tap_ok(token_cache_write(&tc, &t, note, sizeof note) &&
		   token_cache_read(&tc, &back, note, sizeof note) &&
		   strcmp(buf_str(&back.access), "acc-123") == 0 &&
		   strcmp(buf_str(&back.refresh), "ref-456") == 0 && back.expires_at == 1800000000,
	       "a written cache reads back");
	{
		struct stat st;

		tap_ok(stat(tc.file, &st) == 0 && (st.st_mode & 0777) == 0600,
		       "the cache file is 0600");
	}
	chmod(tc.file, 0644);
	tap_ok(!token_cache_read(&tc, &back, note, sizeof note) &&
		   strstr(note, "not a private file"),
	       "a group/other-readable cache is ignored (%s)", note);
	f = fopen(tc.file, "w");
	fputs("check_vspc_replication token cache 1\naccess=abc\nrefr", f);
	fclose(f);
	chmod(tc.file, 0600);
	tap_ok(!token_cache_read(&tc, &back, note, sizeof note) && strstr(note, "corrupt"),
	       "a truncated cache is ignored (%s)", note);
	unlink(tc.file);
	tap_ok(symlink("/etc/passwd", tc.file) == 0 &&
		   !token_cache_read(&tc, &back, note, sizeof note),
	       "a symlinked cache is ignored (%s)", note);
	unlink(tc.file);
	{
		struct token_cache other;
		char note2[512] = "";
		bool busy = false;

		token_cache_open(&other, dir, "vspc", 1280, "svc", note2, sizeof note2);
		tap_ok(token_cache_lock(&tc, clock_now_ms() + 1000, &busy, note, sizeof note) &&
			   !busy,
		       "the lock is taken (%s)", note);
		tap_ok(
		    !token_cache_lock(&other, clock_now_ms() + 200, &busy, note2, sizeof note2) &&
			busy && strstr(note2, "locked until the deadline"),
		    "a second taker waits until its deadline and gives up (%s)", note2);
		token_cache_unlock(&tc);
		tap_ok(token_cache_lock(&other, clock_now_ms() + 200, &busy, note2, sizeof note2),
		       "after the unlock it gets the lock");
		token_cache_unlock(&other);
	}
	cached_token_free(&t);
	cached_token_free(&back);
	unlink(tc.lock_path);
	chmod(dir, 0777);
	tap_ok(!token_cache_open(&tc, dir, "vspc", 1280, "svc", note, sizeof note) &&
		   strstr(note, "writable by others"),
	       "a world-writable directory is refused (%s)", note);
	rmdir(dir);
}

/* What a killed writer left behind is swept; anything else stays. */
static void test_sweep(void)
{
	char dir[] = "/tmp/vspc-sweep-XXXXXX";
	const char *const names[] = {
		"token-0123456789abcdef.Ab12Cd", /* old: swept */
		"api-0123456789abcdef.zz99ZZ",   /* old: swept */
		"token-0123456789abcdef.Qq11Ww", /* fresh: a write in progress */
		"token-0123456789abcdef",        /* the cache itself */
		"token-0123456789abcdef.lock",   /* the lock file */
		"notes.txt.Ab12Cd",              /* not ours */
	};
	const bool old[] = { true, true, false, true, true, true };
	const bool stays[] = { false, false, true, true, true, true };
	struct privdir pd;
	char path[256];
	char note[256];

	if (!mkdtemp(dir))
		abort();
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct utimbuf t = { 1000000000, 1000000000 };
		FILE *f;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		f = fopen(path, "w");
		fputs("access=secret\n", f);
		fclose(f);
		if (old[i])
			utime(path, &t);
	}
	tap_ok(privdir_open(&pd, dir, note, sizeof note), "the directory opens (%s)", note);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		tap_ok((access(path, F_OK) == 0) == stays[i], "%s %s", names[i],
		       stays[i] ? "stays" : "is swept");
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	test_sweep();
	test_credentials();
	test_credentials_file();
	test_ini();
	test_cache();
	return tap_done();
}
