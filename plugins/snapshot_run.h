/* --snapshot-max-age: a run's use of the shared job snapshot
 * (lib/snapshot.h). It finds the snapshot of the run's server and
 * identity; when it is fresh enough the modes read their jobs from it and
 * VSPC is not asked at all; when it is not, one run refreshes it with one
 * walk of every collection while the others wait for that walk; a refresh
 * that failed is reported by every run until its back-off ends. */
#ifndef VSPC_SNAPSHOT_RUN_H
#define VSPC_SNAPSHOT_RUN_H

#include "session.h"
#include "snapshot.h"

/* How long every run reports a failed refresh, without asking VSPC, when
 * VSPC sent no retryAfter; and the longest retryAfter honoured. */
#define SNAPSHOT_BACKOFF     60
#define SNAPSHOT_BACKOFF_MAX 3600

enum snap_use {
	SNAP_READY = 0, /* a fresh snapshot is open for reading */
	SNAP_REPORTED,  /* the result says why not (a failed refresh, a wait too long) */
	SNAP_DIRECT     /* no snapshot can be used: ask VSPC (a note for -v says why) */
};

struct snap_run {
	struct snapshot *sn;
	struct snapshot_info info;
	int64_t now;
	const char *how; /* on SNAP_READY: made by an earlier run, refreshed by ... */
};

/* Gets the run a fresh snapshot, refreshing it when need be. On
 * SNAP_READY r->sn holds it in a read transaction until snap_release(). */
enum snap_use snap_acquire(struct session *s, struct snap_run *r);

/* Says under -v which snapshot a SNAP_READY run used, how old it is and
 * how it came, and whether it @answered or was only looked in (a job it
 * does not hold: the note that follows says why VSPC is asked). */
void snap_say(struct session *s, const struct snap_run *r, bool answered);

/* Ends the reading and closes the file. Accepts a run that got nothing. */
void snap_release(struct snap_run *r);

#endif
