/* What we know about the VSPC REST API v3: URLs, envelopes, error bodies and
 * the decoding of a replication job into a plain struct.
 *
 * Decoding never trusts the server: every field we know is recorded as
 * absent, null, a value, or invalid with the reason, and the caller decides
 * which of them matter. Unknown keys are ignored. */
#ifndef VSPC_VSPC_H
#define VSPC_VSPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "uid.h"

#define VSPC_UID_LEN      36
#define VSPC_DEFAULT_PORT 1280
#define VSPC_JOB_BODY_CAP (8u * 1024u * 1024u)

/* Where VSPC is. plain_http only with --allow-http. */
#define VSPC_HOST_MAX 255

struct vspc_server {
	char host[VSPC_HOST_MAX + 1]; /* name or address; IPv6 without brackets */
	unsigned port;
	bool plain_http;
};

/* Writes "https://HOST:PORT/api/v3/infrastructure/backupServers/jobs/
 * COLLECTION/UID" (COLLECTION: a kind's path segment such as
 * replicationVmJobs) to @dst. IPv6 literals are bracketed and a zone
 * separator is percent-encoded. Returns false if it does not fit. */
bool vspc_kind_job_url(char *dst, size_t dstlen, const struct vspc_server *srv,
		       const char *collection, const char *uid);

/* Writes the URL of GET .../backupServers/jobs/{uid} (BackupServerJob). */
bool vspc_job_url(char *dst, size_t dstlen, const struct vspc_server *srv, const char *uid);

/* Writes the URL of one page of a kind's collection with the
 * BackupServerJob expanded and a stable sort on instanceUid: all jobs, or
 * those of @backup_server (NULL for all), or with @only_uid (NULL for all)
 * the one job of that instanceUid. */
bool vspc_collection_url(char *dst, size_t dstlen, const struct vspc_server *srv,
			 const char *collection, const char *backup_server, unsigned limit,
			 uint64_t offset, const char *only_uid);

/* Decodes a 200 answer to GET .../backupServers/jobs/{uid}. */
enum vspc_error vspc_decode_job_session(const char *body, size_t len,
					struct vspc_job_session *session, char *err, size_t errlen);

/* The longest token accepted anywhere, from the server or from the user.
 * Owned here, the lowest layer that needs it; lib/token.h's TOKEN_MAX names
 * the same limit. */
#define VSPC_TOKEN_MAX 8192

/* An answer of POST /api/v3/token: OAuth2Result, or OAuth2Error. The
 * strings are secrets: the caller wipes them (vspc_oauth_wipe). */
struct vspc_oauth {
	char access_token[VSPC_TOKEN_MAX + 1];  /* "" if absent */
	char refresh_token[VSPC_TOKEN_MAX + 1]; /* "" if absent or null */
	int64_t expires_in;                     /* seconds; -1 if absent */
	bool mfa_required;                      /* an mfa_token came instead of a token */
	char error[128];                        /* OAuth2Error.error, "" if none */
	char error_description[512];
};

/* Writes the URL of POST /api/v3/token. */
bool vspc_token_url(char *dst, size_t dstlen, const struct vspc_server *srv);

/* Decodes the body of a token answer of any status. VSPC_ERR_* when it is
 * not an OAuth2Result/OAuth2Error object (reason in @err). */
enum vspc_error vspc_decode_oauth(const char *body, size_t len, struct vspc_oauth *out, char *err,
				  size_t errlen);

void vspc_oauth_wipe(struct vspc_oauth *o);

/* Reads an error body in any of the envelopes above as far as it makes
 * sense; anything else leaves an empty message and code. Messages are
 * joined with " / ", each followed by its code in parentheses when it has
 * one, and line breaks become spaces. */
void vspc_decode_errors(const char *body, size_t len, struct vspc_error_info *out);

#endif
