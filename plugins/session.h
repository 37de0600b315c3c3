/* One run's conversation with VSPC, and its one owner: the HTTPS client
 * (one connection), the token, the shared deadline, the API version, and
 * the single new login after a 401 when the token came from a login.
 * Modes ask it for answers; it asks plugins/request.c to send and
 * plugins/auth.c to log in, and neither of those calls back. */
#ifndef VSPC_SESSION_H
#define VSPC_SESSION_H

#include <stdbool.h>

#include "auth.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "output.h"
#include "request.h"

struct session {
	struct request_ctx rq; /* what request_send() needs */
	struct request_api api;
	struct auth auth;
	struct http_options http; /* for the client, made on first need */
	bool login;               /* the token comes from a login (--credentials-file) */
	bool renewed;             /* the one new login after a 401 was made */
	bool connected;           /* session_connect() was called... */
	bool usable;              /* ...and it worked */
	bool http_init;           /* http_global_init() was called */
	double seconds;           /* time spent in requests */
	double retry_after;       /* what the last 429 asked for, in seconds; -1 none */
};

/* Prepares the session without any network or HTTP library: the deadline,
 * the remembered API version and, for a login, the credentials. False with
 * @res failed. @token must outlive the session. */
bool session_open(struct session *s, const struct config *cfg, struct buf *token, bool login,
		  struct result *res);

/* Loads the HTTP library, opens the client and, for a login, logs in (or
 * takes the cached token). Done once, on the first session_get() unless
 * called earlier; a run answered from the snapshot never does it. False
 * with the result failed. */
bool session_connect(struct session *s);

/* Releases everything; accepts a session whose open failed. */
void session_close(struct session *s);

/* GETs @url (see request_get()), once more after a new login when VSPC
 * answers 401 to a token from a login. Connects first if need be
 * (HTTP_ERR_SETUP, the result failed, when that fails). */
enum http_error session_get(struct session *s, const char *url, const struct http_sink *sink,
			    size_t body_cap, const char *what, struct http_response *resp);

/* request_report_status() for this session's result. */
void session_report_status(struct session *s, const struct http_response *resp, const char *subject,
			   enum state not_found, const char *what);

#endif
