/* What a run does, by mode: check one job (plugins/single.c), check every
 * job or list them (plugins/fleet.c). Each fills the session's result
 * (the listing also prints its rows) and returns. */
#ifndef VSPC_MODES_H
#define VSPC_MODES_H

#include "session.h"

void mode_single(struct session *s);
void mode_fleet(struct session *s);

/* Prints the listing to stdout as pages arrive; on failure the result
 * holds the reason (state UNKNOWN), else it stays OK. */
void mode_list(struct session *s);

#endif
