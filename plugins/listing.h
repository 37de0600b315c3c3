/* --list: one row per job, printed to stdout as the jobs arrive: a table
 * for people, JSON lines for scripts, or monitoring configuration that
 * makes one service per job (Icinga 2 DSL, JSON for Icinga Director,
 * Nagios object definitions; plugins/listing.c says what each holds).
 *
 * A configuration is complete only with its footer: the Icinga 2 and
 * JSON forms do not parse without it, and the Nagios form's services name
 * the service group that only the footer defines. */
#ifndef VSPC_LISTING_H
#define VSPC_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confesc.h"
#include "config.h"
#include "vspc.h"

/* One listing, from its header to its footer. */
struct listing {
	enum run_mode mode;
	const char *host; /* -H: names the generated objects */
	unsigned kinds;   /* the kinds the walk covers (bit 1 << enum vspc_kind) */
	struct confesc_names names;
	uint64_t rows[VSPC_KIND_COUNT];
	/* icinga2-array: the arrays of the kinds below next_kind are done (the
	 * last of them may be open); whether one was printed yet */
	unsigned next_kind;
	bool array_printed;
};

/* Prepares a listing in the form @cfg->mode asks for. */
void listing_init(struct listing *l, const struct config *cfg);

/* The header: the table's column names, the opening of a configuration
 * (nothing for JSON lines). */
void listing_header(struct listing *l);

/* One job's row; @session may be NULL (not expanded); @now for ages. False
 * if the row cannot be written, with the reason in @err: a configuration
 * needs the job's UID and name (its BackupServerJob), and memory for the
 * names handed out. Then the listing must not go on. */
bool listing_row(struct listing *l, const struct vspc_job *job,
		 const struct vspc_job_session *session, int64_t now, char *err, size_t errlen);

/* The footer, only after a walk that worked: what closes a configuration
 * and a last comment line with the number of jobs. */
void listing_footer(struct listing *l);

/* After a walk that failed: ends the line a row left open (the JSON's),
 * so that the status line that follows stands on its own. */
void listing_abort(struct listing *l);

void listing_free(struct listing *l);

#endif
