#include "autoconfig.h"

#include "vspc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "envelope.h"
#include "fields.h"
#include "json.h"
#include "secret.h"
#include "timeutil.h"
#include "utf8.h"

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

bool vspc_kind_job_url(char *dst, size_t dstlen, const struct vspc_server *srv,
		       const char *collection, const char *uid)
{
	char path[192];

	snprintf(path, sizeof path, "/api/v3/infrastructure/backupServers/jobs/%s/%s", collection,
		 uid);
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

/* [{"property":"instanceUid","direction":"ascending"}], URL-encoded: pages
 * stay stable while they are read */
#define SORT_PARAM                                                                                 \
	"sort=%5B%7B%22property%22%3A%22instanceUid%22%2C%22direction%22%3A%22ascending%22%7D%5D"

bool vspc_collection_url(char *dst, size_t dstlen, const struct vspc_server *srv,
			 const char *collection, const char *backup_server, unsigned limit,
			 uint64_t offset, const char *only_uid)
{
	char path[640];
	char filter[192] = "";
	char server[80] = "";

	if (only_uid)
		snprintf(filter, sizeof filter,
			 "&filter=%%5B%%7B%%22property%%22%%3A%%22instanceUid%%22%%2C%%22operation"
			 "%%22%%3A%%22equals%%22%%2C%%22value%%22%%3A%%22%s%%22%%7D%%5D",
			 only_uid);
	if (backup_server)
		snprintf(server, sizeof server, "%s/", backup_server);
	snprintf(path, sizeof path,
		 "/api/v3/infrastructure/backupServers/%sjobs/%s?expand=BackupServerJob&%s&limit=%u"
		 "&offset=%" PRIu64 "%s",
		 server, collection, SORT_PARAM, limit, offset, filter);
	return format_url(dst, dstlen, srv, path);
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

enum vspc_error vspc_json_failed(enum json_error jrc, const char *why, char *err, size_t errlen)
{
	if (jrc == JSON_ERR_NOMEM) {
		snprintf(err, errlen, "out of memory decoding the answer");
		return VSPC_ERR_NOMEM;
	}
	snprintf(err, errlen, "answer is not valid JSON: %s", why);
	return VSPC_ERR_JSON;
}

static enum vspc_error root_object(const struct json_doc *doc, char *err, size_t errlen)
{
	if (json_type_of(json_root(doc)) != JSON_OBJECT) {
		snprintf(err, errlen, "answer is a JSON %s, expected an object",
			 json_type_name(json_type_of(json_root(doc))));
		return VSPC_ERR_ENVELOPE;
	}
	return VSPC_OK;
}

/* @trim: what may be left out (NULL for token answers, whose strings must
 * be read whole). */
static enum vspc_error parse_object(const char *body, size_t len, const struct json_trim *trim,
				    struct json_doc **doc, char *err, size_t errlen)
{
	char why[160];
	enum json_error jrc = json_parse_trimmed(body, len, trim, doc, why, sizeof why);

	if (jrc != JSON_OK)
		return vspc_json_failed(jrc, why, err, errlen);
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

enum vspc_error envelope_decode_doc(const struct json_doc *doc,
				    void (*fill)(const struct json_value *data, void *out),
				    void *out, char *err, size_t errlen)
{
	const struct json_value *data;
	enum vspc_error rc = root_object(doc, err, errlen);

	if (rc == VSPC_OK)
		rc = envelope_data(json_root(doc), &data, err, errlen);
	if (rc == VSPC_OK)
		fill(data, out);
	return rc;
}

enum vspc_error envelope_decode(const char *body, size_t len,
				void (*fill)(const struct json_value *data, void *out), void *out,
				char *err, size_t errlen)
{
	struct json_doc *doc = NULL;
	enum vspc_error rc = parse_object(body, len, &field_job_trim, &doc, err, errlen);

	if (rc == VSPC_OK)
		rc = envelope_decode_doc(doc, fill, out, err, errlen);
	json_free(doc);
	return rc;
}

static void fill_session(const struct json_value *data, void *out)
{
	field_backup_server_job(data, out);
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
	if (parse_object(body, len, &field_job_trim, &doc, ignored, sizeof ignored) != VSPC_OK)
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
	return envelope_decode(body, len, fill_session, session, err, errlen);
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
	char mfa[VSPC_TOKEN_MAX + 1] = "";
	enum vspc_error rc;

	memset(out, 0, sizeof *out);
	out->expires_in = -1;
	rc = parse_object(body, len, NULL, &doc, err, errlen);
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
	if (json_object_get(root, "expires_in", &v) == JSON_OK && json_type_of(v) != JSON_NULL &&
	    (json_get_int64(v, &out->expires_in) != JSON_OK || out->expires_in < 0)) {
		snprintf(err, errlen, "token answer: expires_in is not a whole number of seconds");
		rc = VSPC_ERR_ENVELOPE;
	}
out:
	/* on every path: the copy may hold a part of the MFA token */
	secret_wipe(mfa, sizeof mfa);
	json_free_wipe(doc);
	return rc;
}

void vspc_oauth_wipe(struct vspc_oauth *o)
{
	secret_wipe(o, sizeof *o);
}
