#include "autoconfig.h"

#include "clock.h"

#include <time.h>

int64_t clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_remaining_ms(int64_t deadline_ms)
{
	int64_t left = deadline_ms - clock_now_ms();

	return left > 0 ? left : 0;
}
