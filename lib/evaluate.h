/* Evaluation: a pure function of the policy, the decoded job and the time.
 *
 * One job gets the rules every kind shares (its last session: status,
 * enabled, age) and the rules of its own kind (lib/kinds.h: protected VM
 * counts and expectations for VM replication jobs, SLA, delay and errors
 * for CDP policies). Fields the policy needs that are missing, null or
 * invalid make the result UNKNOWN naming them; fields it does not look at
 * are ignored. No I/O, no clock: @now (seconds since 1970 UTC) is given. */
#ifndef VSPC_EVALUATE_H
#define VSPC_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "policy.h"
#include "vspc.h"

/* Evaluates @job (any kind) into @res. @asked_uid is the UID the user asked
 * for (-j), which the answers must name, or NULL when the job came from a
 * walk of the collection (then the job is named by the caller, outside the
 * summary). @session is the job's BackupServerJob, or NULL when it was not
 * read. */
void evaluate_job(const struct check_policy *policy, const char *asked_uid,
		  const struct vspc_job *job, const struct vspc_job_session *session, int64_t now,
		  struct result *res);

/* "'SQL to DR' (uid)", or "job uid" when the name is unknown: how a job is
 * named (by @asked_uid when given, else by its own UID). */
void evaluate_subject(char *dst, size_t dstlen, const char *asked_uid, const struct vspc_job *job,
		      const struct vspc_job_session *session);

#endif
