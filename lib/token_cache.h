/* The token cache: one small file per (host, port, username) holding the
 * access token, the refresh token and the expiry, shared by every check run
 * by the same user, guarded by a lock file.
 *
 * The file lives in the private directory of lib/privdir.h and is trusted
 * only on its terms, and only if it parses. Anything else is ignored, with a
 * note for -v, and never fatal: the caller logs in instead. Token strings
 * are wiped when freed. */
#ifndef VSPC_TOKEN_CACHE_H
#define VSPC_TOKEN_CACHE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct token_cache {
	char dir[PATH_MAX];
	char file[PATH_MAX];
	char lock_path[PATH_MAX];
	int lock_fd; /* -1 when not locked */
};

struct cached_token {
	struct buf access;
	struct buf refresh;
	int64_t expires_at; /* seconds since 1970; 0 unknown */
	int read_only;      /* 1 read-only, 0 full rights, -1 unknown */
};

void cached_token_init(struct cached_token *t);
void cached_token_free(struct cached_token *t);

/* Picks and prepares the directory (privdir_open()) and names the files
 * for the key. False, with the reason in @note, when no safe directory is usable. */
bool token_cache_open(struct token_cache *tc, const char *dir, const char *host, unsigned port,
		      const char *username, char *note, size_t notelen);

/* Takes the exclusive lock, waiting until @deadline_ms at most; *@busy as
 * for privdir_lock(). */
bool token_cache_lock(struct token_cache *tc, int64_t deadline_ms, bool *busy, char *note,
		      size_t notelen);
void token_cache_unlock(struct token_cache *tc);

/* Reads the cache into @t. False (with a note) when there is none or it
 * cannot be trusted or parsed. */
bool token_cache_read(const struct token_cache *tc, struct cached_token *t, char *note,
		      size_t notelen);

/* Replaces the cache atomically. */
bool token_cache_write(const struct token_cache *tc, const struct cached_token *t, char *note,
		       size_t notelen);

#endif
