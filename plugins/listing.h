/* --list: one row per job, as a table for people or JSON lines for
 * scripts, printed to stdout as the jobs arrive. */
#ifndef VSPC_LISTING_H
#define VSPC_LISTING_H

#include <stdint.h>

#include "config.h"
#include "vspc.h"

/* The table's header line (nothing for JSON lines). */
void listing_header(enum run_mode mode);

/* One job's row; @session may be NULL (not expanded); @now for ages. */
void listing_row(enum run_mode mode, const struct vspc_job *job,
		 const struct vspc_job_session *session, int64_t now);

#endif
