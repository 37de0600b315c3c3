#include "autoconfig.h"

#include "request.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "privdir.h"
#include "token.h"
#include "vspc.h"

#define MAX_429_RETRIES 3
#define MAX_FORM_PAIRS  8

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

void request_api_start(struct request_api *api, const struct config *cfg, struct result *log)
{
	char port[16];
	const char *parts[2] = { cfg->conn.server.host, port };
	char remembered[APIVER_TEXT_MAX + 1] = "";
	char note[PATH_MAX + 128];
	struct privdir pd;
	int64_t agreed_at = 0;
	int64_t now = (int64_t)time(NULL);

	memset(api, 0, sizeof *api);
	api->log = log;
	if (cfg->conn.api_version) {
		apiver_start(&api->v, cfg->conn.api_version, NULL);
		return;
	}
	apiver_start(&api->v, NULL, NULL);
	if (cfg->no_token_cache)
		return; /* no cache files at all */
	snprintf(port, sizeof port, "%u", cfg->conn.server.port);
	if (!privdir_open(&pd, cfg->cache_dir, note, sizeof note) ||
	    !privdir_file(&pd, api->memory, sizeof api->memory, "api", parts, 2, NULL)) {
		result_line(log, 1, "note: not remembering the API version: %s", note);
		api->memory[0] = '\0';
	} else if (apiver_memory_load(api->memory, remembered, &agreed_at, note, sizeof note)) {
		api->had_memory = true;
		if (agreed_at > now + 86400 || now - agreed_at > APIVER_MEMORY_TTL) {
			result_line(log, 1,
				    "API version %s remembered from %s is old: trying the newest "
				    "again",
				    remembered, api->memory);
			remembered[0] = '\0';
		}
	} else if (strstr(note, "does not exist") == NULL) {
		result_line(log, 1, "note: %s", note);
	}
	apiver_start(&api->v, NULL, remembered);
}

/* The server answered with the version in use: say so once, and remember
 * it when it is news. */
static void api_agreed(struct request_api *api)
{
	struct apiver *v = &api->v;
	char note[PATH_MAX + 128];

	if (v->agreed)
		return;
	v->agreed = true;
	switch (v->origin) {
	case APIVER_PINNED:
		result_line(api->log, 1, "VSPC API version %s (pinned with --api-version)",
			    v->current);
		return;
	case APIVER_REMEMBERED:
		result_line(api->log, 1, "VSPC API version %s (remembered for this server in %s)",
			    v->current, api->memory);
		return;
	case APIVER_NEWEST:
		result_line(api->log, 1, "VSPC API version %s (the newest this plugin speaks)",
			    v->current);
		if (!api->had_memory)
			return; /* nothing to correct: the newest is the default */
		break;
	case APIVER_STEPPED:
		result_line(api->log, 1, "VSPC API version %s (negotiated: the server refused %s)",
			    v->current, v->refused);
		break;
	}
	if (api->memory[0] &&
	    !apiver_memory_store(api->memory, v->current, (int64_t)time(NULL), note, sizeof note))
		result_line(api->log, 1, "note: %s", note);
}

/* "message" of an error body, or what the body was when it has none. */
static const char *error_detail(const struct http_response *resp, struct vspc_error_info *info)
{
	vspc_decode_errors(buf_str(&resp->body), resp->body.len, info);
	if (info->message[0] == '\0')
		snprintf(info->message, sizeof info->message,
			 "no VSPC error message, Content-Type %s",
			 resp->content_type[0] ? resp->content_type : "none");
	return info->message;
}

/* An UnsupportedApiVersion that survived the negotiation. */
static void report_version_refused(const struct request_ctx *rq, const char *what,
				   const char *detail)
{
	const struct apiver *v = &rq->api->v;

	if (v->origin == APIVER_PINNED)
		result_fail(rq->res, STATE_UNKNOWN,
			    "%sVSPC does not support API version %s given with --api-version (%s) "
			    "- leave --api-version out to negotiate, or pin one the server "
			    "supports",
			    what, v->current, detail);
	else
		result_fail(rq->res, STATE_UNKNOWN,
			    "%sVSPC refused every API version this plugin speaks (tried %s): %s - "
			    "pin the version the server documents with --api-version",
			    what, v->refused, detail);
}

void request_report_status(const struct request_ctx *rq, const struct http_response *resp,
			   const char *subject, enum state not_found, const char *what)
{
	struct vspc_error_info info;
	struct result *res = rq->res;
	long st = resp->status;
	const char *detail = error_detail(resp, &info);

	if (info.unsupported_version && rq->api)
		report_version_refused(rq, what, detail);
	else if (st == 404)
		result_fail(res, not_found, "%s%s not found (HTTP 404: %s)", what, subject, detail);
	else if (st == 401)
		result_fail(
		    res, STATE_UNKNOWN,
		    "%sHTTP 401 Unauthorized: %s - the token or API key is invalid or expired",
		    what, detail);
	else if (st == 403)
		result_fail(
		    res, STATE_UNKNOWN,
		    "%sHTTP 403 Forbidden: %s - the account lacks a role that may read backup "
		    "server jobs",
		    what, detail);
	else if (st == 429)
		result_fail(res, STATE_UNKNOWN,
			    "%sHTTP 429 Too Many Requests: %s - VSPC is throttling and no retry "
			    "succeeded within the %u s timeout",
			    what, detail, rq->cfg->timeout_seconds);
	else if (st == 202)
		result_fail(res, STATE_UNKNOWN,
			    "%sHTTP 202: VSPC queued the request as an asynchronous action (%s) "
			    "instead of answering it",
			    what, resp->location[0] ? resp->location : "no Location");
	else if (st >= 300 && st < 400)
		result_fail(res, STATE_UNKNOWN, "%sHTTP %ld redirect to %s, not followed", what, st,
			    resp->location[0] ? resp->location : "nowhere");
	else if (st >= 500)
		result_fail(res, STATE_UNKNOWN, "%sHTTP %ld server error: %s", what, st, detail);
	else
		result_fail(res, STATE_UNKNOWN, "%sunexpected HTTP %ld: %s", what, st, detail);
}

void request_report_transport(const struct request_ctx *rq, enum http_error rc, const char *err,
			      const char *what)
{
	const struct config *cfg = rq->cfg;

	if (rc == HTTP_ERR_TIMEOUT)
		result_fail(rq->res, cfg->timeout_state, "%stimed out after %u s: %s", what,
			    cfg->timeout_seconds, err);
	else if (rc == HTTP_ERR_SETUP)
		result_fail(rq->res, STATE_UNKNOWN, "%splugin fault: %s", what, err);
	else
		result_fail(rq->res, STATE_UNKNOWN, "%sHTTPS request to %s failed: %s", what,
			    cfg->conn.server.host, err);
}

/* How long to wait before retrying a 429, in ms; -1 if no retry fits. */
static int64_t retry_delay_ms(const struct vspc_error_info *info, const struct http_response *resp,
			      int64_t deadline_ms)
{
	double secs = info->retry_after >= 0   ? info->retry_after
		      : resp->retry_after >= 0 ? (double)resp->retry_after
					       : 1.0;
	int64_t ms;

	if (secs > 86400)
		return -1;
	ms = (int64_t)(secs * 1000.0);
	/* leave at least a second for the retried request itself */
	return ms + 1000 < clock_remaining_ms(deadline_ms) ? ms : -1;
}

/* One exchange with the version in use. */
static enum http_error send_once(const struct request_ctx *rq, const struct request *req,
				 struct buf *auth, struct http_response *resp, char *err,
				 size_t errlen)
{
	char version[32 + APIVER_TEXT_MAX];
	const char *headers[3];
	const char *fields[2 * MAX_FORM_PAIRS];
	size_t nheaders = 0;
	size_t npairs;

	snprintf(version, sizeof version, "X-Client-Version: %s", rq->api->v.current);
	if (req->bearer) {
		/* built each time: a new login changes the token */
		buf_reset(auth);
		if (buf_printf(auth, "Authorization: Bearer %s", buf_str(rq->token)) != BUF_OK) {
			snprintf(err, errlen, "cannot build the request");
			return HTTP_ERR_SETUP;
		}
		headers[nheaders++] = buf_str(auth);
	}
	headers[nheaders++] = REQUEST_ACCEPT;
	headers[nheaders++] = version;
	if (req->form == NULL)
		return http_get(rq->client, req->url, headers, nheaders, req->sink, rq->deadline_ms,
				req->body_cap, resp, err, errlen);
	npairs = req->form(req->form_ctx, rq->api->v.current, fields, MAX_FORM_PAIRS);
	return http_post_form(rq->client, req->url, headers, nheaders, fields, npairs,
			      rq->deadline_ms, req->body_cap, resp, err, errlen);
}

enum next {
	NEXT_USE,  /* the answer is the request's answer */
	NEXT_AGAIN /* send the request again */
};

/* What to do with an answer. */
static enum next next_step(const struct request_ctx *rq, const struct http_response *resp,
			   int *throttled)
{
	struct vspc_error_info info = { .retry_after = -1 };
	struct request_api *api = rq->api;
	int64_t wait;

	if (resp->status != 200)
		vspc_decode_errors(buf_str(&resp->body), resp->body.len, &info);
	if (info.unsupported_version) {
		const char *refused = api->v.current;

		result_line(api->log, 1, "VSPC refused API version %s (%s)", refused, info.code);
		if (!apiver_refused(&api->v))
			return NEXT_USE; /* request_report_status() explains */
		result_line(api->log, 1, "trying API version %s", api->v.current);
		return NEXT_AGAIN;
	}
	if (resp->status < 500 && resp->status != 429)
		api_agreed(api);
	if (resp->status == 429 && rq->retry_after)
		*rq->retry_after = info.retry_after >= 0    ? info.retry_after
				   : resp->retry_after >= 0 ? (double)resp->retry_after
							    : -1;
	if (resp->status != 429 || *throttled == MAX_429_RETRIES)
		return NEXT_USE;
	wait = retry_delay_ms(&info, resp, rq->deadline_ms);
	if (wait < 0)
		return NEXT_USE;
	++*throttled;
	result_line(rq->res, 1, "HTTP 429: retrying in %.1f s", (double)wait / 1000.0);
	sleep_ms(wait);
	return NEXT_AGAIN;
}

enum http_error request_send(const struct request_ctx *rq, const struct request *req,
			     struct http_response *resp)
{
	char err[320];
	struct buf auth;
	enum http_error rc;
	int throttled = 0;

	buf_init(&auth, TOKEN_MAX + 64);
	result_line(rq->res, 2, "%s %s", req->form ? "POST" : "GET", req->url);
	for (;;) {
		rc = send_once(rq, req, &auth, resp, err, sizeof err);
		if (rc != HTTP_OK) {
			request_report_transport(rq, rc, err, req->what);
			break;
		}
		result_line(rq->res, 2, "HTTP %ld, %zu bytes, %.3f s", resp->status,
			    resp->body.len + resp->streamed, resp->seconds);
		if (next_step(rq, resp, &throttled) != NEXT_AGAIN)
			break;
		http_response_free(resp);
	}
	buf_free_wipe(&auth);
	return rc;
}

enum http_error request_get(const struct request_ctx *rq, const char *url,
			    const struct http_sink *sink, size_t body_cap, const char *what,
			    struct http_response *resp)
{
	const struct request req = {
		.url = url, .what = what, .bearer = true, .sink = sink, .body_cap = body_cap
	};

	return request_send(rq, &req, resp);
}
