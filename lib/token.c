#include "autoconfig.h"

#include "token.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"

#define TOKEN_FILE_MAX (64 * 1024)

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Stores @len bytes as the token, trimmed, after checking them. */
static enum token_error store(const char *s, size_t len, const char *origin, struct buf *token,
			      char *err, size_t errlen)
{
	while (len && is_blank(*s))
		s++, len--;
	while (len && is_blank(s[len - 1]))
		len--;
	if (len == 0) {
		snprintf(err, errlen, "the token from %s is empty", origin);
		return TOKEN_ERR_EMPTY;
	}
	if (len > TOKEN_MAX) {
		snprintf(err, errlen, "the token from %s is longer than %d bytes", origin,
			 TOKEN_MAX);
		return TOKEN_ERR_BAD;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "the token from %s contains control characters",
				 origin);
			return TOKEN_ERR_BAD;
		}
	}
	buf_reset(token);
	if (buf_append(token, s, len) != BUF_OK) {
		snprintf(err, errlen, "out of memory");
		return TOKEN_ERR_BAD;
	}
	return TOKEN_OK;
}

static enum token_error load_file(const char *path, struct buf *token, bool *loose, char *err,
				  size_t errlen)
{
	struct buf raw;
	mode_t mode = 0;
	const char *nl;
	enum token_error rc;
	int e;

	buf_init(&raw, TOKEN_FILE_MAX);
	e = readfile(path, &raw, &mode);
	if (e != 0) {
		snprintf(err, errlen, "cannot read token file %s: %s", path,
			 e == EFBIG ? "larger than 64 KiB" : strerror(e));
		return TOKEN_ERR_FILE;
	}
	*loose = (mode & 077) != 0;
	nl = memchr(buf_str(&raw), '\n', raw.len);
	rc = store(buf_str(&raw), nl ? (size_t)(nl - buf_str(&raw)) : raw.len, "the token file",
		   token, err, errlen);
	buf_free_wipe(&raw);
	return rc;
}

enum token_error token_load(const struct token_source *src, struct buf *token, bool *loose,
			    bool *login, char *err, size_t errlen)
{
	const char *env;

	*loose = false;
	*login = false;
	if (src->file)
		return load_file(src->file, token, loose, err, errlen);
	if (src->inline_token)
		return store(src->inline_token, strlen(src->inline_token), "--token", token, err,
			     errlen);
	if (src->credentials_file) {
		*login = true;
		return TOKEN_OK;
	}
	env = src->env_name ? getenv(src->env_name) : NULL;
	/* an empty variable counts as unset: Icinga 2 exports it empty */
	if (env && env[0])
		return store(env, strlen(env), src->env_name, token, err, errlen);
	snprintf(
	    err, errlen,
	    "no token: give --token-file=FILE, --token=TOKEN, --credentials-file=FILE or set %s",
	    src->env_name ? src->env_name : "VSPC_TOKEN");
	return TOKEN_ERR_NONE;
}
