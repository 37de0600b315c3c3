#include "autoconfig.h"

#include "auth.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "request.h"
#include "secret.h"
#include "token.h"
#include "vspc.h"

#define TOKEN_ANSWER_CAP (64u * 1024u)
/* renew a cached token this long before VSPC says it expires */
#define EXPIRY_MARGIN 60

bool auth_start(struct auth *a, const struct config *cfg, struct buf *token, struct result *res)
{
	char err[512];

	memset(a, 0, sizeof *a);
	credentials_init(&a->creds);
	a->token = token;
	a->cache.lock_fd = -1;
	if (credentials_load(cfg->token.credentials_file, &a->creds, err, sizeof err) !=
	    CREDENTIALS_OK) {
		result_fail(res, STATE_UNKNOWN, "%s", err);
		return false;
	}
	if (a->creds.loose_permissions)
		result_line(res, 1, "note: the credentials file %s is readable by group or others",
			    cfg->token.credentials_file);
	if (cfg->no_token_cache)
		return true;
	a->use_cache =
	    token_cache_open(&a->cache, cfg->token_cache_dir, cfg->conn.host, cfg->conn.server.port,
			     buf_str(&a->creds.username), err, sizeof err);
	if (!a->use_cache)
		result_line(res, 1, "note: not caching tokens: %s", err);
	return true;
}

void auth_end(struct auth *a)
{
	token_cache_unlock(&a->cache);
	credentials_free(&a->creds);
}

/* What a token answer that is not a token says. */
static void login_failed(const struct request_ctx *rq, const struct http_response *resp,
			 const struct vspc_oauth *o, const char *grant)
{
	if (o->mfa_required)
		result_fail(rq->res, STATE_UNKNOWN,
			    "VSPC asks for multi-factor authentication for this account: use a "
			    "read-only API key (--token-file) instead");
	else if (o->error[0] || o->error_description[0])
		result_fail(rq->res, STATE_UNKNOWN, "%s login failed (HTTP %ld): %s%s%s%s", grant,
			    resp->status, o->error_description[0] ? o->error_description : o->error,
			    o->error_description[0] && o->error[0] ? " (" : "",
			    o->error_description[0] ? o->error : "",
			    o->error_description[0] && o->error[0] ? ")" : "");
	else if (resp->status != 200)
		request_report_status(rq, resp, "the token endpoint", STATE_UNKNOWN, "login: ");
	else
		result_fail(rq->res, STATE_UNKNOWN, "%s login: the answer has no access_token",
			    grant);
}

/* POST /api/v3/token with @fields; on success fills @t. */
static bool token_request(const struct request_ctx *rq, const char *const *fields, size_t nfields,
			  const char *grant, struct cached_token *t)
{
	const struct config *cfg = rq->cfg;
	char url[512];
	char version[64];
	char err[320];
	const char *headers[2];
	struct http_response resp = { 0 };
	struct vspc_oauth o;
	enum http_error rc;
	bool ok = false;

	vspc_token_url(url, sizeof url, &cfg->conn.server);
	request_version_header(rq, version, sizeof version);
	headers[0] = REQUEST_ACCEPT;
	headers[1] = version;
	result_line(rq->res, 2, "POST %s (grant_type=%s)", url, grant);
	rc = http_post_form(rq->client, url, headers, 2, fields, nfields, rq->deadline_ms,
			    TOKEN_ANSWER_CAP, &resp, err, sizeof err);
	if (rc != HTTP_OK) {
		request_report_transport(rq, rc, err, "login: ");
		buf_free_wipe(&resp.body);
		return false;
	}
	if (vspc_decode_oauth(buf_str(&resp.body), resp.body.len, &o, err, sizeof err) != VSPC_OK) {
		if (resp.status == 200)
			result_fail(rq->res, STATE_UNKNOWN, "%s login: %s", grant, err);
		else
			request_report_status(rq, &resp, "the token endpoint", STATE_UNKNOWN,
					      "login: ");
	} else if (resp.status != 200 || o.access_token[0] == '\0') {
		login_failed(rq, &resp, &o, grant);
	} else {
		buf_reset(&t->access);
		buf_reset(&t->refresh);
		ok = buf_append_str(&t->access, o.access_token) == BUF_OK &&
		     buf_append_str(&t->refresh, o.refresh_token) == BUF_OK;
		t->expires_at = o.expires_in >= 0 ? (int64_t)time(NULL) + o.expires_in : 0;
		if (!ok)
			result_fail(rq->res, STATE_UNKNOWN, "%s login: the token is too long",
				    grant);
	}
	vspc_oauth_wipe(&o);
	buf_free_wipe(&resp.body);
	return ok;
}

static bool password_login(struct auth *a, const struct request_ctx *rq, struct cached_token *t)
{
	const char *fields[] = { "grant_type", "password",
				 "username",   buf_str(&a->creds.username),
				 "password",   buf_str(&a->creds.password),
				 "readOnly",   "true" };

	result_line(rq->res, 1, "logging in as %s", buf_str(&a->creds.username));
	return token_request(rq, fields, 4, "password", t);
}

static bool refresh_login(const struct request_ctx *rq, struct cached_token *t)
{
	struct buf refresh;
	bool ok;

	/* the answer overwrites t->refresh, so send a copy */
	buf_init(&refresh, TOKEN_MAX);
	if (buf_append(&refresh, t->refresh.data, t->refresh.len) != BUF_OK)
		return false;
	{
		const char *fields[] = { "grant_type", "refresh_token", "refresh_token",
					 buf_str(&refresh) };
		struct result quiet;

		/* a refused refresh token only means a password login follows */
		result_init(&quiet, 0);
		ok = token_request(&(struct request_ctx){ .cfg = rq->cfg,
							  .client = rq->client,
							  .deadline_ms = rq->deadline_ms,
							  .res = &quiet },
				   fields, 2, "refresh_token", t);
		if (ok)
			result_line(rq->res, 1, "token cache: refreshed the access token");
		else
			result_line(rq->res, 1, "refresh failed (%s); logging in again",
				    buf_str(&quiet.summary));
		result_free(&quiet);
	}
	buf_free_wipe(&refresh);
	return ok;
}

static bool fresh(const struct cached_token *t)
{
	return t->expires_at > (int64_t)time(NULL) + EXPIRY_MARGIN;
}

static bool use(struct auth *a, const struct cached_token *t)
{
	buf_reset(a->token);
	return buf_append(a->token, t->access.data, t->access.len) == BUF_OK;
}

/* The cached path, under the lock: fresh token, refresh, or login. */
static bool login_cached(struct auth *a, const struct request_ctx *rq, struct cached_token *t,
			 const char *rejected)
{
	char note[PATH_MAX + 128];
	bool have = token_cache_read(&a->cache, t, note, sizeof note);
	bool ok;

	if (!have)
		result_line(rq->res, 1, "token cache: %s", note);
	if (have && fresh(t) && (rejected == NULL || strcmp(buf_str(&t->access), rejected) != 0)) {
		result_line(rq->res, 1,
			    "token cache: using the cached access token (%" PRId64 " s left)",
			    t->expires_at - (int64_t)time(NULL));
		return use(a, t);
	}
	ok = have && rejected == NULL && t->refresh.len && refresh_login(rq, t);
	if (!ok)
		ok = password_login(a, rq, t);
	if (ok && !token_cache_write(&a->cache, t, note, sizeof note))
		result_line(rq->res, 1, "token cache: %s", note);
	return ok && use(a, t);
}

static bool obtain(struct auth *a, const struct request_ctx *rq, const char *rejected)
{
	struct cached_token t;
	char note[PATH_MAX + 128];
	bool ok;

	cached_token_init(&t);
	if (!a->use_cache) {
		ok = password_login(a, rq, &t) && use(a, &t);
	} else if (!token_cache_lock(&a->cache, rq->deadline_ms, note, sizeof note)) {
		result_fail(rq->res, rq->cfg->timeout_state, "token cache: %s", note);
		ok = false;
	} else {
		ok = login_cached(a, rq, &t, rejected);
		token_cache_unlock(&a->cache);
	}
	cached_token_free(&t);
	return ok;
}

bool auth_login(struct auth *a, const struct request_ctx *rq)
{
	return obtain(a, rq, NULL);
}

bool auth_renew(struct auth *a, const struct request_ctx *rq)
{
	struct buf rejected;
	bool ok;

	if (a->renewed)
		return false;
	a->renewed = true;
	result_line(rq->res, 1, "HTTP 401 with the current token: logging in again");
	buf_init(&rejected, TOKEN_MAX);
	(void)buf_append(&rejected, a->token->data, a->token->len);
	ok = obtain(a, rq, buf_str(&rejected));
	buf_free_wipe(&rejected);
	return ok;
}
