/* The command line: every option's accepted and rejected values. */
#include "autoconfig.h"

#include <stdlib.h>

#include <getopt.h>

#include "cli.h"
#include "tap.h"

#define SEED     "bc04d2e5-dd4c-4f85-af0e-424106a32a75"
#define MAX_ARGS 16

struct cli_case {
	const char *args[MAX_ARGS]; /* after the program name, NULL-terminated */
	enum cli_status status;
	const char *mention; /* in the error text, for usage errors */
};

static const struct cli_case cases[] = {
	{ { "-H", "vspc", "-j", SEED }, CLI_RUN, NULL },
	{ { "-h" }, CLI_HELP, NULL },
	{ { "--version" }, CLI_VERSION, NULL },
	{ { "-V", "-h" }, CLI_HELP, NULL },
	{ { "-H", "vspc" }, CLI_USAGE_ERROR, "--job" },
	{ { "-j", SEED }, CLI_USAGE_ERROR, "--hostname" },
	{ { "-H", "vspc", "-j", "bc04d2e5" }, CLI_USAGE_ERROR, "--job" },
	{ { "-H", "vspc", "-j", SEED "0" }, CLI_USAGE_ERROR, "--job" },
	{ { "-H", "vspc", "-j", SEED, "-p", "0" }, CLI_USAGE_ERROR, "--port" },
	{ { "-H", "vspc", "-j", SEED, "-p", "65536" }, CLI_USAGE_ERROR, "--port" },
	{ { "-H", "vspc", "-j", SEED, "-p", "12ab" }, CLI_USAGE_ERROR, "--port" },
	{ { "-H", "vspc", "-j", SEED, "-p", "-1" }, CLI_USAGE_ERROR, "--port" },
	{ { "-H", "vspc", "-j", SEED, "-w", "abc" }, CLI_USAGE_ERROR, "--warning" },
	{ { "-H", "vspc", "-j", SEED, "-c", "20:10" }, CLI_USAGE_ERROR, "--critical" },
	{ { "-H", "vspc", "-j", SEED, "--wan=maybe" }, CLI_USAGE_ERROR, "--wan" },
	{ { "-H", "vspc", "-j", SEED, "--cloud", "1" }, CLI_USAGE_ERROR, "--cloud" },
	{ { "-H", "vspc", "-j", SEED, "--source-wan=abc" }, CLI_USAGE_ERROR, "--source-wan" },
	{ { "-H", "vspc", "-j", SEED, "--target-host=none" }, CLI_USAGE_ERROR, "--target-host" },
	{ { "-H", "vspc", "-j", SEED, "--mismatch-state=ok" },
	  CLI_USAGE_ERROR,
	  "--mismatch-state" },
	{ { "-H", "vspc", "-j", SEED, "--mismatch-state=unknown" },
	  CLI_USAGE_ERROR,
	  "--mismatch-state" },
	{ { "-H", "vspc", "-j", SEED, "-t", "0" }, CLI_USAGE_ERROR, "--timeout" },
	{ { "-H", "vspc", "-j", SEED, "-t", "10:bogus" }, CLI_USAGE_ERROR, "--timeout" },
	{ { "-H", "vspc", "-j", SEED, "-t", "ten" }, CLI_USAGE_ERROR, "--timeout" },
	{ { "-H", "vspc", "-j", SEED, "-t", ":critical" }, CLI_USAGE_ERROR, "--timeout" },
	{ { "-H", "vspc", "-j", SEED, "--api-version=3.6\r\nX-Evil: 1" },
	  CLI_USAGE_ERROR,
	  "--api-version" },
	{ { "-H", "vspc", "-j", SEED, "--api-version=3..6" }, CLI_USAGE_ERROR, "--api-version" },
	{ { "-H", "vspc", "-j", SEED, "--api-version=latest" }, CLI_USAGE_ERROR, "--api-version" },
	{ { "-H", "vspc", "-j", SEED, "--api-version=3.6." }, CLI_USAGE_ERROR, "--api-version" },
	{ { "-H", "vspc", "-j", SEED, "--api-version=1.2.3.4.5" },
	  CLI_USAGE_ERROR,
	  "--api-version" },
	{ { "-H", "vspc", "-j", SEED, "--api-version=auto" }, CLI_RUN, NULL },
	{ { "-H", "vspc", "-j", SEED, "--kind=backup" }, CLI_USAGE_ERROR, "--kind" },
	{ { "-H", "vspc", "-j", SEED, "--kind=cdp", "-w", "5" },
	  CLI_USAGE_ERROR,
	  "--warning does not apply to CDP policies (--kind=cdp)" },
	{ { "-H", "vspc", "-j", SEED, "--kind=cdp", "--wan=yes" }, CLI_USAGE_ERROR, "--wan" },
	{ { "-H", "vspc", "-j", SEED, "--kind=vm", "--sla-critical=90:" },
	  CLI_USAGE_ERROR,
	  "--sla-critical" },
	{ { "-H", "vspc", "-j", SEED, "--kind=vm", "--rpo=15s" },
	  CLI_USAGE_ERROR,
	  "--rpo does not apply to VM replication jobs (--kind=vm)" },
	{ { "-H", "vspc", "-j", SEED, "--kind=cdp", "--sla-critical=90:", "--rpo=15s" },
	  CLI_RUN,
	  NULL },
	{ { "-H", "vspc", "-j", SEED, "--sla-warning=9x" }, CLI_USAGE_ERROR, "--sla-warning" },
	{ { "-H", "vspc", "-j", SEED, "--errors-critical=a" },
	  CLI_USAGE_ERROR,
	  "--errors-critical" },
	{ { "-H", "vspc", "-j", SEED, "--max-delay-warning=soon" },
	  CLI_USAGE_ERROR,
	  "--max-delay-warning" },
	{ { "-H", "vspc", "-j", SEED, "--rpo=0" }, CLI_USAGE_ERROR, "--rpo" },
	{ { "-H", "vspc", "--all", "-w", "5", "--sla-critical=90:" }, CLI_RUN, NULL },
	{ { "-H", "vspc", "--all", "--kind=cdp" }, CLI_RUN, NULL },
	{ { "-H", "vspc", "-j", SEED, "--output-format=xml" }, CLI_USAGE_ERROR, "--output-format" },
	{ { "-H", "vspc", "-j", SEED, "--api-version=3.6.2" }, CLI_RUN, NULL },
	{ { "-H", "vspc/evil", "-j", SEED }, CLI_USAGE_ERROR, "--hostname" },
	{ { "-H", "user@vspc", "-j", SEED }, CLI_USAGE_ERROR, "--hostname" },
	{ { "-H", "", "-j", SEED }, CLI_USAGE_ERROR, "--hostname" },
	{ { "-H", "http://vspc", "-j", SEED }, CLI_USAGE_ERROR, "--allow-http" },
	{ { "-H", "https://vspc", "-j", SEED }, CLI_USAGE_ERROR, "not a URL" },
	{ { "-H", "vspc", "-j", SEED, "--allow-http" }, CLI_RUN, NULL },
	{ { "-H", "vspc", "-j", SEED, "--bogus" }, CLI_USAGE_ERROR, "--bogus" },
	{ { "-H", "vspc", "-j", SEED, "-x" }, CLI_USAGE_ERROR, "-x" },
	{ { "-H", "vspc", "-j", SEED, "extra" }, CLI_USAGE_ERROR, "extra" },
	{ { "-H", "vspc", "-j", SEED, "-w" }, CLI_USAGE_ERROR, "-w" },
	{ { "-H", "vspc", "-j", SEED, "--ca-file" }, CLI_USAGE_ERROR, "--ca-file" },
	{ { "-H", "vspc", "-j", SEED, "--token-file=" }, CLI_USAGE_ERROR, "--token-file" },
	{ { "-H", "vspc", "--all" }, CLI_RUN, NULL },
	{ { "-H", "vspc", "-a", "--organization", SEED, "--name=SQL*", "--min-jobs=0" },
	  CLI_RUN,
	  NULL },
	{ { "-H", "vspc", "--list" }, CLI_RUN, NULL },
	{ { "-H", "vspc", "--list=json", "--backup-server", SEED }, CLI_RUN, NULL },
	{ { "-H", "vspc", "-j", SEED, "--max-age-warning=26h", "--max-age-critical=2d" },
	  CLI_RUN,
	  NULL },
	{ { "-H", "vspc", "-j", SEED, "--all" }, CLI_USAGE_ERROR, "--all" },
	{ { "-H", "vspc", "-j", SEED, "--list" }, CLI_USAGE_ERROR, "--list" },
	{ { "-H", "vspc", "--list=xml" }, CLI_USAGE_ERROR, "--list" },
	{ { "-H", "vspc", "-j", SEED, "--name=x" }, CLI_USAGE_ERROR, "--name" },
	{ { "-H", "vspc", "-j", SEED, "--min-jobs=1" }, CLI_USAGE_ERROR, "--min-jobs" },
	{ { "-H", "vspc", "--list", "--min-jobs=1" }, CLI_USAGE_ERROR, "--min-jobs" },
	{ { "-H", "vspc", "--all", "--min-jobs=-1" }, CLI_USAGE_ERROR, "--min-jobs" },
	{ { "-H", "vspc", "--all", "--organization=acme" }, CLI_USAGE_ERROR, "--organization" },
	{ { "-H", "vspc", "--all", "--backup-server=x" }, CLI_USAGE_ERROR, "--backup-server" },
	{ { "-H", "vspc", "--all", "--name=" }, CLI_USAGE_ERROR, "--name" },
	{ { "-H", "vspc", "--all", "--no-job-status" }, CLI_USAGE_ERROR, "--no-job-status" },
	{ { "-H", "vspc", "-j", SEED, "--max-age-warning=1h30" },
	  CLI_USAGE_ERROR,
	  "--max-age-warning" },
	{ { "-H", "vspc", "-j", SEED, "--max-age-critical=soon" },
	  CLI_USAGE_ERROR,
	  "--max-age-critical" },
	{ { "-H", "vspc", "-j", SEED, "--never-run-state=maybe" },
	  CLI_USAGE_ERROR,
	  "--never-run-state" },
	{ { "-H", "vspc", "-j", SEED, "--disabled-state=5" }, CLI_USAGE_ERROR, "--disabled-state" },
};

static enum cli_status run(const char *const *args, struct config *cfg, char *err, size_t errlen)
{
	/* getopt wants writable strings */
	static char storage[MAX_ARGS + 1][128];
	char *argv[MAX_ARGS + 2];
	int argc = 0;

	snprintf(storage[0], sizeof storage[0], "check_vspc_replication");
	argv[argc] = storage[argc];
	argc++;
	for (; *args; args++, argc++) {
		snprintf(storage[argc], sizeof storage[argc], "%s", *args);
		argv[argc] = storage[argc];
	}
	argv[argc] = NULL;
	config_init(cfg);
	return cli_parse(argc, argv, cfg, err, errlen);
}

static void test_table(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		char err[512] = "";
		enum cli_status st = run(cases[i].args, &cfg, err, sizeof err);

		tap_ok(st == cases[i].status &&
			   (cases[i].mention == NULL || strstr(err, cases[i].mention) != NULL),
		       "case %zu (%s ...): status %d, '%s'", i, cases[i].args[0], st, err);
	}
}

static void test_values(void)
{
	static const char *const full[] = { "--hostname=[::1]",
					    "--port=8443",
					    "--job=BC04D2E5-DD4C-4F85-AF0E-424106A32A75",
					    "-w",
					    "10:",
					    "-c",
					    "@0:2",
					    "--wan=yes",
					    "--source-wan=NONE",
					    "--cloud=no",
					    "--timeout=7:critical",
					    "-6",
					    "-vvvv",
					    NULL };
	struct config cfg;
	char err[256] = "";

	tap_ok(run(full, &cfg, err, sizeof err) == CLI_RUN, "every option together parses (%s)",
	       err);
	tap_str_eq(cfg.conn.server.host, "::1", "IPv6 brackets are removed");
	tap_ok(cfg.conn.server.port == 8443 && cfg.conn.ip_version == 6, "port and -6 are set");
	tap_str_eq(cfg.target.uid, SEED, "job UID is lower-cased");
	tap_ok(cfg.policy.vm.warning.set && strcmp(cfg.policy.vm.warning.text, "10:") == 0 &&
		   cfg.policy.vm.critical.range.alert_inside,
	       "ranges keep their text and meaning");
	tap_ok(cfg.policy.vm.wan == EXPECT_TRUE && cfg.policy.vm.cloud == EXPECT_FALSE &&
		   cfg.policy.vm.source_wan.set && cfg.policy.vm.source_wan.none &&
		   !cfg.policy.vm.target_wan.set,
	       "expectations are recorded, unset ones stay unset");
	tap_ok(cfg.timeout_seconds == 7 && cfg.timeout_state == STATE_CRITICAL,
	       "timeout with state");
	tap_ok(cfg.verbose == 3, "verbosity stops at 3");

	{
		static const char *const defaults[] = { "-H", "vspc", "-j", SEED, NULL };

		run(defaults, &cfg, err, sizeof err);
		tap_ok(cfg.conn.server.port == 1280 && cfg.timeout_seconds == 10 &&
			   cfg.timeout_state == STATE_UNKNOWN && cfg.conn.api_version == NULL &&
			   cfg.policy.mismatch_state == STATE_WARNING && !cfg.conn.insecure,
		       "defaults: port 1280, 10 s unknown, API negotiated, mismatch warning, "
		       "verification on");
	}
	{
		static const char *const pinned[] = { "-H", "vspc", "-j", SEED, "--api-version=3.5",
						      NULL };
		static const char *const autov[] = {
			"-H", "vspc", "-j", SEED, "--api-version=3.5", "--api-version=auto", NULL
		};

		tap_ok(run(pinned, &cfg, err, sizeof err) == CLI_RUN && cfg.conn.api_version &&
			   strcmp(cfg.conn.api_version, "3.5") == 0,
		       "--api-version=3.5 pins 3.5");
		tap_ok(run(autov, &cfg, err, sizeof err) == CLI_RUN && cfg.conn.api_version == NULL,
		       "--api-version=auto (the last one given) negotiates");
	}
	{
		static const char *const health[] = { "-H",
						      "vspc",
						      "-j",
						      SEED,
						      "--no-job-status",
						      "--max-age-warning=1d12h",
						      "--never-run-state=critical",
						      "--disabled-state=ok",
						      NULL };

		run(health, &cfg, err, sizeof err);
		tap_ok(!cfg.job_status && cfg.policy.session.max_age_warning.seconds == 129600 &&
			   strcmp(cfg.policy.session.max_age_warning.text, "1d12h") == 0 &&
			   cfg.policy.session.max_age_critical.seconds == 0 &&
			   cfg.policy.session.never_run_state == STATE_CRITICAL &&
			   cfg.policy.session.disabled_state == STATE_OK,
		       "job health options");
	}
	{
		static const char *const fleet[] = { "-H",
						     "vspc",
						     "--all",
						     "--organization",
						     SEED,
						     "--organization",
						     "11111111-2222-3333-4444-555555555555",
						     "--name",
						     "SQL*",
						     "--exclude-name",
						     "*test*",
						     "--min-jobs",
						     "3",
						     "--perfdata-per-job",
						     NULL };

		run(fleet, &cfg, err, sizeof err);
		tap_ok(cfg.mode == MODE_FLEET && cfg.filter.n_organizations == 2 &&
			   strcmp(cfg.filter.organizations[1],
				  "11111111-2222-3333-4444-555555555555") == 0 &&
			   cfg.filter.n_names == 1 && cfg.filter.n_excludes == 1 &&
			   cfg.min_jobs_set && cfg.min_jobs == 3 && cfg.perfdata_per_job &&
			   cfg.job_status,
		       "fleet options (%s)", err);
	}
	{
		static const char *const list[] = { "-H", "vspc", "--all", "--list=json", NULL };
		static const char *const defaults[] = { "-H", "vspc", "-j", SEED, NULL };

		run(list, &cfg, err, sizeof err);
		tap_ok(cfg.mode == MODE_LIST_JSON, "--list wins over --all");
		run(defaults, &cfg, err, sizeof err);
		tap_ok(cfg.mode == MODE_SINGLE && cfg.job_status &&
			   cfg.policy.session.never_run_state == STATE_WARNING &&
			   cfg.policy.session.disabled_state == STATE_WARNING,
		       "health defaults: job status read, never-run and disabled WARNING");
	}
	{
		static const char *const numeric[] = {
			"-H", "vspc", "-j", SEED, "-t", "5:2", NULL
		};

		run(numeric, &cfg, err, sizeof err);
		tap_ok(cfg.timeout_state == STATE_CRITICAL, "timeout state as a digit");
	}
}

/* Reads a whole file into a string (caller frees), or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int c;

	if (f == NULL)
		return NULL;
	mem = open_memstream(&text, &len);
	while ((c = fgetc(f)) != EOF)
		fputc(c, mem);
	fclose(mem);
	fclose(f);
	return text;
}

/* Every long option of the option table must be in --help and the man page
 * (where groff writes "--" as "\-\-"). */
static void test_docs_list_options(void)
{
	char *help = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&help, &len);
	const char *srcdir = getenv("srcdir");
	char path[512];
	char *man;

	cli_print_help(f);
	fclose(f);
	snprintf(path, sizeof path, "%s/doc/check_vspc_replication.1", srcdir ? srcdir : ".");
	man = slurp(path);
	tap_ok(man != NULL, "man page %s is readable", path);
	for (const struct option *o = cli_long_options(); o->name; o++) {
		char want[64];
		char groff[128];
		size_t g = 0;

		snprintf(want, sizeof want, "--%s", o->name);
		for (const char *p = want; *p && g + 3 < sizeof groff; p++) {
			if (*p == '-')
				groff[g++] = '\\';
			groff[g++] = *p;
		}
		groff[g] = '\0';
		tap_ok(strstr(help, want) != NULL, "--help lists %s", want);
		tap_ok(man && strstr(man, groff) != NULL, "the man page lists %s", want);
	}
	tap_ok(strstr(help, "VSPC_TOKEN") && man && strstr(man, "VSPC_TOKEN"),
	       "--help and the man page name VSPC_TOKEN");
	free(help);
	free(man);
}

int main(void)
{
	test_table();
	test_values();
	test_docs_list_options();
	return tap_done();
}
