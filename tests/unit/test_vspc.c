/* Decoding VSPC answers: envelopes, field states, error bodies, URLs. */
#include "autoconfig.h"

#include "envelope.h"
#include "fields.h"
#include "json.h"
#include "kinds.h"
#include "tap.h"
#include "vspc.h"

static enum vspc_error decode_vm(const char *body, size_t len, struct vspc_job *job, char *err,
				 size_t errlen)
{
	return kind_decode_answer(&kind_vm, body, len, job, err, errlen);
}

#define SEED      "bc04d2e5-dd4c-4f85-af0e-424106a32a75"
#define ENV(data) "{\"data\": " data ", \"meta\": null, \"errors\": null}"

static const char seed_body[] =
    ENV("{\"instanceUid\": \"BC04D2E5-DD4C-4F85-AF0E-424106A32A75\", \"protectedVmCount\": 5,"
	" \"isCloudJob\": false, \"cloudHostUid\": null,"
	" \"targetHostUid\": \"6d2c4b1a-1111-4c2d-9e3f-0a1b2c3d4e5f\","
	" \"sourceWanAcceleratorUid\": \"11111111-2222-3333-4444-555555555555\","
	" \"targetWanAcceleratorUid\": \"66666666-7777-8888-9999-000000000000\","
	" \"throughWanAccelerators\": false, \"originalUid\": \"x\", \"_embedded\": {\"y\": [1]}}");

static void test_seed(void)
{
	struct vspc_job job;
	char err[256] = "";
	enum vspc_error rc = decode_vm(seed_body, strlen(seed_body), &job, err, sizeof err);

	tap_ok(rc == VSPC_OK, "seed job decodes (%s)", err);
	tap_str_eq(job.ids.instance_uid.value, SEED, "instanceUid is kept in lower case");
	tap_ok(job.vm.protected_vm_count.f.state == VSPC_FIELD_VALUE &&
		   job.vm.protected_vm_count.value == 5,
	       "protectedVmCount is 5");
	tap_ok(job.vm.is_cloud_job.f.state == VSPC_FIELD_VALUE && !job.vm.is_cloud_job.value,
	       "isCloudJob false");
	tap_ok(job.vm.cloud_host_uid.f.state == VSPC_FIELD_NULL, "cloudHostUid null");
	tap_ok(job.ids.unique_uid.f.state == VSPC_FIELD_ABSENT, "uniqueUid absent");
	tap_ok(job.vm.through_wan.f.state == VSPC_FIELD_VALUE && !job.vm.through_wan.value,
	       "throughWanAccelerators false");
	tap_str_eq(job.vm.source_wan_uid.value, "11111111-2222-3333-4444-555555555555",
		   "source WAN UID");
}

/* Bodies that are not a usable envelope. */
static const struct {
	const char *body;
	enum vspc_error err;
	const char *mention;
} envelope_cases[] = {
	{ "<html><body>Service Unavailable</body></html>", VSPC_ERR_JSON, "not valid JSON" },
	{ "{\"data\": {\"protectedVmCount\": 5", VSPC_ERR_JSON, "not valid JSON" },
	{ "", VSPC_ERR_JSON, "not valid JSON" },
	{ "[]", VSPC_ERR_ENVELOPE, "array" },
	{ "{\"meta\": null}", VSPC_ERR_ENVELOPE, "no \"data\"" },
	{ "{\"data\": null}", VSPC_ERR_ENVELOPE, "\"data\" is null" },
	{ "{\"data\": []}", VSPC_ERR_ENVELOPE, "\"data\" is array" },
	{ "{\"data\": \"x\"}", VSPC_ERR_ENVELOPE, "\"data\" is string" },
	{ "{\"data\": {}, \"data\": {}}", VSPC_ERR_ENVELOPE, "more than once" },
	{ "{\"data\": {}, \"errors\": [{\"message\": \"Boom\\r\\nline two\", \"type\": \"logical\", \"code\": 1}]}",
	  VSPC_ERR_ENVELOPE, "Boom line two" },
};

static void test_envelopes(void)
{
	for (size_t i = 0; i < sizeof envelope_cases / sizeof envelope_cases[0]; i++) {
		struct vspc_job job;
		char err[256] = "";
		enum vspc_error rc = decode_vm(
		    envelope_cases[i].body, strlen(envelope_cases[i].body), &job, err, sizeof err);

		tap_ok(rc == envelope_cases[i].err &&
			   strstr(err, envelope_cases[i].mention) != NULL,
		       "envelope case %zu: '%s'", i, err);
	}
}

/* One field in an otherwise empty data object, and the state it decodes to. */
static const struct {
	const char *data;
	enum vspc_field_state state;
	const char *problem;
} count_cases[] = {
	{ "{\"protectedVmCount\": 0}", VSPC_FIELD_VALUE, "" },
	{ "{\"protectedVmCount\": 2147483647}", VSPC_FIELD_VALUE, "" },
	{ "{}", VSPC_FIELD_ABSENT, "" },
	{ "{\"protectedVmCount\": null}", VSPC_FIELD_NULL, "" },
	{ "{\"protectedVmCount\": \"5\"}", VSPC_FIELD_INVALID, "is string, expected an integer" },
	{ "{\"protectedVmCount\": true}", VSPC_FIELD_INVALID, "is boolean, expected an integer" },
	{ "{\"protectedVmCount\": -1}", VSPC_FIELD_INVALID, "negative" },
	{ "{\"protectedVmCount\": 5.5}", VSPC_FIELD_INVALID, "5.5, not a 32-bit whole number" },
	{ "{\"protectedVmCount\": 5.0}", VSPC_FIELD_INVALID, "not a 32-bit whole number" },
	{ "{\"protectedVmCount\": 2147483648}", VSPC_FIELD_INVALID, "not a 32-bit whole number" },
	{ "{\"protectedVmCount\": 99999999999999999999}", VSPC_FIELD_INVALID, "not a 32-bit" },
	{ "{\"protectedVmCount\": 1e999}", VSPC_FIELD_INVALID, "not a 32-bit" },
	{ "{\"protectedVmCount\": 1, \"protectedVmCount\": 9}", VSPC_FIELD_INVALID,
	  "more than once" },
};

static void test_count_field(void)
{
	for (size_t i = 0; i < sizeof count_cases / sizeof count_cases[0]; i++) {
		char body[256];
		struct vspc_job job;
		char err[256] = "";

		snprintf(body, sizeof body, "{\"data\": %s}", count_cases[i].data);
		decode_vm(body, strlen(body), &job, err, sizeof err);
		tap_ok(job.vm.protected_vm_count.f.state == count_cases[i].state &&
			   strstr(job.vm.protected_vm_count.f.problem, count_cases[i].problem) !=
			       NULL,
		       "protectedVmCount in %s: '%s'", count_cases[i].data,
		       job.vm.protected_vm_count.f.problem);
	}
}

static const struct {
	const char *data;
	enum vspc_field_state state;
} uid_cases[] = {
	{ "{\"sourceWanAcceleratorUid\": \"11111111-2222-3333-4444-555555555555\"}",
	  VSPC_FIELD_VALUE },
	{ "{\"sourceWanAcceleratorUid\": null}", VSPC_FIELD_NULL },
	{ "{\"sourceWanAcceleratorUid\": \"not-a-uuid\"}", VSPC_FIELD_INVALID },
	{ "{\"sourceWanAcceleratorUid\": 12}", VSPC_FIELD_INVALID },
	{ "{\"sourceWanAcceleratorUid\": \"11111111-2222-3333-4444-555555555555\\u0000\"}",
	  VSPC_FIELD_INVALID },
	{ "{\"sourceWanAcceleratorUid\": \"11111111-2222-3333-4444-55555555555\"}",
	  VSPC_FIELD_INVALID },
	{ "{\"sourceWanAcceleratorUid\": \"{1111111-2222-3333-4444-555555555555}\"}",
	  VSPC_FIELD_INVALID },
	{ "{\"throughWanAccelerators\": \"true\", \"sourceWanAcceleratorUid\": null}",
	  VSPC_FIELD_NULL },
};

static void test_uid_field(void)
{
	for (size_t i = 0; i < sizeof uid_cases / sizeof uid_cases[0]; i++) {
		char body[256];
		struct vspc_job job;
		char err[256] = "";

		snprintf(body, sizeof body, "{\"data\": %s}", uid_cases[i].data);
		decode_vm(body, strlen(body), &job, err, sizeof err);
		tap_ok(job.vm.source_wan_uid.f.state == uid_cases[i].state,
		       "sourceWanAcceleratorUid in %s", uid_cases[i].data);
	}
	{
		const char body[] = "{\"data\": {\"throughWanAccelerators\": \"true\"}}";
		struct vspc_job job;
		char err[64];

		decode_vm(body, strlen(body), &job, err, sizeof err);
		tap_ok(job.vm.through_wan.f.state == VSPC_FIELD_INVALID &&
			   strstr(job.vm.through_wan.f.problem, "string") != NULL,
		       "a boolean sent as a string is invalid");
	}
}

static void test_errors(void)
{
	static const char throttled[] =
	    "{\"errors\": [{\"message\": \"Too many requests.\", \"type\": \"retryableLogical\","
	    " \"code\": 429, \"retryAfter\": 2}]}";
	static const char two[] = "{\"errors\": [{\"message\": \"one\"}, {\"message\": \"two\"}]}";
	struct vspc_error_info info;

	vspc_decode_errors(throttled, strlen(throttled), &info);
	tap_str_eq(info.message, "Too many requests.", "error message is read");
	tap_ok(info.retry_after == 2, "retryAfter in an errors item is read");
	vspc_decode_errors(two, strlen(two), &info);
	tap_str_eq(info.message, "one / two", "several messages are joined");
	tap_ok(info.retry_after < 0, "no retryAfter reads as none");
	vspc_decode_errors("<html>", 6, &info);
	tap_str_eq(info.message, "", "a body that is not JSON has no message");
}

/* The envelopes besides VSPC's own: ASP.NET's version refusal, OAuth2. */
static void test_other_envelopes(void)
{
	static const char refused[] =
	    "{\"error\":{\"code\":\"UnsupportedApiVersion\",\"message\":\"The HTTP resource "
	    "that matches the request URI 'https://h/api/v3/x' does not support the API version "
	    "'3.6'.\",\"innerError\":null}}";
	static const char inner[] = "{\"error\":{\"code\":\"BadThing\",\"message\":\"outer\","
				    "\"innerError\":{\"message\":\"inner\\r\\ndetail\"}}}";
	static const char oauth[] =
	    "{\"error\":\"invalid_grant\",\"error_description\":\"Wrong user name or password.\"}";
	static const char code_only[] = "{\"error\":{\"code\":\"Nope\"}}";
	static const char in_errors[] =
	    "{\"errors\":[{\"message\":\"no such version\",\"code\":\"UnsupportedApiVersion\"}]}";
	static const char numeric[] = "{\"errors\":[{\"message\":\"m\",\"code\":404}]}";
	struct vspc_error_info info;

	vspc_decode_errors(refused, strlen(refused), &info);
	tap_ok(info.unsupported_version && strcmp(info.code, "UnsupportedApiVersion") == 0,
	       "ASP.NET's UnsupportedApiVersion is recognised");
	tap_ok(strstr(info.message, "does not support the API version '3.6'. "
				    "(UnsupportedApiVersion)") != NULL,
	       "its message carries the code (%s)", info.message);
	vspc_decode_errors(inner, strlen(inner), &info);
	tap_str_eq(info.message, "outer (BadThing) / inner detail",
		   "innerError's message follows, line breaks as spaces");
	tap_ok(!info.unsupported_version, "another code is no version refusal");
	vspc_decode_errors(oauth, strlen(oauth), &info);
	tap_str_eq(info.message, "Wrong user name or password. (invalid_grant)",
		   "an OAuth2Error reads as description (error)");
	vspc_decode_errors(code_only, strlen(code_only), &info);
	tap_str_eq(info.message, "Nope", "a code without a message is the message");
	vspc_decode_errors(in_errors, strlen(in_errors), &info);
	tap_ok(info.unsupported_version, "UnsupportedApiVersion inside errors[] counts too");
	vspc_decode_errors(numeric, strlen(numeric), &info);
	tap_ok(strcmp(info.message, "m") == 0 && info.code[0] == '\0' && !info.unsupported_version,
	       "a numeric errors[] code is not shown as a code");
	vspc_decode_errors("{\"error\": 7}", 12, &info);
	tap_str_eq(info.message, "", "an error member of another type says nothing");
}

static void test_times(void)
{
	static const struct {
		const char *text;
		enum vspc_field_state state;
		bool no_offset, placeholder;
		int64_t epoch;
	} cases[] = {
		{ "2024-07-17T21:37:51.8-04:00", VSPC_FIELD_VALUE, false, false, 1721266671 },
		{ "2024-07-18T01:37:51", VSPC_FIELD_VALUE, true, false, 1721266671 },
		{ "2024-07-18T01:37:51.1234567", VSPC_FIELD_VALUE, true, false, 1721266671 },
		{ "0001-01-01T00:00:00", VSPC_FIELD_NULL, true, true, 0 },
		{ "0001-01-01T00:00:00+00:00", VSPC_FIELD_NULL, false, true, 0 },
		{ "1900-01-01T00:00:00Z", VSPC_FIELD_NULL, false, true, 0 },
		{ "1969-12-31T23:59:59Z", VSPC_FIELD_NULL, false, true, 0 },
		{ "1970-01-01T00:00:00Z", VSPC_FIELD_VALUE, false, false, 0 },
		{ "2024-07-18 01:37:51", VSPC_FIELD_INVALID, false, false, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char body[256];
		struct vspc_job_session js;
		char err[200] = "";
		bool ok;

		snprintf(body, sizeof body, "{\"data\": {\"lastEndTime\": \"%s\"}}", cases[i].text);
		ok = vspc_decode_job_session(body, strlen(body), &js, err, sizeof err) == VSPC_OK &&
		     js.last_end_time.f.state == cases[i].state &&
		     js.last_end_time.no_offset == cases[i].no_offset &&
		     js.last_end_time.placeholder == cases[i].placeholder &&
		     (cases[i].state != VSPC_FIELD_VALUE ||
		      js.last_end_time.epoch == cases[i].epoch);
		tap_ok(ok, "lastEndTime %s decodes as state %d%s%s", cases[i].text, cases[i].state,
		       cases[i].no_offset ? ", no offset" : "",
		       cases[i].placeholder ? ", placeholder" : "");
	}
}

static void test_urls(void)
{
	char url[256];
	char small[20];

	tap_ok(vspc_kind_job_url(url, sizeof url,
				 &(struct vspc_server){ "vspc.example.com", 1280, false },
				 "replicationVmJobs", SEED) &&
		   strcmp(url,
			  "https://vspc.example.com:1280/api/v3/infrastructure/backupServers/jobs/"
			  "replicationVmJobs/" SEED) == 0,
	       "URL for a host name");
	tap_ok(vspc_kind_job_url(url, sizeof url, &(struct vspc_server){ "::1", 8443, false },
				 "replicationVmJobs", SEED) &&
		   strncmp(url, "https://[::1]:8443/api/v3/", 26) == 0,
	       "IPv6 literal is bracketed");
	tap_ok(vspc_kind_job_url(url, sizeof url,
				 &(struct vspc_server){ "fe80::1%eth0", 1280, false },
				 "replicationVmJobs", SEED) &&
		   strncmp(url, "https://[fe80::1%25eth0]:1280/", 30) == 0,
	       "IPv6 zone is percent-encoded");
	tap_ok(vspc_job_url(url, sizeof url, &(struct vspc_server){ "h", 80, true }, SEED) &&
		   strncmp(url, "http://h:80/api/v3/", 19) == 0,
	       "--allow-http gives an http URL");
	tap_ok(!vspc_kind_job_url(small, sizeof small, &(struct vspc_server){ "h", 1, false },
				  "replicationVmJobs", SEED),
	       "a URL that does not fit is refused");
	tap_ok(vspc_uid_valid(SEED, 36) && !vspc_uid_valid(SEED, 35) &&
		   !vspc_uid_valid("bc04d2e5-dd4c-4f85-af0e-424106a32a7g", 36) &&
		   !vspc_uid_valid("bc04d2e5dd4c-4f85-af0e-424106a32a75-", 36),
	       "UUID validation");
}

static void test_session(void)
{
	static const char body[] =
	    "{\"data\": {\"instanceUid\": \"" SEED "\", \"name\": \"SQL \\\"to\\\" DR\","
	    " \"status\": \"Failed\", \"isEnabled\": true, \"lastRun\": \"2024-07-17T21:00:00-04:00\","
	    " \"lastEndTime\": \"2024-07-17T21:37:51.8-04:00\", \"lastDuration\": 2271,"
	    " \"transferredData\": 5368709120, \"failureMessage\": \"a\\r\\nb\","
	    " \"organizationUid\": \"11111111-2222-3333-4444-555555555555\","
	    " \"mappedOrganizationUid\": null, \"lastSessionTasks\": [{\"x\": 1}], \"schedule\": null}}";
	struct vspc_job_session js;
	char err[256] = "";

	tap_ok(vspc_decode_job_session(body, strlen(body), &js, err, sizeof err) == VSPC_OK,
	       "a BackupServerJob decodes (%s)", err);
	tap_str_eq(js.name.value, "SQL \"to\" DR", "name");
	tap_ok(js.status == VSPC_STATUS_FAILED && strcmp(js.status_text.value, "Failed") == 0,
	       "status");
	tap_ok(js.last_end_time.f.state == VSPC_FIELD_VALUE &&
		   js.last_end_time.epoch == 1721266671 &&
		   strcmp(js.last_end_time.text, "2024-07-17T21:37:51.8-04:00") == 0,
	       "lastEndTime with offset and one fraction digit");
	tap_ok(js.last_duration.value == 2271 && js.transferred_data.value == 5368709120LL,
	       "duration and 64-bit transferred bytes");
	tap_ok(js.failure_message.len == 4 && js.is_enabled.value &&
		   js.mapped_organization_uid.f.state == VSPC_FIELD_NULL,
	       "failure message, isEnabled, null mapped organization");
}

static const struct {
	const char *field;
	const char *status;
	enum vspc_status st;
} statuses[] = {
	{ "\"status\": \"None\"", "None", VSPC_STATUS_NONE },
	{ "\"status\": \"WaitingRepository\"", "WaitingRepository",
	  VSPC_STATUS_WAITING_REPOSITORY },
	{ "\"status\": \"Paused\"", "Paused", VSPC_STATUS_OTHER },
	{ "\"status\": \"success\"", "success", VSPC_STATUS_OTHER },
};

static void test_session_fields(void)
{
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		char body[128];
		struct vspc_job_session js;
		char err[64];

		snprintf(body, sizeof body, "{\"data\": {%s}}", statuses[i].field);
		vspc_decode_job_session(body, strlen(body), &js, err, sizeof err);
		tap_ok(js.status == statuses[i].st &&
			   strcmp(js.status_text.value, statuses[i].status) == 0,
		       "status %s decodes as %s", statuses[i].status,
		       vspc_status_name(statuses[i].st));
	}
	{
		static const char bad[] =
		    "{\"data\": {\"status\": 3, \"lastEndTime\": \"yesterday\","
		    " \"isEnabled\": \"true\", \"lastDuration\": -1, \"name\": 5}}";
		struct vspc_job_session js;
		char err[64];

		vspc_decode_job_session(bad, strlen(bad), &js, err, sizeof err);
		tap_ok(js.status_text.f.state == VSPC_FIELD_INVALID &&
			   js.last_end_time.f.state == VSPC_FIELD_INVALID &&
			   js.is_enabled.f.state == VSPC_FIELD_INVALID &&
			   js.last_duration.f.state == VSPC_FIELD_INVALID &&
			   js.name.f.state == VSPC_FIELD_INVALID,
		       "wrong types and shapes are invalid, each on its own");
	}
	{
		char body[600];
		struct vspc_job_session js;
		char err[64];
		char name[400];

		/* a 300-character name of two-byte characters is cut whole */
		for (int i = 0; i < 150; i++)
			memcpy(name + 2 * i, "\xc3\xa9", 2);
		name[300] = '\0';
		snprintf(body, sizeof body, "{\"data\": {\"name\": \"%s\"}}", name);
		vspc_decode_job_session(body, strlen(body), &js, err, sizeof err);
		tap_ok(js.name.f.state == VSPC_FIELD_VALUE && js.name.len == 254 &&
			   js.name.len < VSPC_NAME_MAX,
		       "a long name is cut at a character boundary (%zu bytes)", js.name.len);
	}
}

static void test_collection(void)
{
	static const char rest_text[] =
	    "{\"data\": [], \"meta\": {\"pagingInfo\": {\"total\": 1200, \"count\": 500, \"offset\": 500}}}";
	struct json_doc *doc = NULL;
	struct vspc_paging paging;
	char err[200] = "";

	json_parse(rest_text, strlen(rest_text), &doc, err, sizeof err);
	tap_ok(vspc_decode_page_rest(doc, &paging, err, sizeof err) == VSPC_OK && paging.present &&
		   paging.total == 1200 && paging.count == 500 && paging.offset == 500,
	       "pagingInfo is read");
	json_free(doc);
	json_parse("{\"data\": [], \"meta\": null}", 26, &doc, err, sizeof err);
	tap_ok(vspc_decode_page_rest(doc, &paging, err, sizeof err) == VSPC_OK && !paging.present,
	       "meta null means no paging information");
	json_free(doc);
	json_parse("{\"data\": {}}", 12, &doc, err, sizeof err);
	tap_ok(vspc_decode_page_rest(doc, &paging, err, sizeof err) == VSPC_ERR_ENVELOPE &&
		   strstr(err, "expected an array") != NULL,
	       "data must be an array (%s)", err);
	json_free(doc);
	json_parse("{\"meta\": null}", 14, &doc, err, sizeof err);
	tap_ok(vspc_decode_page_rest(doc, &paging, err, sizeof err) == VSPC_ERR_ENVELOPE,
	       "a page without data is refused (%s)", err);
	json_free(doc);
	json_parse(
	    "{\"data\": [], \"meta\": {\"pagingInfo\": {\"total\": \"9\", \"count\": 0, \"offset\": 0}}}",
	    77, &doc, err, sizeof err);
	tap_ok(vspc_decode_page_rest(doc, &paging, err, sizeof err) == VSPC_ERR_ENVELOPE,
	       "pagingInfo with a string total is refused (%s)", err);
	json_free(doc);
	{
		static const struct {
			const char *text;
			bool ok, has_count, has_offset;
			int64_t offset;
		} pages[] = {
			{ "{\"total\": 7}", true, false, false, 0 },
			{ "{\"total\": 7, \"count\": 2, \"skip\": 5}", true, true, true, 5 },
			{ "{\"total\": 7, \"offset\": 4, \"skip\": 5}", true, false, true, 4 },
			{ "{\"total\": 7, \"count\": \"x\", \"offset\": null}", true, false, false,
			  0 },
			{ "{\"count\": 2, \"offset\": 0}", false, false, false, 0 },
			{ "{\"total\": -1}", false, false, false, 0 },
		};

		for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
			char text[160];
			bool ok;

			snprintf(text, sizeof text,
				 "{\"data\": [], \"meta\": {\"pagingInfo\": %s}}", pages[i].text);
			json_parse(text, strlen(text), &doc, err, sizeof err);
			ok = vspc_decode_page_rest(doc, &paging, err, sizeof err) == VSPC_OK;
			tap_ok(ok == pages[i].ok &&
				   (!ok ||
				    (paging.total == 7 && paging.has_count == pages[i].has_count &&
				     paging.has_offset == pages[i].has_offset &&
				     paging.offset == pages[i].offset)),
			       "pagingInfo %s is %s", pages[i].text,
			       pages[i].ok ? "read" : "refused");
			json_free(doc);
		}
	}
}

static void test_more_urls(void)
{
	char url[512];

	tap_ok(vspc_job_url(url, sizeof url, &(struct vspc_server){ "h", 1280, false }, SEED) &&
		   strcmp(url, "https://h:1280/api/v3/infrastructure/backupServers/jobs/" SEED) ==
		       0,
	       "job URL");
	tap_ok(vspc_collection_url(url, sizeof url, &(struct vspc_server){ "h", 1280, false },
				   "replicationVmJobs", NULL, 500, 1000, NULL) &&
		   strcmp(url,
			  "https://h:1280/api/v3/infrastructure/backupServers/jobs/"
			  "replicationVmJobs?expand=BackupServerJob&sort=%5B%7B%22property%22%3A"
			  "%22instanceUid%22%2C%22direction%22%3A%22ascending%22%7D%5D&limit=500"
			  "&offset=1000") == 0,
	       "collection URL: expanded, sorted on instanceUid (%s)", url);
	tap_ok(vspc_collection_url(url, sizeof url, &(struct vspc_server){ "h", 1280, false },
				   "cdpReplicationJobs", SEED, 500, 0, NULL) &&
		   strstr(url, "/backupServers/" SEED "/jobs/cdpReplicationJobs?expand=") != NULL,
	       "collection URL of one backup server");
	tap_ok(vspc_collection_url(url, sizeof url, &(struct vspc_server){ "h", 1280, false },
				   "cdpReplicationJobs", NULL, 1, 0, SEED) &&
		   strstr(url,
			  "&limit=1&offset=0&filter=%5B%7B%22property%22%3A%22instanceUid%22%2C"
			  "%22operation%22%3A%22equals%22%2C%22value%22%3A%22" SEED
			  "%22%7D%5D") != NULL,
	       "collection URL filtered on one UID (%s)", url);
}

int main(void)
{
	test_seed();
	test_envelopes();
	test_count_field();
	test_uid_field();
	test_errors();
	test_other_envelopes();
	test_times();
	test_urls();
	test_session();
	test_session_fields();
	test_collection();
	test_more_urls();
	return tap_done();
}
