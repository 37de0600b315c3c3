/* One run's requests to VSPC: headers, the shared deadline, 429 retries and
 * the mapping of unsuccessful answers to a result. */
#ifndef VSPC_REQUEST_H
#define VSPC_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "http.h"
#include "output.h"

struct auth;

struct request_ctx {
	const struct config *cfg;
	struct http_client *client; /* one per run: requests share its connection */
	struct buf *token;          /* the bearer token */
	struct auth *auth;          /* NULL: a given token, no new login on 401 */
	int64_t deadline_ms;
	struct result *res;
};

/* The headers every VSPC request carries besides the token. */
#define REQUEST_ACCEPT "Accept: application/json"

/* Writes "X-Client-Version: <--api-version>" to @dst. */
void request_version_header(const struct request_ctx *rq, char *dst, size_t dstlen);

/* GETs @url with the token, retrying 429 answers while a retry fits in the
 * deadline, and once after a 401 when a new login is possible. A 200 body goes to @sink when given. On HTTP_OK @resp holds the
 * last answer (any status); otherwise the result already says why, prefixed
 * with @what (e.g. "page at offset 500: ", or ""). */
enum http_error request_get(const struct request_ctx *rq, const char *url,
			    const struct http_sink *sink, size_t body_cap, const char *what,
			    struct http_response *resp);

/* Turns an answer other than 200 into the result: 404 gives @not_found
 * naming @subject ("replication job <uid>"), everything else is UNKNOWN.
 * @what prefixes the message as for request_get(). */
void request_report_status(const struct request_ctx *rq, const struct http_response *resp,
			   const char *subject, enum state not_found, const char *what);

/* Turns a transport failure into the result (timeouts get the --timeout
 * state). */
void request_report_transport(const struct request_ctx *rq, enum http_error rc, const char *err,
			      const char *what);

#endif
