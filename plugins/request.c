#include "autoconfig.h"

#include "request.h"

#include <stdio.h>
#include <time.h>

#include "auth.h"
#include "buf.h"
#include "clock.h"
#include "token.h"
#include "vspc.h"

#define MAX_429_RETRIES 3

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
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

void request_report_status(const struct request_ctx *rq, const struct http_response *resp,
			   const char *subject, enum state not_found, const char *what)
{
	struct vspc_error_info info;
	struct result *res = rq->res;
	long st = resp->status;

	if (st == 404)
		result_fail(res, not_found, "%s%s not found (HTTP 404: %s)", what, subject,
			    error_detail(resp, &info));
	else if (st == 401)
		result_fail(
		    res, STATE_UNKNOWN,
		    "%sHTTP 401 Unauthorized: %s - the token or API key is invalid or expired",
		    what, error_detail(resp, &info));
	else if (st == 403)
		result_fail(
		    res, STATE_UNKNOWN,
		    "%sHTTP 403 Forbidden: %s - the account lacks a role that may read backup "
		    "server jobs",
		    what, error_detail(resp, &info));
	else if (st == 429)
		result_fail(res, STATE_UNKNOWN,
			    "%sHTTP 429 Too Many Requests: %s - VSPC is throttling and no retry "
			    "succeeded within the %u s timeout",
			    what, error_detail(resp, &info), rq->cfg->timeout_seconds);
	else if (st == 202)
		result_fail(res, STATE_UNKNOWN,
			    "%sHTTP 202: VSPC queued the request as an asynchronous action (%s) "
			    "instead of answering it",
			    what, resp->location[0] ? resp->location : "no Location");
	else if (st >= 300 && st < 400)
		result_fail(res, STATE_UNKNOWN, "%sHTTP %ld redirect to %s, not followed", what, st,
			    resp->location[0] ? resp->location : "nowhere");
	else if (st >= 500)
		result_fail(res, STATE_UNKNOWN, "%sHTTP %ld server error: %s", what, st,
			    error_detail(resp, &info));
	else
		result_fail(res, STATE_UNKNOWN, "%sunexpected HTTP %ld: %s", what, st,
			    error_detail(resp, &info));
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
			    cfg->conn.host, err);
}

/* How long to wait before retrying a 429, in ms; -1 if no retry fits. */
static int64_t retry_delay_ms(const struct http_response *resp, int64_t deadline_ms)
{
	struct vspc_error_info info;
	double secs;
	int64_t ms;

	vspc_decode_errors(buf_str(&resp->body), resp->body.len, &info);
	secs = info.retry_after >= 0    ? info.retry_after
	       : resp->retry_after >= 0 ? (double)resp->retry_after
					: 1.0;
	if (secs > 86400)
		return -1;
	ms = (int64_t)(secs * 1000.0);
	/* leave at least a second for the retried request itself */
	return ms + 1000 < clock_remaining_ms(deadline_ms) ? ms : -1;
}

void request_version_header(const struct request_ctx *rq, char *dst, size_t dstlen)
{
	snprintf(dst, dstlen, "X-Client-Version: %s", rq->cfg->conn.api_version);
}

enum http_error request_get(const struct request_ctx *rq, const char *url,
			    const struct http_sink *sink, size_t body_cap, const char *what,
			    struct http_response *resp)
{
	char err[320];
	char version_header[64];
	struct buf auth;
	enum http_error rc = HTTP_ERR_SETUP;

	buf_init(&auth, TOKEN_MAX + 64);
	request_version_header(rq, version_header, sizeof version_header);
	result_line(rq->res, 2, "GET %s", url);
	for (int attempt = 0;; attempt++) {
		const char *headers[] = { buf_str(&auth), REQUEST_ACCEPT, version_header };
		int64_t wait;

		/* built each time: a new login changes the token */
		buf_reset(&auth);
		if (buf_printf(&auth, "Authorization: Bearer %s", buf_str(rq->token)) != BUF_OK) {
			result_fail(rq->res, STATE_UNKNOWN,
				    "plugin fault: cannot build the request");
			rc = HTTP_ERR_SETUP;
			break;
		}
		headers[0] = buf_str(&auth);

		rc = http_get(rq->client, url, headers, 3, sink, rq->deadline_ms, body_cap, resp,
			      err, sizeof err);
		if (rc != HTTP_OK) {
			request_report_transport(rq, rc, err, what);
			break;
		}
		result_line(rq->res, 2, "HTTP %ld, %zu bytes, %.3f s", resp->status,
			    resp->body.len + resp->streamed, resp->seconds);
		if (resp->status == 401 && rq->auth && !rq->auth->renewed) {
			http_response_free(resp);
			if (!auth_renew(rq->auth, rq)) {
				rc = HTTP_ERR_SETUP; /* the result says why */
				break;
			}
			continue;
		}
		if (resp->status != 429 || attempt == MAX_429_RETRIES)
			break;
		wait = retry_delay_ms(resp, rq->deadline_ms);
		if (wait < 0)
			break;
		result_line(rq->res, 1, "HTTP 429: retrying in %.1f s", (double)wait / 1000.0);
		http_response_free(resp);
		sleep_ms(wait);
	}
	buf_free_wipe(&auth);
	return rc;
}
