#include "autoconfig.h"

#include "tally.h"

#include <stdio.h>
#include <string.h>

void tally_init(struct tally *t)
{
	memset(t, 0, sizeof *t);
}

void tally_add(struct tally *t, enum vspc_kind kind, enum state s, const struct vspc_job *job)
{
	t->jobs++;
	t->by_state[s <= STATE_UNKNOWN ? s : STATE_UNKNOWN]++;
	if ((unsigned)kind < VSPC_KIND_COUNT)
		t->by_kind[kind]++;
	if (job && job->kind == VSPC_KIND_VM &&
	    job->vm.protected_vm_count.f.state == VSPC_FIELD_VALUE)
		t->vms_total += job->vm.protected_vm_count.value;
}

enum state tally_state(const struct tally *t, bool min_jobs_set, unsigned long min_jobs)
{
	enum state worst = STATE_OK;

	for (int s = STATE_OK; s <= STATE_UNKNOWN; s++)
		if (t->by_state[s])
			worst = state_worst(worst, (enum state)s);
	if (min_jobs_set && t->jobs < min_jobs)
		worst = state_worst(worst, STATE_CRITICAL);
	return worst;
}

void tally_report(const struct tally *t, bool min_jobs_set, unsigned long min_jobs,
		  struct result *res)
{
	char min[32] = "";
	const struct {
		const char *label;
		int64_t value;
		const char *crit;
	} counters[] = {
		{ "jobs", (int64_t)t->jobs, min },
		{ "jobs_ok", (int64_t)t->by_state[STATE_OK], NULL },
		{ "jobs_warning", (int64_t)t->by_state[STATE_WARNING], NULL },
		{ "jobs_critical", (int64_t)t->by_state[STATE_CRITICAL], NULL },
		{ "jobs_unknown", (int64_t)t->by_state[STATE_UNKNOWN], NULL },
		{ "protected_vms_total", t->vms_total, NULL },
	};

	result_raise(res, tally_state(t, min_jobs_set, min_jobs));
	result_summary(res, "%lu jobs: %lu critical, %lu warning, %lu unknown, %lu ok", t->jobs,
		       t->by_state[STATE_CRITICAL], t->by_state[STATE_WARNING],
		       t->by_state[STATE_UNKNOWN], t->by_state[STATE_OK]);
	if (min_jobs_set) {
		snprintf(min, sizeof min, "%lu:", min_jobs);
		if (t->jobs < min_jobs)
			result_summary(res, "fewer than --min-jobs %lu", min_jobs);
	}
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
		result_perf(res, &(struct perfdata){ .label = counters[i].label,
						     .exact = true,
						     .ivalue = counters[i].value,
						     .uom = "",
						     .crit = counters[i].crit,
						     .min = "0" });
}
