/* CDP policies: decoding BackupServerCdpReplicationJob and its rules,
 * table-driven over answers written as JSON. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "evaluate.h"
#include "kinds.h"
#include "tap.h"

#define UID "3f1e2d4c-5b6a-4789-8abc-def012345678"
#define BODY                                                                                       \
	"{\"data\": {\"instanceUid\": \"" UID "\", \"rpo\": %s, \"rpoUnit\": %s, "                 \
	"\"lastPeriod\": %s}}"
#define PERIOD(sla, delay, errors)                                                                 \
	"{\"successCount\": 1440, \"warningCount\": 2, \"errorsCount\": " errors ", \"sla\": " sla \
	", \"maxDelay\": " delay                                                                   \
	", \"syncInterval\": 15, \"totalData\": 2949120, \"bottleneck\": "                         \
	"\"Source\"}"
#define GOOD PERIOD("100", "4", "0")

struct cdp_case {
	const char *name;
	const char *rpo, *unit, *period;
	void (*policy)(struct check_policy *p);
	enum state state;
	const char *summary; /* a part the summary must have */
	const char *perf;    /* a part the perfdata must have, or NULL */
};

static struct threshold range_of(const char *text)
{
	struct threshold t = { .set = true, .text = text };

	range_parse(text, &t.range);
	return t;
}

static void none(struct check_policy *p)
{
	(void)p;
}

static void sla_90(struct check_policy *p)
{
	p->cdp.sla_critical = range_of("90:");
	p->cdp.sla_warning = range_of("99:");
}

static void delay_1m(struct check_policy *p)
{
	p->cdp.max_delay_warning = (struct duration_limit){ 30, "30s" };
	p->cdp.max_delay_critical = (struct duration_limit){ 60, "1m" };
}

static void errors_0(struct check_policy *p)
{
	p->cdp.errors_warning = range_of("0");
}

static void rpo_15s(struct check_policy *p)
{
	p->cdp.rpo = (struct duration_limit){ 15, "15s" };
}

static void rpo_15s_critical(struct check_policy *p)
{
	rpo_15s(p);
	p->mismatch_state = STATE_CRITICAL;
}

static void sla_never_critical(struct check_policy *p)
{
	sla_90(p);
	p->session.never_run_state = STATE_CRITICAL;
}

static const struct cdp_case cases[] = {
	{ "healthy, no rules", "15", "\"Seconds\"", GOOD, none, STATE_OK,
	  "SLA 100%, max delay 4s, 0 sync errors in the last period",
	  "sla=100%;;;0;100 max_delay=4s;;;; sessions_success=1440;;;0; sessions_warning=2;;;0; "
	  "sessions_error=0;;;0; sync_interval=15s;;;0; total_data=2949120KB;;;0;" },
	{ "SLA within", "15", "\"Seconds\"", GOOD, sla_90, STATE_OK, "SLA 100%",
	  "sla=100%;99:;90:;0;100" },
	{ "SLA below warning", "15", "\"Seconds\"", PERIOD("95", "4", "0"), sla_90, STATE_WARNING,
	  "SLA 95% is outside the warning range 99:", NULL },
	{ "SLA below critical", "15", "\"Seconds\"", PERIOD("80", "4", "0"), sla_90, STATE_CRITICAL,
	  "SLA 80% is outside the critical range 90:", NULL },
	{ "SLA null", "15", "\"Seconds\"", PERIOD("null", "4", "0"), sla_90, STATE_WARNING,
	  "VSPC reports no SLA for the last period", NULL },
	{ "SLA null, never-run critical", "15", "\"Seconds\"", PERIOD("null", "4", "0"),
	  sla_never_critical, STATE_CRITICAL, "no SLA", NULL },
	{ "lastPeriod null", "15", "\"Seconds\"", "null", sla_90, STATE_WARNING,
	  "VSPC reports no figures for the last period", NULL },
	{ "lastPeriod null, no rule needs it", "15", "\"Seconds\"", "null", rpo_15s, STATE_OK,
	  "no figures", NULL },
	{ "SLA missing", "15", "\"Seconds\"", "{\"maxDelay\": 4}", sla_90, STATE_UNKNOWN,
	  "lastPeriod.sla is missing", NULL },
	{ "SLA a string", "15", "\"Seconds\"", PERIOD("\"100\"", "4", "0"), sla_90, STATE_UNKNOWN,
	  "lastPeriod.sla is string", NULL },
	{ "SLA a string, not needed", "15", "\"Seconds\"", PERIOD("\"100\"", "4", "0"), none,
	  STATE_OK, "no SLA", NULL },
	{ "SLA above 100", "15", "\"Seconds\"", PERIOD("150", "4", "0"), sla_90, STATE_UNKNOWN,
	  "lastPeriod.sla is 150, not a percentage (0 to 100)", NULL },
	{ "SLA beyond 32 bits, not needed", "15", "\"Seconds\"", PERIOD("2147483648", "4", "0"),
	  none, STATE_OK, "no SLA, max delay 4s", "max_delay=4s" },
	{ "SLA 0 is one", "15", "\"Seconds\"", PERIOD("0", "4", "0"), sla_90, STATE_CRITICAL,
	  "SLA 0% is outside the critical range 90:", "sla=0%;99:;90:;0;100" },
	{ "lastPeriod a list", "15", "\"Seconds\"", "[]", sla_90, STATE_UNKNOWN,
	  "lastPeriod is array", NULL },
	{ "delay within", "15", "\"Seconds\"", GOOD, delay_1m, STATE_OK, "max delay 4s",
	  "max_delay=4s;30;60;; " },
	{ "delay negative", "15", "\"Seconds\"", PERIOD("100", "-5", "0"), delay_1m, STATE_OK,
	  "max delay -5s", "max_delay=-5s;30;60;; " },
	{ "delay beyond warning", "15", "\"Seconds\"", PERIOD("100", "45", "0"), delay_1m,
	  STATE_WARNING, "max delay 45s, beyond the warning 30s", NULL },
	{ "delay beyond critical", "15", "\"Seconds\"", PERIOD("100", "3600", "0"), delay_1m,
	  STATE_CRITICAL, "max delay 1h 0m, beyond the critical 1m", NULL },
	{ "delay null", "15", "\"Seconds\"", PERIOD("100", "null", "0"), delay_1m, STATE_WARNING,
	  "VSPC reports no max delay", NULL },
	{ "no errors", "15", "\"Seconds\"", GOOD, errors_0, STATE_OK, "0 sync errors",
	  "sessions_error=0;0;;0;" },
	{ "errors", "15", "\"Seconds\"", PERIOD("100", "4", "3"), errors_0, STATE_WARNING,
	  "sync errors 3 is outside the warning range 0", NULL },
	{ "errors count negative", "15", "\"Seconds\"", PERIOD("100", "4", "-1"), errors_0,
	  STATE_UNKNOWN, "lastPeriod.errorsCount is -1, a negative count", NULL },
	{ "rpo as expected", "15", "\"Seconds\"", GOOD, rpo_15s, STATE_OK, "SLA 100%", NULL },
	{ "rpo in minutes", "1", "\"Minutes\"", GOOD, rpo_15s, STATE_WARNING,
	  "rpo expected 15s, got 1m", NULL },
	{ "rpo mismatch critical", "30", "\"Seconds\"", GOOD, rpo_15s_critical, STATE_CRITICAL,
	  "rpo expected 15s, got 30s", NULL },
	{ "rpoUnit Unknown", "15", "\"Unknown\"", GOOD, rpo_15s, STATE_UNKNOWN,
	  "rpoUnit 'Unknown' is not a unit of time", NULL },
	{ "rpoUnit new", "2", "\"Fortnights\"", GOOD, rpo_15s, STATE_UNKNOWN,
	  "rpoUnit 'Fortnights'", NULL },
	{ "rpoUnit a number", "15", "7", GOOD, rpo_15s, STATE_UNKNOWN, "rpoUnit is number", NULL },
	{ "rpoUnit unknown, not needed", "15", "\"Unknown\"", GOOD, none, STATE_OK, "SLA 100%",
	  NULL },
	{ "rpo missing", "null", "\"Seconds\"", GOOD, rpo_15s, STATE_UNKNOWN, "rpo is null", NULL },
};

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct cdp_case *c = &cases[i];
		struct check_policy p;
		struct vspc_job job;
		struct result res;
		char body[1024];
		char err[256] = "";

		snprintf(body, sizeof body, BODY, c->rpo, c->unit, c->period);
		policy_init(&p);
		c->policy(&p);
		result_init(&res, 1);
		if (!tap_ok(kind_decode_answer(&kind_cdp, body, strlen(body), &job, err,
					       sizeof err) == VSPC_OK &&
				job.kind == VSPC_KIND_CDP,
			    "%s: decodes (%s)", c->name, err)) {
			result_free(&res);
			continue;
		}
		evaluate_job(&p, UID, &job, NULL, 0, &res);
		tap_ok(res.state == c->state, "%s: %s (got %s: '%s')", c->name,
		       state_name(c->state), state_name(res.state), buf_str(&res.summary));
		tap_ok(strstr(buf_str(&res.summary), c->summary) != NULL,
		       "%s: the summary says '%s' ('%s')", c->name, c->summary,
		       buf_str(&res.summary));
		if (c->perf)
			tap_ok(strstr(buf_str(&res.perfdata), c->perf) != NULL,
			       "%s: perfdata '%s' ('%s')", c->name, c->perf,
			       buf_str(&res.perfdata));
		result_free(&res);
	}
	{
		struct check_policy p;

		policy_init(&p);
		sla_90(&p);
		tap_str_eq(kind_foreign_option(&kind_vm, &p), "--sla-warning",
			   "an SLA option does not apply to VM replication jobs");
		tap_ok(kind_foreign_option(&kind_cdp, &p) == NULL, "but to CDP policies");
		policy_init(&p);
		p.vm.wan = EXPECT_TRUE;
		tap_str_eq(kind_foreign_option(&kind_cdp, &p), "--wan",
			   "--wan does not apply to CDP policies");
		tap_ok(kind_by_type("CdpReplicationVM") == &kind_cdp &&
			   kind_by_type("ReplicationVM") == &kind_vm &&
			   kind_by_type("BackupVm") == NULL,
		       "kinds by BackupServerJob.type");
	}
	return tap_done();
}
