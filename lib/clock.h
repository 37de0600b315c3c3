/* Monotonic time for deadlines. */
#ifndef VSPC_CLOCK_H
#define VSPC_CLOCK_H

#include <stdint.h>

/* Milliseconds on a monotonic clock with an arbitrary origin. */
int64_t clock_now_ms(void);

/* Milliseconds left until @deadline_ms (a clock_now_ms() value); 0 when it
 * has passed. */
int64_t clock_remaining_ms(int64_t deadline_ms);

/* The deadline (a clock_now_ms() value) of a run with a timeout of
 * @seconds: that long after the process started, when the engine forked
 * it (loading and linking the plugin on a busy host take time the engine's
 * timeout counts), from /proc/self/stat; at most half of it counts as gone
 * by the first call, which fixes the start for the run. */
int64_t clock_run_deadline_ms(unsigned seconds);

#endif
