#include "autoconfig.h"

#include "timeutil.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#define MAX_DURATION (100LL * 366 * 86400)

/* Reads exactly @n digits at @s. */
static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era;
	int64_t yoe;
	int64_t doy;
	int64_t doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The "Z" or "+HH:MM" at @s (exactly @n bytes), as seconds east of UTC. */
static bool parse_offset(const char *s, size_t n, int *offset)
{
	int hh;
	int mm;

	if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
		*offset = 0;
		return true;
	}
	if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !digits(s + 1, 2, &hh) ||
	    !digits(s + 4, 2, &mm) || hh > 23 || mm > 59)
		return false;
	*offset = (s[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	return true;
}

/* The date-time at @s, with or without the offset; *@has_offset tells. */
static bool parse_datetime(const char *s, size_t len, int64_t *out, bool *has_offset)
{
	int y, mo, d, h, mi, sec, offset = 0;
	size_t i = 19;

	if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return false;
	if (i < len && s[i] == '.') {
		size_t start = ++i;

		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i == start || i - start > 9)
			return false;
	}
	*has_offset = i < len;
	if (*has_offset && !parse_offset(s + i, len - i, &offset))
		return false;
	if (sec == 60)
		sec = 59;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
	return true;
}

bool time_parse_rfc3339(const char *s, size_t len, int64_t *out)
{
	bool has_offset;
	int64_t t;

	if (!parse_datetime(s, len, &t, &has_offset) || !has_offset)
		return false;
	*out = t;
	return true;
}

bool time_parse_local(const char *s, size_t len, int64_t *out, bool *has_offset)
{
	return parse_datetime(s, len, out, has_offset);
}

static int64_t unit_seconds(char unit)
{
	switch (unit) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 7 * 86400;
	}
	return 0;
}

bool time_parse_duration(const char *s, int64_t *seconds)
{
	int64_t total = 0;
	bool plain = true;

	if (*s == '\0')
		return false;
	while (*s) {
		int64_t n = 0;
		int64_t unit;

		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s)) {
			n = n * 10 + (*s++ - '0');
			if (n > MAX_DURATION)
				return false;
		}
		unit = *s ? unit_seconds(*s) : 1;
		if (*s == '\0' && !plain)
			return false; /* "1h30" is ambiguous */
		if (unit == 0)
			return false;
		if (*s)
			s++;
		plain = false;
		total += n * unit;
		if (total > MAX_DURATION)
			return false;
	}
	if (total < 1)
		return false;
	*seconds = total;
	return true;
}

void time_format_age(char *dst, size_t dstlen, int64_t t)
{
	if (t < 0)
		t = 0;
	if (t < 60)
		snprintf(dst, dstlen, "%" PRId64 "s", t);
	else if (t < 3600)
		snprintf(dst, dstlen, "%" PRId64 "m", t / 60);
	else if (t < 86400)
		snprintf(dst, dstlen, "%" PRId64 "h %" PRId64 "m", t / 3600, t % 3600 / 60);
	else
		snprintf(dst, dstlen, "%" PRId64 "d %" PRId64 "h", t / 86400, t % 86400 / 3600);
}
