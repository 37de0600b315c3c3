/* The data model of the VSPC answers, as the decoders fill it: every
 * field recorded as absent, null, a value, or invalid with the reason.
 * Types only; lib/vspc.h and lib/fields.h decode into them. */
#ifndef VSPC_MODEL_H
#define VSPC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uid.h"

/* How decoding an answer went. */
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

/* The kinds of replication job (lib/kinds.h has the table). */
enum vspc_kind {
	VSPC_KIND_VM = 0, /* BackupServerReplicationVmJob */
	VSPC_KIND_CDP,    /* BackupServerCdpReplicationJob */
	VSPC_KIND_COUNT
};

/* A job's identity. Which field holds the UID the user knows changed
 * between API versions: under 3.5 instanceUid was the VSPC UID and
 * originalUid the Veeam B&R one; otherwise instanceUid is the B&R UID and
 * (from 3.5.1) uniqueUid the VSPC one. */
struct vspc_ids {
	struct vspc_uid instance_uid;
	struct vspc_uid unique_uid;
	struct vspc_uid original_uid;
};

/* BackupServerReplicationVmJob, less its identity */
struct vspc_replication_job {
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

/* BackupServerCdpReplicationJobLastPeriod: the period between two long-term
 * restore points. Null when the policy had no sync session in it. */
struct vspc_cdp_period {
	struct vspc_field f; /* the object itself */
	struct vspc_count success_count;
	struct vspc_count warning_count;
	struct vspc_count errors_count;
	struct vspc_int sla;           /* percent of sessions within the RPO; nullable */
	struct vspc_int max_delay;     /* seconds, may be negative; nullable */
	struct vspc_int sync_interval; /* seconds; nullable */
	struct vspc_int total_data;    /* kilobytes; nullable */
};

/* BackupServerCdpReplicationJob, less its identity */
struct vspc_cdp_policy {
	struct vspc_count rpo;
	struct vspc_text rpo_unit; /* Seconds, Minutes, Hours, Days; extensible */
	struct vspc_cdp_period last_period;
};

/* A decoded job of any kind: the identity, and the part of its kind. */
struct vspc_job {
	enum vspc_kind kind;
	struct vspc_ids ids;
	struct vspc_replication_job vm; /* kind VSPC_KIND_VM */
	struct vspc_cdp_policy cdp;     /* kind VSPC_KIND_CDP */
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
	struct vspc_text type; /* BackupServerJobType: ReplicationVM, CdpReplicationVM, ... */
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

#endif
