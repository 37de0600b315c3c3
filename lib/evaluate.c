#include "autoconfig.h"

#include "evaluate.h"

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
	bool match = c->expect->none ? actual_none
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
	result_line(res, 1, "[%s] %s expected %s, got %s", state_name(mismatch), c->name,
		    want_text, c->actual->value ? "true" : "false");
}

static void check_count(const struct check_policy *p, int32_t count, struct result *res)
{
	const struct threshold *levels[] = {&p->critical, &p->warning};
	const enum state states[] = {STATE_CRITICAL, STATE_WARNING};

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

/* The answer must describe the job that was asked for. Which field holds
 * that UID changed between API versions (instanceUid held the VSPC UID
 * under 3.5, with the Veeam B&R UID in originalUid), so any of the three
 * may match; an answer that names only other jobs is refused. */
static bool identity_ok(const struct check_policy *p, const struct vspc_replication_job *job,
			struct result *res)
{
	const struct vspc_uid *inst = &job->instance_uid;

	if (inst->f.state == VSPC_FIELD_INVALID) {
		result_fail(res, STATE_UNKNOWN, "job %s: instanceUid %s", p->job_uid, inst->f.problem);
		return false;
	}
	if (inst->f.state != VSPC_FIELD_VALUE || uid_is(inst, p->job_uid) ||
	    uid_is(&job->unique_uid, p->job_uid) || uid_is(&job->original_uid, p->job_uid))
		return true;
	result_fail(res, STATE_UNKNOWN, "asked for job %s but the answer describes job %s",
		    p->job_uid, inst->value);
	return false;
}

void evaluate_job(const struct check_policy *p, const struct vspc_replication_job *job,
		  struct result *res)
{
	const struct uid_check uids[] = {
		{"sourceWanAcceleratorUid", &p->source_wan, &job->source_wan_uid, true},
		{"targetWanAcceleratorUid", &p->target_wan, &job->target_wan_uid, true},
		{"cloudHostUid", &p->cloud_host, &job->cloud_host_uid, true},
		{"targetHostUid", &p->target_host, &job->target_host_uid, false},
	};
	const struct bool_check bools[] = {
		{"throughWanAccelerators", p->wan, &job->through_wan},
		{"isCloudJob", p->cloud, &job->is_cloud_job},
	};
	char problems[512] = "";
	bool usable;
	int32_t count = job->protected_vm_count.value;

	if (!identity_ok(p, job, res))
		return;
	usable = field_usable("protectedVmCount", &job->protected_vm_count.f, false, problems,
			      sizeof problems);
	for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
		if (bools[i].expect != EXPECT_ANY)
			usable &= field_usable(bools[i].name, &bools[i].actual->f, false, problems,
					       sizeof problems);
	for (size_t i = 0; i < sizeof uids / sizeof uids[0]; i++)
		if (uids[i].expect->set)
			usable &= field_usable(uids[i].name, &uids[i].actual->f, uids[i].nullable,
					       problems, sizeof problems);
	if (!usable) {
		result_fail(res, STATE_UNKNOWN, "job %s: %s", p->job_uid, problems);
		return;
	}

	result_summary(res, "job %s protects %d VM%s", p->job_uid, (int)count, count == 1 ? "" : "s");
	result_perf(res, &(struct perfdata){.label = "protected_vms", .value = count, .uom = "",
					    .warn = p->warning.text, .crit = p->critical.text,
					    .min = "0"});
	check_count(p, count, res);
	for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
		if (bools[i].expect != EXPECT_ANY)
			check_bool(&bools[i], p->mismatch_state, res);
	for (size_t i = 0; i < sizeof uids / sizeof uids[0]; i++)
		if (uids[i].expect->set)
			check_uid(&uids[i], p->mismatch_state, res);
}
