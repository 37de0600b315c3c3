#include "autoconfig.h"

#include "evaluate.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct uid_check {
	const char *name;
	const struct expect_uid *expect;
	const struct vspc_uid *actual;
	bool nullable;
};

struct bool_check {
	const char *name;
	enum expect_bool expect;
	const struct vspc_bool *actual;
};

/* Appends "<name> <problem>" to @problems when a field we need cannot be
 * read; @nullable fields may be null. Returns true if the field is usable. */
static bool field_usable(const char *name, const struct vspc_field *f, bool nullable,
			 char *problems, size_t len)
{
	const char *why = NULL;
	size_t used = strlen(problems);

	switch (f->state) {
	case VSPC_FIELD_VALUE:
		return true;
	case VSPC_FIELD_NULL:
		if (nullable)
			return true;
		why = "is null";
		break;
	case VSPC_FIELD_ABSENT:
		why = "is missing";
		break;
	case VSPC_FIELD_INVALID:
		why = f->problem;
		break;
	}
	snprintf(problems + used, len - used, "%s%s %s", used ? ", " : "", name, why);
	return false;
}

static const char *uid_text(const struct vspc_uid *u)
{
	return u->f.state == VSPC_FIELD_VALUE ? u->value : "none";
}

static void check_uid(const struct uid_check *c, enum state mismatch, struct result *res)
{
	bool actual_none = c->actual->f.state == VSPC_FIELD_NULL;
	bool match = c->expect->none
			 ? actual_none
			 : !actual_none && strcmp(c->expect->uid, c->actual->value) == 0;
	const char *want = c->expect->none ? "none" : c->expect->uid;

	if (match) {
		result_line(res, 1, "[OK] %s is %s", c->name, want);
		return;
	}
	result_raise(res, mismatch);
	result_summary(res, "%s expected %s, got %s", c->name, want, uid_text(c->actual));
	result_line(res, 1, "[%s] %s expected %s, got %s", state_name(mismatch), c->name, want,
		    uid_text(c->actual));
}

static void check_bool(const struct bool_check *c, enum state mismatch, struct result *res)
{
	bool want = c->expect == EXPECT_TRUE;
	const char *want_text = want ? "true" : "false";

	if (c->actual->value == want) {
		result_line(res, 1, "[OK] %s is %s", c->name, want_text);
		return;
	}
	result_raise(res, mismatch);
	result_summary(res, "%s expected %s, got %s", c->name, want_text,
		       c->actual->value ? "true" : "false");
	result_line(res, 1, "[%s] %s expected %s, got %s", state_name(mismatch), c->name, want_text,
		    c->actual->value ? "true" : "false");
}

static void check_count(const struct check_policy *p, int32_t count, struct result *res)
{
	const struct threshold *levels[] = { &p->critical, &p->warning };
	const enum state states[] = { STATE_CRITICAL, STATE_WARNING };

	for (size_t i = 0; i < 2; i++) {
		const struct threshold *t = levels[i];

		if (!t->set || !range_alerts(&t->range, count))
			continue;
		result_raise(res, states[i]);
		result_summary(res, "protectedVmCount %d is %s the %s range %s", (int)count,
			       t->range.alert_inside ? "inside" : "outside",
			       states[i] == STATE_CRITICAL ? "critical" : "warning", t->text);
		result_line(res, 1, "[%s] protectedVmCount %d (warning %s, critical %s)",
			    state_name(states[i]), (int)count,
			    p->warning.set ? p->warning.text : "none",
			    p->critical.set ? p->critical.text : "none");
		return; /* critical wins; do not report the same value twice */
	}
	result_line(res, 1, "[OK] protectedVmCount %d (warning %s, critical %s)", (int)count,
		    p->warning.set ? p->warning.text : "none",
		    p->critical.set ? p->critical.text : "none");
}

static bool uid_is(const struct vspc_uid *u, const char *uid)
{
	return u->f.state == VSPC_FIELD_VALUE && strcmp(u->value, uid) == 0;
}

/* True when one of the answer's UID fields names @uid. Which field holds the
 * requested UID changed between API versions (instanceUid held the VSPC UID
 * under 3.5, with the Veeam B&R UID in originalUid). */
static bool names_uid(const char *uid, const struct vspc_uid *a, const struct vspc_uid *b,
		      const struct vspc_uid *c)
{
	return uid_is(a, uid) || uid_is(b, uid) || (c && uid_is(c, uid));
}

/* The answers must describe the job that was asked for; an answer without
 * an instanceUid is taken as it is. */
static bool identity_ok(const struct check_policy *p, const struct vspc_replication_job *job,
			const struct vspc_job_session *js, struct result *res)
{
	const struct vspc_uid *inst = &job->instance_uid;

	if (p->job_uid[0] == '\0')
		return true;
	if (inst->f.state == VSPC_FIELD_INVALID) {
		result_fail(res, STATE_UNKNOWN, "job %s: instanceUid %s", p->job_uid,
			    inst->f.problem);
		return false;
	}
	if (inst->f.state == VSPC_FIELD_VALUE &&
	    !names_uid(p->job_uid, inst, &job->unique_uid, &job->original_uid)) {
		result_fail(res, STATE_UNKNOWN, "asked for job %s but the answer describes job %s",
			    p->job_uid, inst->value);
		return false;
	}
	if (js && js->instance_uid.f.state == VSPC_FIELD_VALUE &&
	    !names_uid(p->job_uid, &js->instance_uid, &js->unique_uid, &js->original_uid)) {
		result_fail(res, STATE_UNKNOWN,
			    "asked for job %s but the session answer describes job %s", p->job_uid,
			    js->instance_uid.value);
		return false;
	}
	return true;
}

/* The UID to name the job by: the one asked for, or the answer's own. */
static const char *display_uid(const struct check_policy *p, const struct vspc_replication_job *job)
{
	if (p->job_uid[0])
		return p->job_uid;
	return job->instance_uid.f.state == VSPC_FIELD_VALUE ? job->instance_uid.value : "(no UID)";
}

static bool age_checked(const struct check_policy *p)
{
	return p->max_age_warning > 0 || p->max_age_critical > 0;
}

/* Appends the problems with the fields the policy needs to @problems. */
static bool fields_usable(const struct vspc_replication_job *job, const struct vspc_job_session *js,
			  const struct uid_check *uids, size_t n_uids,
			  const struct bool_check *bools, size_t n_bools, char *problems,
			  size_t len)
{
	bool usable =
	    field_usable("protectedVmCount", &job->protected_vm_count.f, false, problems, len);

	for (size_t i = 0; i < n_bools; i++)
		if (bools[i].expect != EXPECT_ANY)
			usable &=
			    field_usable(bools[i].name, &bools[i].actual->f, false, problems, len);
	for (size_t i = 0; i < n_uids; i++)
		if (uids[i].expect->set)
			usable &= field_usable(uids[i].name, &uids[i].actual->f, uids[i].nullable,
					       problems, len);
	if (js == NULL)
		return usable;
	usable &= field_usable("status", &js->status_text.f, false, problems, len);
	usable &= field_usable("isEnabled", &js->is_enabled.f, false, problems, len);
	/* shown as an age even without limits: a bad one is a bad answer */
	usable &= field_usable("lastEndTime", &js->last_end_time.f, true, problems, len);
	return usable;
}

void evaluate_subject(char *dst, size_t dstlen, const struct check_policy *p,
		      const struct vspc_replication_job *job, const struct vspc_job_session *js)
{
	const char *uid = display_uid(p, job);

	if (js && js->name.f.state == VSPC_FIELD_VALUE)
		snprintf(dst, dstlen, "'%s' (%s)", js->name.value, uid);
	else
		snprintf(dst, dstlen, "job %s", uid);
}

/* "last session Failed 3h 5m ago" or "never ran". */
static void summarise_session(const struct vspc_job_session *js, int64_t now, char *dst,
			      size_t dstlen)
{
	char age[32] = "";

	if (js->status == VSPC_STATUS_NONE) {
		snprintf(dst, dstlen, "never ran");
		return;
	}
	if (js->last_end_time.f.state == VSPC_FIELD_VALUE) {
		char when[24];

		time_format_age(when, sizeof when, now - js->last_end_time.epoch);
		snprintf(age, sizeof age, " %s ago", when);
	}
	snprintf(dst, dstlen, "last session %s%s", js->status_text.value, age);
}

/* The state a session status gives by itself. */
static void check_status(const struct check_policy *p, const struct vspc_job_session *js,
			 struct result *res)
{
	enum state s = STATE_OK;

	switch (js->status) {
	case VSPC_STATUS_SUCCESS:
	case VSPC_STATUS_IDLE:
	case VSPC_STATUS_RUNNING:
	case VSPC_STATUS_STARTING:
	case VSPC_STATUS_STOPPING:
	case VSPC_STATUS_ENABLING:
	case VSPC_STATUS_DISABLING:
	case VSPC_STATUS_WAITING_TAPE:
	case VSPC_STATUS_WAITING_REPOSITORY:
		break;
	case VSPC_STATUS_WARNING:
		s = STATE_WARNING;
		break;
	case VSPC_STATUS_FAILED:
		s = STATE_CRITICAL;
		break;
	case VSPC_STATUS_NONE:
		s = p->never_run_state;
		break;
	case VSPC_STATUS_UNKNOWN:
		s = STATE_UNKNOWN;
		result_summary(res, "VSPC reports the session status as Unknown");
		break;
	case VSPC_STATUS_OTHER:
		s = STATE_UNKNOWN;
		result_summary(res, "status %s is unknown to this plugin", js->status_text.value);
		break;
	}
	result_raise(res, s);
	result_line(res, 1, "[%s] status %s", state_name(s), js->status_text.value);
}

/* failureMessage, one output line per line of the message. */
static void show_failure_message(const struct vspc_job_session *js, struct result *res)
{
	const char *s = js->failure_message.value;
	size_t len = js->failure_message.len;
	int lines = 0;

	if (js->failure_message.f.state != VSPC_FIELD_VALUE ||
	    (js->status != VSPC_STATUS_WARNING && js->status != VSPC_STATUS_FAILED))
		return;
	while (len && lines < 20) {
		const char *nl = memchr(s, '\n', len);
		size_t n = nl ? (size_t)(nl - s) : len;
		size_t shown = n && s[n - 1] == '\r' ? n - 1 : n;

		if (shown)
			result_line(res, 0, "%.*s", (int)shown, s), lines++;
		s += nl ? n + 1 : n;
		len -= nl ? n + 1 : n;
	}
}

static void check_age(const struct check_policy *p, const struct vspc_job_session *js, int64_t now,
		      struct result *res)
{
	int64_t age;
	char when[24];

	if (!age_checked(p))
		return;
	if (js->last_end_time.f.state != VSPC_FIELD_VALUE) {
		if (js->status != VSPC_STATUS_NONE) {
			result_raise(res, p->never_run_state);
			result_summary(res, "no session has ended yet");
		}
		return;
	}
	age = now - js->last_end_time.epoch;
	time_format_age(when, sizeof when, age);
	if (p->max_age_critical > 0 && age > p->max_age_critical) {
		result_raise(res, STATE_CRITICAL);
		result_summary(res, "last session ended %s ago, beyond the critical age %s", when,
			       p->max_age_critical_text);
	} else if (p->max_age_warning > 0 && age > p->max_age_warning) {
		result_raise(res, STATE_WARNING);
		result_summary(res, "last session ended %s ago, beyond the warning age %s", when,
			       p->max_age_warning_text);
	} else {
		result_line(res, 1, "[OK] last session ended %s ago", when);
	}
}

static void session_perfdata(const struct check_policy *p, const struct vspc_job_session *js,
			     int64_t now, struct result *res)
{
	char warn[24] = "";
	char crit[24] = "";

	if (p->max_age_warning > 0)
		snprintf(warn, sizeof warn, "%" PRId64, p->max_age_warning);
	if (p->max_age_critical > 0)
		snprintf(crit, sizeof crit, "%" PRId64, p->max_age_critical);
	if (js->last_end_time.f.state == VSPC_FIELD_VALUE) {
		int64_t age = now - js->last_end_time.epoch;

		result_perf(res, &(struct perfdata){ .label = "last_run_age",
						     .value = (double)(age > 0 ? age : 0),
						     .uom = "s",
						     .warn = warn,
						     .crit = crit,
						     .min = "0" });
	}
	if (js->last_duration.f.state == VSPC_FIELD_VALUE)
		result_perf(res, &(struct perfdata){ .label = "last_duration",
						     .value = (double)js->last_duration.value,
						     .uom = "s",
						     .min = "0" });
	if (js->transferred_data.f.state == VSPC_FIELD_VALUE)
		result_perf(res, &(struct perfdata){ .label = "transferred",
						     .exact = true,
						     .ivalue = js->transferred_data.value,
						     .uom = "B",
						     .min = "0" });
}

/* How VSPC wrote the end time, when it is not plain RFC 3339. */
static void note_end_time(const struct vspc_time *t, struct result *res)
{
	char text[sizeof t->text];

	output_sanitise(text, sizeof text, t->text, strlen(t->text));
	if (t->placeholder)
		result_line(res, 1,
			    "note: lastEndTime %s is a placeholder for no end time (a job that "
			    "never ended a session, or a continuous one)",
			    text);
	else if (t->f.state == VSPC_FIELD_VALUE && t->no_offset)
		result_line(res, 1, "note: lastEndTime %s has no UTC offset: read as UTC", text);
}

static void check_session(const struct check_policy *p, const struct vspc_job_session *js,
			  int64_t now, struct result *res)
{
	note_end_time(&js->last_end_time, res);
	check_status(p, js, res);
	if (!js->is_enabled.value) {
		result_raise(res, p->disabled_state);
		result_summary(res, "job is disabled");
	}
	check_age(p, js, now, res);
	show_failure_message(js, res);
}

void evaluate_job(const struct check_policy *p, const struct vspc_replication_job *job,
		  const struct vspc_job_session *js, int64_t now, struct result *res)
{
	const struct uid_check uids[] = {
		{ "sourceWanAcceleratorUid", &p->source_wan, &job->source_wan_uid, true },
		{ "targetWanAcceleratorUid", &p->target_wan, &job->target_wan_uid, true },
		{ "cloudHostUid", &p->cloud_host, &job->cloud_host_uid, true },
		{ "targetHostUid", &p->target_host, &job->target_host_uid, false },
	};
	const struct bool_check bools[] = {
		{ "throughWanAccelerators", p->wan, &job->through_wan },
		{ "isCloudJob", p->cloud, &job->is_cloud_job },
	};
	const size_t n_uids = sizeof uids / sizeof uids[0];
	const size_t n_bools = sizeof bools / sizeof bools[0];
	/* fleet mode (no requested UID) names the job outside the summary */
	const bool named = p->job_uid[0] != '\0';
	char subject[VSPC_NAME_MAX + 64];
	char session[VSPC_NAME_MAX + 64] = "";
	char problems[512] = "";
	int32_t count = job->protected_vm_count.value;

	if (!identity_ok(p, job, js, res))
		return;
	evaluate_subject(subject, sizeof subject, p, job, js);
	if (!fields_usable(job, js, uids, n_uids, bools, n_bools, problems, sizeof problems)) {
		result_fail(res, STATE_UNKNOWN, "%s%s%s", named ? subject : "", named ? ": " : "",
			    problems);
		return;
	}
	if (js)
		summarise_session(js, now, session, sizeof session);
	result_summary(res, "%s%s%s%sprotects %d VM%s", named ? subject : "", named ? " " : "",
		       session, js ? ", " : "", (int)count, count == 1 ? "" : "s");
	result_perf(res, &(struct perfdata){ .label = "protected_vms",
					     .value = count,
					     .uom = "",
					     .warn = p->warning.text,
					     .crit = p->critical.text,
					     .min = "0" });
	check_count(p, count, res);
	for (size_t i = 0; i < n_bools; i++)
		if (bools[i].expect != EXPECT_ANY)
			check_bool(&bools[i], p->mismatch_state, res);
	for (size_t i = 0; i < n_uids; i++)
		if (uids[i].expect->set)
			check_uid(&uids[i], p->mismatch_state, res);
	if (js) {
		check_session(p, js, now, res);
		session_perfdata(p, js, now, res);
	}
}
