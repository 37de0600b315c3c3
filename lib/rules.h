/* Building blocks of the rules, shared by the evaluator and the kinds
 * (lib-internal). Each rule records a sub-check @name with its state
 * (result_check: the result's state follows, and a "[STATE] ..." line goes
 * to -v) and adds a summary part when it alerts. */
#ifndef VSPC_RULES_H
#define VSPC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "output.h"
#include "policy.h"

/* Appends "<name> <problem>" to @problems when a field a rule needs cannot
 * be read; @nullable fields may be null. True if the field is usable. */
bool rule_field_usable(const char *name, const struct vspc_field *f, bool nullable, char *problems,
		       size_t len);

/* @value against the critical, then the warning range: the first that
 * alerts sets the state. @what names the value in messages ("SLA"); @unit
 * follows the number ("%", ""). */
void rule_ranges(const char *name, const char *what, int64_t value, const char *unit,
		 const struct threshold *warning, const struct threshold *critical,
		 struct result *res);

/* @value (seconds) beyond the critical, then the warning limit. */
void rule_limits(const char *name, const char *what, int64_t value,
		 const struct duration_limit *warning, const struct duration_limit *critical,
		 struct result *res);

/* A failed expectation: the mismatch state, "what expected X, got Y"
 * (the sub-check is named @what). */
void rule_mismatch(const char *what, const char *want, const char *got, enum state mismatch,
		   struct result *res);

/* A rule that cannot be judged because VSPC reports no figure: the
 * never-run state with @why in the summary. */
void rule_no_figure(const char *name, enum state never_run, const char *why, struct result *res);

/* perfdata text of a threshold ("" when not set) and of a limit. */
const char *rule_threshold_text(const struct threshold *t);
void rule_limit_text(char *dst, size_t dstlen, const struct duration_limit *l);

#endif
