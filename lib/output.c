#include "autoconfig.h"

#include "output.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

/* Printed when the result could not be built completely (out of memory):
 * never a partial OK. */
#define BROKEN_LINE                                                                                \
	OUTPUT_PREFIX " UNKNOWN - plugin fault: out of memory while building the result\n"

struct result_node {
	char name[48];
	char id[40];
	char kind[8];
	enum state state;
	char *text;
	struct result_node *first, *last; /* an adopted job's sub-checks */
	struct result_node *next;
};

#define SUMMARY_CAP     (4 * 1024)
#define LONG_OUTPUT_CAP (64 * 1024)
#define PERFDATA_CAP    (1024 * 1024)
#define PART_MAX        2048

void result_init(struct result *res, int verbosity)
{
	memset(res, 0, sizeof *res);
	res->state = STATE_OK;
	res->verbosity = verbosity;
	buf_init(&res->summary, SUMMARY_CAP);
	buf_init(&res->long_output, LONG_OUTPUT_CAP);
	buf_init(&res->perfdata, PERFDATA_CAP);
}

static void nodes_free(struct result_node *n)
{
	while (n) {
		struct result_node *next = n->next;

		nodes_free(n->first);
		free(n->text);
		free(n);
		n = next;
	}
}

void result_free(struct result *res)
{
	buf_free(&res->summary);
	buf_free(&res->long_output);
	buf_free(&res->perfdata);
	nodes_free(res->first);
	res->first = res->last = NULL;
	res->nodes = 0;
}

/* A new node at the end of the list *@first..*@last, counted in @res, or
 * NULL when there is no room (then its state still counts). */
static struct result_node *node_append(struct result *res, struct result_node **first,
				       struct result_node **last, const char *name, enum state s,
				       const char *text)
{
	struct result_node *n;

	if (res->nodes >= RESULT_MAX_NODES) {
		res->nodes_dropped = true;
		return NULL;
	}
	n = calloc(1, sizeof *n);
	if (n)
		n->text = strdup(text);
	if (n == NULL || n->text == NULL) {
		free(n);
		res->broken = true;
		return NULL;
	}
	snprintf(n->name, sizeof n->name, "%s", name);
	n->state = s;
	if (*last)
		(*last)->next = n;
	else
		*first = n;
	*last = n;
	res->nodes++;
	return n;
}

static struct result_node *node_add(struct result *res, const char *name, enum state s,
				    const char *text)
{
	return node_append(res, &res->first, &res->last, name, s, text);
}

/* Appends, remembering when memory ran out. */
static void append_checked(struct result *res, struct buf *b, const char *s)
{
	if (buf_append_str(b, s) == BUF_NOMEM)
		res->broken = true;
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
		append_checked(res, &res->summary, ", ");
	append_checked(res, &res->summary, part);
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
	append_checked(res, &res->summary, part);
}

void result_check(struct result *res, enum state s, const char *name, const char *fmt, ...)
{
	char part[PART_MAX];
	va_list ap;

	va_start(ap, fmt);
	format_part(part, sizeof part, fmt, ap);
	va_end(ap);
	result_raise(res, s);
	(void)node_add(res, name, s, part);
	result_line(res, 1, "[%s] %s", state_name(s), part);
}

/* Copies @from's nodes under @to (bounded by @res's node count). */
static void copy_nodes(struct result *res, struct result_node *to, const struct result_node *from)
{
	for (; from; from = from->next)
		if (!node_append(res, &to->first, &to->last, from->name, from->state, from->text))
			return;
}

void result_adopt(struct result *res, const char *name, const char *id, const char *kind,
		  const struct result *child)
{
	struct result_node *n = node_add(res, name, child->state, buf_str(&child->summary));

	result_raise(res, child->state);
	if (child->broken)
		res->broken = true;
	if (n == NULL)
		return;
	snprintf(n->id, sizeof n->id, "%s", id ? id : "");
	snprintf(n->kind, sizeof n->kind, "%s", kind ? kind : "");
	copy_nodes(res, n, child->first);
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
		append_checked(res, &res->perfdata, " ");
	if (buf_append(&res->perfdata, items, len) == BUF_NOMEM)
		res->broken = true;
}

enum state result_exit_state(const struct result *res)
{
	return res->broken ? STATE_UNKNOWN : res->state;
}

int output_print(const struct result *res, FILE *out)
{
	if (res->broken) {
		fputs(BROKEN_LINE, out);
		return fflush(out) != 0 || ferror(out) ? -1 : 0;
	}
	fprintf(out, "%s %s - %s", OUTPUT_PREFIX, state_name(res->state), buf_str(&res->summary));
	if (res->perfdata.len)
		fprintf(out, " | %s", buf_str(&res->perfdata));
	fputc('\n', out);
	fputs(buf_str(&res->long_output), out);
	if (fflush(out) != 0 || ferror(out))
		return -1;
	return 0;
}

/* "key":"text" into @b. */
static void json_member(struct buf *b, const char *key, const char *text, bool comma)
{
	(void)buf_printf(b, "%s\"%s\":", comma ? "," : "", key);
	(void)json_append_string(b, text, strlen(text));
}

static void json_nodes(struct buf *b, const struct result_node *n)
{
	(void)buf_append_str(b, ",\"checks\":[");
	for (bool first = true; n; n = n->next, first = false) {
		(void)buf_append_str(b, first ? "{" : ",{");
		json_member(b, "name", n->name, false);
		json_member(b, "state", state_name(n->state), true);
		json_member(b, n->id[0] || n->first ? "summary" : "text", n->text, true);
		if (n->id[0])
			json_member(b, "id", n->id, true);
		if (n->kind[0])
			json_member(b, "kind", n->kind, true);
		if (n->first || n->id[0])
			json_nodes(b, n->first);
		(void)buf_append_str(b, "}");
	}
	(void)buf_append_str(b, "]");
}

int output_print_json(const struct result *res, FILE *out)
{
	struct buf b;
	int rc = 0;

	if (res->broken)
		return output_print(res, out);
	buf_init(&b, 64u * 1024u * 1024u);
	(void)buf_append_str(&b, "{");
	json_member(&b, "state", state_name(res->state), false);
	json_member(&b, "summary", buf_str(&res->summary), true);
	json_member(&b, "perfdata", buf_str(&res->perfdata), true);
	json_member(&b, "output", buf_str(&res->long_output), true);
	(void)buf_printf(&b, ",\"dropped\":%s", res->nodes_dropped ? "true" : "false");
	json_nodes(&b, res->first);
	(void)buf_append_str(&b, "}\n");
	fputs(buf_str(&b), out);
	if (fflush(out) != 0 || ferror(out))
		rc = -1;
	buf_free(&b);
	return rc;
}
