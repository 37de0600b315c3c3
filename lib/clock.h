/* Monotonic time for deadlines. */
#ifndef VSPC_CLOCK_H
#define VSPC_CLOCK_H

#include <stdint.h>

/* Milliseconds on a monotonic clock with an arbitrary origin. */
int64_t clock_now_ms(void);

/* Milliseconds left until @deadline_ms (a clock_now_ms() value); 0 when it
 * has passed. */
int64_t clock_remaining_ms(int64_t deadline_ms);

#endif
