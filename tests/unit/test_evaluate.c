/* evaluate_job(): states and messages for thresholds, expectations and
 * unusable fields, table-driven over a policy and a job built in memory. */
#include "autoconfig.h"

#include "evaluate.h"
#include "tap.h"

#define SEED  "bc04d2e5-dd4c-4f85-af0e-424106a32a75"
#define WAN_A "11111111-2222-3333-4444-555555555555"
#define WAN_B "66666666-7777-8888-9999-000000000000"
#define HOST  "6d2c4b1a-1111-4c2d-9e3f-0a1b2c3d4e5f"
#define ZERO  "00000000-0000-0000-0000-000000000000"

static void set_uid(struct vspc_uid *u, const char *value)
{
	memset(u, 0, sizeof *u);
	if (value == NULL) {
		u->f.state = VSPC_FIELD_NULL;
		return;
	}
	u->f.state = VSPC_FIELD_VALUE;
	snprintf(u->value, sizeof u->value, "%s", value);
}

/* the UID the tests ask for (-j) */
static const char *const asked = SEED;

static struct vspc_job seed_job(void)
{
	struct vspc_job j;

	memset(&j, 0, sizeof j);
	j.kind = VSPC_KIND_VM;
	set_uid(&j.ids.instance_uid, SEED);
	j.vm.protected_vm_count.f.state = VSPC_FIELD_VALUE;
	j.vm.protected_vm_count.value = 5;
	j.vm.is_cloud_job.f.state = VSPC_FIELD_VALUE;
	j.vm.through_wan.f.state = VSPC_FIELD_VALUE;
	set_uid(&j.vm.cloud_host_uid, NULL);
	set_uid(&j.vm.target_host_uid, HOST);
	set_uid(&j.vm.source_wan_uid, WAN_A);
	set_uid(&j.vm.target_wan_uid, WAN_B);
	return j;
}

static struct check_policy base_policy(void)
{
	struct check_policy p;

	memset(&p, 0, sizeof p);
	p.mismatch_state = STATE_WARNING;
	return p;
}

static void set_range(struct threshold *t, const char *text)
{
	t->set = range_parse(text, &t->range) == RANGE_OK;
	t->text = text;
}

static void expect_uid(struct expect_uid *e, const char *uid)
{
	e->set = true;
	e->none = uid == NULL;
	if (uid)
		snprintf(e->uid, sizeof e->uid, "%s", uid);
}

/* Each case adjusts the seed policy/job and names the state and the words
 * the summary must contain. */
struct eval_case {
	const char *name;
	void (*adjust)(struct check_policy *p, struct vspc_job *j);
	enum state state;
	const char *mention;
	const char *perf;
};

static void no_change(struct check_policy *p, struct vspc_job *j)
{
	(void)p;
	(void)j;
}
static void crit_10(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	set_range(&p->vm.critical, "10:");
}
static void warn_10_crit_5(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	set_range(&p->vm.warning, "10:");
	set_range(&p->vm.critical, "5:");
}
static void crit_inside(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	set_range(&p->vm.critical, "@5:5");
}
static void both_alert(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	set_range(&p->vm.warning, "~:4");
	set_range(&p->vm.critical, "~:4");
}
static void wan_yes(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	p->vm.wan = EXPECT_TRUE;
}
static void wan_no(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	p->vm.wan = EXPECT_FALSE;
}
static void wan_yes_critical(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	p->vm.wan = EXPECT_TRUE;
	p->mismatch_state = STATE_CRITICAL;
}
static void source_none(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	expect_uid(&p->vm.source_wan, NULL);
}
static void source_match(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	expect_uid(&p->vm.source_wan, WAN_A);
}
static void cloud_host_none(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	expect_uid(&p->vm.cloud_host, NULL);
}
static void cloud_host_set(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	expect_uid(&p->vm.cloud_host, HOST);
}
static void cloud_job(struct check_policy *p, struct vspc_job *j)
{
	p->vm.cloud = EXPECT_TRUE;
	expect_uid(&p->vm.target_host, ZERO);
	expect_uid(&p->vm.cloud_host, WAN_B);
	j->vm.is_cloud_job.value = true;
	set_uid(&j->vm.target_host_uid, ZERO);
	set_uid(&j->vm.cloud_host_uid, WAN_B);
}
static void threshold_and_mismatch(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	set_range(&p->vm.critical, "6:");
	p->vm.wan = EXPECT_TRUE;
}
static void two_mismatches(struct check_policy *p, struct vspc_job *j)
{
	(void)j;
	p->vm.cloud = EXPECT_TRUE;
	expect_uid(&p->vm.target_wan, WAN_A);
}
static void count_missing(struct check_policy *p, struct vspc_job *j)
{
	(void)p;
	j->vm.protected_vm_count.f.state = VSPC_FIELD_ABSENT;
}
static void count_null(struct check_policy *p, struct vspc_job *j)
{
	(void)p;
	j->vm.protected_vm_count.f.state = VSPC_FIELD_NULL;
}
static void count_invalid(struct check_policy *p, struct vspc_job *j)
{
	(void)p;
	j->vm.protected_vm_count.f.state = VSPC_FIELD_INVALID;
	snprintf(j->vm.protected_vm_count.f.problem, sizeof j->vm.protected_vm_count.f.problem,
		 "is string, expected an integer");
}
static void wan_missing(struct check_policy *p, struct vspc_job *j)
{
	p->vm.wan = EXPECT_TRUE;
	j->vm.through_wan.f.state = VSPC_FIELD_ABSENT;
}
static void unchecked_field_invalid(struct check_policy *p, struct vspc_job *j)
{
	(void)p;
	j->vm.through_wan.f.state = VSPC_FIELD_INVALID;
}
static void target_host_null(struct check_policy *p, struct vspc_job *j)
{
	expect_uid(&p->vm.target_host, HOST);
	set_uid(&j->vm.target_host_uid, NULL);
}
static void source_wan_missing(struct check_policy *p, struct vspc_job *j)
{
	expect_uid(&p->vm.source_wan, NULL);
	j->vm.source_wan_uid.f.state = VSPC_FIELD_ABSENT;
}
static void other_job(struct check_policy *p, struct vspc_job *j)
{
	(void)p;
	set_uid(&j->ids.instance_uid, WAN_A);
}
static void unique_uid_matches(struct check_policy *p, struct vspc_job *j)
{
	(void)p;
	set_uid(&j->ids.instance_uid, WAN_A);
	set_uid(&j->ids.unique_uid, SEED);
}
static void original_uid_matches(struct check_policy *p, struct vspc_job *j)
{
	(void)p;
	set_uid(&j->ids.instance_uid, WAN_A);
	set_uid(&j->ids.original_uid, SEED);
}
static void zero_vms(struct check_policy *p, struct vspc_job *j)
{
	set_range(&p->vm.critical, "1:");
	j->vm.protected_vm_count.value = 0;
}
static void one_vm(struct check_policy *p, struct vspc_job *j)
{
	(void)p;
	j->vm.protected_vm_count.value = 1;
}

static const struct eval_case cases[] = {
	{ "seed job, no policy", no_change, STATE_OK, "job " SEED " protects 5 VMs",
	  "protected_vms=5;;;0;" },
	{ "one VM is singular", one_vm, STATE_OK, "protects 1 VM", "protected_vms=1;;;0;" },
	{ "below critical 10:", crit_10, STATE_CRITICAL,
	  "protectedVmCount 5 is outside the critical range 10:", "protected_vms=5;;10:;0;" },
	{ "warning 10:, critical 5:", warn_10_crit_5, STATE_WARNING,
	  "outside the warning range 10:", "protected_vms=5;10:;5:;0;" },
	{ "inside @5:5", crit_inside, STATE_CRITICAL, "inside the critical range @5:5",
	  "protected_vms=5;;@5:5;0;" },
	{ "critical wins over warning", both_alert, STATE_CRITICAL, "critical range ~:4",
	  "protected_vms=5;~:4;~:4;0;" },
	{ "zero VMs with critical 1:", zero_vms, STATE_CRITICAL, "protectedVmCount 0 is outside",
	  "protected_vms=0;;1:;0;" },
	{ "WAN expected on", wan_yes, STATE_WARNING,
	  "throughWanAccelerators expected true, got false", NULL },
	{ "WAN expected off", wan_no, STATE_OK, "protects 5 VMs", NULL },
	{ "mismatch state critical", wan_yes_critical, STATE_CRITICAL,
	  "throughWanAccelerators expected true, got false", NULL },
	{ "source WAN expected none", source_none, STATE_WARNING,
	  "sourceWanAcceleratorUid expected none, got " WAN_A, NULL },
	{ "source WAN matches", source_match, STATE_OK, "protects 5 VMs", NULL },
	{ "cloud host none matches null", cloud_host_none, STATE_OK, "protects 5 VMs", NULL },
	{ "cloud host expected, got null", cloud_host_set, STATE_WARNING,
	  "cloudHostUid expected " HOST ", got none", NULL },
	{ "cloud job matches", cloud_job, STATE_OK, "protects 5 VMs", NULL },
	{ "threshold critical, mismatch warning", threshold_and_mismatch, STATE_CRITICAL,
	  "outside the critical range 6:, throughWanAccelerators expected true", NULL },
	{ "two mismatches both named", two_mismatches, STATE_WARNING,
	  "isCloudJob expected true, got false, targetWanAcceleratorUid expected " WAN_A
	  ", got " WAN_B,
	  NULL },
	{ "count missing", count_missing, STATE_UNKNOWN, "protectedVmCount is missing", "" },
	{ "count null", count_null, STATE_UNKNOWN, "protectedVmCount is null", "" },
	{ "count invalid", count_invalid, STATE_UNKNOWN,
	  "protectedVmCount is string, expected an integer", "" },
	{ "checked boolean missing", wan_missing, STATE_UNKNOWN,
	  "throughWanAccelerators is missing", "" },
	{ "unchecked invalid field ignored", unchecked_field_invalid, STATE_OK, "protects 5 VMs",
	  NULL },
	{ "non-nullable UID null", target_host_null, STATE_UNKNOWN, "targetHostUid is null", "" },
	{ "nullable UID missing", source_wan_missing, STATE_UNKNOWN,
	  "sourceWanAcceleratorUid is missing", "" },
	{ "answer for another job", other_job, STATE_UNKNOWN, "answer describes job " WAN_A, "" },
	{ "uniqueUid may match", unique_uid_matches, STATE_OK, "protects 5 VMs", NULL },
	{ "originalUid may match (API 3.5)", original_uid_matches, STATE_OK, "protects 5 VMs",
	  NULL },
};

/* With the job's session (BackupServerJob). NOW is the evaluation time. */
#define NOW 1800000000LL

static struct vspc_job_session seed_session(void)
{
	struct vspc_job_session js;

	memset(&js, 0, sizeof js);
	set_uid(&js.instance_uid, SEED);
	js.name.f.state = VSPC_FIELD_VALUE;
	js.name.len = (size_t)snprintf(js.name.value, sizeof js.name.value, "SQL to DR");
	js.status_text.f.state = VSPC_FIELD_VALUE;
	js.status_text.len =
	    (size_t)snprintf(js.status_text.value, sizeof js.status_text.value, "Success");
	js.status = VSPC_STATUS_SUCCESS;
	js.is_enabled.f.state = VSPC_FIELD_VALUE;
	js.is_enabled.value = true;
	js.last_end_time.f.state = VSPC_FIELD_VALUE;
	js.last_end_time.epoch = NOW - 3 * 3600;
	js.last_duration.f.state = VSPC_FIELD_VALUE;
	js.last_duration.value = 754;
	js.transferred_data.f.state = VSPC_FIELD_VALUE;
	js.transferred_data.value = 123456789;
	return js;
}

static void set_status(struct vspc_job_session *js, const char *text, enum vspc_status st)
{
	js->status_text.len =
	    (size_t)snprintf(js->status_text.value, sizeof js->status_text.value, "%s", text);
	js->status = st;
}

struct session_case {
	const char *name;
	const char *status;
	enum vspc_status st;
	int64_t end_age; /* -1: lastEndTime null */
	bool enabled;
	int64_t warn_age, crit_age; /* 0: unset */
	enum state never_run, disabled;
	enum state want;
	const char *mention;
};

static const struct session_case session_cases[] = {
	{ "success", "Success", VSPC_STATUS_SUCCESS, 3 * 3600, true, 0, 0, STATE_WARNING,
	  STATE_WARNING, STATE_OK,
	  "'SQL to DR' (" SEED ") last session Success 3h 0m ago, protects 5 VMs" },
	{ "warning", "Warning", VSPC_STATUS_WARNING, 60, true, 0, 0, STATE_WARNING, STATE_WARNING,
	  STATE_WARNING, "last session Warning 1m ago" },
	{ "failed", "Failed", VSPC_STATUS_FAILED, 3 * 3600, true, 0, 0, STATE_WARNING,
	  STATE_WARNING, STATE_CRITICAL, "last session Failed 3h 0m ago" },
	{ "never ran, default", "None", VSPC_STATUS_NONE, -1, true, 0, 0, STATE_WARNING,
	  STATE_WARNING, STATE_WARNING, "'SQL to DR' (" SEED ") never ran" },
	{ "never ran, critical", "None", VSPC_STATUS_NONE, -1, true, 0, 0, STATE_CRITICAL,
	  STATE_WARNING, STATE_CRITICAL, "never ran" },
	{ "never ran, ok", "None", VSPC_STATUS_NONE, -1, true, 3600, 0, STATE_OK, STATE_WARNING,
	  STATE_OK, "never ran" },
	{ "running first time, age set", "Running", VSPC_STATUS_RUNNING, -1, true, 3600, 0,
	  STATE_WARNING, STATE_WARNING, STATE_WARNING, "no session has ended yet" },
	{ "running", "Running", VSPC_STATUS_RUNNING, 50, true, 0, 0, STATE_WARNING, STATE_WARNING,
	  STATE_OK, "last session Running 50s ago" },
	{ "idle", "Idle", VSPC_STATUS_IDLE, 50, true, 0, 0, STATE_WARNING, STATE_WARNING, STATE_OK,
	  "Idle" },
	{ "waiting tape", "WaitingTape", VSPC_STATUS_WAITING_TAPE, 50, true, 0, 0, STATE_WARNING,
	  STATE_WARNING, STATE_OK, "WaitingTape" },
	{ "unknown status", "Unknown", VSPC_STATUS_UNKNOWN, 50, true, 0, 0, STATE_WARNING,
	  STATE_WARNING, STATE_UNKNOWN, "status as Unknown" },
	{ "future status", "Paused", VSPC_STATUS_OTHER, 50, true, 0, 0, STATE_WARNING,
	  STATE_WARNING, STATE_UNKNOWN, "status Paused is unknown" },
	{ "disabled", "Success", VSPC_STATUS_SUCCESS, 50, false, 0, 0, STATE_WARNING, STATE_WARNING,
	  STATE_WARNING, "job is disabled" },
	{ "disabled critical", "Success", VSPC_STATUS_SUCCESS, 50, false, 0, 0, STATE_WARNING,
	  STATE_CRITICAL, STATE_CRITICAL, "job is disabled" },
	{ "disabled ok", "Success", VSPC_STATUS_SUCCESS, 50, false, 0, 0, STATE_WARNING, STATE_OK,
	  STATE_OK, "job is disabled" },
	{ "age at warning", "Success", VSPC_STATUS_SUCCESS, 93600, true, 93600, 0, STATE_WARNING,
	  STATE_WARNING, STATE_OK, "last session Success 1d 2h ago" },
	{ "age warning + 1", "Success", VSPC_STATUS_SUCCESS, 93601, true, 93600, 0, STATE_WARNING,
	  STATE_WARNING, STATE_WARNING, "beyond the warning age 26h" },
	{ "age warning - 1", "Success", VSPC_STATUS_SUCCESS, 93599, true, 93600, 0, STATE_WARNING,
	  STATE_WARNING, STATE_OK, "Success" },
	{ "age at critical", "Success", VSPC_STATUS_SUCCESS, 172800, true, 93600, 172800,
	  STATE_WARNING, STATE_WARNING, STATE_WARNING, "beyond the warning age" },
	{ "age critical + 1", "Success", VSPC_STATUS_SUCCESS, 172801, true, 93600, 172800,
	  STATE_WARNING, STATE_WARNING, STATE_CRITICAL, "beyond the critical age 2d" },
	{ "failed and old", "Failed", VSPC_STATUS_FAILED, 172801, true, 93600, 172800,
	  STATE_WARNING, STATE_WARNING, STATE_CRITICAL, "Failed" },
	{ "end time in the future", "Success", VSPC_STATUS_SUCCESS, -30, true, 60, 0, STATE_WARNING,
	  STATE_WARNING, STATE_OK, "Success 0s ago" },
};

static void test_sessions(void)
{
	for (size_t i = 0; i < sizeof session_cases / sizeof session_cases[0]; i++) {
		const struct session_case *c = &session_cases[i];
		struct check_policy p = base_policy();
		struct vspc_job j = seed_job();
		struct vspc_job_session js = seed_session();
		struct result res;

		set_status(&js, c->status, c->st);
		js.is_enabled.value = c->enabled;
		if (c->end_age == -1)
			js.last_end_time.f.state = VSPC_FIELD_NULL;
		else
			js.last_end_time.epoch = NOW - c->end_age;
		p.session.max_age_warning.seconds = c->warn_age;
		p.session.max_age_warning.text = c->warn_age == 93600 ? "26h" : "1h";
		p.session.max_age_critical.seconds = c->crit_age;
		p.session.max_age_critical.text = "2d";
		p.session.never_run_state = c->never_run;
		p.session.disabled_state = c->disabled;
		result_init(&res, 1);
		evaluate_job(&p, asked, &j, &js, NOW, &res);
		tap_ok(res.state == c->want, "session %s: state %s (got %s: '%s')", c->name,
		       state_name(c->want), state_name(res.state), buf_str(&res.summary));
		tap_ok(strstr(buf_str(&res.summary), c->mention) != NULL,
		       "session %s: mentions '%s'", c->name, c->mention);
		result_free(&res);
	}
}

static void test_session_output(void)
{
	struct check_policy p = base_policy();
	struct vspc_job j = seed_job();
	struct vspc_job_session js = seed_session();
	struct result res;

	p.session.max_age_warning.seconds = 93600;
	p.session.max_age_warning.text = "26h";
	set_status(&js, "Failed", VSPC_STATUS_FAILED);
	js.failure_message.f.state = VSPC_FIELD_VALUE;
	js.failure_message.len =
	    (size_t)snprintf(js.failure_message.value, sizeof js.failure_message.value,
			     "Error: disk full\r\nProcessing vm01 failed\r\n");
	result_init(&res, 0);
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_str_eq(
	    buf_str(&res.perfdata),
	    "protected_vms=5;;;0; last_run_age=10800s;93600;;0; last_duration=754s;;;0; transferred=123456789B;;;0;",
	    "session perfdata: age with its thresholds in seconds, duration, bytes");
	tap_str_eq(buf_str(&res.long_output), "Error: disk full\nProcessing vm01 failed\n",
		   "failureMessage lines become long-output lines, even without -v");
	result_free(&res);

	js = seed_session();
	js.last_end_time.f.state = VSPC_FIELD_NULL;
	js.last_duration.f.state = VSPC_FIELD_NULL;
	js.transferred_data.f.state = VSPC_FIELD_ABSENT;
	result_init(&res, 0);
	p = base_policy();
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_str_eq(buf_str(&res.perfdata), "protected_vms=5;;;0;",
		   "unknown session values give no perfdata");
	result_free(&res);

	js = seed_session();
	js.last_end_time.f.state = VSPC_FIELD_INVALID;
	snprintf(js.last_end_time.f.problem, sizeof js.last_end_time.f.problem,
		 "is not an RFC 3339 date-time with offset");
	p.session.max_age_warning.seconds = 93600;
	result_init(&res, 0);
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_ok(res.state == STATE_UNKNOWN &&
		   strstr(buf_str(&res.summary), "lastEndTime is not an RFC 3339") != NULL,
	       "a bad lastEndTime is UNKNOWN when ages are checked ('%s')", buf_str(&res.summary));
	result_free(&res);
	result_init(&res, 0);
	p = base_policy();
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_ok(res.state == STATE_UNKNOWN && strstr(buf_str(&res.summary), "lastEndTime"),
	       "and also when they are not: the age is shown");
	result_free(&res);

	js = seed_session();
	js.status_text.f.state = VSPC_FIELD_ABSENT;
	result_init(&res, 0);
	p = base_policy();
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_ok(res.state == STATE_UNKNOWN &&
		   strstr(buf_str(&res.summary), "status is missing") != NULL,
	       "a missing status is UNKNOWN");
	result_free(&res);

	js = seed_session();
	set_uid(&js.instance_uid, WAN_A);
	result_init(&res, 0);
	p = base_policy();
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_ok(res.state == STATE_UNKNOWN &&
		   strstr(buf_str(&res.summary), "session answer describes job " WAN_A) != NULL,
	       "a session answer for another job is refused");
	result_free(&res);

	js = seed_session();
	js.instance_uid.f.state = VSPC_FIELD_INVALID;
	snprintf(js.instance_uid.f.problem, sizeof js.instance_uid.f.problem, "is not a UUID");
	result_init(&res, 0);
	p = base_policy();
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_ok(res.state == STATE_UNKNOWN &&
		   strstr(buf_str(&res.summary), "session answer's instanceUid is not a UUID") !=
		       NULL,
	       "a session answer whose instanceUid is not a UUID is UNKNOWN, as the job's own "
	       "answer is ('%s')",
	       buf_str(&res.summary));
	result_free(&res);

	js = seed_session();
	set_uid(&js.instance_uid, WAN_A); /* API 3.5: the VSPC UID */
	set_uid(&js.original_uid, SEED);  /* and the B&R UID asked for */
	result_init(&res, 0);
	p = base_policy();
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_ok(res.state == STATE_OK,
	       "a session answer naming the job in originalUid is its own "
	       "(API 3.5) ('%s')",
	       buf_str(&res.summary));
	result_free(&res);

	js = seed_session();
	js.last_end_time.f.state = VSPC_FIELD_NULL; /* 0001-01-01T00:00:00 */
	js.last_end_time.placeholder = true;
	snprintf(js.last_end_time.text, sizeof js.last_end_time.text, "0001-01-01T00:00:00");
	result_init(&res, 1);
	p = base_policy();
	p.session.max_age_critical.seconds = 3600;
	p.session.max_age_critical.text = "1h";
	p.session.never_run_state = STATE_WARNING;
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_ok(res.state == STATE_WARNING &&
		   strstr(buf_str(&res.summary), "no session has ended yet") != NULL &&
		   strstr(buf_str(&res.long_output), "0001-01-01T00:00:00 is a placeholder") !=
		       NULL &&
		   strstr(buf_str(&res.perfdata), "last_run_age") == NULL,
	       "a placeholder end time is no age: the never-run state, a note, no age perfdata "
	       "('%s')",
	       buf_str(&res.summary));
	result_free(&res);

	js = seed_session();
	js.last_end_time.no_offset = true;
	snprintf(js.last_end_time.text, sizeof js.last_end_time.text, "2024-07-18T01:37:51");
	result_init(&res, 1);
	p = base_policy();
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_ok(res.state == STATE_OK &&
		   strstr(buf_str(&res.long_output), "has no UTC offset: read as UTC") != NULL,
	       "an end time without offset is noted under -v");
	result_free(&res);

	js = seed_session();
	js.name.f.state = VSPC_FIELD_ABSENT;
	p = base_policy();
	result_init(&res, 0);
	/* a walk names jobs by their own UID, outside the summary */
	evaluate_job(&p, NULL, &j, &js, NOW, &res);
	tap_ok(strcmp(buf_str(&res.summary), "last session Success 3h 0m ago, protects 5 VMs") == 0,
	       "fleet mode leaves the job's name out of the summary ('%s')", buf_str(&res.summary));
	{
		char subject[128];

		evaluate_subject(subject, sizeof subject, asked, &j, &js);
		tap_str_eq(subject, "job " SEED, "without a name the job is named by its UID");
		js = seed_session();
		evaluate_subject(subject, sizeof subject, asked, &j, &js);
		tap_str_eq(subject, "'SQL to DR' (" SEED ")", "with a name, by name and UID");
	}
	result_free(&res);
	js = seed_session();
	js.transferred_data.value = 9007199254740993LL;
	p = base_policy();
	result_init(&res, 0);
	evaluate_job(&p, asked, &j, &js, NOW, &res);
	tap_ok(strstr(buf_str(&res.perfdata), "transferred=9007199254740993B;") != NULL,
	       "transferred bytes beyond 2^53 stay exact ('%s')", buf_str(&res.perfdata));
	result_free(&res);
}

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct eval_case *c = &cases[i];
		struct check_policy p = base_policy();
		struct vspc_job j = seed_job();
		struct result res;

		c->adjust(&p, &j);
		result_init(&res, 1);
		evaluate_job(&p, asked, &j, NULL, 0, &res);
		tap_ok(res.state == c->state, "%s: state %s (got %s)", c->name,
		       state_name(c->state), state_name(res.state));
		tap_ok(strstr(buf_str(&res.summary), c->mention) != NULL,
		       "%s: summary mentions '%s' ('%s')", c->name, c->mention,
		       buf_str(&res.summary));
		if (c->perf)
			tap_str_eq(buf_str(&res.perfdata), c->perf, c->name);
		result_free(&res);
	}
	test_sessions();
	test_session_output();
	return tap_done();
}
