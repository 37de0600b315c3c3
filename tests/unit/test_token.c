/* token_load(): the order of the sources, "log in" as a flag beside success
 * rather than an error code, and the checks on a token's length and bytes. */
#include "autoconfig.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "tap.h"
#include "token.h"

/* set by main() before the table runs; never set: the unset variable */
#define ENV_SET   "VSPC_UNIT_TOKEN"
#define ENV_EMPTY "VSPC_UNIT_TOKEN_EMPTY"
#define ENV_UNSET "VSPC_UNIT_TOKEN_UNSET"
/* missing files: a token file is read, a credentials file only chosen */
#define CREDS   "/nonexistent/creds"
#define TOKFILE "/nonexistent/token"

static const struct {
	struct token_source src;
	enum token_error rc;
	bool login;
	const char *token; /* what was loaded when rc is TOKEN_OK */
	const char *what;
} load_cases[] = {
	{ { NULL, " abc\t", NULL, NULL }, TOKEN_OK, false, "abc", "an inline token, trimmed" },
	{ { NULL, "abc", CREDS, ENV_SET }, TOKEN_OK, false, "abc", "inline wins over credentials" },
	{ { NULL, NULL, CREDS, ENV_SET }, TOKEN_OK, true, "", "credentials: OK, login, empty" },
	{ { NULL, NULL, NULL, ENV_SET }, TOKEN_OK, false, "from-env", "the environment, trimmed" },
	{ { TOKFILE, NULL, CREDS, NULL }, TOKEN_ERR_FILE, false, NULL, "missing file beats creds" },
	{ { NULL, NULL, NULL, ENV_EMPTY }, TOKEN_ERR_NONE, false, NULL, "empty variable is unset" },
	{ { NULL, NULL, NULL, ENV_UNSET }, TOKEN_ERR_NONE, false, NULL, "no source at all" },
	{ { NULL, NULL, NULL, NULL }, TOKEN_ERR_NONE, false, NULL, "no source, no variable name" },
	{ { NULL, " \t ", NULL, NULL }, TOKEN_ERR_EMPTY, false, NULL, "a blank inline token" },
	{ { NULL, "a\x01z", NULL, NULL }, TOKEN_ERR_BAD, false, NULL, "a control character" },
};

static void test_load_cases(void)
{
	for (size_t i = 0; i < sizeof load_cases / sizeof load_cases[0]; i++) {
		struct buf token;
		char err[256] = "";
		bool loose = true;
		bool login = !load_cases[i].login;
		enum token_error rc;

		buf_init(&token, TOKEN_MAX);
		rc = token_load(&load_cases[i].src, &token, &loose, &login, err, sizeof err);
		tap_ok(rc == load_cases[i].rc && login == load_cases[i].login && !loose &&
			   (rc != TOKEN_OK || strcmp(buf_str(&token), load_cases[i].token) == 0),
		       "%s (rc %d, login %d, %s)", load_cases[i].what, (int)rc, (int)login, err);
		buf_free_wipe(&token);
	}
}

/* Loads an inline token of @len bytes of 'x'; returns the code. */
static enum token_error load_inline_of(size_t len)
{
	char *s = malloc(len + 1);
	struct token_source src = { .inline_token = s };
	struct buf token;
	char err[256];
	bool loose;
	bool login;
	enum token_error rc;

	if (s == NULL)
		abort();
	memset(s, 'x', len);
	s[len] = '\0';
	buf_init(&token, TOKEN_MAX);
	rc = token_load(&src, &token, &loose, &login, err, sizeof err);
	buf_free_wipe(&token);
	free(s);
	return rc;
}

static void test_length(void)
{
	_Static_assert(TOKEN_MAX == VSPC_TOKEN_MAX, "one limit for every token");
	tap_ok(load_inline_of(TOKEN_MAX) == TOKEN_OK, "a token of TOKEN_MAX bytes is taken");
	tap_ok(load_inline_of(TOKEN_MAX + 1) == TOKEN_ERR_BAD,
	       "a token of TOKEN_MAX + 1 bytes is refused");
}

/* A token file: its first line is the token, and group or world access is
 * reported through loose, not as an error. */
static void test_file(void)
{
	static const char text[] = "  file-token \nsecond line\n";
	char path[] = "/tmp/vspc-token-XXXXXX";
	struct token_source src = { .file = path, .credentials_file = CREDS };
	struct buf token;
	char err[256] = "";
	bool loose = true;
	bool login = true;
	enum token_error rc;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1))
		abort();
	close(fd);
	buf_init(&token, TOKEN_MAX);
	rc = token_load(&src, &token, &loose, &login, err, sizeof err);
	tap_ok(rc == TOKEN_OK && !login && !loose && strcmp(buf_str(&token), "file-token") == 0,
	       "a private token file gives its first line, trimmed (%s)", err);
	if (chmod(path, 0640) != 0)
		abort();
	rc = token_load(&src, &token, &loose, &login, err, sizeof err);
	tap_ok(rc == TOKEN_OK && !login && loose,
	       "a group-readable token file works and is flagged");
	buf_free_wipe(&token);
	unlink(path);
}

int main(void)
{
	setenv(ENV_SET, " from-env\n", 1);
	setenv(ENV_EMPTY, "", 1);
	unsetenv(ENV_UNSET);
	test_load_cases();
	test_length();
	test_file();
	return tap_done();
}
