/* Evaluation: a pure function of the policy, the decoded job and the time.
 *
 * Fills a result with the state, summary, long output and perfdata of one
 * job. Fields the policy needs that are missing, null or invalid make the
 * result UNKNOWN naming them; fields it does not look at are ignored. No
 * I/O, no clock: @now (seconds since 1970 UTC) is given. */
#ifndef VSPC_EVALUATE_H
#define VSPC_EVALUATE_H

#include "config.h"
#include "output.h"
#include "vspc.h"

/* @session is the job's BackupServerJob, or NULL when it was not read. With
 * an empty policy->job_uid (fleet mode) the answer's identity is not checked
 * against a requested UID. */
void evaluate_job(const struct check_policy *policy, const struct vspc_replication_job *job,
		  const struct vspc_job_session *session, int64_t now, struct result *res);

/* "'SQL to DR' (uid)", or "job uid" when the name is unknown: how a job is
 * named. evaluate_job() starts its summary with it unless policy->job_uid
 * is empty (fleet mode), where the caller prints it before the summary. */
void evaluate_subject(char *dst, size_t dstlen, const struct check_policy *policy,
		      const struct vspc_replication_job *job,
		      const struct vspc_job_session *session);

#endif
