/* What a run does, by mode: check one job, check every job, or list jobs.
 * Each fills rq->res (the list also prints its rows) and returns. */
#ifndef VSPC_MODES_H
#define VSPC_MODES_H

#include "request.h"

void mode_single(const struct request_ctx *rq);
void mode_fleet(const struct request_ctx *rq);

/* Prints the listing to stdout as pages arrive; on failure rq->res holds the
 * reason (state UNKNOWN), else it stays OK. */
void mode_list(const struct request_ctx *rq);

#endif
