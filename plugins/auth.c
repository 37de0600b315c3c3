#include "autoconfig.h"

#include "auth.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apiver.h"
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
	    token_cache_open(&a->cache, cfg->cache_dir, cfg->conn.server.host,
			     cfg->conn.server.port, buf_str(&a->creds.username), err, sizeof err);
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

/* The grant of a token request, turned into form fields for the API
 * version in use: readOnly=true only where the token endpoint knows it. */
struct grant {
	const char *name; /* "password" or "refresh_token" */
	const char *a_key, *a_value;
	const char *b_key, *b_value;
	bool read_only; /* set by grant_fields(): what was asked for */
};

static size_t grant_fields(void *ctx, const char *api_version, const char **fields, size_t max)
{
	struct grant *g = ctx;
	size_t n = 0;

	fields[n++] = "grant_type";
	fields[n++] = g->name;
	fields[n++] = g->a_key;
	fields[n++] = g->a_value;
	if (g->b_key) {
		fields[n++] = g->b_key;
		fields[n++] = g->b_value;
	}
	g->read_only = apiver_has_read_only(api_version) && n / 2 < max;
	if (g->read_only) {
		fields[n++] = "readOnly";
		fields[n++] = "true";
	}
	return n / 2;
}

/* POST /api/v3/token for @g; on success fills @t. */
static bool token_request(const struct request_ctx *rq, struct grant *g, struct cached_token *t)
{
	const struct config *cfg = rq->cfg;
	char url[512];
	char err[320];
	struct http_response resp = { 0 };
	struct request req = { .url = url,
			       .what = "login: ",
			       .body_cap = TOKEN_ANSWER_CAP,
			       .form = grant_fields,
			       .form_ctx = g };
	struct vspc_oauth o;
	bool ok = false;

	vspc_token_url(url, sizeof url, &cfg->conn.server);
	if (request_send(rq, &req, &resp) != HTTP_OK) {
		buf_free_wipe(&resp.body);
		return false;
	}
	if (vspc_decode_oauth(buf_str(&resp.body), resp.body.len, &o, err, sizeof err) != VSPC_OK) {
		if (resp.status == 200)
			result_fail(rq->res, STATE_UNKNOWN, "%s login: %s", g->name, err);
		else
			request_report_status(rq, &resp, "the token endpoint", STATE_UNKNOWN,
					      "login: ");
	} else if (resp.status != 200 || o.access_token[0] == '\0') {
		login_failed(rq, &resp, &o, g->name);
	} else {
		buf_reset(&t->access);
		buf_reset(&t->refresh);
		ok = buf_append_str(&t->access, o.access_token) == BUF_OK &&
		     buf_append_str(&t->refresh, o.refresh_token) == BUF_OK;
		t->expires_at = o.expires_in >= 0 ? (int64_t)time(NULL) + o.expires_in : 0;
		t->read_only = g->read_only;
		if (!ok)
			result_fail(rq->res, STATE_UNKNOWN, "%s login: the token is too long",
				    g->name);
	}
	vspc_oauth_wipe(&o);
	buf_free_wipe(&resp.body);
	return ok;
}

/* Says under -v what the token may do. */
static void tell_rights(const struct request_ctx *rq, const struct cached_token *t)
{
	if (t->read_only == 1)
		result_line(rq->res, 1, "the token is read-only (readOnly=true, API %s)",
			    rq->api->v.current);
	else if (t->read_only == 0)
		result_line(rq->res, 1,
			    "note: the token has the account's full rights: API %s has no "
			    "read-only logins (3.6 and later do); a read-only API key "
			    "(--token-file) limits what the plugin could do",
			    rq->api->v.current);
}

static bool password_login(struct auth *a, const struct request_ctx *rq, struct cached_token *t)
{
	struct grant g = { .name = "password",
			   .a_key = "username",
			   .a_value = buf_str(&a->creds.username),
			   .b_key = "password",
			   .b_value = buf_str(&a->creds.password) };
	bool ok;

	result_line(rq->res, 1, "logging in as %s", buf_str(&a->creds.username));
	ok = token_request(rq, &g, t);
	if (ok)
		tell_rights(rq, t);
	return ok;
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
		struct grant g = { .name = "refresh_token",
				   .a_key = "refresh_token",
				   .a_value = buf_str(&refresh) };
		struct result quiet;
		struct request_ctx q = *rq;

		/* a refused refresh token only means a password login follows */
		result_init(&quiet, 0);
		q.res = &quiet;
		ok = token_request(&q, &g, t);
		if (ok) {
			result_line(rq->res, 1, "token cache: refreshed the access token");
			tell_rights(rq, t);
		} else {
			result_line(rq->res, 1, "refresh failed (%s); logging in again",
				    buf_str(&quiet.summary));
		}
		result_free(&quiet);
	}
	buf_free_wipe(&refresh);
	return ok;
}

static bool fresh(const struct cached_token *t)
{
	return t->expires_at > (int64_t)time(NULL) + EXPIRY_MARGIN;
}

/* Makes @t the run's token; a failure ends the run, so it says why. */
static bool use(struct auth *a, const struct request_ctx *rq, const struct cached_token *t)
{
	buf_reset(a->token);
	if (buf_append(a->token, t->access.data, t->access.len) == BUF_OK)
		return true;
	result_fail(rq->res, STATE_UNKNOWN, "plugin fault: out of memory holding the token");
	return false;
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
		tell_rights(rq, t);
		return use(a, rq, t);
	}
	ok = have && rejected == NULL && t->refresh.len && refresh_login(rq, t);
	if (!ok)
		ok = password_login(a, rq, t);
	if (ok && !token_cache_write(&a->cache, t, note, sizeof note))
		result_line(rq->res, 1, "token cache: %s", note);
	return ok && use(a, rq, t);
}

static bool obtain(struct auth *a, const struct request_ctx *rq, const char *rejected)
{
	struct cached_token t;
	char note[PATH_MAX + 128];
	bool busy = false;
	bool locked =
	    a->use_cache && token_cache_lock(&a->cache, rq->deadline_ms, &busy, note, sizeof note);
	bool ok;

	cached_token_init(&t);
	if (locked) {
		ok = login_cached(a, rq, &t, rejected);
		token_cache_unlock(&a->cache);
	} else if (busy) {
		result_fail(rq->res, rq->cfg->timeout_state, "token cache: %s", note);
		ok = false;
	} else {
		/* a cache whose lock cannot be taken (a full or read-only disk) is
		 * no cache: the login goes on without it */
		if (a->use_cache)
			result_line(rq->res, 1, "note: not caching tokens: %s", note);
		ok = password_login(a, rq, &t) && use(a, rq, &t);
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

	result_line(rq->res, 1, "HTTP 401 with the current token: logging in again");
	buf_init(&rejected, TOKEN_MAX);
	(void)buf_append(&rejected, a->token->data, a->token->len);
	ok = obtain(a, rq, buf_str(&rejected));
	buf_free_wipe(&rejected);
	return ok;
}
