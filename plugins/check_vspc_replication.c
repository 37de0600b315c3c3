/* check_vspc_replication: Nagios/Icinga check of a Veeam Service Provider
 * Console VM replication job through the VSPC REST API v3.
 *
 * The whole story: parse the command line into a read-only config, load the
 * token, open one HTTPS client, run the mode (one job, every job, or a
 * listing: plugins/single.c and plugins/fleet.c), print one result and exit
 * with its state. */
#include "autoconfig.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "modes.h"
#include "output.h"
#include "request.h"
#include "token.h"
#include "vspc.h"

#define USER_AGENT PACKAGE_NAME "/" PACKAGE_VERSION

/* The watchdog: if libcurl ever overran its deadline, SIGALRM prints this
 * prepared line and ends the run, so the check can never hang. */
static char watchdog_line[160];
static size_t watchdog_len;
static int watchdog_state;

static void on_watchdog(int sig)
{
	ssize_t written = write(STDOUT_FILENO, watchdog_line, watchdog_len);

	(void)sig;
	(void)written; /* nothing more can be done from a signal handler */
	_exit(watchdog_state);
}

static void watchdog_arm(const struct config *cfg)
{
	struct itimerval it = { 0 };
	int n = snprintf(watchdog_line, sizeof watchdog_line, "%s %s - timed out after %u s\n",
			 OUTPUT_PREFIX, state_name(cfg->timeout_state), cfg->timeout_seconds);

	watchdog_len = n > 0 ? (size_t)n : 0;
	watchdog_state = (int)cfg->timeout_state;
	signal(SIGALRM, on_watchdog);
	/* half a second after the deadline libcurl enforces itself */
	it.it_value.tv_sec = cfg->timeout_seconds;
	it.it_value.tv_usec = 500000;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void watchdog_disarm(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void trace_to_result(void *ctx, const char *line)
{
	result_line(ctx, 3, "%s", line);
}

/* Opens the run's one HTTPS client, logs in when a credentials file is the
 * token source, and runs the mode. */
static void run_mode(const struct config *cfg, struct buf *token, bool login, struct result *res)
{
	struct http_options opt = {
		.ca_file = cfg->conn.ca_file,
		.insecure = cfg->conn.insecure,
		.allow_http = cfg->conn.server.plain_http,
		.ip_version = cfg->conn.ip_version,
		.user_agent = USER_AGENT,
		.trace = cfg->verbose >= 3 ? trace_to_result : NULL,
		.trace_ctx = res,
		.redact = login ? NULL : buf_str(token),
	};
	struct request_api api;
	struct request_ctx rq = {
		.cfg = cfg,
		.token = token,
		.api = &api,
		.deadline_ms = clock_now_ms() + (int64_t)cfg->timeout_seconds * 1000,
		.res = res,
	};
	char err[256];
	struct auth auth;

	request_api_start(&api, cfg, res);
	if (login && !auth_start(&auth, cfg, token, res)) {
		auth_end(&auth);
		return;
	}
	rq.client = http_client_new(&opt, err, sizeof err);
	if (rq.client == NULL)
		result_fail(res, STATE_UNKNOWN, "plugin fault: %s", err);
	else if (!login || auth_login(&auth, &rq)) {
		rq.auth = login ? &auth : NULL;
		if (cfg->mode == MODE_SINGLE)
			mode_single(&rq);
		else if (cfg->mode == MODE_FLEET)
			mode_fleet(&rq);
		else
			mode_list(&rq);
	}
	http_client_free(rq.client);
	if (login)
		auth_end(&auth);
}

/* Prints the result and gives the exit code: its state, or UNKNOWN when the
 * output could not be written. */
static int finish(struct result *res)
{
	enum state final = res->state;

	if (output_print(res, stdout) != 0)
		final = STATE_UNKNOWN;
	result_free(res);
	return (int) final;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct cli_args args;
	struct result res;
	struct buf token;
	char err[512];
	enum cli_status cs;
	enum token_error ts;
	bool loose;

	config_init(&cfg);
	if (!cli_expand_extra_opts(argc, argv, &args, err, sizeof err))
		cs = CLI_USAGE_ERROR;
	else
		cs = cli_parse(args.argc, args.argv, &cfg, err, sizeof err);
	if (cs == CLI_HELP || cs == CLI_VERSION) {
		(cs == CLI_HELP ? cli_print_help : cli_print_version)(stdout);
		cli_args_free(&args);
		return STATE_UNKNOWN;
	}
	result_init(&res, cfg.verbose);
	if (cs == CLI_USAGE_ERROR) {
		result_fail(&res, STATE_UNKNOWN, "%s", err);
		cli_args_free(&args);
		return finish(&res);
	}

	/* with CURLOPT_NOSIGNAL libcurl leaves SIGPIPE alone; a peer that resets
	 * the connection, or a reader that closes stdout, must give an error to
	 * handle, not kill the plugin */
	signal(SIGPIPE, SIG_IGN);
	watchdog_arm(&cfg);
	buf_init(&token, TOKEN_MAX);
	ts = token_load(&cfg.token, &token, &loose, err, sizeof err);
	if (loose)
		result_line(&res, 1, "note: the token file %s is readable by group or others",
			    cfg.token.file);
	if (ts != TOKEN_OK && ts != TOKEN_LOGIN)
		result_fail(&res, STATE_UNKNOWN, "%s", err);
	else if (!http_global_init())
		result_fail(&res, STATE_UNKNOWN, "plugin fault: libcurl failed to initialise");
	else {
		run_mode(&cfg, &token, ts == TOKEN_LOGIN, &res);
		http_global_cleanup();
	}
	buf_free_wipe(&token);
	cli_args_free(&args);

	watchdog_disarm();
	/* a listing that worked has printed itself; one that failed is UNKNOWN */
	if (cfg.mode == MODE_LIST_TABLE || cfg.mode == MODE_LIST_JSON) {
		if (res.state == STATE_OK) {
			result_free(&res);
			return STATE_OK;
		}
		res.state = STATE_UNKNOWN;
	}
	return finish(&res);
}
