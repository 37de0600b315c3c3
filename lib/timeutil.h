/* Timestamps and durations, independent of the time zone and locale. */
#ifndef VSPC_TIMEUTIL_H
#define VSPC_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses an RFC 3339 date-time as VSPC sends it:
 * YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), with 0 to 9 fraction
 * digits (VSPC sends up to 7). Every field is range-checked (days per month,
 * leap years; a leap second 60 counts as 59). Stores whole seconds since the
 * Unix epoch, the fraction dropped, in *@out. Returns false on anything else,
 * including a missing offset. Reads exactly @len bytes. */
bool time_parse_rfc3339(const char *s, size_t len, int64_t *out);

/* Like time_parse_rfc3339(), but the offset may be missing, as some VSPC
 * servers send it: such a time is read as UTC and *@has_offset is false.
 * Years from 0001 are accepted, so placeholders such as 0001-01-01T00:00:00
 * parse (to a negative epoch) and the caller can recognise them. */
bool time_parse_local(const char *s, size_t len, int64_t *out, bool *has_offset);

/* Parses a duration: plain seconds ("3600") or one or more number+unit
 * groups with units s, m, h, d, w ("90m", "26h", "1d12h"). The result must
 * be 1 second to 100 years. Returns false on anything else. */
bool time_parse_duration(const char *s, int64_t *seconds);

/* Writes a short human form of @seconds: "42s", "17m", "3h 5m", "2d 4h".
 * Negative values are written as 0s. */
void time_format_age(char *dst, size_t dstlen, int64_t seconds);

#endif
