#include "autoconfig.h"

#include "token_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "secret.h"
#include "token.h"

#define CACHE_FILE_MAX (4 * TOKEN_MAX)
#define CACHE_MAGIC    "check_vspc_replication token cache 1\n"

void cached_token_init(struct cached_token *t)
{
	buf_init(&t->access, TOKEN_MAX);
	buf_init(&t->refresh, TOKEN_MAX);
	t->expires_at = 0;
}

void cached_token_free(struct cached_token *t)
{
	buf_free_wipe(&t->access);
	buf_free_wipe(&t->refresh);
	t->expires_at = 0;
}

/* FNV-1a: file names must not carry the user name or odd characters. */
static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL; /* a separator between fields */
}

/* mkdir 0700 unless it exists, then insist it is ours and private. */
static bool private_dir(const char *path, char *note, size_t notelen)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(note, notelen, "cannot create %s: %s", path, strerror(errno));
		return false;
	}
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(note, notelen, "%s is not a directory", path);
		return false;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		snprintf(note, notelen, "%s is not owned by this user or is writable by others",
			 path);
		return false;
	}
	return true;
}

static bool try_dir(struct token_cache *tc, const char *base, const char *sub, char *note,
		    size_t notelen)
{
	int n;

	if (sub) {
		/* the parent (e.g. ~/.cache) may not exist yet */
		if (mkdir(base, 0700) != 0 && errno != EEXIST)
			return false;
		n = snprintf(tc->dir, sizeof tc->dir, "%s/%s", base, sub);
	} else {
		n = snprintf(tc->dir, sizeof tc->dir, "%s", base);
	}
	return n > 0 && (size_t)n < sizeof tc->dir && private_dir(tc->dir, note, notelen);
}

static bool pick_dir(struct token_cache *tc, const char *dir, char *note, size_t notelen)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char path[PATH_MAX];

	if (dir)
		return try_dir(tc, dir, NULL, note, notelen);
	if (xdg && xdg[0] == '/' && try_dir(tc, xdg, TOKEN_CACHE_NAME, note, notelen))
		return true;
	if (home && home[0] == '/') {
		snprintf(path, sizeof path, "%s/.cache", home);
		if (try_dir(tc, path, TOKEN_CACHE_NAME, note, notelen))
			return true;
	}
	snprintf(path, sizeof path, "/var/tmp/%s-%lu", TOKEN_CACHE_NAME, (unsigned long)geteuid());
	return try_dir(tc, path, NULL, note, notelen);
}

bool token_cache_open(struct token_cache *tc, const char *dir, const char *host, unsigned port,
		      const char *username, char *note, size_t notelen)
{
	char port_text[16];
	uint64_t h = 0xcbf29ce484222325ULL;
	int n1;
	int n2;

	memset(tc, 0, sizeof *tc);
	tc->lock_fd = -1;
	if (!pick_dir(tc, dir, note, notelen))
		return false;
	snprintf(port_text, sizeof port_text, "%u", port);
	h = fnv1a(username, fnv1a(port_text, fnv1a(host, h)));
	n1 = snprintf(tc->file, sizeof tc->file, "%s/token-%016" PRIx64, tc->dir, h);
	n2 = snprintf(tc->lock_path, sizeof tc->lock_path, "%s/token-%016" PRIx64 ".lock", tc->dir,
		      h);
	if (n1 < 0 || n2 < 0 || (size_t)n2 >= sizeof tc->lock_path) {
		snprintf(note, notelen, "the token cache path is too long");
		return false;
	}
	return true;
}

bool token_cache_lock(struct token_cache *tc, int64_t deadline_ms, char *note, size_t notelen)
{
	int fd = open(tc->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(note, notelen, "cannot open %s: %s", tc->lock_path, strerror(errno));
		return false;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		struct timespec ts = { 0, 20 * 1000000 };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(note, notelen, "cannot lock %s: %s", tc->lock_path,
				 strerror(errno));
			close(fd);
			return false;
		}
		if (clock_remaining_ms(deadline_ms) <= 20) {
			snprintf(note, notelen, "the token cache stayed locked until the deadline");
			close(fd);
			return false;
		}
		nanosleep(&ts, NULL);
	}
	tc->lock_fd = fd;
	return true;
}

void token_cache_unlock(struct token_cache *tc)
{
	if (tc->lock_fd >= 0) {
		flock(tc->lock_fd, LOCK_UN);
		close(tc->lock_fd);
		tc->lock_fd = -1;
	}
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
	struct buf expires;
	char *end;
	bool ok;

	if (len < pos || memcmp(text, CACHE_MAGIC, pos) != 0)
		return false;
	buf_init(&expires, 32);
	ok = take_field(text, len, &pos, "access", &t->access) && t->access.len > 0 &&
	     take_field(text, len, &pos, "refresh", &t->refresh) &&
	     take_field(text, len, &pos, "expires", &expires) && pos == len;
	if (ok) {
		errno = 0;
		t->expires_at = strtoll(buf_str(&expires), &end, 10);
		ok = errno == 0 && *end == '\0' && end != buf_str(&expires);
	}
	for (size_t i = 0; ok && i < t->access.len; i++)
		ok = (unsigned char)t->access.data[i] >= 0x20;
	buf_free(&expires);
	return ok;
}

bool token_cache_read(const struct token_cache *tc, struct cached_token *t, char *note,
		      size_t notelen)
{
	int fd = open(tc->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *text;
	ssize_t n;
	bool ok;

	if (fd < 0) {
		snprintf(note, notelen,
			 errno == ELOOP ? "the token cache is a symlink: ignored"
					: "no cached token");
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0 || st.st_size > CACHE_FILE_MAX) {
		snprintf(note, notelen,
			 "the token cache %s is not a private file of this user: ignored",
			 tc->file);
		close(fd);
		return false;
	}
	text = malloc(CACHE_FILE_MAX + 1);
	if (text == NULL) {
		close(fd);
		return false;
	}
	n = read(fd, text, CACHE_FILE_MAX + 1);
	close(fd);
	ok = n > 0 && parse_cache(text, (size_t)n, t);
	if (!ok) {
		cached_token_free(t);
		cached_token_init(t);
		snprintf(note, notelen, "the token cache is corrupt: ignored");
	}
	secret_wipe(text, CACHE_FILE_MAX + 1);
	free(text);
	return ok;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

bool token_cache_write(const struct token_cache *tc, const struct cached_token *t, char *note,
		       size_t notelen)
{
	char tmp[PATH_MAX + 16];
	struct buf text;
	int fd;
	bool ok;

	snprintf(tmp, sizeof tmp, "%s.XXXXXX", tc->file);
	buf_init(&text, CACHE_FILE_MAX);
	ok = buf_printf(&text, CACHE_MAGIC "access=%s\nrefresh=%s\nexpires=%" PRId64 "\n",
			buf_str(&t->access), buf_str(&t->refresh), t->expires_at) == BUF_OK;
	fd = ok ? mkstemp(tmp) : -1;
	if (fd < 0) {
		snprintf(note, notelen, "cannot write the token cache: %s", strerror(errno));
		buf_free_wipe(&text);
		return false;
	}
	ok = fchmod(fd, 0600) == 0 && write_all(fd, text.data, text.len);
	ok = close(fd) == 0 && ok;
	ok = ok && rename(tmp, tc->file) == 0;
	if (!ok) {
		snprintf(note, notelen, "cannot write the token cache: %s", strerror(errno));
		unlink(tmp);
	}
	buf_free_wipe(&text);
	return ok;
}
