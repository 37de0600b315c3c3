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

#define VSPC_UID_LEN      36
#define VSPC_DEFAULT_PORT 1280
#define VSPC_JOB_BODY_CAP (8u * 1024u * 1024u)

enum vspc_error {
	VSPC_OK = 0,
	VSPC_ERR_JSON,     /* the body is not JSON */
	VSPC_ERR_ENVELOPE, /* JSON, but not the documented envelope */
	VSPC_ERR_NOMEM
};

enum vspc_field_state {
	VSPC_FIELD_ABSENT = 0,
	VSPC_FIELD_NULL,
	VSPC_FIELD_VALUE,
	VSPC_FIELD_INVALID
};

struct vspc_field {
	enum vspc_field_state state;
	char problem[96]; /* for INVALID: e.g. "is a string, expected an integer" */
};

struct vspc_uid {
	struct vspc_field f;
	char value[VSPC_UID_LEN + 1]; /* lower case */
};

struct vspc_bool {
	struct vspc_field f;
	bool value;
};

struct vspc_count {
	struct vspc_field f;
	int32_t value; /* 0 or more */
};

/* BackupServerReplicationVmJob */
struct vspc_replication_job {
	struct vspc_uid instance_uid;
	struct vspc_uid unique_uid;
	struct vspc_uid original_uid; /* older answers: the B&R UID beside a VSPC instanceUid */
	struct vspc_count protected_vm_count;
	struct vspc_bool is_cloud_job;
	struct vspc_uid cloud_host_uid;
	struct vspc_uid target_host_uid;
	struct vspc_uid source_wan_uid;
	struct vspc_uid target_wan_uid;
	struct vspc_bool through_wan;
};

/* A string field; the value is cut at a character boundary to fit. */
#define VSPC_NAME_MAX    256
#define VSPC_MESSAGE_MAX 2048

struct vspc_text {
	struct vspc_field f;
	char value[VSPC_NAME_MAX]; /* NUL-terminated; may contain NULs sent as \u0000 */
	size_t len;
};

struct vspc_long_text {
	struct vspc_field f;
	char value[VSPC_MESSAGE_MAX];
	size_t len;
};

/* A date-time. One sent without an offset is read as UTC (no_offset).
 * VSPC's placeholders for "no such time" (0001-01-01T00:00:00, 1900 dates
 * of continuous jobs: anything before 1970) decode as NULL with
 * placeholder set. */
struct vspc_time {
	struct vspc_field f;
	int64_t epoch; /* whole seconds since 1970 UTC */
	char text[48]; /* as sent, for listings */
	bool no_offset;
	bool placeholder;
};

struct vspc_int {
	struct vspc_field f;
	int64_t value;
};

/* BackupServerJob.status; the API may add values, which decode as OTHER. */
enum vspc_status {
	VSPC_STATUS_UNKNOWN = 0,
	VSPC_STATUS_NONE,
	VSPC_STATUS_IDLE,
	VSPC_STATUS_SUCCESS,
	VSPC_STATUS_WARNING,
	VSPC_STATUS_FAILED,
	VSPC_STATUS_RUNNING,
	VSPC_STATUS_STARTING,
	VSPC_STATUS_STOPPING,
	VSPC_STATUS_ENABLING,
	VSPC_STATUS_DISABLING,
	VSPC_STATUS_WAITING_TAPE,
	VSPC_STATUS_WAITING_REPOSITORY,
	VSPC_STATUS_OTHER
};

/* BackupServerJob: the job's last session and identity. */
struct vspc_job_session {
	struct vspc_uid instance_uid;
	struct vspc_uid unique_uid;
	struct vspc_uid original_uid; /* API 3.5: the B&R UID beside a VSPC instanceUid */
	struct vspc_uid backup_server_uid;
	struct vspc_uid organization_uid;
	struct vspc_uid mapped_organization_uid;
	struct vspc_text name;
	struct vspc_text status_text; /* the value as sent */
	enum vspc_status status;      /* meaningful when status_text is a value */
	struct vspc_bool is_enabled;
	struct vspc_time last_run;
	struct vspc_time last_end_time;
	struct vspc_int last_duration;    /* seconds */
	struct vspc_int transferred_data; /* bytes */
	struct vspc_long_text failure_message;
};

/* PagingInformation of a collection page. Only total is required; the
 * offset may come as "offset" or (Veeam's 9.1 examples) "skip". */
struct vspc_paging {
	bool present;
	int64_t total;
	bool has_count;
	int64_t count;
	bool has_offset;
	int64_t offset;
};

/* What an error answer says, whichever envelope VSPC used: the REST API's
 * {"errors": [{"message", "type", "code"}]}, ASP.NET's {"error": {"code",
 * "message", "innerError"}} (API version refusals), or OAuth2's {"error",
 * "error_description"} (the token endpoint). */
struct vspc_error_info {
	char message[512];        /* "" if the body had none */
	char code[64];            /* the first code given as a string, "" if none */
	bool unsupported_version; /* code UnsupportedApiVersion: the X-Client-Version
				     was refused */
	double retry_after;       /* seconds; < 0 if the body had none */
};

/* Where VSPC is. plain_http only with --allow-http. */
struct vspc_server {
	const char *host; /* name or address; IPv6 without brackets */
	unsigned port;
	bool plain_http;
};

/* True if the @len bytes at @s are a UUID in 8-4-4-4-12 hex form. */
bool vspc_uid_valid(const char *s, size_t len);

/* Copies a valid UUID in lower case to @dst (VSPC_UID_LEN + 1 bytes). */
void vspc_uid_normalise(char *dst, const char *uid);

/* Writes "https://HOST:PORT/api/v3/infrastructure/backupServers/jobs/
 * replicationVmJobs/UID" to @dst. IPv6 literals are bracketed and a zone
 * separator is percent-encoded. Returns false if it does not fit. */
bool vspc_replication_job_url(char *dst, size_t dstlen, const struct vspc_server *srv,
			      const char *uid);

/* Decodes a 200 answer to GET .../replicationVmJobs/{uid}. On error writes a
 * one-line reason to @err; *@job is then unspecified. */
enum vspc_error vspc_decode_replication_job(const char *body, size_t len,
					    struct vspc_replication_job *job, char *err,
					    size_t errlen);

/* Writes the URL of GET .../backupServers/jobs/{uid}. */
bool vspc_job_url(char *dst, size_t dstlen, const struct vspc_server *srv, const char *uid);

/* Writes the URL of one page of the replication job collection with the
 * BackupServerJob expanded: all jobs, or those of @backup_server (NULL for
 * all). */
bool vspc_collection_url(char *dst, size_t dstlen, const struct vspc_server *srv,
			 const char *backup_server, unsigned limit, uint64_t offset);

/* Decodes a 200 answer to GET .../backupServers/jobs/{uid}. */
enum vspc_error vspc_decode_job_session(const char *body, size_t len,
					struct vspc_job_session *session, char *err, size_t errlen);

/* Decodes one element of a collection page (a replication job with its
 * BackupServerJob under _embedded.backupServerJob). *@has_session tells if
 * the embedded job was there. Returns VSPC_ERR_ENVELOPE with a reason when
 * the element is not an object. */
struct json_value;
enum vspc_error vspc_decode_collection_item(const struct json_value *item,
					    struct vspc_replication_job *job,
					    struct vspc_job_session *session, bool *has_session,
					    char *err, size_t errlen);

/* Reads the envelope of a collection page whose "data" was streamed: errors,
 * and meta.pagingInfo (absent paging leaves present false). */
struct json_doc;
enum vspc_error vspc_decode_page_rest(const struct json_doc *rest, struct vspc_paging *paging,
				      char *err, size_t errlen);

/* An answer of POST /api/v3/token: OAuth2Result, or OAuth2Error. The
 * strings are secrets: the caller wipes them (vspc_oauth_wipe). */
#define VSPC_TOKEN_MAX 8192

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

/* The API's name of a status, e.g. "WaitingTape". */
const char *vspc_status_name(enum vspc_status st);

/* Reads an error body in any of the envelopes above as far as it makes
 * sense; anything else leaves an empty message and code. Messages are
 * joined with " / ", each followed by its code in parentheses when it has
 * one, and line breaks become spaces. */
void vspc_decode_errors(const char *body, size_t len, struct vspc_error_info *out);

#endif
