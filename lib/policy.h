/* The evaluator's policy: what a job is held to. A part every kind of job
 * shares (its last session, the state of a failed expectation) and one
 * part per kind (lib/kinds.h); filled by the command line, read-only
 * afterwards. */
#ifndef VSPC_POLICY_H
#define VSPC_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "range.h"
#include "state.h"
#include "uid.h"

/* A threshold as parsed and as the user wrote it (echoed in perfdata). */
struct threshold {
	bool set;
	struct range range;
	const char *text;
};

/* A duration limit; seconds 0 when not set. */
struct duration_limit {
	int64_t seconds;
	const char *text; /* as the user wrote it */
};

enum expect_bool {
	EXPECT_ANY = 0,
	EXPECT_TRUE,
	EXPECT_FALSE
};

/* An expected UUID, or the expectation that the field is null. */
struct expect_uid {
	bool set;
	bool none;
	char uid[VSPC_UID_LEN + 1]; /* lower case */
};

/* What every kind of job is held to: its last session. */
struct policy_session {
	enum state never_run_state;
	enum state disabled_state;
	struct duration_limit max_age_warning;
	struct duration_limit max_age_critical;
};

/* VM replication jobs: protectedVmCount and the configuration. */
struct policy_vm {
	struct threshold warning;
	struct threshold critical;
	enum expect_bool wan;
	enum expect_bool cloud;
	struct expect_uid source_wan;
	struct expect_uid target_wan;
	struct expect_uid cloud_host;
	struct expect_uid target_host;
};

/* CDP policies: the last period's SLA, delay and errors, the RPO. */
struct policy_cdp {
	struct threshold sla_warning; /* lastPeriod.sla, percent */
	struct threshold sla_critical;
	struct duration_limit max_delay_warning; /* lastPeriod.maxDelay */
	struct duration_limit max_delay_critical;
	struct threshold errors_warning; /* lastPeriod.errorsCount */
	struct threshold errors_critical;
	struct duration_limit rpo; /* the expected rpo x rpoUnit */
};

struct check_policy {
	enum state mismatch_state; /* of a failed expectation, any kind */
	struct policy_session session;
	struct policy_vm vm;
	struct policy_cdp cdp;
};

/* Sets the defaults: WARNING for mismatches, never-run and disabled jobs,
 * no thresholds or expectations. */
void policy_init(struct check_policy *p);

#endif
