/* Monitoring Plugins service states.
 *
 * The numeric values are the plugin exit codes; nothing else may ever be
 * returned from main(). */
#ifndef VSPC_STATE_H
#define VSPC_STATE_H

#include <stdbool.h>

enum state {
	STATE_OK = 0,
	STATE_WARNING = 1,
	STATE_CRITICAL = 2,
	STATE_UNKNOWN = 3
};

/* The upper-case name of @s ("OK", "WARNING", ...); "UNKNOWN" for values
 * out of range. Never NULL. */
const char *state_name(enum state s);

/* The worse of @a and @b, ranked OK < UNKNOWN < WARNING < CRITICAL, the
 * order the Monitoring Plugins use to aggregate sub-results. */
enum state state_worst(enum state a, enum state b);

/* Parses a state word (ok, warning, critical, unknown; any case) or digit
 * (0 to 3) into *@out. Returns false, leaving *@out alone, on anything else. */
bool state_parse(const char *text, enum state *out);

#endif
