#include "autoconfig.h"

#include "range.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* strtod() accepts "inf", "nan", hex and, in other locales, a comma; our
 * grammar is stricter, so check the shape before converting. The text is
 * [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?, which is a
 * subset of what strtod() reads in the C locale (the only locale this
 * program runs in: it never calls setlocale()). */
static bool number_shape_ok(const char *s, size_t n)
{
	size_t i = 0;
	size_t int_digits = 0;
	size_t frac_digits = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < n && isdigit((unsigned char)s[i]))
		i++, int_digits++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && isdigit((unsigned char)s[i]))
			i++, frac_digits++;
	}
	if (int_digits + frac_digits == 0)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp_digits = 0;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < n && isdigit((unsigned char)s[i]))
			i++, exp_digits++;
		if (exp_digits == 0)
			return false;
	}
	return i == n;
}

/* Converts exactly @n bytes at @s into a finite double. */
static bool parse_number(const char *s, size_t n, double *out)
{
	char tmp[64];
	char *end;
	double v;

	if (n == 0 || n >= sizeof tmp || !number_shape_ok(s, n))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	v = strtod(tmp, &end);
	if (errno == ERANGE || *end != '\0' || !isfinite(v))
		return false;
	*out = v;
	return true;
}

enum range_error range_parse(const char *text, struct range *out)
{
	const char *p = text;
	const char *colon;

	memset(out, 0, sizeof *out);
	out->end_infinite = true;
	if (*p == '@') {
		out->alert_inside = true;
		p++;
	}
	if (*p == '\0')
		return RANGE_ERR_EMPTY;

	colon = strchr(p, ':');
	if (colon == NULL) {
		/* "10" means 0:10 */
		out->end_infinite = false;
		if (!parse_number(p, strlen(p), &out->end))
			return RANGE_ERR_END;
	} else {
		size_t start_len = (size_t)(colon - p);
		const char *end_text = colon + 1;

		if (start_len == 1 && p[0] == '~')
			out->start_infinite = true;
		else if (start_len > 0 && !parse_number(p, start_len, &out->start))
			return RANGE_ERR_START;
		if (*end_text != '\0') {
			out->end_infinite = false;
			if (!parse_number(end_text, strlen(end_text), &out->end))
				return RANGE_ERR_END;
		}
	}
	if (!out->start_infinite && !out->end_infinite && out->start > out->end)
		return RANGE_ERR_ORDER;
	return RANGE_OK;
}

const char *range_strerror(enum range_error err)
{
	switch (err) {
	case RANGE_OK:
		return "no error";
	case RANGE_ERR_EMPTY:
		return "empty range";
	case RANGE_ERR_START:
		return "start is not a number or ~";
	case RANGE_ERR_END:
		return "end is not a number";
	case RANGE_ERR_ORDER:
		return "start is greater than end";
	}
	return "invalid range";
}

bool range_alerts(const struct range *r, double value)
{
	bool inside =
	    (r->start_infinite || value >= r->start) && (r->end_infinite || value <= r->end);

	return r->alert_inside ? inside : !inside;
}
