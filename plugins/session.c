#include "autoconfig.h"

#include "session.h"

#include <string.h>

#include "clock.h"

#define USER_AGENT PACKAGE_NAME "/" PACKAGE_VERSION

static void trace_to_result(void *ctx, const char *line)
{
	result_line(ctx, 3, "%s", line);
}

bool session_open(struct session *s, const struct config *cfg, struct buf *token, bool login,
		  struct result *res)
{
	const struct http_options opt = {
		.ca_file = cfg->conn.ca_file,
		.insecure = cfg->conn.insecure,
		.allow_http = cfg->conn.server.plain_http,
		.ip_version = cfg->conn.ip_version,
		.user_agent = USER_AGENT,
		.trace = cfg->verbose >= 3 ? trace_to_result : NULL,
		.trace_ctx = res,
		.redact = login ? NULL : buf_str(token),
	};

	memset(s, 0, sizeof *s);
	s->http = opt;
	s->login = login;
	s->rq = (struct request_ctx){
		.cfg = cfg,
		.token = token,
		.api = &s->api,
		.deadline_ms = clock_run_deadline_ms(cfg->timeout_seconds),
		.res = res,
		.retry_after = &s->retry_after,
	};
	s->retry_after = -1;
	request_api_start(&s->api, cfg, res);
	return !login || auth_start(&s->auth, cfg, token, res);
}

bool session_connect(struct session *s)
{
	char err[256];

	if (s->connected)
		return s->usable;
	s->connected = true;
	s->http_init = http_global_init(err, sizeof err);
	if (!s->http_init) {
		result_fail(s->rq.res, STATE_UNKNOWN, "plugin fault: %s", err);
		return false;
	}
	s->rq.client = http_client_new(&s->http, err, sizeof err);
	if (s->rq.client == NULL) {
		result_fail(s->rq.res, STATE_UNKNOWN, "plugin fault: %s", err);
		return false;
	}
	s->usable = !s->login || auth_login(&s->auth, &s->rq);
	return s->usable;
}

void session_close(struct session *s)
{
	http_client_free(s->rq.client);
	s->rq.client = NULL;
	if (s->login)
		auth_end(&s->auth);
	if (s->http_init)
		http_global_cleanup();
	s->http_init = false;
}

enum http_error session_get(struct session *s, const char *url, const struct http_sink *sink,
			    size_t body_cap, const char *what, struct http_response *resp)
{
	enum http_error rc;

	if (!session_connect(s))
		return HTTP_ERR_SETUP; /* the result says why */
	rc = request_get(&s->rq, url, sink, body_cap, what, resp);

	if (rc == HTTP_OK)
		s->seconds += resp->seconds;
	if (rc != HTTP_OK || resp->status != 401 || !s->login || s->renewed)
		return rc;
	s->renewed = true;
	http_response_free(resp);
	if (!auth_renew(&s->auth, &s->rq))
		return HTTP_ERR_SETUP; /* the result says why */
	rc = request_get(&s->rq, url, sink, body_cap, what, resp);
	if (rc == HTTP_OK)
		s->seconds += resp->seconds;
	return rc;
}

void session_report_status(struct session *s, const struct http_response *resp, const char *subject,
			   enum state not_found, const char *what)
{
	request_report_status(&s->rq, resp, subject, not_found, what);
}
