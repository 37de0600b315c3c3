#include "autoconfig.h"

#include "state.h"

#include <string.h>
#include <strings.h>

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

const char *state_name(enum state s)
{
	if ((unsigned)s > STATE_UNKNOWN)
		return "UNKNOWN";
	return state_names[s];
}

static int state_rank(enum state s)
{
	switch (s) {
	case STATE_OK:
		return 0;
	case STATE_UNKNOWN:
		return 1;
	case STATE_WARNING:
		return 2;
	case STATE_CRITICAL:
		return 3;
	}
	return 1;
}

enum state state_worst(enum state a, enum state b)
{
	return state_rank(a) >= state_rank(b) ? a : b;
}

bool state_parse(const char *text, enum state *out)
{
	static const char *const words[] = { "ok", "warning", "critical", "unknown" };
	static const char *const digits[] = { "0", "1", "2", "3" };

	for (int i = 0; i <= STATE_UNKNOWN; i++) {
		if (strcasecmp(text, words[i]) == 0 || strcmp(text, digits[i]) == 0) {
			*out = (enum state)i;
			return true;
		}
	}
	return false;
}
