#include "autoconfig.h"

#include "oom.h"

#include <unistd.h>

#include "state.h"

_Noreturn void oom_exit(void)
{
	ssize_t written = write(STDOUT_FILENO, OOM_LINE, sizeof OOM_LINE - 1);

	(void)written; /* nothing more can be done */
	_exit(STATE_UNKNOWN);
}
