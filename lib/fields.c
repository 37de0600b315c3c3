#include "autoconfig.h"

#include "fields.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "timeutil.h"
#include "utf8.h"

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

static const char *const unread_members[] = { "lastSessionTasks", NULL };

const struct json_trim field_job_trim = { unread_members, FIELD_STRING_KEEP };

void field_uid(const struct json_value *obj, const char *key, struct vspc_uid *out)
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

void field_bool(const struct json_value *obj, const char *key, struct vspc_bool *out)
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

void field_count(const struct json_value *obj, const char *key, struct vspc_count *out)
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

/* A string member into @dst (@cap bytes), cut at a character boundary. */
static void take_text(const struct json_value *obj, const char *key, struct vspc_field *f,
		      char *dst, size_t cap, size_t *outlen)
{
	const char *s;
	size_t len;

	if (string_lookup(obj, key, f, &s, &len) == NULL)
		return;
	*outlen = copy_text(dst, cap, s, len);
	f->state = VSPC_FIELD_VALUE;
}

void field_text(const struct json_value *obj, const char *key, struct vspc_text *out)
{
	take_text(obj, key, &out->f, out->value, sizeof out->value, &out->len);
}

void field_long_text(const struct json_value *obj, const char *key, struct vspc_long_text *out)
{
	take_text(obj, key, &out->f, out->value, sizeof out->value, &out->len);
}

void field_time(const struct json_value *obj, const char *key, struct vspc_time *out)
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

/* A whole number into @out; a negative one is invalid unless @signed_ok. */
static void take_int(const struct json_value *obj, const char *key, struct vspc_int *out,
		     bool signed_ok)
{
	const struct json_value *v = field_lookup(obj, key, &out->f);
	enum json_error rc;

	if (v == NULL)
		return;
	rc = json_get_int64(v, &out->value);
	if (rc == JSON_ERR_TYPE)
		field_invalid(&out->f, "is %s, expected an integer",
			      json_type_name(json_type_of(v)));
	else if (rc != JSON_OK || (!signed_ok && out->value < 0))
		field_invalid(&out->f, "is %.40s, %s", json_number_text(v),
			      signed_ok ? "not a 64-bit whole number"
					: "not a whole number of 0 or more");
	else
		out->f.state = VSPC_FIELD_VALUE;
}

void field_int(const struct json_value *obj, const char *key, struct vspc_int *out)
{
	take_int(obj, key, out, false);
}

void field_signed(const struct json_value *obj, const char *key, struct vspc_int *out)
{
	take_int(obj, key, out, true);
}

void field_percent(const struct json_value *obj, const char *key, struct vspc_int *out)
{
	take_int(obj, key, out, false);
	if (out->f.state == VSPC_FIELD_VALUE && out->value > 100)
		field_invalid(&out->f, "is %" PRId64 ", not a percentage (0 to 100)", out->value);
}

const struct json_value *field_object(const struct json_value *obj, const char *key,
				      struct vspc_field *f)
{
	const struct json_value *v = field_lookup(obj, key, f);

	if (v && json_type_of(v) != JSON_OBJECT) {
		field_invalid(f, "is %s, expected an object", json_type_name(json_type_of(v)));
		return NULL;
	}
	if (v)
		f->state = VSPC_FIELD_VALUE;
	return v;
}

void field_ids(const struct json_value *obj, struct vspc_ids *ids)
{
	field_uid(obj, "instanceUid", &ids->instance_uid);
	field_uid(obj, "uniqueUid", &ids->unique_uid);
	field_uid(obj, "originalUid", &ids->original_uid);
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

void field_backup_server_job(const struct json_value *obj, struct vspc_job_session *js)
{
	field_uid(obj, "instanceUid", &js->instance_uid);
	field_uid(obj, "uniqueUid", &js->unique_uid);
	field_uid(obj, "originalUid", &js->original_uid);
	field_text(obj, "type", &js->type);
	field_uid(obj, "backupServerUid", &js->backup_server_uid);
	field_uid(obj, "organizationUid", &js->organization_uid);
	field_uid(obj, "mappedOrganizationUid", &js->mapped_organization_uid);
	field_text(obj, "name", &js->name);
	field_text(obj, "status", &js->status_text);
	if (js->status_text.f.state == VSPC_FIELD_VALUE)
		js->status = status_from_text(js->status_text.value, js->status_text.len);
	field_bool(obj, "isEnabled", &js->is_enabled);
	field_time(obj, "lastRun", &js->last_run);
	field_time(obj, "lastEndTime", &js->last_end_time);
	field_int(obj, "lastDuration", &js->last_duration);
	field_int(obj, "transferredData", &js->transferred_data);
	field_long_text(obj, "failureMessage", &js->failure_message);
}
