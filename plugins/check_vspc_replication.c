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

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "modes.h"
#include "output.h"
#include "token.h"
#include "vspc.h"

/* The watchdog: if libcurl ever overran its deadline, SIGALRM prints this
 * prepared line and ends the run, so the check can never hang. Everything
 * the handler reads is set before it is installed; the scalars are volatile
 * sig_atomic_t so that they are read whole, from memory, in the handler. */
static char watchdog_line[160];
static volatile sig_atomic_t watchdog_len;
static volatile sig_atomic_t watchdog_state;

static void on_watchdog(int sig)
{
	ssize_t written = write(STDOUT_FILENO, watchdog_line, (size_t)watchdog_len);

	(void)sig;
	(void)written; /* nothing more can be done from a signal handler */
	_exit(watchdog_state);
}

/* sigaction rather than signal(): its semantics are the same everywhere
 * (no reset to SIG_DFL), and a full mask keeps other signals out of the
 * handler while it writes. */
static void set_signal(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigfillset(&sa.sa_mask);
	(void)sigaction(sig, &sa, NULL);
}

/* The last line of defence against faults, as the watchdog is against
 * time: a fatal signal (a bug, or a library that failed an allocation it
 * does not check) prints a prepared UNKNOWN line with write(2) and ends
 * the run with 3, never with nothing on stdout and a signal status (which
 * Nagios reads as CRITICAL). Sanitizer builds keep their own handlers. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_OWNS_SIGNALS 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_OWNS_SIGNALS 1
#endif

#ifndef SANITIZER_OWNS_SIGNALS
#define FATAL_LINE(what) OUTPUT_PREFIX " UNKNOWN - plugin fault: " what "\n"

static void on_fatal(int sig)
{
	static const char segv[] = FATAL_LINE("fatal signal SIGSEGV (invalid memory access)");
	static const char bus[] = FATAL_LINE("fatal signal SIGBUS (bad memory access)");
	static const char fpe[] = FATAL_LINE("fatal signal SIGFPE (arithmetic fault)");
	static const char ill[] = FATAL_LINE("fatal signal SIGILL (illegal instruction)");
	static const char abrt[] =
	    FATAL_LINE("fatal signal SIGABRT (aborted, possibly out of memory in a library)");
	const char *line = sig == SIGSEGV  ? segv
			   : sig == SIGBUS ? bus
			   : sig == SIGFPE ? fpe
			   : sig == SIGILL ? ill
					   : abrt;
	size_t len = sig == SIGSEGV  ? sizeof segv
		     : sig == SIGBUS ? sizeof bus
		     : sig == SIGFPE ? sizeof fpe
		     : sig == SIGILL ? sizeof ill
				     : sizeof abrt;
	ssize_t written = write(STDOUT_FILENO, line, len - 1);

	(void)written; /* nothing more can be done from a signal handler */
	_exit(STATE_UNKNOWN);
}
#endif

static void fatal_arm(void)
{
#ifndef SANITIZER_OWNS_SIGNALS
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		set_signal(sigs[i], on_fatal);
#endif
}

static void watchdog_arm(const struct config *cfg)
{
	struct itimerval it = { 0 };
	int n = snprintf(watchdog_line, sizeof watchdog_line, "%s %s - timed out after %u s\n",
			 OUTPUT_PREFIX, state_name(cfg->timeout_state), cfg->timeout_seconds);
	/* half a second after the deadline libcurl enforces itself */
	int64_t left = clock_run_deadline_ms(cfg->timeout_seconds) + 500 - clock_now_ms();

	/* a truncated line is still written, never more than the array holds */
	if (n < 0)
		n = 0;
	else if ((size_t)n >= sizeof watchdog_line)
		n = (int)sizeof watchdog_line - 1;
	watchdog_len = n;
	watchdog_state = (int)cfg->timeout_state;
	set_signal(SIGALRM, on_watchdog);
	if (left < 1)
		left = 1;
	it.it_value.tv_sec = (time_t)(left / 1000);
	it.it_value.tv_usec = (suseconds_t)(left % 1000) * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void watchdog_disarm(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* Opens the run's session (one HTTPS client, the login when a credentials
 * file is the token source) and runs the mode. Without a snapshot every
 * run asks VSPC, so it connects (and logs in) first; with one, the mode
 * connects only if the snapshot cannot answer. */
static void run_mode(const struct config *cfg, struct buf *token, bool login, struct result *res)
{
	struct session s;

	if (session_open(&s, cfg, token, login, res) &&
	    (cfg->snapshot_max_age > 0 || session_connect(&s))) {
		if (cfg->mode == MODE_SINGLE)
			mode_single(&s);
		else if (cfg->mode == MODE_FLEET)
			mode_fleet(&s);
		else
			mode_list(&s);
	}
	session_close(&s);
}

/* Prints the result and gives the exit code: its state, or UNKNOWN when the
 * output could not be written. */
static int finish(struct result *res, bool json)
{
	enum state final = result_exit_state(res);

	if ((json ? output_print_json : output_print)(res, stdout) != 0)
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
	bool login;

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
		return finish(&res, cfg.output_json);
	}

	/* with CURLOPT_NOSIGNAL libcurl leaves SIGPIPE alone; a peer that resets
	 * the connection, or a reader that closes stdout, must give an error to
	 * handle, not kill the plugin */
	set_signal(SIGPIPE, SIG_IGN);
	fatal_arm();
	watchdog_arm(&cfg);
	buf_init(&token, TOKEN_MAX);
	ts = token_load(&cfg.token, &token, &loose, &login, err, sizeof err);
	if (loose)
		result_line(&res, 1, "note: the token file %s is readable by group or others",
			    cfg.token.file);
	if (ts != TOKEN_OK)
		result_fail(&res, STATE_UNKNOWN, "%s", err);
	else
		run_mode(&cfg, &token, login, &res);
	buf_free_wipe(&token);
	cli_args_free(&args);

	watchdog_disarm();
	/* a listing that worked has printed itself; one that failed is UNKNOWN */
	if (MODE_IS_LIST(cfg.mode)) {
		if (res.state == STATE_OK) {
			result_free(&res);
			return STATE_OK;
		}
		res.state = STATE_UNKNOWN;
	}
	return finish(&res, cfg.output_json);
}
