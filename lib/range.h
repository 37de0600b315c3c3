/* Monitoring Plugins threshold ranges.
 *
 * Syntax ([@]start:end), as the Monitoring Plugins development guidelines
 * define it:
 *   10      alert if the value is < 0 or > 10
 *   10:     alert if < 10
 *   ~:10    alert if > 10 (~ is negative infinity)
 *   10:20   alert if < 10 or > 20
 *   @10:20  alert if 10 <= value <= 20
 * A missing start means 0 (":10" is "10"); a missing end means infinity.
 * Numbers are decimal with optional sign, fraction and exponent; inf, nan
 * and hexadecimal are rejected. Parsing is independent of the locale. */
#ifndef VSPC_RANGE_H
#define VSPC_RANGE_H

#include <stdbool.h>

enum range_error {
	RANGE_OK = 0,
	RANGE_ERR_EMPTY, /* empty string */
	RANGE_ERR_START, /* the start is not a number or ~ */
	RANGE_ERR_END,   /* the end is not a number */
	RANGE_ERR_ORDER  /* start is greater than end */
};

struct range {
	double start;
	double end;
	bool start_infinite; /* start is ~ (negative infinity) */
	bool end_infinite;   /* no end given: positive infinity */
	bool alert_inside;   /* the range began with @ */
};

/* Parses @text into *@out. On error *@out is unspecified. */
enum range_error range_parse(const char *text, struct range *out);

/* A short English description of @err, e.g. "start is greater than end". */
const char *range_strerror(enum range_error err);

/* True when @value is in the alerting part of @r. */
bool range_alerts(const struct range *r, double value);

#endif
