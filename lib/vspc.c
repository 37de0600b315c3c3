#include "autoconfig.h"

#include "vspc.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "secret.h"
#include "timeutil.h"
#include "utf8.h"

#define JOB_PATH "/api/v3/infrastructure/backupServers/jobs/replicationVmJobs/"

bool vspc_uid_valid(const char *s, size_t len)
{
	if (len != VSPC_UID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

void vspc_uid_normalise(char *dst, const char *uid)
{
	for (size_t i = 0; i < VSPC_UID_LEN; i++)
		dst[i] = (char)tolower((unsigned char)uid[i]);
	dst[VSPC_UID_LEN] = '\0';
}

/* "https://HOST:PORT" + @path: IPv6 literals bracketed, a zone's '%'
 * percent-encoded. */
static bool format_url(char *dst, size_t dstlen, const struct vspc_server *srv, const char *path)
{
	const char *host = srv->host;
	const char *scheme = srv->plain_http ? "http" : "https";
	const char *zone = strchr(host, '%');
	bool ipv6 = strchr(host, ':') != NULL;
	int n;

	if (ipv6 && zone)
		n = snprintf(dst, dstlen, "%s://[%.*s%%25%s]:%u%s", scheme, (int)(zone - host),
			     host, zone + 1, srv->port, path);
	else if (ipv6)
		n = snprintf(dst, dstlen, "%s://[%s]:%u%s", scheme, host, srv->port, path);
	else
		n = snprintf(dst, dstlen, "%s://%s:%u%s", scheme, host, srv->port, path);
	return n > 0 && (size_t)n < dstlen;
}

bool vspc_replication_job_url(char *dst, size_t dstlen, const struct vspc_server *srv,
			      const char *uid)
{
	char path[160];

	snprintf(path, sizeof path, "%s%s", JOB_PATH, uid);
	return format_url(dst, dstlen, srv, path);
}

bool vspc_token_url(char *dst, size_t dstlen, const struct vspc_server *srv)
{
	return format_url(dst, dstlen, srv, "/api/v3/token");
}

bool vspc_job_url(char *dst, size_t dstlen, const struct vspc_server *srv, const char *uid)
{
	char path[160];

	snprintf(path, sizeof path, "/api/v3/infrastructure/backupServers/jobs/%s", uid);
	return format_url(dst, dstlen, srv, path);
}

bool vspc_collection_url(char *dst, size_t dstlen, const struct vspc_server *srv,
			 const char *backup_server, unsigned limit, uint64_t offset)
{
	char path[256];

	if (backup_server)
		snprintf(path, sizeof path,
			 "/api/v3/infrastructure/backupServers/%s/jobs/replicationVmJobs"
			 "?expand=BackupServerJob&limit=%u&offset=%" PRIu64,
			 backup_server, limit, offset);
	else
		snprintf(path, sizeof path,
			 "/api/v3/infrastructure/backupServers/jobs/replicationVmJobs"
			 "?expand=BackupServerJob&limit=%u&offset=%" PRIu64,
			 limit, offset);
	return format_url(dst, dstlen, srv, path);
}

static void field_invalid(struct vspc_field *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void field_invalid(struct vspc_field *f, const char *fmt, ...)
{
	va_list ap;

	f->state = VSPC_FIELD_INVALID;
	va_start(ap, fmt);
	vsnprintf(f->problem, sizeof f->problem, fmt, ap);
	va_end(ap);
}

/* Looks @key up and classifies absent, duplicated and null values. Returns
 * the value only when there is exactly one and it is not null. */
static const struct json_value *field_lookup(const struct json_value *obj, const char *key,
					     struct vspc_field *f)
{
	const struct json_value *v;
	enum json_error rc = json_object_get(obj, key, &v);

	memset(f, 0, sizeof *f);
	if (rc == JSON_ERR_MISSING) {
		f->state = VSPC_FIELD_ABSENT;
		return NULL;
	}
	if (rc == JSON_ERR_DUPLICATE) {
		field_invalid(f, "occurs more than once");
		return NULL;
	}
	if (json_type_of(v) == JSON_NULL) {
		f->state = VSPC_FIELD_NULL;
		return NULL;
	}
	return v;
}

static void decode_uid(const struct json_value *obj, const char *key, struct vspc_uid *out)
{
	const struct json_value *v = field_lookup(obj, key, &out->f);
	const char *s;
	size_t len;

	if (v == NULL)
		return;
	if (json_get_string(v, &s, &len) != JSON_OK) {
		field_invalid(&out->f, "is %s, expected a UUID string",
			      json_type_name(json_type_of(v)));
		return;
	}
	if (!vspc_uid_valid(s, len)) {
		field_invalid(&out->f, "is not a UUID");
		return;
	}
	vspc_uid_normalise(out->value, s);
	out->f.state = VSPC_FIELD_VALUE;
}

static void decode_bool(const struct json_value *obj, const char *key, struct vspc_bool *out)
{
	const struct json_value *v = field_lookup(obj, key, &out->f);

	if (v == NULL)
		return;
	if (json_get_bool(v, &out->value) != JSON_OK) {
		field_invalid(&out->f, "is %s, expected true or false",
			      json_type_name(json_type_of(v)));
		return;
	}
	out->f.state = VSPC_FIELD_VALUE;
}

static void decode_count(const struct json_value *obj, const char *key, struct vspc_count *out)
{
	const struct json_value *v = field_lookup(obj, key, &out->f);
	int64_t n;
	enum json_error rc;

	if (v == NULL)
		return;
	rc = json_get_int64(v, &n);
	if (rc == JSON_ERR_TYPE) {
		field_invalid(&out->f, "is %s, expected an integer",
			      json_type_name(json_type_of(v)));
	} else if (rc != JSON_OK || n > INT32_MAX) {
		field_invalid(&out->f, "is %.40s, not a 32-bit whole number", json_number_text(v));
	} else if (n < 0) {
		field_invalid(&out->f, "is %.40s, a negative count", json_number_text(v));
	} else {
		out->value = (int32_t)n;
		out->f.state = VSPC_FIELD_VALUE;
	}
}

static void decode_job_fields(const struct json_value *data, struct vspc_replication_job *job)
{
	decode_uid(data, "instanceUid", &job->instance_uid);
	decode_uid(data, "uniqueUid", &job->unique_uid);
	decode_uid(data, "originalUid", &job->original_uid);
	decode_count(data, "protectedVmCount", &job->protected_vm_count);
	decode_bool(data, "isCloudJob", &job->is_cloud_job);
	decode_uid(data, "cloudHostUid", &job->cloud_host_uid);
	decode_uid(data, "targetHostUid", &job->target_host_uid);
	decode_uid(data, "sourceWanAcceleratorUid", &job->source_wan_uid);
	decode_uid(data, "targetWanAcceleratorUid", &job->target_wan_uid);
	decode_bool(data, "throughWanAccelerators", &job->through_wan);
}

/* Copies at most @cap - 1 bytes of @s, cut at a character boundary. */
static size_t copy_text(char *dst, size_t cap, const char *s, size_t len)
{
	size_t n = 0;

	while (n < len) {
		size_t c = utf8_char_len((const unsigned char *)s + n, len - n);

		if (c == 0 || n + c >= cap)
			break;
		n += c;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return n;
}

static const struct json_value *string_lookup(const struct json_value *obj, const char *key,
					      struct vspc_field *f, const char **s, size_t *len)
{
	const struct json_value *v = field_lookup(obj, key, f);

	if (v && json_get_string(v, s, len) != JSON_OK) {
		field_invalid(f, "is %s, expected a string", json_type_name(json_type_of(v)));
		return NULL;
	}
	return v;
}

static void decode_text(const struct json_value *obj, const char *key, struct vspc_text *out)
{
	const char *s;
	size_t len;

	if (string_lookup(obj, key, &out->f, &s, &len) == NULL)
		return;
	out->len = copy_text(out->value, sizeof out->value, s, len);
	out->f.state = VSPC_FIELD_VALUE;
}

static void decode_long_text(const struct json_value *obj, const char *key,
			     struct vspc_long_text *out)
{
	const char *s;
	size_t len;

	if (string_lookup(obj, key, &out->f, &s, &len) == NULL)
		return;
	out->len = copy_text(out->value, sizeof out->value, s, len);
	out->f.state = VSPC_FIELD_VALUE;
}

static void decode_time(const struct json_value *obj, const char *key, struct vspc_time *out)
{
	const char *s;
	size_t len;
	bool has_offset;

	if (string_lookup(obj, key, &out->f, &s, &len) == NULL)
		return;
	copy_text(out->text, sizeof out->text, s, len);
	if (!time_parse_local(s, len, &out->epoch, &has_offset)) {
		field_invalid(&out->f, "is not an ISO 8601 date-time");
		return;
	}
	out->no_offset = !has_offset;
	if (out->epoch < 0) {
		/* 0001-01-01T00:00:00, or 1900 for continuous jobs: no such time */
		out->placeholder = true;
		out->f.state = VSPC_FIELD_NULL;
		return;
	}
	out->f.state = VSPC_FIELD_VALUE;
}

static void decode_int(const struct json_value *obj, const char *key, struct vspc_int *out)
{
	const struct json_value *v = field_lookup(obj, key, &out->f);
	enum json_error rc;

	if (v == NULL)
		return;
	rc = json_get_int64(v, &out->value);
	if (rc == JSON_ERR_TYPE)
		field_invalid(&out->f, "is %s, expected an integer",
			      json_type_name(json_type_of(v)));
	else if (rc != JSON_OK || out->value < 0)
		field_invalid(&out->f, "is %.40s, not a whole number of 0 or more",
			      json_number_text(v));
	else
		out->f.state = VSPC_FIELD_VALUE;
}

static const char *const status_names[] = {
	[VSPC_STATUS_UNKNOWN] = "Unknown",
	[VSPC_STATUS_NONE] = "None",
	[VSPC_STATUS_IDLE] = "Idle",
	[VSPC_STATUS_SUCCESS] = "Success",
	[VSPC_STATUS_WARNING] = "Warning",
	[VSPC_STATUS_FAILED] = "Failed",
	[VSPC_STATUS_RUNNING] = "Running",
	[VSPC_STATUS_STARTING] = "Starting",
	[VSPC_STATUS_STOPPING] = "Stopping",
	[VSPC_STATUS_ENABLING] = "Enabling",
	[VSPC_STATUS_DISABLING] = "Disabling",
	[VSPC_STATUS_WAITING_TAPE] = "WaitingTape",
	[VSPC_STATUS_WAITING_REPOSITORY] = "WaitingRepository",
	[VSPC_STATUS_OTHER] = "Other",
};

const char *vspc_status_name(enum vspc_status st)
{
	return (unsigned)st <= VSPC_STATUS_OTHER ? status_names[st] : "Other";
}

/* Enum values are compared exactly, as the API sends them. */
static enum vspc_status status_from_text(const char *s, size_t len)
{
	for (int i = 0; i < VSPC_STATUS_OTHER; i++)
		if (strlen(status_names[i]) == len && memcmp(status_names[i], s, len) == 0)
			return (enum vspc_status)i;
	return VSPC_STATUS_OTHER;
}

static void decode_session_fields(const struct json_value *obj, struct vspc_job_session *js)
{
	decode_uid(obj, "instanceUid", &js->instance_uid);
	decode_uid(obj, "uniqueUid", &js->unique_uid);
	decode_uid(obj, "originalUid", &js->original_uid);
	decode_uid(obj, "backupServerUid", &js->backup_server_uid);
	decode_uid(obj, "organizationUid", &js->organization_uid);
	decode_uid(obj, "mappedOrganizationUid", &js->mapped_organization_uid);
	decode_text(obj, "name", &js->name);
	decode_text(obj, "status", &js->status_text);
	if (js->status_text.f.state == VSPC_FIELD_VALUE)
		js->status = status_from_text(js->status_text.value, js->status_text.len);
	decode_bool(obj, "isEnabled", &js->is_enabled);
	decode_time(obj, "lastRun", &js->last_run);
	decode_time(obj, "lastEndTime", &js->last_end_time);
	decode_int(obj, "lastDuration", &js->last_duration);
	decode_int(obj, "transferredData", &js->transferred_data);
	decode_long_text(obj, "failureMessage", &js->failure_message);
}

/* Appends @len bytes of server text at out + *used, the documented \r\n
 * line breaks (and any other newline or NUL) as spaces. */
static void append_text(char *out, size_t outlen, size_t *used, const char *s, size_t len)
{
	for (size_t k = 0; k < len && *used + 1 < outlen; k++) {
		if (s[k] == '\r' && k + 1 < len && s[k + 1] == '\n')
			continue;
		out[(*used)++] = (s[k] == '\n' || s[k] == '\r' || s[k] == '\0') ? ' ' : s[k];
	}
	out[*used] = '\0';
}

/* The non-empty string member @key of @obj. */
static bool string_member(const struct json_value *obj, const char *key, const char **s,
			  size_t *len)
{
	const struct json_value *v;

	return json_type_of(obj) == JSON_OBJECT && json_object_get(obj, key, &v) == JSON_OK &&
	       json_get_string(v, s, len) == JSON_OK && *len > 0;
}

/* Appends "message (code)" to the collected text, " / " between errors;
 * the first string code is kept in @info when given. */
static void append_error(char *out, size_t outlen, size_t *used, const struct json_value *obj,
			 const char *msg_key, const char *code_key, struct vspc_error_info *info)
{
	const char *msg = NULL;
	const char *code = NULL;
	size_t mlen = 0;
	size_t clen = 0;
	bool has_msg = string_member(obj, msg_key, &msg, &mlen);
	bool has_code = string_member(obj, code_key, &code, &clen);

	if (!has_msg && !has_code)
		return;
	if (*used)
		append_text(out, outlen, used, " / ", 3);
	if (has_msg)
		append_text(out, outlen, used, msg, mlen);
	if (has_code) {
		append_text(out, outlen, used, has_msg ? " (" : "", has_msg ? 2 : 0);
		append_text(out, outlen, used, code, clen);
		append_text(out, outlen, used, has_msg ? ")" : "", has_msg ? 1 : 0);
	}
	if (has_code && info && info->code[0] == '\0') {
		size_t n = 0;

		append_text(info->code, sizeof info->code, &n, code, clen);
		info->unsupported_version = strcasecmp(info->code, "UnsupportedApiVersion") == 0;
	}
}

/* Collects the messages of an "errors" array into @out (joined by " / "). */
static void collect_messages(const struct json_value *errors, char *out, size_t outlen,
			     struct vspc_error_info *info)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < json_count(errors) && used + 1 < outlen; i++)
		append_error(out, outlen, &used, json_array_at(errors, i), "message", "code", info);
}

static enum vspc_error parse_object(const char *body, size_t len, struct json_doc **doc, char *err,
				    size_t errlen)
{
	char why[160];
	enum json_error jrc = json_parse(body, len, doc, why, sizeof why);

	if (jrc == JSON_ERR_NOMEM) {
		snprintf(err, errlen, "out of memory decoding the answer");
		return VSPC_ERR_NOMEM;
	}
	if (jrc != JSON_OK) {
		snprintf(err, errlen, "answer is not valid JSON: %s", why);
		return VSPC_ERR_JSON;
	}
	if (json_type_of(json_root(*doc)) != JSON_OBJECT) {
		snprintf(err, errlen, "answer is a JSON %s, expected an object",
			 json_type_name(json_type_of(json_root(*doc))));
		return VSPC_ERR_ENVELOPE;
	}
	return VSPC_OK;
}

/* A success answer whose "errors" is a non-empty array is refused. */
static bool carries_errors(const struct json_value *root, char *err, size_t errlen)
{
	const struct json_value *errors;
	char msg[256];

	if (json_object_get(root, "errors", &errors) != JSON_OK ||
	    json_type_of(errors) != JSON_ARRAY || json_count(errors) == 0)
		return false;
	collect_messages(errors, msg, sizeof msg, NULL);
	snprintf(err, errlen, "answer carries errors: %s", msg[0] ? msg : "(no message)");
	return true;
}

/* A success envelope must have exactly one "data" object and no errors. */
static enum vspc_error envelope_data(const struct json_value *root, const struct json_value **data,
				     char *err, size_t errlen)
{
	enum json_error jrc;

	if (carries_errors(root, err, errlen))
		return VSPC_ERR_ENVELOPE;
	jrc = json_object_get(root, "data", data);
	if (jrc == JSON_ERR_MISSING) {
		snprintf(err, errlen, "answer has no \"data\" member");
		return VSPC_ERR_ENVELOPE;
	}
	if (jrc == JSON_ERR_DUPLICATE) {
		snprintf(err, errlen, "answer has \"data\" more than once");
		return VSPC_ERR_ENVELOPE;
	}
	if (json_type_of(*data) != JSON_OBJECT) {
		snprintf(err, errlen, "\"data\" is %s, expected an object",
			 json_type_name(json_type_of(*data)));
		return VSPC_ERR_ENVELOPE;
	}
	return VSPC_OK;
}

/* Decodes the "data" object of a success envelope with @fill. */
static enum vspc_error decode_envelope(const char *body, size_t len,
				       void (*fill)(const struct json_value *data, void *out),
				       void *out, char *err, size_t errlen)
{
	struct json_doc *doc = NULL;
	const struct json_value *data;
	enum vspc_error rc = parse_object(body, len, &doc, err, errlen);

	if (rc == VSPC_OK)
		rc = envelope_data(json_root(doc), &data, err, errlen);
	if (rc == VSPC_OK)
		fill(data, out);
	json_free(doc);
	return rc;
}

static void fill_job(const struct json_value *data, void *out)
{
	decode_job_fields(data, out);
}

static void fill_session(const struct json_value *data, void *out)
{
	decode_session_fields(data, out);
}

enum vspc_error vspc_decode_replication_job(const char *body, size_t len,
					    struct vspc_replication_job *job, char *err,
					    size_t errlen)
{
	memset(job, 0, sizeof *job);
	return decode_envelope(body, len, fill_job, job, err, errlen);
}

static double retry_after_of(const struct json_value *obj)
{
	const struct json_value *v;
	double d;

	if (json_object_get(obj, "retryAfter", &v) == JSON_OK &&
	    json_get_double(v, &d) == JSON_OK && d >= 0)
		return d;
	return -1;
}

/* ASP.NET's {"error": {"code", "message", "innerError"}} or OAuth2's
 * {"error": "...", "error_description": "..."}. */
static void decode_error_member(const struct json_value *root, struct vspc_error_info *out)
{
	const struct json_value *error;
	const struct json_value *inner;
	size_t used = 0;

	if (json_object_get(root, "error", &error) != JSON_OK)
		return;
	if (json_type_of(error) == JSON_STRING) {
		append_error(out->message, sizeof out->message, &used, root, "error_description",
			     "error", out);
		return;
	}
	append_error(out->message, sizeof out->message, &used, error, "message", "code", out);
	if (json_object_get(error, "innerError", &inner) == JSON_OK)
		append_error(out->message, sizeof out->message, &used, inner, "message", "code",
			     NULL);
}

void vspc_decode_errors(const char *body, size_t len, struct vspc_error_info *out)
{
	struct json_doc *doc = NULL;
	const struct json_value *root;
	const struct json_value *errors;
	char ignored[8];

	memset(out, 0, sizeof *out);
	out->retry_after = -1;
	if (parse_object(body, len, &doc, ignored, sizeof ignored) != VSPC_OK)
		goto out;
	root = json_root(doc);
	out->retry_after = retry_after_of(root);
	if (json_object_get(root, "errors", &errors) != JSON_OK ||
	    json_type_of(errors) != JSON_ARRAY) {
		decode_error_member(root, out);
		goto out;
	}
	collect_messages(errors, out->message, sizeof out->message, out);
	for (size_t i = 0; i < json_count(errors) && out->retry_after < 0; i++) {
		const struct json_value *item = json_array_at(errors, i);

		if (json_type_of(item) == JSON_OBJECT)
			out->retry_after = retry_after_of(item);
	}
out:
	json_free(doc);
}

enum vspc_error vspc_decode_job_session(const char *body, size_t len,
					struct vspc_job_session *session, char *err, size_t errlen)
{
	memset(session, 0, sizeof *session);
	return decode_envelope(body, len, fill_session, session, err, errlen);
}

enum vspc_error vspc_decode_collection_item(const struct json_value *item,
					    struct vspc_replication_job *job,
					    struct vspc_job_session *session, bool *has_session,
					    char *err, size_t errlen)
{
	const struct json_value *embedded;
	const struct json_value *bsj;

	memset(job, 0, sizeof *job);
	memset(session, 0, sizeof *session);
	*has_session = false;
	if (json_type_of(item) != JSON_OBJECT) {
		snprintf(err, errlen, "an element of \"data\" is %s, expected an object",
			 json_type_name(json_type_of(item)));
		return VSPC_ERR_ENVELOPE;
	}
	decode_job_fields(item, job);
	if (json_object_get(item, "_embedded", &embedded) == JSON_OK &&
	    json_type_of(embedded) == JSON_OBJECT &&
	    json_object_get(embedded, "backupServerJob", &bsj) == JSON_OK &&
	    json_type_of(bsj) == JSON_OBJECT) {
		decode_session_fields(bsj, session);
		*has_session = true;
	}
	return VSPC_OK;
}

/* A whole number of 0 or more under @key: 1, absent: 0, anything else: -1. */
static int paging_number(const struct json_value *paging, const char *key, int64_t *out)
{
	const struct json_value *v;
	enum json_error rc = json_object_get(paging, key, &v);

	if (rc == JSON_ERR_MISSING || (rc == JSON_OK && json_type_of(v) == JSON_NULL))
		return 0;
	return rc == JSON_OK && json_get_int64(v, out) == JSON_OK && *out >= 0 ? 1 : -1;
}

enum vspc_error vspc_decode_page_rest(const struct json_doc *rest, struct vspc_paging *paging,
				      char *err, size_t errlen)
{
	const struct json_value *root = json_root(rest);
	const struct json_value *data;
	const struct json_value *meta;
	const struct json_value *info;
	int count;
	int offset;

	memset(paging, 0, sizeof *paging);
	if (json_type_of(root) != JSON_OBJECT) {
		snprintf(err, errlen, "answer is a JSON %s, expected an object",
			 json_type_name(json_type_of(root)));
		return VSPC_ERR_ENVELOPE;
	}
	/* "data" was streamed and is left empty here; check it was an array */
	if (json_object_get(root, "data", &data) != JSON_OK || json_type_of(data) != JSON_ARRAY) {
		if (envelope_data(root, &data, err, errlen) == VSPC_OK)
			snprintf(err, errlen, "\"data\" is an object, expected an array");
		return VSPC_ERR_ENVELOPE;
	}
	if (carries_errors(root, err, errlen))
		return VSPC_ERR_ENVELOPE;
	if (json_object_get(root, "meta", &meta) != JSON_OK || json_type_of(meta) != JSON_OBJECT ||
	    json_object_get(meta, "pagingInfo", &info) != JSON_OK ||
	    json_type_of(info) != JSON_OBJECT)
		return VSPC_OK;
	/* only total steers the walk; count and offset (or skip) are optional */
	if (paging_number(info, "total", &paging->total) != 1) {
		snprintf(err, errlen, "meta.pagingInfo.total is missing or not a whole number");
		return VSPC_ERR_ENVELOPE;
	}
	/* the walk does not need them: a broken one is ignored like a missing one */
	count = paging_number(info, "count", &paging->count);
	offset = paging_number(info, "offset", &paging->offset);
	if (offset == 0)
		offset = paging_number(info, "skip", &paging->offset);
	paging->has_count = count == 1;
	paging->has_offset = offset == 1;
	paging->present = true;
	return VSPC_OK;
}

/* Copies an optional string member; false if present with another type or
 * too long. */
static bool oauth_string(const struct json_value *root, const char *key, char *dst, size_t cap)
{
	const struct json_value *v;
	const char *s;
	size_t len;

	dst[0] = '\0';
	if (json_object_get(root, key, &v) == JSON_ERR_MISSING)
		return true;
	if (v == NULL)
		return false;
	if (json_type_of(v) == JSON_NULL)
		return true;
	if (json_get_string(v, &s, &len) != JSON_OK || len >= cap || memchr(s, '\0', len))
		return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

enum vspc_error vspc_decode_oauth(const char *body, size_t len, struct vspc_oauth *out, char *err,
				  size_t errlen)
{
	struct json_doc *doc = NULL;
	const struct json_value *root;
	const struct json_value *v;
	char mfa[VSPC_TOKEN_MAX + 1];
	enum vspc_error rc;

	memset(out, 0, sizeof *out);
	out->expires_in = -1;
	rc = parse_object(body, len, &doc, err, errlen);
	if (rc != VSPC_OK)
		goto out;
	root = json_root(doc);
	if (!oauth_string(root, "access_token", out->access_token, sizeof out->access_token) ||
	    !oauth_string(root, "refresh_token", out->refresh_token, sizeof out->refresh_token) ||
	    !oauth_string(root, "mfa_token", mfa, sizeof mfa) ||
	    !oauth_string(root, "error", out->error, sizeof out->error) ||
	    !oauth_string(root, "error_description", out->error_description,
			  sizeof out->error_description)) {
		snprintf(err, errlen, "token answer has a member of the wrong type or size");
		rc = VSPC_ERR_ENVELOPE;
		goto out;
	}
	out->mfa_required = mfa[0] != '\0' && out->access_token[0] == '\0';
	secret_wipe(mfa, sizeof mfa);
	if (json_object_get(root, "expires_in", &v) == JSON_OK && json_type_of(v) != JSON_NULL &&
	    (json_get_int64(v, &out->expires_in) != JSON_OK || out->expires_in < 0)) {
		snprintf(err, errlen, "token answer: expires_in is not a whole number of seconds");
		rc = VSPC_ERR_ENVELOPE;
	}
out:
	json_free_wipe(doc);
	return rc;
}

void vspc_oauth_wipe(struct vspc_oauth *o)
{
	secret_wipe(o, sizeof *o);
}
