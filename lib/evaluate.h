/* Evaluation: a pure function of the policy and the decoded job.
 *
 * Fills a result with the state, summary, long output (-v) and the
 * protected_vms perfdata. Fields the policy needs that are missing, null or
 * invalid make the result UNKNOWN naming them; fields it does not look at
 * are ignored. No I/O, no clock. */
#ifndef VSPC_EVALUATE_H
#define VSPC_EVALUATE_H

#include "config.h"
#include "output.h"
#include "vspc.h"

void evaluate_job(const struct check_policy *policy, const struct vspc_replication_job *job,
		  struct result *res);

#endif
