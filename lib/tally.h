/* Adding up the results of many jobs (--all): counts per state and kind,
 * the protected VMs, and the fleet's summary and perfdata. Pure code. */
#ifndef VSPC_TALLY_H
#define VSPC_TALLY_H

#include <stdbool.h>
#include <stdint.h>

#include "output.h"
#include "state.h"
#include "vspc.h"

struct tally {
	unsigned long jobs;
	unsigned long by_state[STATE_UNKNOWN + 1];
	unsigned long by_kind[VSPC_KIND_COUNT];
	int64_t vms_total; /* protectedVmCount over the VM replication jobs */
};

void tally_init(struct tally *t);

/* Counts one job of kind @kind that ended in state @s; @job (NULL when it
 * could not be decoded) adds its protected VMs. */
void tally_add(struct tally *t, enum vspc_kind kind, enum state s, const struct vspc_job *job);

/* The fleet's state: the worst job's, CRITICAL when fewer than @min_jobs
 * jobs were counted (@min_jobs_set). */
enum state tally_state(const struct tally *t, bool min_jobs_set, unsigned long min_jobs);

/* Writes "N jobs: c critical, w warning, u unknown, o ok[, fewer than
 * --min-jobs M]" into @res's summary with the counters as perfdata, and
 * raises @res to tally_state(). */
void tally_report(const struct tally *t, bool min_jobs_set, unsigned long min_jobs,
		  struct result *res);

#endif
