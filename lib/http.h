/* HTTPS requests: the only user of libcurl.
 *
 * One client per run holds one libcurl easy handle, so consecutive requests
 * to the same server reuse the connection (one TLS handshake per run).
 * Redirects are never followed and only https is allowed unless the
 * options say otherwise. Every request is
 * bounded by an absolute deadline and a body size cap. */
#ifndef VSPC_HTTP_H
#define VSPC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum http_error {
	HTTP_OK = 0,       /* a response arrived; look at its status */
	HTTP_ERR_SETUP,    /* libcurl refused an option: a plugin fault */
	HTTP_ERR_TIMEOUT,  /* the deadline passed */
	HTTP_ERR_TOO_BIG,  /* the body passed the cap; the rest was not read */
	HTTP_ERR_TRANSPORT /* DNS, connection, TLS or protocol failure */
};

/* Called with one line of trace text (no newline) at -vvv. */
typedef void (*http_trace_fn)(void *ctx, const char *line);

struct http_options {
	const char *ca_file; /* NULL: the system's CA store */
	bool allow_http;     /* also speak plain http (--allow-http) */
	bool insecure;       /* skip certificate and host name verification */
	int ip_version;      /* 0 any, 4 or 6 */
	const char *user_agent;
	http_trace_fn trace; /* NULL: no tracing */
	void *trace_ctx;
	const char *redact; /* text replaced by **** in trace lines (the token) */
};

/* Receives the body of a 200 answer as it arrives, instead of the buffer.
 * write() returns false to abort the transfer (the sink keeps its reason). */
struct http_sink {
	bool (*write)(void *ctx, const char *data, size_t len);
	void *ctx;
};

struct http_response {
	long status;
	struct buf body;        /* NUL-terminated */
	char content_type[128]; /* "" if none */
	char location[512];     /* Location header, "" if none */
	long retry_after;       /* Retry-After header in seconds, -1 if none */
	double seconds;         /* time the request took */
	size_t streamed;        /* bytes handed to the sink */
	bool sink_aborted;      /* the sink's write() returned false */
};

struct http_client;

/* Loads libcurl (see curl_dl.h) and initialises it; call once, before any
 * thread exists and before the first client. Returns false, with a
 * one-line reason in @err, if libcurl cannot be loaded or cannot start. */
bool http_global_init(char *err, size_t errlen);
/* Undoes a successful http_global_init(); the library stays loaded. */
void http_global_cleanup(void);

/* Creates a client. The options are copied (the strings are not: they must
 * outlive the client). On failure returns NULL and writes a reason to @err. */
struct http_client *http_client_new(const struct http_options *opt, char *err, size_t errlen);

/* Frees a client. Accepts NULL. */
void http_client_free(struct http_client *c);

/* GETs @url with the extra request @headers (an array of @nheaders "Name:
 * value" strings; they are wiped from libcurl's copies afterwards because
 * they may hold the token). The body of a 200 answer goes to @sink when one
 * is given; every other body is collected into @resp->body. Either way at
 * most @body_cap bytes are taken. @resp must be released with
 * http_response_free() whatever the result. On an error other than HTTP_OK
 * a one-line reason is in @err; HTTP_ERR_TRANSPORT with resp->sink_aborted
 * set means the sink stopped the transfer. */
enum http_error http_get(struct http_client *c, const char *url, const char *const *headers,
			 size_t nheaders, const struct http_sink *sink, int64_t deadline_ms,
			 size_t body_cap, struct http_response *resp, char *err, size_t errlen);

/* POSTs a form (application/x-www-form-urlencoded) of @nfields name/value
 * pairs (@fields[2i] = name, @fields[2i+1] = value; values are
 * percent-encoded here) and collects the answer like http_get(). The
 * encoded body, which may hold a password, is wiped afterwards and never
 * traced. */
enum http_error http_post_form(struct http_client *c, const char *url, const char *const *headers,
			       size_t nheaders, const char *const *fields, size_t nfields,
			       int64_t deadline_ms, size_t body_cap, struct http_response *resp,
			       char *err, size_t errlen);

void http_response_free(struct http_response *resp);

#endif
