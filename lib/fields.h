/* Decoding one member of a JSON object into a vspc_* field (lib-internal:
 * used by lib/vspc.c, the kinds and the collection walker).
 *
 * Every decoder records the member as absent, null, a value, or invalid
 * with the reason; a key that occurs twice is invalid, never read either
 * way. Unknown keys are never looked at. */
#ifndef VSPC_FIELDS_H
#define VSPC_FIELDS_H

#include "json.h"
#include "model.h"

void field_uid(const struct json_value *obj, const char *key, struct vspc_uid *out);
void field_bool(const struct json_value *obj, const char *key, struct vspc_bool *out);
/* a whole number from 0 to INT32_MAX */
void field_count(const struct json_value *obj, const char *key, struct vspc_count *out);
/* a whole number from 0 to INT64_MAX */
void field_int(const struct json_value *obj, const char *key, struct vspc_int *out);
/* any whole number that fits in 64 bits */
void field_signed(const struct json_value *obj, const char *key, struct vspc_int *out);
/* a whole number from 0 to 100 */
void field_percent(const struct json_value *obj, const char *key, struct vspc_int *out);
void field_text(const struct json_value *obj, const char *key, struct vspc_text *out);
void field_long_text(const struct json_value *obj, const char *key, struct vspc_long_text *out);
void field_time(const struct json_value *obj, const char *key, struct vspc_time *out);

/* The object under @key, or NULL with @f saying why (absent, null, or
 * invalid when it is another type). */
const struct json_value *field_object(const struct json_value *obj, const char *key,
				      struct vspc_field *f);

/* instanceUid, uniqueUid and originalUid. */
void field_ids(const struct json_value *obj, struct vspc_ids *ids);

/* The API's name of a status, e.g. "WaitingTape". */
const char *vspc_status_name(enum vspc_status st);

/* A BackupServerJob object: the job's session, status and identity. */
void field_backup_server_job(const struct json_value *obj, struct vspc_job_session *js);

/* What no decoder of a job answer reads, left out while parsing so that
 * memory stays small whatever VSPC sends: the session's task list
 * (lastSessionTasks, thousands of entries for a big job) and the part of a
 * string beyond FIELD_STRING_KEEP bytes (no field keeps more than
 * VSPC_MESSAGE_MAX; UIDs, times and words are far shorter, so a string cut
 * there decodes as the whole one would). */
#define FIELD_STRING_KEEP (64u * 1024u)
extern const struct json_trim field_job_trim;

#endif
