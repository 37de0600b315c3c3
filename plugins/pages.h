/* The collection walker (lib/walk.h) over the run's session: its fetch
 * function, and one call that walks. Used by the fleet check and the
 * listing (plugins/fleet.c) and by the snapshot refresh
 * (plugins/snapshot_run.c). */
#ifndef VSPC_PAGES_H
#define VSPC_PAGES_H

#include <stdbool.h>

#include "kinds.h"
#include "session.h"
#include "walk.h"

/* What is walked. */
enum pages_scope {
	PAGES_SELECTED = 0, /* the kinds and backup server the command line selects */
	PAGES_WHOLE         /* every kind, every backup server (the snapshot) */
};

/* The note of a run that checks no job of kind @k: VSPC has no such
 * collection (said by the walk, and by the snapshot that recorded it). */
void pages_note_missing(struct result *res, const struct job_kind *k);

/* Walks the collections, handing each item to @item. Returns the walk's
 * outcome; any error but WALK_ERR_STOPPED (the item function's) is in the
 * result already. */
enum walk_error pages_walk(struct session *s, enum pages_scope scope, walk_item_fn item,
			   void *item_ctx, struct walk_stats *stats);

#endif
