#include "autoconfig.h"

#include "token_cache.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "privdir.h"
#include "secret.h"
#include "token.h"

#define CACHE_FILE_MAX (4 * TOKEN_MAX)
#define CACHE_MAGIC    "check_vspc_replication token cache 1\n"

void cached_token_init(struct cached_token *t)
{
	buf_init(&t->access, TOKEN_MAX);
	buf_init(&t->refresh, TOKEN_MAX);
	t->expires_at = 0;
	t->read_only = -1;
}

void cached_token_free(struct cached_token *t)
{
	buf_free_wipe(&t->access);
	buf_free_wipe(&t->refresh);
	t->expires_at = 0;
}

bool token_cache_open(struct token_cache *tc, const char *dir, const char *host, unsigned port,
		      const char *username, char *note, size_t notelen)
{
	struct privdir pd;
	char port_text[16];
	const char *parts[3] = { host, port_text, username };

	memset(tc, 0, sizeof *tc);
	tc->lock_fd = -1;
	if (!privdir_open(&pd, dir, note, notelen))
		return false;
	snprintf(tc->dir, sizeof tc->dir, "%s", pd.path);
	snprintf(port_text, sizeof port_text, "%u", port);
	if (!privdir_file(&pd, tc->file, sizeof tc->file, "token", parts, 3, NULL) ||
	    !privdir_file(&pd, tc->lock_path, sizeof tc->lock_path, "token", parts, 3, ".lock")) {
		snprintf(note, notelen, "the token cache path is too long");
		return false;
	}
	return true;
}

bool token_cache_lock(struct token_cache *tc, int64_t deadline_ms, bool *busy, char *note,
		      size_t notelen)
{
	return privdir_lock(tc->lock_path, deadline_ms, &tc->lock_fd, busy, note, notelen);
}

void token_cache_unlock(struct token_cache *tc)
{
	privdir_unlock(&tc->lock_fd);
}

/* "key=value\n" at *pos into @dst; advances *pos. */
static bool take_field(const char *text, size_t len, size_t *pos, const char *key, struct buf *dst)
{
	size_t klen = strlen(key);
	const char *line = text + *pos;
	const char *nl = memchr(line, '\n', len - *pos);

	if (nl == NULL || (size_t)(nl - line) < klen + 1 || memcmp(line, key, klen) != 0 ||
	    line[klen] != '=')
		return false;
	buf_reset(dst);
	if (buf_append(dst, line + klen + 1, (size_t)(nl - line) - klen - 1) != BUF_OK)
		return false;
	*pos += (size_t)(nl - line) + 1;
	return true;
}

static bool parse_cache(const char *text, size_t len, struct cached_token *t)
{
	size_t pos = strlen(CACHE_MAGIC);
	struct buf field;
	char *end;
	bool ok;

	if (len < pos || memcmp(text, CACHE_MAGIC, pos) != 0)
		return false;
	buf_init(&field, 32);
	ok = take_field(text, len, &pos, "access", &t->access) && t->access.len > 0 &&
	     take_field(text, len, &pos, "refresh", &t->refresh) &&
	     take_field(text, len, &pos, "expires", &field);
	if (ok) {
		errno = 0;
		t->expires_at = strtoll(buf_str(&field), &end, 10);
		ok = errno == 0 && *end == '\0' && end != buf_str(&field);
	}
	/* written by releases that did not record it: unknown */
	t->read_only = -1;
	if (ok && pos < len) {
		ok = take_field(text, len, &pos, "readonly", &field) && field.len == 1 &&
		     (field.data[0] == '0' || field.data[0] == '1');
		t->read_only = ok ? field.data[0] - '0' : -1;
	}
	ok = ok && pos == len;
	for (size_t i = 0; ok && i < t->access.len; i++)
		ok = (unsigned char)t->access.data[i] >= 0x20;
	buf_free(&field);
	return ok;
}

bool token_cache_read(const struct token_cache *tc, struct cached_token *t, char *note,
		      size_t notelen)
{
	char *text = malloc(CACHE_FILE_MAX + 1);
	size_t len = 0;
	enum privdir_status st;
	bool ok;

	if (text == NULL) {
		snprintf(note, notelen, "out of memory reading the token cache");
		return false;
	}
	st = privdir_read(tc->file, text, CACHE_FILE_MAX + 1, &len, note, notelen);
	if (st == PRIVDIR_MISSING)
		snprintf(note, notelen, "no cached token");
	ok = st == PRIVDIR_OK && parse_cache(text, len, t);
	if (st == PRIVDIR_OK && !ok) {
		cached_token_free(t);
		cached_token_init(t);
		snprintf(note, notelen, "the token cache is corrupt: ignored");
	}
	secret_wipe(text, CACHE_FILE_MAX + 1);
	free(text);
	return ok;
}

bool token_cache_write(const struct token_cache *tc, const struct cached_token *t, char *note,
		       size_t notelen)
{
	struct buf text;
	char why[PATH_MAX + 96];
	bool ok;

	buf_init(&text, CACHE_FILE_MAX);
	ok = buf_printf(&text, CACHE_MAGIC "access=%s\nrefresh=%s\nexpires=%" PRId64 "\n",
			buf_str(&t->access), buf_str(&t->refresh), t->expires_at) == BUF_OK &&
	     (t->read_only < 0 || buf_printf(&text, "readonly=%d\n", t->read_only) == BUF_OK);
	if (!ok)
		snprintf(note, notelen, "cannot write the token cache: the tokens are too long");
	else if (!privdir_write(tc->file, text.data, text.len, why, sizeof why)) {
		snprintf(note, notelen, "%s", why);
		ok = false;
	}
	buf_free_wipe(&text);
	return ok;
}
