#include "autoconfig.h"

#include "clock.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* field 22 of /proc/self/stat, the 20th after the ")" of the name */
#define STAT_STARTTIME_FIELD 20

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

/* How long ago this process started, in ms: its start time in clock ticks
 * since boot (/proc/self/stat) against CLOCK_BOOTTIME; 0 when unknown. */
static int64_t process_age_ms(void)
{
	char text[1024];
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
	long ticks = sysconf(_SC_CLK_TCK);
	struct timespec ts;
	unsigned long long start;
	char *p;
	char *end;
	int64_t age;

	if (fd >= 0)
		close(fd);
	if (n <= 0 || ticks <= 0 || clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return 0;
	text[n] = '\0';
	p = strrchr(text, ')');
	for (int i = 0; p && i < STAT_STARTTIME_FIELD; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return 0;
	start = strtoull(p + 1, &end, 10);
	if (end == p + 1 || *end != ' ')
		return 0;
	age = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
	      (int64_t)(start * 1000 / (unsigned long long)ticks);
	return age > 0 ? age : 0;
}

int64_t clock_run_deadline_ms(unsigned seconds)
{
	static int64_t start;
	static int known;
	int64_t budget = (int64_t)seconds * 1000;

	if (!known) {
		int64_t age = process_age_ms();

		/* a wrapper that waited long before exec leaves half at least */
		start = clock_now_ms() - (age < budget / 2 ? age : budget / 2);
		known = 1;
	}
	return start + budget;
}
