#include "autoconfig.h"

#include "evaluate.h"

#include "kinds.h"
#include "rules.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

/* The answers must describe the job that was asked for. An answer without
 * an instanceUid is taken as it is; an instanceUid that is not a UUID is
 * UNKNOWN in either answer. */
static bool identity_ok(const char *asked, const struct vspc_job *job,
			const struct vspc_job_session *js, struct result *res)
{
	const struct vspc_uid *inst = &job->ids.instance_uid;

	if (asked == NULL)
		return true;
	if (inst->f.state == VSPC_FIELD_INVALID) {
		result_fail(res, STATE_UNKNOWN, "job %s: instanceUid %s", asked, inst->f.problem);
		return false;
	}
	if (inst->f.state == VSPC_FIELD_VALUE &&
	    !names_uid(asked, inst, &job->ids.unique_uid, &job->ids.original_uid)) {
		result_fail(res, STATE_UNKNOWN, "asked for job %s but the answer describes job %s",
			    asked, inst->value);
		return false;
	}
	if (js && js->instance_uid.f.state == VSPC_FIELD_INVALID) {
		result_fail(res, STATE_UNKNOWN, "job %s: the session answer's instanceUid %s",
			    asked, js->instance_uid.f.problem);
		return false;
	}
	if (js && js->instance_uid.f.state == VSPC_FIELD_VALUE &&
	    !names_uid(asked, &js->instance_uid, &js->unique_uid, &js->original_uid)) {
		result_fail(res, STATE_UNKNOWN,
			    "asked for job %s but the session answer describes job %s", asked,
			    js->instance_uid.value);
		return false;
	}
	return true;
}

/* The UID to name the job by: the one asked for, or the answer's own. */
static const char *display_uid(const char *asked, const struct vspc_job *job)
{
	if (asked)
		return asked;
	return job->ids.instance_uid.f.state == VSPC_FIELD_VALUE ? job->ids.instance_uid.value
								 : "(no UID)";
}

static bool age_checked(const struct policy_session *p)
{
	return p->max_age_warning.seconds > 0 || p->max_age_critical.seconds > 0;
}

/* The session fields every kind needs, appended to @problems. */
static bool session_usable(const struct vspc_job_session *js, char *problems, size_t len)
{
	bool usable = rule_field_usable("status", &js->status_text.f, false, problems, len);

	usable &= rule_field_usable("isEnabled", &js->is_enabled.f, false, problems, len);
	/* shown as an age even without limits: a bad one is a bad answer */
	usable &= rule_field_usable("lastEndTime", &js->last_end_time.f, true, problems, len);
	return usable;
}

void evaluate_subject(char *dst, size_t dstlen, const char *asked, const struct vspc_job *job,
		      const struct vspc_job_session *js)
{
	const char *uid = display_uid(asked, job);

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
static void check_status(const struct policy_session *p, const struct vspc_job_session *js,
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
	result_check(res, s, "status", "status %s", js->status_text.value);
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

static void check_age(const struct policy_session *p, const struct vspc_job_session *js,
		      int64_t now, struct result *res)
{
	int64_t age;
	char when[24];

	if (!age_checked(p))
		return;
	if (js->last_end_time.f.state != VSPC_FIELD_VALUE) {
		if (js->status != VSPC_STATUS_NONE) {
			result_summary(res, "no session has ended yet");
			result_check(res, p->never_run_state, "lastEndTime",
				     "no session has ended yet");
		}
		return;
	}
	age = now - js->last_end_time.epoch;
	time_format_age(when, sizeof when, age);
	if (p->max_age_critical.seconds > 0 && age > p->max_age_critical.seconds) {
		result_summary(res, "last session ended %s ago, beyond the critical age %s", when,
			       p->max_age_critical.text);
		result_check(res, STATE_CRITICAL, "lastEndTime",
			     "last session ended %s ago, beyond the critical age %s", when,
			     p->max_age_critical.text);
	} else if (p->max_age_warning.seconds > 0 && age > p->max_age_warning.seconds) {
		result_summary(res, "last session ended %s ago, beyond the warning age %s", when,
			       p->max_age_warning.text);
		result_check(res, STATE_WARNING, "lastEndTime",
			     "last session ended %s ago, beyond the warning age %s", when,
			     p->max_age_warning.text);
	} else {
		result_check(res, STATE_OK, "lastEndTime", "last session ended %s ago", when);
	}
}

static void session_perfdata(const struct policy_session *p, const struct vspc_job_session *js,
			     int64_t now, struct result *res)
{
	char warn[24];
	char crit[24];

	rule_limit_text(warn, sizeof warn, &p->max_age_warning);
	rule_limit_text(crit, sizeof crit, &p->max_age_critical);
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

static void check_session(const struct policy_session *p, const struct vspc_job_session *js,
			  int64_t now, struct result *res)
{
	note_end_time(&js->last_end_time, res);
	check_status(p, js, res);
	if (!js->is_enabled.value) {
		result_summary(res, "job is disabled");
		result_check(res, p->disabled_state, "isEnabled", "job is disabled");
	}
	check_age(p, js, now, res);
	show_failure_message(js, res);
}

void evaluate_job(const struct check_policy *p, const char *asked, const struct vspc_job *job,
		  const struct vspc_job_session *js, int64_t now, struct result *res)
{
	const struct job_kind *kind = kind_of(job->kind);
	char subject[VSPC_NAME_MAX + 64];
	char session[VSPC_NAME_MAX + 64] = "";
	char own[160] = "";
	char problems[512] = "";
	bool usable;

	if (!identity_ok(asked, job, js, res))
		return;
	evaluate_subject(subject, sizeof subject, asked, job, js);
	usable = kind->usable(p, job, problems, sizeof problems);
	if (js)
		usable &= session_usable(js, problems, sizeof problems);
	if (!usable) {
		/* a walk names the job outside the summary */
		result_fail(res, STATE_UNKNOWN, "%s%s%s", asked ? subject : "", asked ? ": " : "",
			    problems);
		return;
	}
	if (js)
		summarise_session(js, now, session, sizeof session);
	kind->summary(job, own, sizeof own);
	result_summary(res, "%s%s%s%s%s", asked ? subject : "", asked ? " " : "", session,
		       js ? ", " : "", own);
	kind->evaluate(p, job, res);
	if (js) {
		check_session(&p->session, js, now, res);
		session_perfdata(&p->session, js, now, res);
	}
}
