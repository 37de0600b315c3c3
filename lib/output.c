#include "autoconfig.h"

#include "output.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#define SUMMARY_CAP     (4 * 1024)
#define LONG_OUTPUT_CAP (64 * 1024)
#define PERFDATA_CAP    (1024 * 1024)
#define PART_MAX        2048

void result_init(struct result *res, int verbosity)
{
	res->state = STATE_OK;
	res->verbosity = verbosity;
	res->long_output_full = false;
	res->perf_prefix = NULL;
	buf_init(&res->summary, SUMMARY_CAP);
	buf_init(&res->long_output, LONG_OUTPUT_CAP);
	buf_init(&res->perfdata, PERFDATA_CAP);
}

void result_free(struct result *res)
{
	buf_free(&res->summary);
	buf_free(&res->long_output);
	buf_free(&res->perfdata);
}

void result_raise(struct result *res, enum state s)
{
	res->state = state_worst(res->state, s);
}

void output_sanitise(char *dst, size_t dstlen, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0;
	size_t o = 0;
	bool truncated = false;

	if (dstlen == 0)
		return;
	while (i < len) {
		size_t n = utf8_char_len(s + i, len - i);

		if (o + (n ? n : 1) + 1 > dstlen) {
			truncated = true;
			break;
		}
		if (n == 0) {
			dst[o++] = '?';
			i++;
		} else if (n == 1) {
			unsigned char c = s[i++];

			dst[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (c == '|') ? '/' : (char)c;
		} else {
			memcpy(dst + o, s + i, n);
			o += n;
			i += n;
		}
	}
	if (truncated && dstlen >= 4) {
		size_t written = o;

		/* back up to a character boundary with room for "..." */
		o = o > dstlen - 4 ? dstlen - 4 : o;
		while (o > 0 && o < written && ((unsigned char)dst[o] & 0xc0) == 0x80)
			o--;
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* Formats into a bounded scratch buffer and sanitises the result. */
static void format_part(char *out, size_t outlen, const char *fmt, va_list ap)
{
	char raw[PART_MAX];
	int n = vsnprintf(raw, sizeof raw, fmt, ap);
	size_t len;

	if (n < 0)
		n = 0;
	len = (size_t)n < sizeof raw ? (size_t)n : sizeof raw - 1;
	output_sanitise(out, outlen, raw, len);
}

void result_summary(struct result *res, const char *fmt, ...)
{
	char part[PART_MAX];
	va_list ap;

	va_start(ap, fmt);
	format_part(part, sizeof part, fmt, ap);
	va_end(ap);
	if (res->summary.len)
		(void)buf_append_str(&res->summary, ", ");
	(void)buf_append_str(&res->summary, part);
}

void result_fail(struct result *res, enum state s, const char *fmt, ...)
{
	char part[PART_MAX];
	va_list ap;

	va_start(ap, fmt);
	format_part(part, sizeof part, fmt, ap);
	va_end(ap);
	res->state = s;
	buf_reset(&res->summary);
	(void)buf_append_str(&res->summary, part);
}

void result_line(struct result *res, int level, const char *fmt, ...)
{
	char part[PART_MAX];
	va_list ap;

	if (level > res->verbosity || res->long_output_full)
		return;
	va_start(ap, fmt);
	format_part(part, sizeof part, fmt, ap);
	va_end(ap);
	/* keep room for the marker that says lines were dropped */
	if (res->long_output.len + strlen(part) + 1 + 4 > res->long_output.cap ||
	    buf_printf(&res->long_output, "%s\n", part) != BUF_OK) {
		res->long_output_full = true;
		(void)buf_append_str(&res->long_output, "...\n");
	}
}

/* The Monitoring Plugins guidelines allow any character in a label but '='
 * and the single quote (Icinga 2 cuts a label at its first '='); both
 * become '_'. A label with spaces is quoted. */
static void append_label(struct buf *b, const char *label)
{
	char clean[256];

	output_sanitise(clean, sizeof clean, label, strlen(label));
	for (char *p = clean; *p; p++)
		if (*p == '=' || *p == '\'')
			*p = '_';
	if (clean[0] != '\0' && strchr(clean, ' ') == NULL)
		(void)buf_append_str(b, clean);
	else
		(void)buf_printf(b, "'%s'", clean);
}

void result_perf(struct result *res, const struct perfdata *pd)
{
	struct buf item;

	/* formatted apart, so an item is added whole or not at all */
	buf_init(&item, 512);
	if (res->perf_prefix) {
		char label[512];

		snprintf(label, sizeof label, "%s%s", res->perf_prefix, pd->label);
		append_label(&item, label);
	} else {
		append_label(&item, pd->label);
	}
	if (pd->exact)
		(void)buf_printf(&item, "=%" PRId64, pd->ivalue);
	else
		(void)buf_printf(&item, "=%.*f", pd->decimals, pd->value);
	(void)buf_printf(&item, "%s;%s;%s;%s;%s", pd->uom, pd->warn ? pd->warn : "",
			 pd->crit ? pd->crit : "", pd->min ? pd->min : "", pd->max ? pd->max : "");
	result_perf_raw(res, buf_str(&item));
	buf_free(&item);
}

void result_perf_raw(struct result *res, const char *items)
{
	size_t len = strlen(items);

	if (len == 0 || res->perfdata.len + len + 1 > res->perfdata.cap)
		return;
	if (res->perfdata.len)
		(void)buf_append_str(&res->perfdata, " ");
	(void)buf_append(&res->perfdata, items, len);
}

int output_print(const struct result *res, FILE *out)
{
	fprintf(out, "%s %s - %s", OUTPUT_PREFIX, state_name(res->state), buf_str(&res->summary));
	if (res->perfdata.len)
		fprintf(out, " | %s", buf_str(&res->perfdata));
	fputc('\n', out);
	fputs(buf_str(&res->long_output), out);
	if (fflush(out) != 0 || ferror(out))
		return -1;
	return 0;
}
