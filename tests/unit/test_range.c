/* Monitoring Plugins range syntax: parsing and alerting, table-driven. */
#include "autoconfig.h"

#include <math.h>

#include "range.h"
#include "tap.h"

struct alert_case {
	const char *range;
	double value;
	bool alerts;
};

static const struct alert_case alert_cases[] = {
	/* "10": outside 0..10 */
	{ "10", -1, true },
	{ "10", 0, false },
	{ "10", 10, false },
	{ "10", 10.5, true },
	/* "10:": below 10 */
	{ "10:", 9.999, true },
	{ "10:", 10, false },
	{ "10:", 1e9, false },
	/* "~:10": above 10 */
	{ "~:10", -1e9, false },
	{ "~:10", 10, false },
	{ "~:10", 10.001, true },
	/* "10:20": outside 10..20, ends inclusive */
	{ "10:20", 9, true },
	{ "10:20", 10, false },
	{ "10:20", 20, false },
	{ "10:20", 21, true },
	/* "@10:20": inside 10..20, ends inclusive */
	{ "@10:20", 9, false },
	{ "@10:20", 10, true },
	{ "@10:20", 15, true },
	{ "@10:20", 20, true },
	{ "@10:20", 20.5, false },
	/* decimals and negatives */
	{ "-5:-1", -3, false },
	{ "-5:-1", 0, true },
	{ "-5:-1", -5.5, true },
	{ "0.5:1.5", 1, false },
	{ "0.5:1.5", 0.4, true },
	{ "@-1.5:2.5", 0, true },
	{ "@-1.5:2.5", 3, false },
	{ "1e1", 10, false },
	{ "1e1", 11, true },
	/* missing start is 0; "~:" never alerts; "@5" alerts inside 0..5 */
	{ ":10", -1, true },
	{ ":10", 5, false },
	{ "~:", -1e300, false },
	{ "~:", 1e300, false },
	{ "@5", 3, true },
	{ "@5", 6, false },
	{ "5:5", 5, false },
	{ "5:5", 4, true },
	{ "@0", 0, true },
	{ "0", 0, false },
	{ "0", 1, true },
};

static const struct {
	const char *text;
	enum range_error err;
} invalid_cases[] = {
	{ "", RANGE_ERR_EMPTY },       { "@", RANGE_ERR_EMPTY },      { "abc", RANGE_ERR_END },
	{ "10:abc", RANGE_ERR_END },   { "abc:10", RANGE_ERR_START }, { "20:10", RANGE_ERR_ORDER },
	{ "@20:10", RANGE_ERR_ORDER }, { "10:20:30", RANGE_ERR_END }, { "~", RANGE_ERR_END },
	{ "~~:10", RANGE_ERR_START },  { "inf", RANGE_ERR_END },      { "nan", RANGE_ERR_END },
	{ "0x10", RANGE_ERR_END },     { "1,5", RANGE_ERR_END },      { "1e999", RANGE_ERR_END },
	{ "10 ", RANGE_ERR_END },      { " 10", RANGE_ERR_END },      { "1e", RANGE_ERR_END },
	{ ".", RANGE_ERR_END },        { "--1", RANGE_ERR_END },      { "@@1", RANGE_ERR_END },
	{ "10:~", RANGE_ERR_END },
};

int main(void)
{
	for (size_t i = 0; i < sizeof alert_cases / sizeof alert_cases[0]; i++) {
		const struct alert_case *c = &alert_cases[i];
		struct range r;
		enum range_error rc = range_parse(c->range, &r);

		tap_ok(rc == RANGE_OK && range_alerts(&r, c->value) == c->alerts,
		       "range '%s' %s on %g", c->range, c->alerts ? "alerts" : "does not alert",
		       c->value);
	}
	for (size_t i = 0; i < sizeof invalid_cases / sizeof invalid_cases[0]; i++) {
		struct range r;
		enum range_error rc = range_parse(invalid_cases[i].text, &r);

		tap_ok(rc == invalid_cases[i].err, "range '%s' is rejected: %s (got %s)",
		       invalid_cases[i].text, range_strerror(invalid_cases[i].err),
		       range_strerror(rc));
	}
	{
		struct range r;

		tap_ok(range_parse("~:10", &r) == RANGE_OK && r.start_infinite && !r.end_infinite &&
			   r.end == 10,
		       "~:10 has an infinite start and end 10");
		tap_ok(range_parse("@1.25:", &r) == RANGE_OK && r.alert_inside && r.end_infinite &&
			   r.start == 1.25,
		       "@1.25: alerts inside, from 1.25 to infinity");
	}
	return tap_done();
}
