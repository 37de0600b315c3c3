/* The check result and the one place that prints it.
 *
 * A result collects a state, a summary, long-output lines and perfdata, and
 * a tree of sub-checks in the manner of the Monitoring Plugins 3.x output
 * API: every rule that is judged adds a sub-check with its own state
 * (result_check), a job of a walk becomes a sub-check holding its rules
 * (result_adopt), and the result's state is the worst of them unless a
 * fault replaced it (result_fail). The tree can be printed as JSON for
 * tests (output_print_json). Text
 * added to a result may come from the server: every piece is sanitised as it
 * is added (control characters become spaces, '|' becomes '/'), so nothing a
 * server sends can start a new line or forge perfdata. Each part has a size
 * cap; text beyond it is dropped. result_free() accepts a zeroed result. */
#ifndef VSPC_OUTPUT_H
#define VSPC_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "state.h"

#define OUTPUT_PREFIX "VSPC REPLICATION"

struct result_node;

struct result {
	enum state state; /* the worst sub-check, or what result_fail() set */
	int verbosity;    /* long-output lines above this level are dropped */
	struct buf summary;
	struct buf long_output;
	bool long_output_full;   /* lines were dropped at the cap */
	const char *perf_prefix; /* put before every perfdata label; NULL for none */
	struct buf perfdata;
	/* the sub-checks, in order; at most RESULT_MAX_NODES are kept, the
	 * states of the others still count */
	struct result_node *first, *last;
	size_t nodes;
	bool nodes_dropped;
	/* a part could not be added for want of memory: the result is not to
	 * be trusted, output_print() says so instead */
	bool broken;
};

#define RESULT_MAX_NODES 4096

struct perfdata {
	const char *label;
	double value;
	bool exact; /* print ivalue instead: counts beyond 2^53 stay exact */
	int64_t ivalue;
	int decimals;     /* digits after the point */
	const char *uom;  /* "" or a unit such as "s" or "B" */
	const char *warn; /* threshold text as the user gave it, or NULL */
	const char *crit;
	const char *min; /* NULL for none */
	const char *max;
};

/* An OK result with empty texts. */
void result_init(struct result *res, int verbosity);
void result_free(struct result *res);

/* Raises the state to the worse of the current one and @s. */
void result_raise(struct result *res, enum state s);

/* Appends a part to the summary, separated from earlier parts by ", ". */
void result_summary(struct result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Replaces the state and summary with a single reason: for faults that end
 * a check (bad answer, timeout, usage error). Long output is kept. */
void result_fail(struct result *res, enum state s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A rule's verdict: raises the state to @s, records the sub-check @name
 * with @s and the text, and adds the text as a "[STATE] text" line for -v. */
void result_check(struct result *res, enum state s, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records @child (one job of a walk, evaluated into its own result) as a
 * sub-check @name of @res with @child's state, summary and sub-checks, and
 * raises @res to its state. @id and @kind describe the job (may be NULL). */
void result_adopt(struct result *res, const char *name, const char *id, const char *kind,
		  const struct result *child);

/* Adds a long-output line if @level <= the result's verbosity. */
void result_line(struct result *res, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a perfdata item. '=' and '\'' in the label become '_'; a label
 * with spaces is quoted. */
void result_perf(struct result *res, const struct perfdata *pd);

/* Appends perfdata items already formatted by result_perf() elsewhere
 * (space-separated); dropped whole if they do not fit. */
void result_perf_raw(struct result *res, const char *items);

/* Writes "PREFIX STATE - summary | perfdata", then the long output, to @out.
 * A broken result prints a prepared UNKNOWN line instead. Returns 0, or -1
 * if the stream reported an error. */
int output_print(const struct result *res, FILE *out);

/* The result as one JSON object for tests (--output-format=test-json):
 * {"state", "summary", "perfdata", "output", "checks": [{"name", "state",
 * "text" or "summary", "id", "kind", "checks": [...]}]}. */
int output_print_json(const struct result *res, FILE *out);

/* The exit state of a printed result: UNKNOWN when it was broken. */
enum state result_exit_state(const struct result *res);

/* Copies @len bytes of untrusted text to @dst (@dstlen bytes, always
 * NUL-terminated, truncated with "..." when longer), replacing control
 * characters and '|' and dropping invalid UTF-8 bytes as '?'. */
void output_sanitise(char *dst, size_t dstlen, const char *src, size_t len);

#endif
