#include "autoconfig.h"

#include "rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "timeutil.h"

bool rule_field_usable(const char *name, const struct vspc_field *f, bool nullable, char *problems,
		       size_t len)
{
	const char *why = NULL;
	size_t used = strlen(problems);

	switch (f->state) {
	case VSPC_FIELD_VALUE:
		return true;
	case VSPC_FIELD_NULL:
		if (nullable)
			return true;
		why = "is null";
		break;
	case VSPC_FIELD_ABSENT:
		why = "is missing";
		break;
	case VSPC_FIELD_INVALID:
		why = f->problem;
		break;
	}
	snprintf(problems + used, len - used, "%s%s %s", used ? ", " : "", name, why);
	return false;
}

const char *rule_threshold_text(const struct threshold *t)
{
	return t->set ? t->text : "";
}

void rule_limit_text(char *dst, size_t dstlen, const struct duration_limit *l)
{
	if (l->seconds > 0)
		snprintf(dst, dstlen, "%" PRId64, l->seconds);
	else if (dstlen)
		dst[0] = '\0';
}

void rule_ranges(const char *name, const char *what, int64_t value, const char *unit,
		 const struct threshold *warning, const struct threshold *critical,
		 struct result *res)
{
	const struct threshold *levels[] = { critical, warning };
	const enum state states[] = { STATE_CRITICAL, STATE_WARNING };
	const char *w = warning->set ? warning->text : "none";
	const char *c = critical->set ? critical->text : "none";

	for (size_t i = 0; i < 2; i++) {
		const struct threshold *t = levels[i];

		if (!t->set || !range_alerts(&t->range, (double)value))
			continue;
		result_summary(res, "%s %" PRId64 "%s is %s the %s range %s", what, value, unit,
			       t->range.alert_inside ? "inside" : "outside",
			       states[i] == STATE_CRITICAL ? "critical" : "warning", t->text);
		result_check(res, states[i], name, "%s %" PRId64 "%s (warning %s, critical %s)",
			     what, value, unit, w, c);
		return; /* critical wins; do not report the same value twice */
	}
	result_check(res, STATE_OK, name, "%s %" PRId64 "%s (warning %s, critical %s)", what, value,
		     unit, w, c);
}

void rule_limits(const char *name, const char *what, int64_t value,
		 const struct duration_limit *warning, const struct duration_limit *critical,
		 struct result *res)
{
	char shown[24];

	time_format_age(shown, sizeof shown, value);
	if (critical->seconds > 0 && value > critical->seconds) {
		result_summary(res, "%s %s, beyond the critical %s", what, shown, critical->text);
		result_check(res, STATE_CRITICAL, name, "%s %s, beyond the critical %s", what,
			     shown, critical->text);
	} else if (warning->seconds > 0 && value > warning->seconds) {
		result_summary(res, "%s %s, beyond the warning %s", what, shown, warning->text);
		result_check(res, STATE_WARNING, name, "%s %s, beyond the warning %s", what, shown,
			     warning->text);
	} else {
		result_check(res, STATE_OK, name, "%s %s", what, shown);
	}
}

void rule_mismatch(const char *what, const char *want, const char *got, enum state mismatch,
		   struct result *res)
{
	result_summary(res, "%s expected %s, got %s", what, want, got);
	result_check(res, mismatch, what, "%s expected %s, got %s", what, want, got);
}

void rule_no_figure(const char *name, enum state never_run, const char *why, struct result *res)
{
	result_summary(res, "%s", why);
	result_check(res, never_run, name, "%s", why);
}
