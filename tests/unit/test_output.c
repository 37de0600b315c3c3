/* The status line, perfdata formatting and sanitising of server text. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "oom.h"
#include "output.h"
#include "tap.h"

/* Prints @res into a string (caller frees). */
static char *render(const struct result *res)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		abort();
	output_print(res, f);
	fclose(f);
	return text;
}

static void check_render(struct result *res, const char *want, const char *what)
{
	char *got = render(res);

	tap_str_eq(got, want, what);
	free(got);
	result_free(res);
}

static void test_status_lines(void)
{
	struct result res;

	result_init(&res, 0);
	result_summary(&res, "job %s protects %d VMs", "x", 5);
	result_perf(&res, &(struct perfdata){
			      .label = "protected_vms", .value = 5, .uom = "", .min = "0" });
	result_perf(
	    &res, &(struct perfdata){
		      .label = "time", .value = 0.0123456, .decimals = 6, .uom = "s", .min = "0" });
	check_render(
	    &res,
	    "VSPC REPLICATION OK - job x protects 5 VMs | protected_vms=5;;;0; time=0.012346s;;;0;\n",
	    "OK line with perfdata");

	result_init(&res, 0);
	result_summary(&res, "a");
	result_raise(&res, STATE_WARNING);
	result_summary(&res, "b");
	result_raise(&res, STATE_CRITICAL);
	result_raise(&res, STATE_WARNING);
	result_perf(&res, &(struct perfdata){ .label = "protected_vms",
					      .value = 3,
					      .uom = "",
					      .warn = "10:",
					      .crit = "@0:3",
					      .min = "0" });
	check_render(&res, "VSPC REPLICATION CRITICAL - a, b | protected_vms=3;10:;@0:3;0;\n",
		     "worst state wins, thresholds echoed");

	result_init(&res, 1);
	result_summary(&res, "ignored");
	result_line(&res, 1, "line %d", 1);
	result_line(&res, 2, "too verbose");
	result_fail(&res, STATE_UNKNOWN, "reason");
	check_render(&res, "VSPC REPLICATION UNKNOWN - reason\nline 1\n",
		     "fail replaces the summary, keeps long output, drops lines above -v level");
}

static void test_sanitising(void)
{
	struct result res;
	char out[16];

	result_init(&res, 1);
	result_summary(&res, "evil%s", "|x=1\r\nSECOND LINE\t");
	result_line(&res, 1, "a|b\nc");
	check_render(&res, "VSPC REPLICATION OK - evil/x=1  SECOND LINE \na/b c\n",
		     "server text cannot add lines or perfdata");

	output_sanitise(out, sizeof out, "caf\xc3\xa9 \xff\xfe ok", 11);
	tap_str_eq(out, "caf\xc3\xa9 ?? ok", "invalid UTF-8 becomes ?, valid UTF-8 stays");
	output_sanitise(out, sizeof out, "0123456789abcdefghij", 20);
	tap_str_eq(out, "0123456789ab...", "long text is cut with ... to fit the buffer");
	output_sanitise(out, 8, "ab\xc3\xa9\xc3\xa9\xc3\xa9", 8);
	tap_str_eq(out, "ab\xc3\xa9...", "cutting never splits a UTF-8 character");
	output_sanitise(out, sizeof out, "nul\0inside", 10);
	tap_str_eq(out, "nul inside", "an embedded NUL becomes a space");

	result_init(&res, 0);
	result_perf(&res, &(struct perfdata){ .label = "a b", .value = 1, .uom = "" });
	result_perf(&res, &(struct perfdata){ .label = "it's a=b", .value = 2, .uom = "B" });
	result_perf(&res, &(struct perfdata){ .label = "x='y'", .value = 3, .uom = "" });
	check_render(&res, "VSPC REPLICATION OK -  | 'a b'=1;;;; 'it_s a_b'=2B;;;; x__y_=3;;;;\n",
		     "labels with spaces are quoted; = and ' never reach a label");
}

/* The out-of-memory line is prepared apart from the output module (it is
 * written from inside yajl's allocator); it must still be a status line. */
static void test_oom_line(void)
{
	const char *want = OUTPUT_PREFIX " UNKNOWN - ";

	tap_ok(strncmp(OOM_LINE, want, strlen(want)) == 0 &&
		   strchr(OOM_LINE, '\n') == OOM_LINE + strlen(OOM_LINE) - 1,
	       "the out-of-memory line is one UNKNOWN status line: %s", OOM_LINE);
}

int main(void)
{
	test_oom_line();
	test_status_lines();
	test_sanitising();
	return tap_done();
}
