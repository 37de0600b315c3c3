/* One run's requests to VSPC: headers, the shared deadline, the API
 * version negotiation, 429 retries and the mapping of unsuccessful answers
 * to a result. */
#ifndef VSPC_REQUEST_H
#define VSPC_REQUEST_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "apiver.h"
#include "config.h"
#include "http.h"
#include "output.h"

/* The API version of a run, and where the agreed one is remembered. */
struct request_api {
	struct apiver v;
	char memory[PATH_MAX]; /* the memory file; "" when none is kept */
	bool had_memory;       /* a memory file was read (fresh or not) */
	struct result *log;    /* where the -v lines about the version go */
};

struct request_ctx {
	const struct config *cfg;
	struct http_client *client; /* one per run: requests share its connection */
	struct buf *token;          /* the bearer token */
	struct request_api *api;    /* shared by every request of the run */
	int64_t deadline_ms;
	struct result *res;
	double *retry_after; /* the last 429's retryAfter in seconds (-1: none); may be NULL */
};

/* The headers every VSPC request carries besides the token. */
#define REQUEST_ACCEPT "Accept: application/json"

/* Starts the run's version negotiation: the pinned version, else the one
 * remembered for this server in the cache directory while it is fresh,
 * else the newest. Notes for -v go to @log. Never fails. */
void request_api_start(struct request_api *api, const struct config *cfg, struct result *log);

/* A POST form for the API version in use: fills up to @max name/value
 * pairs into @fields (2 * @max strings) and returns how many. */
typedef size_t (*request_form_fn)(void *ctx, const char *api_version, const char **fields,
				  size_t max);

struct request {
	const char *url;
	const char *what;             /* prefixes messages, e.g. "page at offset 500: " or "" */
	bool bearer;                  /* send the token (not for the token endpoint) */
	const struct http_sink *sink; /* the body of a 200 answer goes here */
	size_t body_cap;
	request_form_fn form; /* NULL: a GET */
	void *form_ctx;
};

/* Sends @req with the run's API version, stepping down when VSPC refuses
 * the version, and retrying 429 answers while a retry fits in the deadline
 * (a 401 is the caller's: plugins/session.c logs in again).
 * On HTTP_OK @resp holds the last answer (any status); otherwise the result
 * already says why, prefixed with req->what. */
enum http_error request_send(const struct request_ctx *rq, const struct request *req,
			     struct http_response *resp);

/* request_send() of a bearer GET. */
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
