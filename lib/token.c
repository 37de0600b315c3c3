#include "autoconfig.h"

#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

/* Reads at most @cap bytes of @path into @dst; returns the count or -1. */
static ssize_t read_capped(const char *path, char *dst, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < cap) {
		ssize_t n = read(fd, dst + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

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
	struct stat st;

	/* one byte more than a token and its newline, to notice longer lines */
	size_t cap = TOKEN_MAX + 3;
	char *raw = malloc(cap);
	ssize_t n;
	const char *nl;
	enum token_error rc;

	if (raw == NULL) {
		snprintf(err, errlen, "out of memory");
		return TOKEN_ERR_FILE;
	}
	n = read_capped(path, raw, cap);
	if (n < 0) {
		snprintf(err, errlen, "cannot read token file %s: %s", path, strerror(errno));
		free(raw);
		return TOKEN_ERR_FILE;
	}
	*loose = stat(path, &st) == 0 && (st.st_mode & 077) != 0;
	nl = memchr(raw, '\n', (size_t)n);
	rc = store(raw, nl ? (size_t)(nl - raw) : (size_t)n, "the token file", token, err, errlen);
	secret_wipe(raw, cap);
	free(raw);
	return rc;
}

enum token_error token_load(const struct token_source *src, struct buf *token, bool *loose,
			    char *err, size_t errlen)
{
	const char *env;

	*loose = false;
	if (src->file)
		return load_file(src->file, token, loose, err, errlen);
	if (src->inline_token)
		return store(src->inline_token, strlen(src->inline_token), "--token", token, err,
			     errlen);
	if (src->credentials_file)
		return TOKEN_LOGIN;
	env = src->env_name ? getenv(src->env_name) : NULL;
	if (env)
		return store(env, strlen(env), src->env_name, token, err, errlen);
	snprintf(
	    err, errlen,
	    "no token: give --token-file=FILE, --token=TOKEN, --credentials-file=FILE or set %s",
	    src->env_name ? src->env_name : "VSPC_TOKEN");
	return TOKEN_ERR_NONE;
}
