/* check_vspc_replication: Nagios/Icinga check of a Veeam Service Provider
 * Console VM replication job through the VSPC REST API v3.
 *
 * The whole story: parse the command line into a read-only config, load the
 * token, GET the job over one HTTPS connection, turn the HTTP answer into a
 * decoded job or a reason, evaluate it against the policy, print one result
 * and exit with its state. */
#include "autoconfig.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "evaluate.h"
#include "http.h"
#include "output.h"
#include "token.h"
#include "vspc.h"

#define MAX_429_RETRIES 3
#define USER_AGENT PACKAGE_NAME "/" PACKAGE_VERSION

/* The watchdog: if libcurl ever overran its deadline, SIGALRM prints this
 * prepared line and ends the run, so the check can never hang. */
static char watchdog_line[160];
static size_t watchdog_len;
static int watchdog_state;

static void on_watchdog(int sig)
{
	(void)sig;
	if (write(STDOUT_FILENO, watchdog_line, watchdog_len) < 0)
		_exit(watchdog_state);
	_exit(watchdog_state);
}

static void watchdog_arm(const struct config *cfg)
{
	struct itimerval it = {0};
	int n = snprintf(watchdog_line, sizeof watchdog_line,
			 "%s %s - timed out after %u s\n", OUTPUT_PREFIX,
			 state_name(cfg->timeout_state), cfg->timeout_seconds);

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
	struct itimerval it = {0};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void trace_to_result(void *ctx, const char *line)
{
	result_line(ctx, 3, "%s", line);
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* "(HTTP 404: message)" style detail from an error body. */
static const char *error_detail(const struct http_response *resp, struct vspc_error_info *info)
{
	vspc_decode_errors(resp->body.data ? resp->body.data : "", resp->body.len, info);
	if (info->message[0] == '\0')
		snprintf(info->message, sizeof info->message, "no VSPC error message, Content-Type %s",
			 resp->content_type[0] ? resp->content_type : "none");
	return info->message;
}

/* Maps a non-200 answer to the result. */
static void report_status(const struct config *cfg, const struct http_response *resp,
			  struct result *res)
{
	struct vspc_error_info info;
	long st = resp->status;

	if (st == 404)
		result_fail(res, STATE_CRITICAL, "replication job %s not found (HTTP 404: %s)",
			    cfg->policy.job_uid, error_detail(resp, &info));
	else if (st == 401)
		result_fail(res, STATE_UNKNOWN,
			    "HTTP 401 Unauthorized: %s - the token or API key is invalid or expired",
			    error_detail(resp, &info));
	else if (st == 403)
		result_fail(res, STATE_UNKNOWN,
			    "HTTP 403 Forbidden: %s - the account lacks a role that may read backup "
			    "server jobs",
			    error_detail(resp, &info));
	else if (st == 429)
		result_fail(res, STATE_UNKNOWN,
			    "HTTP 429 Too Many Requests: %s - VSPC is throttling and no retry "
			    "succeeded within the %u s timeout",
			    error_detail(resp, &info), cfg->timeout_seconds);
	else if (st == 202)
		result_fail(res, STATE_UNKNOWN,
			    "HTTP 202: VSPC queued the request as an asynchronous action (%s) "
			    "instead of returning the job",
			    resp->location[0] ? resp->location : "no Location");
	else if (st >= 300 && st < 400)
		result_fail(res, STATE_UNKNOWN, "HTTP %ld redirect to %s, not followed", st,
			    resp->location[0] ? resp->location : "nowhere");
	else if (st >= 500)
		result_fail(res, STATE_UNKNOWN, "HTTP %ld server error: %s", st,
			    error_detail(resp, &info));
	else
		result_fail(res, STATE_UNKNOWN, "unexpected HTTP %ld: %s", st,
			    error_detail(resp, &info));
}

static void report_transport(const struct config *cfg, enum http_error rc, const char *err,
			     struct result *res)
{
	if (rc == HTTP_ERR_TIMEOUT)
		result_fail(res, cfg->timeout_state, "timed out after %u s: %s",
			    cfg->timeout_seconds, err);
	else if (rc == HTTP_ERR_SETUP)
		result_fail(res, STATE_UNKNOWN, "plugin fault: %s", err);
	else
		result_fail(res, STATE_UNKNOWN, "HTTPS request to %s failed: %s", cfg->conn.host, err);
}

/* How long to wait before retrying a 429, in ms; -1 if no retry fits. */
static int64_t retry_delay_ms(const struct http_response *resp, int64_t deadline_ms)
{
	struct vspc_error_info info;
	double secs;
	int64_t ms;

	vspc_decode_errors(resp->body.data ? resp->body.data : "", resp->body.len, &info);
	secs = info.retry_after >= 0 ? info.retry_after
	       : resp->retry_after >= 0 ? (double)resp->retry_after : 1.0;
	if (secs > 86400)
		return -1;
	ms = (int64_t)(secs * 1000.0);
	/* leave at least a second for the retried request itself */
	return ms + 1000 < clock_remaining_ms(deadline_ms) ? ms : -1;
}

/* GETs the job, retrying on 429 while a retry fits. On HTTP_OK @resp holds
 * the final answer; otherwise @res already says why. */
static enum http_error fetch_job(const struct config *cfg, struct http_client *client,
				 const char *token, int64_t deadline_ms,
				 struct http_response *resp, struct result *res)
{
	char url[512];
	char err[320];
	char version_header[64];
	struct buf auth;
	enum http_error rc = HTTP_ERR_SETUP;

	buf_init(&auth, TOKEN_MAX + 64);
	snprintf(version_header, sizeof version_header, "X-Client-Version: %s", cfg->conn.api_version);
	if (!vspc_replication_job_url(url, sizeof url, cfg->conn.host, cfg->conn.port,
				      cfg->policy.job_uid) ||
	    buf_printf(&auth, "Authorization: Bearer %s", token) != BUF_OK) {
		result_fail(res, STATE_UNKNOWN, "plugin fault: cannot build the request");
		goto out;
	}
	result_line(res, 2, "GET %s", url);
	for (int attempt = 0;; attempt++) {
		const char *headers[] = {buf_str(&auth), "Accept: application/json", version_header};
		int64_t wait;

		rc = http_get(client, url, headers, 3, deadline_ms, VSPC_JOB_BODY_CAP, resp, err,
			      sizeof err);
		if (rc != HTTP_OK) {
			report_transport(cfg, rc, err, res);
			break;
		}
		result_line(res, 2, "HTTP %ld, %zu bytes, %.3f s", resp->status, resp->body.len,
			    resp->seconds);
		if (resp->status != 429 || attempt == MAX_429_RETRIES)
			break;
		wait = retry_delay_ms(resp, deadline_ms);
		if (wait < 0)
			break;
		result_line(res, 1, "HTTP 429: retrying in %.1f s", (double)wait / 1000.0);
		http_response_free(resp);
		sleep_ms(wait);
	}
out:
	buf_free_wipe(&auth);
	return rc;
}

static void check_job(const struct config *cfg, const char *token, struct result *res)
{
	struct http_options opt = {
		.ca_file = cfg->conn.ca_file,
		.insecure = cfg->conn.insecure,
		.ip_version = cfg->conn.ip_version,
		.user_agent = USER_AGENT,
		.trace = cfg->verbose >= 3 ? trace_to_result : NULL,
		.trace_ctx = res,
		.redact = token,
	};
	int64_t deadline_ms = clock_now_ms() + (int64_t)cfg->timeout_seconds * 1000;
	struct http_response resp = {0};
	struct vspc_replication_job job;
	struct http_client *client;
	char err[256];

	client = http_client_new(&opt, err, sizeof err);
	if (client == NULL) {
		result_fail(res, STATE_UNKNOWN, "plugin fault: %s", err);
		return;
	}
	if (fetch_job(cfg, client, token, deadline_ms, &resp, res) == HTTP_OK) {
		if (resp.status != 200)
			report_status(cfg, &resp, res);
		else if (vspc_decode_replication_job(buf_str(&resp.body), resp.body.len, &job, err,
						     sizeof err) != VSPC_OK)
			result_fail(res, STATE_UNKNOWN, "job %s: %s (HTTP 200, Content-Type %s)",
				    cfg->policy.job_uid, err,
				    resp.content_type[0] ? resp.content_type : "none");
		else
			evaluate_job(&cfg->policy, &job, res);
		result_perf(res, &(struct perfdata){.label = "time", .value = resp.seconds,
						    .decimals = 6, .uom = "s", .min = "0"});
	}
	http_response_free(&resp);
	http_client_free(client);
}

/* Prints the result and gives the exit code: its state, or UNKNOWN when the
 * output could not be written. */
static int finish(struct result *res)
{
	enum state final = res->state;

	if (output_print(res, stdout) != 0)
		final = STATE_UNKNOWN;
	result_free(res);
	return (int)final;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct result res;
	struct buf token;
	char err[512];
	enum cli_status cs;

	config_init(&cfg);
	cs = cli_parse(argc, argv, &cfg, err, sizeof err);
	if (cs == CLI_HELP || cs == CLI_VERSION) {
		(cs == CLI_HELP ? cli_print_help : cli_print_version)(stdout);
		return STATE_UNKNOWN;
	}
	result_init(&res, cfg.verbose);
	if (cs == CLI_USAGE_ERROR) {
		result_fail(&res, STATE_UNKNOWN, "%s", err);
		return finish(&res);
	}

	watchdog_arm(&cfg);
	buf_init(&token, TOKEN_MAX);
	if (token_load(&cfg.token, &token, err, sizeof err) != TOKEN_OK)
		result_fail(&res, STATE_UNKNOWN, "%s", err);
	else if (!http_global_init())
		result_fail(&res, STATE_UNKNOWN, "plugin fault: libcurl failed to initialise");
	else {
		check_job(&cfg, buf_str(&token), &res);
		http_global_cleanup();
	}
	buf_free_wipe(&token);

	watchdog_disarm();
	return finish(&res);
}
