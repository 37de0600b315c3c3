/* CDP replication policies: BackupServerCdpReplicationJob, the SLA, delay
 * and errors of its last period (lastPeriod) and its configured RPO. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "kinds.h"
#include "rules.h"
#include "timeutil.h"

#define NO_FIGURES "VSPC reports no figures for the last period"

static void decode_period(const struct json_value *obj, struct vspc_cdp_period *lp)
{
	const struct json_value *v = field_object(obj, "lastPeriod", &lp->f);

	if (v == NULL)
		return;
	field_count(v, "successCount", &lp->success_count);
	field_count(v, "warningCount", &lp->warning_count);
	field_count(v, "errorsCount", &lp->errors_count);
	field_percent(v, "sla", &lp->sla);
	field_signed(v, "maxDelay", &lp->max_delay);
	field_int(v, "syncInterval", &lp->sync_interval);
	field_int(v, "totalData", &lp->total_data);
}

static void decode(const struct json_value *obj, struct vspc_job *job)
{
	field_ids(obj, &job->ids);
	field_count(obj, "rpo", &job->cdp.rpo);
	field_text(obj, "rpoUnit", &job->cdp.rpo_unit);
	decode_period(obj, &job->cdp.last_period);
}

/* Seconds per rpoUnit; 0 for Unknown and values this plugin does not know. */
static int64_t unit_seconds(const struct vspc_text *unit)
{
	static const struct {
		const char *name;
		int64_t seconds;
	} units[] = { { "Seconds", 1 }, { "Minutes", 60 }, { "Hours", 3600 }, { "Days", 86400 } };

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strlen(units[i].name) == unit->len && strcmp(units[i].name, unit->value) == 0)
			return units[i].seconds;
	return 0;
}

static bool needs_period(const struct policy_cdp *c)
{
	return c->sla_warning.set || c->sla_critical.set || c->max_delay_warning.seconds > 0 ||
	       c->max_delay_critical.seconds > 0 || c->errors_warning.set || c->errors_critical.set;
}

static const char *option_in(const struct check_policy *p)
{
	const struct policy_cdp *c = &p->cdp;

	if (c->sla_warning.set)
		return "--sla-warning";
	if (c->sla_critical.set)
		return "--sla-critical";
	if (c->max_delay_warning.seconds > 0)
		return "--max-delay-warning";
	if (c->max_delay_critical.seconds > 0)
		return "--max-delay-critical";
	if (c->errors_warning.set)
		return "--errors-warning";
	if (c->errors_critical.set)
		return "--errors-critical";
	return c->rpo.seconds > 0 ? "--rpo" : NULL;
}

static bool period_usable(const struct policy_cdp *c, const struct vspc_cdp_period *lp,
			  char *problems, size_t len)
{
	bool ok = true;

	if (!needs_period(c))
		return true;
	/* a null lastPeriod is normal: no sync session in the period */
	if (!rule_field_usable("lastPeriod", &lp->f, true, problems, len))
		return false;
	if (lp->f.state == VSPC_FIELD_NULL)
		return true;
	if (c->sla_warning.set || c->sla_critical.set)
		ok &= rule_field_usable("lastPeriod.sla", &lp->sla.f, true, problems, len);
	if (c->max_delay_warning.seconds > 0 || c->max_delay_critical.seconds > 0)
		ok &=
		    rule_field_usable("lastPeriod.maxDelay", &lp->max_delay.f, true, problems, len);
	if (c->errors_warning.set || c->errors_critical.set)
		ok &= rule_field_usable("lastPeriod.errorsCount", &lp->errors_count.f, false,
					problems, len);
	return ok;
}

static bool usable(const struct check_policy *p, const struct vspc_job *job, char *problems,
		   size_t len)
{
	const struct vspc_cdp_policy *cdp = &job->cdp;
	bool ok = period_usable(&p->cdp, &cdp->last_period, problems, len);

	if (p->cdp.rpo.seconds == 0)
		return ok;
	ok &= rule_field_usable("rpo", &cdp->rpo.f, false, problems, len);
	if (rule_field_usable("rpoUnit", &cdp->rpo_unit.f, false, problems, len) &&
	    unit_seconds(&cdp->rpo_unit) == 0) {
		size_t used = strlen(problems);
		char unit[64];

		output_sanitise(unit, sizeof unit, cdp->rpo_unit.value, cdp->rpo_unit.len);
		snprintf(problems + used, len - used, "%srpoUnit '%s' is not a unit of time",
			 used ? ", " : "", unit);
		return false;
	}
	return ok && cdp->rpo_unit.f.state == VSPC_FIELD_VALUE;
}

static void summary(const struct vspc_job *job, char *dst, size_t dstlen)
{
	const struct vspc_cdp_period *lp = &job->cdp.last_period;
	char sla[24] = "no SLA";
	char delay[40] = "";
	char errors[32] = "";

	if (lp->f.state != VSPC_FIELD_VALUE) {
		snprintf(dst, dstlen, "%s", NO_FIGURES);
		return;
	}
	if (lp->sla.f.state == VSPC_FIELD_VALUE)
		snprintf(sla, sizeof sla, "SLA %" PRId64 "%%", lp->sla.value);
	if (lp->max_delay.f.state == VSPC_FIELD_VALUE) {
		char age[24];
		int64_t v = lp->max_delay.value;

		/* said as it is when below zero, not as the 0s an age would be */
		time_format_age(age, sizeof age, v >= 0 ? v : v == INT64_MIN ? INT64_MAX : -v);
		snprintf(delay, sizeof delay, ", max delay %s%s", v < 0 ? "-" : "", age);
	}
	if (lp->errors_count.f.state == VSPC_FIELD_VALUE)
		snprintf(errors, sizeof errors, ", %d sync error%s", (int)lp->errors_count.value,
			 lp->errors_count.value == 1 ? "" : "s");
	snprintf(dst, dstlen, "%s%s%s in the last period", sla, delay, errors);
}

/* @min is "0" for a count or a size, NULL for a figure that may be below
 * zero (maxDelay: a difference the API does not say is never negative). */
static void perf_int(struct result *res, const char *label, const struct vspc_field *f,
		     int64_t value, const char *uom, const char *warn, const char *crit,
		     const char *min, const char *max)
{
	if (f->state != VSPC_FIELD_VALUE)
		return;
	result_perf(res, &(struct perfdata){ .label = label,
					     .exact = true,
					     .ivalue = value,
					     .uom = uom,
					     .warn = warn,
					     .crit = crit,
					     .min = min,
					     .max = max });
}

static void period_perfdata(const struct policy_cdp *c, const struct vspc_cdp_period *lp,
			    struct result *res)
{
	char warn[24];
	char crit[24];

	if (lp->f.state != VSPC_FIELD_VALUE)
		return;
	perf_int(res, "sla", &lp->sla.f, lp->sla.value, "%", rule_threshold_text(&c->sla_warning),
		 rule_threshold_text(&c->sla_critical), "0", "100");
	rule_limit_text(warn, sizeof warn, &c->max_delay_warning);
	rule_limit_text(crit, sizeof crit, &c->max_delay_critical);
	perf_int(res, "max_delay", &lp->max_delay.f, lp->max_delay.value, "s", warn, crit, NULL,
		 NULL);
	perf_int(res, "sessions_success", &lp->success_count.f, lp->success_count.value, "", NULL,
		 NULL, "0", NULL);
	perf_int(res, "sessions_warning", &lp->warning_count.f, lp->warning_count.value, "", NULL,
		 NULL, "0", NULL);
	perf_int(res, "sessions_error", &lp->errors_count.f, lp->errors_count.value, "",
		 rule_threshold_text(&c->errors_warning), rule_threshold_text(&c->errors_critical),
		 "0", NULL);
	perf_int(res, "sync_interval", &lp->sync_interval.f, lp->sync_interval.value, "s", NULL,
		 NULL, "0", NULL);
	perf_int(res, "total_data", &lp->total_data.f, lp->total_data.value, "KB", NULL, NULL, "0",
		 NULL);
}

static void check_period(const struct check_policy *p, const struct vspc_cdp_period *lp,
			 struct result *res)
{
	const struct policy_cdp *c = &p->cdp;
	enum state never = p->session.never_run_state;

	if (!needs_period(c))
		return;
	if (lp->f.state != VSPC_FIELD_VALUE) {
		rule_no_figure("lastPeriod", never, NO_FIGURES, res);
		return;
	}
	if (c->sla_warning.set || c->sla_critical.set) {
		if (lp->sla.f.state == VSPC_FIELD_VALUE)
			rule_ranges("sla", "SLA", lp->sla.value, "%", &c->sla_warning,
				    &c->sla_critical, res);
		else
			rule_no_figure("sla", never, "VSPC reports no SLA for the last period",
				       res);
	}
	if (c->max_delay_warning.seconds > 0 || c->max_delay_critical.seconds > 0) {
		if (lp->max_delay.f.state == VSPC_FIELD_VALUE)
			rule_limits("maxDelay", "max delay", lp->max_delay.value,
				    &c->max_delay_warning, &c->max_delay_critical, res);
		else
			rule_no_figure("maxDelay", never,
				       "VSPC reports no max delay for the last period", res);
	}
	if (c->errors_warning.set || c->errors_critical.set)
		rule_ranges("errorsCount", "sync errors", lp->errors_count.value, "",
			    &c->errors_warning, &c->errors_critical, res);
}

static void check_rpo(const struct check_policy *p, const struct vspc_cdp_policy *cdp,
		      struct result *res)
{
	int64_t got = (int64_t)cdp->rpo.value * unit_seconds(&cdp->rpo_unit);
	char want_text[24];
	char got_text[24];

	if (p->cdp.rpo.seconds == 0)
		return;
	time_format_age(want_text, sizeof want_text, p->cdp.rpo.seconds);
	time_format_age(got_text, sizeof got_text, got);
	if (got == p->cdp.rpo.seconds)
		result_check(res, STATE_OK, "rpo", "rpo is %s", want_text);
	else
		rule_mismatch("rpo", want_text, got_text, p->mismatch_state, res);
}

static void evaluate(const struct check_policy *p, const struct vspc_job *job, struct result *res)
{
	period_perfdata(&p->cdp, &job->cdp.last_period, res);
	check_period(p, &job->cdp.last_period, res);
	check_rpo(p, &job->cdp, res);
}

const struct job_kind kind_cdp = {
	.id = VSPC_KIND_CDP,
	.name = "cdp",
	.title = "CDP policy",
	.plural = "CDP policies",
	.job_type = "CdpReplicationVM",
	.collection = "cdpReplicationJobs",
	.decode = decode,
	.option_in = option_in,
	.usable = usable,
	.summary = summary,
	.evaluate = evaluate,
};
