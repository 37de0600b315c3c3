#include "autoconfig.h"

#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiver.h"
#include "ini.h"
#include "kinds.h"
#include "range.h"
#include "state.h"
#include "timeutil.h"
#include "vspc.h"

#define MAX_TIMEOUT 86400
#define MAX_VERBOSE 3

/* Long-only options get values above the char range. */
enum {
	OPT_TOKEN = 256,
	OPT_WAN,
	OPT_SOURCE_WAN,
	OPT_TARGET_WAN,
	OPT_CLOUD,
	OPT_CLOUD_HOST,
	OPT_TARGET_HOST,
	OPT_MISMATCH_STATE,
	OPT_CA_FILE,
	OPT_INSECURE,
	OPT_API_VERSION,
	OPT_NO_JOB_STATUS,
	OPT_NEVER_RUN_STATE,
	OPT_DISABLED_STATE,
	OPT_MAX_AGE_WARNING,
	OPT_MAX_AGE_CRITICAL,
	OPT_BACKUP_SERVER,
	OPT_ORGANIZATION,
	OPT_NAME,
	OPT_EXCLUDE_NAME,
	OPT_MIN_JOBS,
	OPT_PERFDATA_PER_JOB,
	OPT_LIST,
	OPT_CREDENTIALS_FILE,
	OPT_TOKEN_CACHE,
	OPT_NO_TOKEN_CACHE,
	OPT_EXTRA_OPTS,
	OPT_ALLOW_HTTP,
	OPT_KIND,
	OPT_SLA_WARNING,
	OPT_SLA_CRITICAL,
	OPT_MAX_DELAY_WARNING,
	OPT_MAX_DELAY_CRITICAL,
	OPT_ERRORS_WARNING,
	OPT_ERRORS_CRITICAL,
	OPT_RPO,
	OPT_OUTPUT_FORMAT,
	OPT_CACHE_DIR,
	OPT_SNAPSHOT_MAX_AGE
};

static const char short_options[] = "H:p:j:T:w:c:t:46avhV";

/* Sorted by name. */
static const struct option long_options[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "allow-http", no_argument, NULL, OPT_ALLOW_HTTP },
	{ "api-version", required_argument, NULL, OPT_API_VERSION },
	{ "backup-server", required_argument, NULL, OPT_BACKUP_SERVER },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "cloud", required_argument, NULL, OPT_CLOUD },
	{ "cloud-host", required_argument, NULL, OPT_CLOUD_HOST },
	{ "credentials-file", required_argument, NULL, OPT_CREDENTIALS_FILE },
	{ "critical", required_argument, NULL, 'c' },
	{ "disabled-state", required_argument, NULL, OPT_DISABLED_STATE },
	{ "errors-critical", required_argument, NULL, OPT_ERRORS_CRITICAL },
	{ "errors-warning", required_argument, NULL, OPT_ERRORS_WARNING },
	{ "exclude-name", required_argument, NULL, OPT_EXCLUDE_NAME },
	{ "extra-opts", optional_argument, NULL, OPT_EXTRA_OPTS },
	{ "help", no_argument, NULL, 'h' },
	{ "hostname", required_argument, NULL, 'H' },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "job", required_argument, NULL, 'j' },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "list", optional_argument, NULL, OPT_LIST },
	{ "max-age-critical", required_argument, NULL, OPT_MAX_AGE_CRITICAL },
	{ "max-age-warning", required_argument, NULL, OPT_MAX_AGE_WARNING },
	{ "max-delay-critical", required_argument, NULL, OPT_MAX_DELAY_CRITICAL },
	{ "max-delay-warning", required_argument, NULL, OPT_MAX_DELAY_WARNING },
	{ "min-jobs", required_argument, NULL, OPT_MIN_JOBS },
	{ "mismatch-state", required_argument, NULL, OPT_MISMATCH_STATE },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "never-run-state", required_argument, NULL, OPT_NEVER_RUN_STATE },
	{ "no-job-status", no_argument, NULL, OPT_NO_JOB_STATUS },
	{ "no-token-cache", no_argument, NULL, OPT_NO_TOKEN_CACHE },
	{ "organization", required_argument, NULL, OPT_ORGANIZATION },
	{ "output-format", required_argument, NULL, OPT_OUTPUT_FORMAT },
	{ "perfdata-per-job", no_argument, NULL, OPT_PERFDATA_PER_JOB },
	{ "port", required_argument, NULL, 'p' },
	{ "rpo", required_argument, NULL, OPT_RPO },
	{ "snapshot-max-age", required_argument, NULL, OPT_SNAPSHOT_MAX_AGE },
	{ "sla-critical", required_argument, NULL, OPT_SLA_CRITICAL },
	{ "sla-warning", required_argument, NULL, OPT_SLA_WARNING },
	{ "source-wan", required_argument, NULL, OPT_SOURCE_WAN },
	{ "target-host", required_argument, NULL, OPT_TARGET_HOST },
	{ "target-wan", required_argument, NULL, OPT_TARGET_WAN },
	{ "timeout", required_argument, NULL, 't' },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "token-cache", required_argument, NULL, OPT_TOKEN_CACHE },
	{ "token-file", required_argument, NULL, 'T' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "warning", required_argument, NULL, 'w' },
	{ "wan", required_argument, NULL, OPT_WAN },
	{ NULL, 0, NULL, 0 },
};

const struct option *cli_long_options(void)
{
	return long_options;
}

static bool fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

/* The name a user typed for option @id, for messages. */
static const char *option_name(int id)
{
	static char shortname[3];

	for (const struct option *o = long_options; o->name; o++)
		if (o->val == id)
			return o->name;
	shortname[0] = '-';
	shortname[1] = (char)id;
	return shortname;
}

static bool parse_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno == ERANGE || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool opt_port(const char *text, struct connection *conn, char *err, size_t errlen)
{
	unsigned long v;

	if (!parse_uint(text, 1, 65535, &v))
		return fail(err, errlen, "--port: '%s' is not a port number (1 to 65535)", text);
	conn->server.port = (unsigned)v;
	return true;
}

/* Names, IPv4 and IPv6 addresses (with or without brackets, with a zone). */
static bool opt_host(const char *text, struct connection *conn, char *err, size_t errlen)
{
	size_t len = strlen(text);

	if (strncasecmp(text, "http://", 7) == 0)
		return fail(
		    err, errlen,
		    "--hostname: plain http:// is refused (the token would cross the network "
		    "in clear); give the host name, and --allow-http if you really mean it");
	if (strstr(text, "://"))
		return fail(err, errlen, "--hostname: give a host name or address, not a URL");
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']')
		text++, len -= 2;
	if (len == 0 || len > VSPC_HOST_MAX)
		return fail(err, errlen,
			    "--hostname: expected a host name or address of 1 to %d characters",
			    VSPC_HOST_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (!isalnum(c) && !strchr(".-_:%", c))
			return fail(err, errlen, "--hostname: '%.*s' is not a host name or address",
				    (int)len, text);
	}
	memcpy(conn->server.host, text, len);
	conn->server.host[len] = '\0';
	return true;
}

static bool opt_uid(int id, const char *text, bool allow_none, struct expect_uid *out, char *err,
		    size_t errlen)
{
	out->set = true;
	out->none = allow_none && strcasecmp(text, "none") == 0;
	if (out->none)
		return true;
	if (!vspc_uid_valid(text, strlen(text)))
		return fail(err, errlen, "--%s: '%s' is not a UUID%s", option_name(id), text,
			    allow_none ? " or the word none" : "");
	vspc_uid_normalise(out->uid, text);
	return true;
}

static bool opt_job(const char *text, struct job_target *target, char *err, size_t errlen)
{
	if (!vspc_uid_valid(text, strlen(text)))
		return fail(err, errlen,
			    "--job: '%s' is not a job UID (expected a UUID like "
			    "bc04d2e5-dd4c-4f85-af0e-424106a32a75)",
			    text);
	vspc_uid_normalise(target->uid, text);
	target->uid_set = true;
	return true;
}

static bool opt_kind(const char *text, struct job_target *target, char *err, size_t errlen)
{
	const struct job_kind *k = kind_by_name(text);

	if (k == NULL)
		return fail(err, errlen, "--kind: expected vm or cdp, not '%s'", text);
	target->kinds = 1u << k->id;
	target->kind_given = true;
	return true;
}

static bool opt_yes_no(int id, const char *text, enum expect_bool *out, char *err, size_t errlen)
{
	if (strcasecmp(text, "yes") == 0 || strcasecmp(text, "true") == 0)
		*out = EXPECT_TRUE;
	else if (strcasecmp(text, "no") == 0 || strcasecmp(text, "false") == 0)
		*out = EXPECT_FALSE;
	else
		return fail(err, errlen, "--%s: expected yes or no, not '%s'", option_name(id),
			    text);
	return true;
}

static bool opt_range(int id, const char *text, struct threshold *out, char *err, size_t errlen)
{
	enum range_error rc = range_parse(text, &out->range);

	if (rc != RANGE_OK)
		return fail(err, errlen, "--%s: invalid range '%s': %s", option_name(id), text,
			    range_strerror(rc));
	out->set = true;
	out->text = text;
	return true;
}

/* SECONDS or SECONDS:STATE */
static bool opt_timeout(const char *text, struct config *cfg, char *err, size_t errlen)
{
	char secs[16];
	const char *colon = strchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	unsigned long v;

	if (n == 0 || n >= sizeof secs)
		return fail(err, errlen, "--timeout: '%s' is not SECONDS[:STATE]", text);
	memcpy(secs, text, n);
	secs[n] = '\0';
	if (!parse_uint(secs, 1, MAX_TIMEOUT, &v))
		return fail(err, errlen, "--timeout: '%s' is not a number of seconds from 1 to %d",
			    secs, MAX_TIMEOUT);
	if (colon && !state_parse(colon + 1, &cfg->timeout_state))
		return fail(
		    err, errlen,
		    "--timeout: '%s' is not a state (ok, warning, critical, unknown or 0-3)",
		    colon + 1);
	cfg->timeout_seconds = (unsigned)v;
	return true;
}

static bool opt_mismatch_state(const char *text, struct check_policy *policy, char *err,
			       size_t errlen)
{
	enum state s;

	if (!state_parse(text, &s) || (s != STATE_WARNING && s != STATE_CRITICAL))
		return fail(err, errlen, "--mismatch-state: expected warning or critical, not '%s'",
			    text);
	policy->mismatch_state = s;
	return true;
}

/* Sent as a header: digits and dots only, so nothing can be injected. */
static bool opt_api_version(const char *text, struct connection *conn, char *err, size_t errlen)
{
	if (strcmp(text, "auto") == 0) {
		conn->api_version = NULL;
		return true;
	}
	if (!apiver_valid(text))
		return fail(err, errlen, "--api-version: '%s' is not auto or a version like 3.6",
			    text);
	conn->api_version = text;
	return true;
}

static bool opt_nonempty(int id, const char *text, const char **out, char *err, size_t errlen)
{
	if (text[0] == '\0')
		return fail(err, errlen, "--%s: empty value", option_name(id));
	*out = text;
	return true;
}

static bool opt_state(int id, const char *text, enum state *out, char *err, size_t errlen)
{
	if (!state_parse(text, out))
		return fail(err, errlen,
			    "--%s: '%s' is not a state (ok, warning, critical, unknown or 0-3)",
			    option_name(id), text);
	return true;
}

static bool opt_duration(int id, const char *text, struct duration_limit *out, char *err,
			 size_t errlen)
{
	if (!time_parse_duration(text, &out->seconds))
		return fail(err, errlen,
			    "--%s: '%s' is not a duration (seconds, or like 90m, 26h, 2d, 1d12h)",
			    option_name(id), text);
	out->text = text;
	return true;
}

static bool opt_organization(const char *text, struct fleet_filter *f, char *err, size_t errlen)
{
	if (f->n_organizations == CONFIG_MAX_FILTERS)
		return fail(err, errlen, "--organization: at most %d", CONFIG_MAX_FILTERS);
	if (!vspc_uid_valid(text, strlen(text)))
		return fail(err, errlen, "--organization: '%s' is not a UUID", text);
	vspc_uid_normalise(f->organizations[f->n_organizations++], text);
	return true;
}

static bool opt_pattern(int id, const char *text, const char **list, size_t *n, char *err,
			size_t errlen)
{
	if (*n == CONFIG_MAX_FILTERS)
		return fail(err, errlen, "--%s: at most %d", option_name(id), CONFIG_MAX_FILTERS);
	if (text[0] == '\0')
		return fail(err, errlen, "--%s: empty pattern", option_name(id));
	list[(*n)++] = text;
	return true;
}

static bool opt_backup_server(const char *text, struct fleet_filter *f, char *err, size_t errlen)
{
	if (!vspc_uid_valid(text, strlen(text)))
		return fail(err, errlen, "--backup-server: '%s' is not a UUID", text);
	vspc_uid_normalise(f->backup_server, text);
	f->has_backup_server = true;
	return true;
}

static bool opt_min_jobs(const char *text, struct config *cfg, char *err, size_t errlen)
{
	if (!parse_uint(text, 0, 10000000, &cfg->min_jobs))
		return fail(err, errlen, "--min-jobs: '%s' is not a count from 0 to 10000000",
			    text);
	cfg->min_jobs_set = true;
	return true;
}

static bool opt_list(const char *text, struct config *cfg, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum run_mode mode;
	} forms[] = {
		{ "table", MODE_LIST_TABLE },     { "json", MODE_LIST_JSON },
		{ "icinga2", MODE_LIST_ICINGA2 }, { "icinga2-array", MODE_LIST_ICINGA2_ARRAY },
		{ "nagios", MODE_LIST_NAGIOS },
	};

	if (text == NULL) {
		cfg->mode = MODE_LIST_TABLE;
		return true;
	}
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
		if (strcmp(text, forms[i].name) == 0) {
			cfg->mode = forms[i].mode;
			return true;
		}
	return fail(err, errlen,
		    "--list: expected table, json, icinga2, icinga2-array or nagios, not '%s'",
		    text);
}

/* --snapshot-max-age: a duration of at least a second and at most a day
 * (an older snapshot would hide a day of changes). */
static bool opt_snapshot_max_age(const char *text, struct config *cfg, char *err, size_t errlen)
{
	int64_t s;

	if (!time_parse_duration(text, &s) || s < 1 || s > 86400)
		return fail(err, errlen,
			    "--snapshot-max-age: '%s' is not a duration from 1s to 1d (seconds, "
			    "or like 4m, 90s, 1h)",
			    text);
	cfg->snapshot_max_age = s;
	return true;
}

/* Applies one option. Returns false with a reason in @err. */
static bool apply_option(int id, const char *arg, struct config *cfg, char *err, size_t errlen)
{
	struct check_policy *p = &cfg->policy;

	switch (id) {
	case 'H':
		return opt_host(arg, &cfg->conn, err, errlen);
	case 'p':
		return opt_port(arg, &cfg->conn, err, errlen);
	case 'j':
		return opt_job(arg, &cfg->target, err, errlen);
	case OPT_KIND:
		return opt_kind(arg, &cfg->target, err, errlen);
	case 'T':
		return opt_nonempty(id, arg, &cfg->token.file, err, errlen);
	case OPT_TOKEN:
		cfg->token.inline_token = arg;
		return true;
	case 'w':
		return opt_range(id, arg, &p->vm.warning, err, errlen);
	case 'c':
		return opt_range(id, arg, &p->vm.critical, err, errlen);
	case OPT_WAN:
		return opt_yes_no(id, arg, &p->vm.wan, err, errlen);
	case OPT_CLOUD:
		return opt_yes_no(id, arg, &p->vm.cloud, err, errlen);
	case OPT_SOURCE_WAN:
		return opt_uid(id, arg, true, &p->vm.source_wan, err, errlen);
	case OPT_TARGET_WAN:
		return opt_uid(id, arg, true, &p->vm.target_wan, err, errlen);
	case OPT_CLOUD_HOST:
		return opt_uid(id, arg, true, &p->vm.cloud_host, err, errlen);
	case OPT_TARGET_HOST:
		return opt_uid(id, arg, false, &p->vm.target_host, err, errlen);
	case OPT_SLA_WARNING:
		return opt_range(id, arg, &p->cdp.sla_warning, err, errlen);
	case OPT_SLA_CRITICAL:
		return opt_range(id, arg, &p->cdp.sla_critical, err, errlen);
	case OPT_ERRORS_WARNING:
		return opt_range(id, arg, &p->cdp.errors_warning, err, errlen);
	case OPT_ERRORS_CRITICAL:
		return opt_range(id, arg, &p->cdp.errors_critical, err, errlen);
	case OPT_MAX_DELAY_WARNING:
		return opt_duration(id, arg, &p->cdp.max_delay_warning, err, errlen);
	case OPT_MAX_DELAY_CRITICAL:
		return opt_duration(id, arg, &p->cdp.max_delay_critical, err, errlen);
	case OPT_RPO:
		return opt_duration(id, arg, &p->cdp.rpo, err, errlen);
	case OPT_OUTPUT_FORMAT:
		if (strcmp(arg, "test-json") != 0 && strcmp(arg, "text") != 0)
			return fail(err, errlen,
				    "--output-format: expected text or test-json, not '%s'", arg);
		cfg->output_json = strcmp(arg, "test-json") == 0;
		return true;
	case OPT_MISMATCH_STATE:
		return opt_mismatch_state(arg, p, err, errlen);
	case 't':
		return opt_timeout(arg, cfg, err, errlen);
	case OPT_CA_FILE:
		return opt_nonempty(id, arg, &cfg->conn.ca_file, err, errlen);
	case OPT_INSECURE:
		cfg->conn.insecure = true;
		return true;
	case OPT_ALLOW_HTTP:
		cfg->conn.server.plain_http = true;
		return true;
	case '4':
	case '6':
		cfg->conn.ip_version = id - '0';
		return true;
	case OPT_API_VERSION:
		return opt_api_version(arg, &cfg->conn, err, errlen);
	case 'v':
		if (cfg->verbose < MAX_VERBOSE)
			cfg->verbose++;
		return true;
	case OPT_NO_JOB_STATUS:
		cfg->job_status = false;
		return true;
	case OPT_NEVER_RUN_STATE:
		return opt_state(id, arg, &p->session.never_run_state, err, errlen);
	case OPT_DISABLED_STATE:
		return opt_state(id, arg, &p->session.disabled_state, err, errlen);
	case OPT_MAX_AGE_WARNING:
		return opt_duration(id, arg, &p->session.max_age_warning, err, errlen);
	case OPT_MAX_AGE_CRITICAL:
		return opt_duration(id, arg, &p->session.max_age_critical, err, errlen);
	case 'a':
		if (cfg->mode == MODE_SINGLE)
			cfg->mode = MODE_FLEET;
		return true;
	case OPT_BACKUP_SERVER:
		return opt_backup_server(arg, &cfg->filter, err, errlen);
	case OPT_ORGANIZATION:
		return opt_organization(arg, &cfg->filter, err, errlen);
	case OPT_NAME:
		return opt_pattern(id, arg, cfg->filter.names, &cfg->filter.n_names, err, errlen);
	case OPT_EXCLUDE_NAME:
		return opt_pattern(id, arg, cfg->filter.excludes, &cfg->filter.n_excludes, err,
				   errlen);
	case OPT_MIN_JOBS:
		return opt_min_jobs(arg, cfg, err, errlen);
	case OPT_PERFDATA_PER_JOB:
		cfg->perfdata_per_job = true;
		return true;
	case OPT_LIST:
		return opt_list(arg, cfg, err, errlen);
	case OPT_CREDENTIALS_FILE:
		return opt_nonempty(id, arg, &cfg->token.credentials_file, err, errlen);
	case OPT_TOKEN_CACHE: /* the older name of --cache-dir */
	case OPT_CACHE_DIR:
		return opt_nonempty(id, arg, &cfg->cache_dir, err, errlen);
	case OPT_SNAPSHOT_MAX_AGE:
		return opt_snapshot_max_age(arg, cfg, err, errlen);
	case OPT_NO_TOKEN_CACHE:
		cfg->no_token_cache = true;
		return true;
	case OPT_EXTRA_OPTS:
		/* cli_expand_extra_opts() took every spelled-out one */
		return fail(err, errlen,
			    "write --extra-opts in full, or it was given inside an "
			    "extra-opts section");
	}
	return fail(err, errlen, "internal error: option %d has no handler", id);
}

static void describe_bad_option(int argc, char **argv, char *err, size_t errlen)
{
	const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	bool known = optopt >= 256 || (optopt > 0 && strchr(short_options, optopt) != NULL);

	if (known && optopt >= 256)
		snprintf(err, errlen, "option --%s needs a value (see --help)",
			 option_name(optopt));
	else if (known)
		snprintf(err, errlen, "option -%c needs a value (see --help)", optopt);
	else if (optopt > 0 && isprint(optopt))
		snprintf(err, errlen, "unknown option -%c (see --help)", optopt);
	else
		snprintf(err, errlen, "unknown or incomplete option '%s' (see --help)", word);
}

/* --extra-opts or --extra-opts=LOCATOR; NULL if @arg is not one. */
static bool is_extra_opts(const char *arg, const char **locator)
{
	static const char name[] = "--extra-opts";

	if (strncmp(arg, name, sizeof name - 1) != 0)
		return false;
	if (arg[sizeof name - 1] == '\0')
		*locator = NULL;
	else if (arg[sizeof name - 1] == '=')
		*locator = arg + sizeof name;
	else
		return false;
	return true;
}

bool cli_expand_extra_opts(int argc, char **argv, struct cli_args *out, char *err, size_t errlen)
{
	size_t n = 0;

	memset(out, 0, sizeof *out);
	for (int i = 1; i < argc; i++) {
		const char *locator;

		if (strcmp(argv[i], "--") == 0)
			break;
		if (is_extra_opts(argv[i], &locator) &&
		    ini_read_locator(locator, PACKAGE_NAME, &out->extra, err, errlen) != INI_OK)
			return false;
	}
	out->argv = calloc((size_t)argc + out->extra.argc + 1, sizeof *out->argv);
	if (out->argv == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	out->argv[n++] = argv[0];
	for (size_t i = 0; i < out->extra.argc; i++)
		out->argv[n++] = out->extra.argv[i];
	for (int i = 1; i < argc; i++) {
		const char *locator;

		if (!is_extra_opts(argv[i], &locator))
			out->argv[n++] = argv[i];
	}
	out->argc = (int)n;
	return true;
}

void cli_args_free(struct cli_args *args)
{
	free(args->argv);
	args->argv = NULL;
	ini_args_free(&args->extra);
}

static bool filters_given(const struct config *cfg)
{
	const struct fleet_filter *f = &cfg->filter;

	return f->has_backup_server || f->n_organizations || f->n_names || f->n_excludes;
}

/* Options that only make sense together. */
static bool check_mode(struct config *cfg, char *err, size_t errlen)
{
	bool job = cfg->target.uid_set;
	bool all = cfg->mode != MODE_SINGLE;

	if (job && all)
		return fail(err, errlen, "--job (-j) cannot be combined with --all or --list");
	if (!job && !all)
		return fail(err, errlen, "--job (-j) or --all is required (see --help)");
	if (!all && filters_given(cfg))
		return fail(err, errlen,
			    "--backup-server, --organization, --name and --exclude-name need --all "
			    "or --list");
	if (cfg->mode != MODE_FLEET && (cfg->min_jobs_set || cfg->perfdata_per_job))
		return fail(err, errlen, "--min-jobs and --perfdata-per-job need --all");
	if (all && !cfg->job_status)
		return fail(err, errlen, "--no-job-status applies to --job only");
	cfg->target.how = all ? TARGET_WALK : TARGET_ONE;
	if (job && cfg->target.kind_given) {
		const struct job_kind *k = kind_of(VSPC_KIND_CDP);

		const char *foreign;

		if (cfg->target.kinds & (1u << VSPC_KIND_VM))
			k = kind_of(VSPC_KIND_VM);
		foreign = kind_foreign_option(k, &cfg->policy);
		if (foreign)
			return fail(err, errlen, "%s does not apply to %s (--kind=%s)", foreign,
				    k->plural, k->name);
	}
	return true;
}

enum cli_status cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	enum cli_status status = CLI_RUN;
	int id;

	opterr = 0;
	optind = 0; /* GNU getopt: 0 also resets its state inside clustered options */
	optopt = 0;
	while ((id = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		if (id == '?') {
			describe_bad_option(argc, argv, err, errlen);
			return CLI_USAGE_ERROR;
		}
		if (id == 'h')
			status = CLI_HELP;
		else if (id == 'V' && status == CLI_RUN)
			status = CLI_VERSION;
		else if (!apply_option(id, optarg, cfg, err, errlen))
			return CLI_USAGE_ERROR;
	}
	if (status != CLI_RUN)
		return status;
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return CLI_USAGE_ERROR;
	}
	if (cfg->conn.server.host[0] == '\0') {
		snprintf(err, errlen, "--hostname (-H) is required (see --help)");
		return CLI_USAGE_ERROR;
	}
	return check_mode(cfg, err, errlen) ? CLI_RUN : CLI_USAGE_ERROR;
}

void cli_print_version(FILE *out)
{
	fprintf(out, "%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
}

void cli_print_help(FILE *out)
{
	cli_print_version(out);
	fputs(
	    "Checks Veeam Service Provider Console (VSPC) replication jobs through the VSPC\n"
	    "REST API v3 as a Nagios/Icinga service check: VM replication jobs (protected\n"
	    "VM count, configuration) and CDP replication policies (SLA, delay, errors),\n"
	    "each with its last session.\n"
	    "\n"
	    "Usage: check_vspc_replication -H HOST -j JOB_UID [--kind=vm|cdp] [options]\n"
	    "       check_vspc_replication -H HOST --all [filters] [options]\n"
	    "       check_vspc_replication -H HOST --list[=FORM] [filters] [options]\n"
	    "\n"
	    "Connection:\n"
	    "  -H, --hostname=HOST        VSPC server: name, IPv4 or IPv6 address (required)\n"
	    "  -p, --port=PORT            REST API port (default 1280)\n"
	    "  -4, --ipv4                 connect over IPv4 only\n"
	    "  -6, --ipv6                 connect over IPv6 only\n"
	    "      --ca-file=FILE         CA bundle that verifies the server certificate\n"
	    "                             (default: the system CA store)\n"
	    "      --insecure             do not verify the server certificate or host name\n"
	    "      --allow-http           speak plain http instead of https (the token then\n"
	    "                             crosses the network in clear: for a local proxy)\n"
	    "      --api-version=auto|VER VSPC REST API version (X-Client-Version). auto\n"
	    "                             (default): try 3.6, then 3.5.1 (VSPC 8.1), then\n"
	    "                             3.4 (VSPC 8.0) while the server refuses them, and\n"
	    "                             remember the agreed one for the server in the\n"
	    "                             cache directory; VER pins one (e.g. 3.5)\n"
	    "  -t, --timeout=SECONDS[:STATE]\n"
	    "                             deadline for the whole run (default 10) and the\n"
	    "                             state when it passes (default unknown)\n"
	    "\n"
	    "Authentication (first one given wins):\n"
	    "  -T, --token-file=FILE      file whose first line is the access token or API key\n"
	    "      --token=TOKEN          the token itself; other local users can see it in\n"
	    "                             the process list, prefer --token-file\n"
	    "      --credentials-file=FILE  log in with the username= and password= lines\n"
	    "                             of FILE (POST /api/v3/token); the token is\n"
	    "                             read-only from API 3.6 (VSPC 9) on, with the\n"
	    "                             account's full rights on 8.x (use a read-only\n"
	    "                             API key there); tokens are cached and refreshed\n"
	    "                             between runs\n"
	    "      --cache-dir=DIR        the private cache directory for tokens, the API\n"
	    "                             version and snapshots (default\n"
	    "                             $XDG_CACHE_HOME/check_vspc_replication, else\n"
	    "                             ~/.cache/..., else /var/tmp/check_vspc_replication-UID)\n"
	    "      --token-cache=DIR      the same (the option's older name)\n"
	    "      --no-token-cache       log in on every run\n"
	    "  VSPC_TOKEN                 environment variable read when none is given\n"
	    "      --extra-opts=[SECTION][@FILE]\n"
	    "                             read options (secrets included) from an ini file,\n"
	    "                             as the Monitoring Plugins do: SECTION defaults to\n"
	    "                             check_vspc_replication, FILE to $MP_CONFIG_FILE or\n"
	    "                             the standard plugins.ini paths; they come before\n"
	    "                             the command line's options\n"
	    "\n"
	    "What to check:\n"
	    "  -j, --job=UID              a VM replication job's or CDP policy's UID\n"
	    "                             (instanceUid); the kind is found out, or:\n"
	    "      --kind=vm|cdp          the kind of job: with -j it saves the probing,\n"
	    "                             with --all and --list it limits them to one kind\n"
	    "  A VM replication job (kind vm) is held to:\n"
	    "  -w, --warning=RANGE        warning range for protectedVmCount\n"
	    "  -c, --critical=RANGE       critical range for protectedVmCount\n"
	    "      --wan=yes|no           expected throughWanAccelerators\n"
	    "      --source-wan=UID|none  expected sourceWanAcceleratorUid\n"
	    "      --target-wan=UID|none  expected targetWanAcceleratorUid\n"
	    "      --cloud=yes|no         expected isCloudJob\n"
	    "      --cloud-host=UID|none  expected cloudHostUid\n"
	    "      --target-host=UID      expected targetHostUid\n"
	    "  A CDP policy (kind cdp) is held to, from its lastPeriod:\n"
	    "      --sla-warning=RANGE    warning range for the SLA (percent of sync\n"
	    "      --sla-critical=RANGE   sessions within the RPO), e.g. 90: alerts below 90\n"
	    "      --max-delay-warning=DURATION\n"
	    "      --max-delay-critical=DURATION\n"
	    "                             alert when maxDelay is longer\n"
	    "      --errors-warning=RANGE warning range for errorsCount (sync sessions\n"
	    "      --errors-critical=RANGE  that ended with an error), e.g. 0 alerts above 0\n"
	    "      --rpo=DURATION         expected RPO (rpo x rpoUnit)\n"
	    "  A period without figures (null lastPeriod, sla or maxDelay) gives the\n"
	    "  --never-run-state. With -j an option of the other kind is a usage error;\n"
	    "  with --all each option applies to the jobs of its kind.\n"
	    "      --mismatch-state=STATE state of a failed expectation: warning (default)\n"
	    "                             or critical\n"
	    "\n"
	    "Job health (from GET .../backupServers/jobs/{uid}, on the same connection):\n"
	    "      --no-job-status        do not read it: one request, configuration only\n"
	    "      --max-age-warning=DURATION\n"
	    "                             WARNING when the last session ended longer ago\n"
	    "      --max-age-critical=DURATION\n"
	    "                             CRITICAL likewise; DURATION is seconds or like\n"
	    "                             90m, 26h, 2d, 1d12h (units s m h d w)\n"
	    "      --never-run-state=STATE  state of a job that never ran (default warning)\n"
	    "      --disabled-state=STATE   state of a disabled job (default warning)\n"
	    "  Last session Success: OK, Warning: WARNING, Failed: CRITICAL, None: the\n"
	    "  --never-run-state; Running, Idle and other in-progress values: OK (ages\n"
	    "  still apply); Unknown or a value this plugin does not know: UNKNOWN.\n"
	    "\n"
	    "Every job (fleet) and listing:\n"
	    "  -a, --all                  check every VM replication job and CDP policy the\n"
	    "                             token can see; each gets the rules of its kind\n"
	    "                             and of its session, the worst wins\n"
	    "      --list[=FORM]          list the jobs and exit 0, or 3 when the listing\n"
	    "                             failed; FORM is table (the default), json (one\n"
	    "                             object per line), icinga2 (a file for conf.d: a\n"
	    "                             Host template whose vspc_replication_jobs\n"
	    "                             dictionary has an entry per job, for contrib's\n"
	    "                             apply Service for rule), icinga2-array (JSON for\n"
	    "                             icingacli director host set HOST --json: the job\n"
	    "                             UIDs in an array per kind, for Director's apply\n"
	    "                             for) or nagios (one define service per job for\n"
	    "                             the host -H, with contrib's templates); names are\n"
	    "                             escaped and made unique; a configuration is\n"
	    "                             complete only with its end (a last line\n"
	    "                             \"complete: N jobs, ...\", the JSON's closing\n"
	    "                             brace), which a failed listing never prints\n"
	    "      --backup-server=UID    only the jobs of this backup server\n"
	    "      --organization=UID     only jobs owned by or mapped to this organization\n"
	    "                             (repeatable)\n"
	    "      --name=PATTERN         only jobs whose name matches this shell glob\n"
	    "                             (repeatable)\n"
	    "      --exclude-name=PATTERN leave out jobs whose name matches (repeatable)\n"
	    "      --min-jobs=N           CRITICAL when fewer than N jobs match (--all)\n"
	    "      --perfdata-per-job     add each job's perfdata (--all)\n"
	    "\n"
	    "Per-job services at the cost of one walk:\n"
	    "      --snapshot-max-age=DURATION\n"
	    "                             answer -j, --all and --list from a snapshot of the\n"
	    "                             whole job collection at most DURATION old (like\n"
	    "                             4m; 1s to 1d), kept in the cache directory per\n"
	    "                             server and identity; one run refreshes it with\n"
	    "                             one walk while the others wait for it, and a\n"
	    "                             failed refresh is reported by every check for a\n"
	    "                             minute (or VSPC's retryAfter) without asking VSPC\n"
	    "\n"
	    "Output:\n"
	    "  -v, --verbose              more detail after the first line; up to -vvv, which\n"
	    "                             shows the HTTP headers (the token as ****)\n"
	    "      --output-format=test-json\n"
	    "                             the result and its sub-checks as one JSON object,\n"
	    "                             for the plugin's own tests (not for monitoring)\n"
	    "  -h, --help                 this text\n"
	    "  -V, --version              the version\n"
	    "\n"
	    "RANGE follows the Monitoring Plugins syntax: 10 (alert outside 0..10), 10:\n"
	    "(below 10), ~:10 (above 10), 10:20 (outside 10..20), @10:20 (inside 10..20).\n"
	    "STATE is ok, warning, critical, unknown or 0 to 3.\n"
	    "\n"
	    "States: thresholds, failed expectations, the last session, a disabled job\n"
	    "and its age give WARNING or CRITICAL, the worst wins; a job VSPC does not\n"
	    "know (HTTP 404) is CRITICAL; bad arguments, a missing token, HTTP 401, 403,\n"
	    "429, 5xx/520 and 202, redirects, connection and TLS failures, answers that\n"
	    "are not the documented JSON or lack a checked field, answers over 8 MiB and\n"
	    "a fleet page that fails are UNKNOWN; a timeout gives the --timeout state.\n"
	    "\n"
	    "Examples:\n"
	    "  check_vspc_replication -H vspc.example.com -T /etc/nagios/vspc.token \\\n"
	    "    -j bc04d2e5-dd4c-4f85-af0e-424106a32a75 -c 1: --wan=yes --max-age-warning=26h\n"
	    "  check_vspc_replication -H vspc.example.com -T /etc/nagios/vspc.token --all \\\n"
	    "    --organization=6f2d7b4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f --min-jobs=1\n",
	    out);
}
