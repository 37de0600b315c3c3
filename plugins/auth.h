/* Logging in with a credentials file: POST /api/v3/token, the shared token
 * cache, refresh tokens, and one new login after a 401. */
#ifndef VSPC_AUTH_H
#define VSPC_AUTH_H

#include <stdbool.h>

#include "buf.h"
#include "config.h"
#include "credentials.h"
#include "output.h"
#include "token_cache.h"

struct request_ctx;

struct auth {
	struct credentials creds;
	bool use_cache;
	struct token_cache cache;
	struct buf *token; /* the run's bearer token, filled by auth_login() */
};

/* Reads the credentials file and opens the cache (no network yet). False
 * with the result failed when the file is unusable. */
bool auth_start(struct auth *a, const struct config *cfg, struct buf *token, struct result *res);

/* Puts a usable access token into a->token: the cached one while it is
 * fresh, else one from the refresh token, else from a password login. False
 * with the result failed. */
bool auth_login(struct auth *a, const struct request_ctx *rq);

/* After a 401 with the current token: a new login (plugins/session.c
 * makes sure it happens once per run). */
bool auth_renew(struct auth *a, const struct request_ctx *rq);

/* Wipes the credentials and releases the cache. */
void auth_end(struct auth *a);

#endif
