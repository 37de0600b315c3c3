/* RFC 3339 timestamps as VSPC sends them, durations, ages. */
#include "autoconfig.h"

#include <inttypes.h>

#include "tap.h"
#include "timeutil.h"

static const struct {
	const char *text;
	int64_t epoch;
} good[] = {
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2024-07-17T21:37:51.8-04:00", 1721266671 },
	{ "2024-07-18T01:37:51Z", 1721266671 },
	{ "2016-11-01T10:35:28.0000000-07:00", 1478021728 },
	{ "2016-11-01T17:35:28.1234567Z", 1478021728 },
	{ "2016-11-01T23:05:28+05:30", 1478021728 },
	{ "2016-11-01t17:35:28z", 1478021728 },
	{ "2024-02-29T00:00:00Z", 1709164800 },
	{ "2000-02-29T12:00:00+00:00", 951825600 },
	{ "2016-12-31T23:59:60Z", 1483228799 },
	{ "2038-01-19T03:14:08Z", 2147483648LL },
	{ "1969-12-31T23:59:59Z", -1 },
};

static const char *const bad[] = {
	"",
	"2024-07-17",
	"2024-07-17T21:37:51",
	"2024-07-17 21:37:51Z",
	"2024-13-01T00:00:00Z",
	"2024-00-01T00:00:00Z",
	"2023-02-29T00:00:00Z",
	"2024-04-31T00:00:00Z",
	"2024-07-17T24:00:00Z",
	"2024-07-17T23:60:00Z",
	"2024-07-17T23:00:61Z",
	"2024-07-17T21:37:51.Z",
	"2024-07-17T21:37:51.1234567890Z",
	"2024-07-17T21:37:51+0400",
	"2024-07-17T21:37:51+24:00",
	"2024-07-17T21:37:51+04:60",
	"2024-07-17T21:37:51Zjunk",
	"yesterday",
	"2024-7-17T21:37:51Z",
	"+2024-07-17T21:37:51Z",
	"2024-07-17T21:37:51 Z",
};

static const struct {
	const char *text;
	int64_t seconds;
} durations[] = {
	{ "3600", 3600 },  { "1", 1 },           { "30s", 30 },    { "90m", 5400 },
	{ "26h", 93600 },  { "2d", 172800 },     { "1w", 604800 }, { "1d12h", 129600 },
	{ "1h30m", 5400 }, { "1h30m15s", 5415 },
};

static const char *const bad_durations[] = {
	"",       "0", "0s", "h", "1x", "1h30", "-5", "1.5h", "1 h", "26H", "99999999999999999999",
	"36601d",
};

int main(void)
{
	char age[32];

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int64_t t = 0;
		bool ok = time_parse_rfc3339(good[i].text, strlen(good[i].text), &t);

		tap_ok(ok && t == good[i].epoch, "%s is %" PRId64 " (got %" PRId64 ")",
		       good[i].text, good[i].epoch, t);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t;

		tap_ok(!time_parse_rfc3339(bad[i], strlen(bad[i]), &t), "'%s' is refused", bad[i]);
	}
	{
		int64_t t;

		tap_ok(time_parse_rfc3339("2024-07-18T01:37:51Zjunk", 20, &t) && t == 1721266671,
		       "exactly len bytes are read");
	}
	{
		int64_t t = 0;
		bool has = true;

		tap_ok(time_parse_local("2024-07-18T01:37:51", 19, &t, &has) && t == 1721266671 &&
			   !has,
		       "a time without offset is read as UTC");
		tap_ok(time_parse_local("2024-07-18T01:37:51.8", 21, &t, &has) && !has,
		       "with a fraction too");
		tap_ok(time_parse_local("2024-07-17T21:37:51-04:00", 25, &t, &has) && has &&
			   t == 1721266671,
		       "an offset is still applied");
		tap_ok(time_parse_local("0001-01-01T00:00:00", 19, &t, &has) && t < 0,
		       "year 1 parses, before the epoch");
		tap_ok(!time_parse_local("2024-07-18T01:37:51+", 20, &t, &has) &&
			   !time_parse_local("2024-07-18T01:37", 16, &t, &has) &&
			   !time_parse_rfc3339("2024-07-18T01:37:51", 19, &t),
		       "half an offset or no seconds is refused; RFC 3339 still needs the offset");
	}
	for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
		int64_t s = 0;

		tap_ok(time_parse_duration(durations[i].text, &s) && s == durations[i].seconds,
		       "duration %s is %" PRId64 " s", durations[i].text, durations[i].seconds);
	}
	for (size_t i = 0; i < sizeof bad_durations / sizeof bad_durations[0]; i++) {
		int64_t s;

		tap_ok(!time_parse_duration(bad_durations[i], &s), "duration '%s' is refused",
		       bad_durations[i]);
	}
	time_format_age(age, sizeof age, 42);
	tap_str_eq(age, "42s", "42 s");
	time_format_age(age, sizeof age, 17 * 60 + 59);
	tap_str_eq(age, "17m", "minutes");
	time_format_age(age, sizeof age, 3 * 3600 + 5 * 60);
	tap_str_eq(age, "3h 5m", "hours and minutes");
	time_format_age(age, sizeof age, 2 * 86400 + 4 * 3600 + 59);
	tap_str_eq(age, "2d 4h", "days and hours");
	time_format_age(age, sizeof age, -5);
	tap_str_eq(age, "0s", "the future is 0s");
	return tap_done();
}
