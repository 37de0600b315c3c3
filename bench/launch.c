/*
 * Low-memory process launcher for bench/run, which compiles it with
 * "cc -O2" into its temporary directory.  Not meant to be run by hand.
 *
 * Why it exists: Linux folds the resident set of the process that calls
 * exec() into the new program's ru_maxrss (fs/exec.c, exec_mmap, which
 * keeps the larger of the old and new high-water marks), and that holds
 * for posix_spawn's vfork-like child too.  A child spawned straight from
 * bench/run (about 14 MiB of Python) would report at least 14 MiB whatever
 * it really used.  This launcher touches little more than the C library,
 * about 1 MiB, so the rusage of the processes it spawns is their own down
 * to that floor; bench/run measures the floor with /bin/true and prints it.
 *
 * Protocol, one request per line on stdin:
 *     STDOUT_PATH \0 STDERR_PATH \0 ARGV0 \0 ARGV1 ...\n
 * answered on stdout by one line:
 *     EXIT_CODE USER_US SYS_US MAXRSS_KIB WALL_NS\n
 * EXIT_CODE is minus the signal number when a signal ended the child.
 * ARGV0 is a path (no PATH search).  The child's stdin is /dev/null, its
 * environment the launcher's.  A request that cannot be run is answered
 * "ERR message" and the launcher goes on with the next one.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE (256 * 1024)
#define MAX_ARGS 512

extern char **environ;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long micros(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000LL + tv->tv_usec;
}

static void answer_err(const char *what, int err)
{
	printf("ERR %s%s%s\n", what, err ? ": " : "", err ? strerror(err) : "");
	fflush(stdout);
}

/* Splits the request (len bytes, NULs inside) into fields; returns their
 * number, or -1 when there are too many. */
static int split(char *line, size_t len, char **fields, int max)
{
	int n = 0;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != '\0')
			continue;
		if (n == max)
			return -1;
		line[i] = '\0';
		fields[n++] = line + start;
		start = i + 1;
	}
	return n;
}

static int file_actions(posix_spawn_file_actions_t *fa, const char *out, const char *err)
{
	int rc = posix_spawn_file_actions_init(fa);

	if (rc)
		return rc;
	rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_addopen(fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC,
						      0600);
	if (!rc)
		rc = posix_spawn_file_actions_addopen(fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC,
						      0600);
	if (rc)
		posix_spawn_file_actions_destroy(fa);
	return rc;
}

static void serve_one(char **fields, int n)
{
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	long long start;
	long long wall;
	pid_t pid;
	int status;
	int code;
	int rc;

	fields[n] = NULL;
	rc = file_actions(&fa, fields[0], fields[1]);
	if (rc) {
		answer_err("file actions", rc);
		return;
	}
	start = now_ns();
	rc = posix_spawn(&pid, fields[2], &fa, NULL, fields + 2, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		answer_err(fields[2], rc);
		return;
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			answer_err("wait4", errno);
			exit(1);
		}
	}
	wall = now_ns() - start;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
	printf("%d %lld %lld %ld %lld\n", code, micros(&ru.ru_utime), micros(&ru.ru_stime),
	       ru.ru_maxrss, wall);
	fflush(stdout);
}

int main(void)
{
	static char *fields[MAX_ARGS + 3];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) > 0) {
		int n;

		if (line[len - 1] == '\n')
			len--;
		if (len > MAX_LINE) {
			answer_err("request too long", 0);
			continue;
		}
		n = split(line, (size_t)len, fields, MAX_ARGS + 2);
		if (n < 3) {
			answer_err(n < 0 ? "too many arguments" : "bad request", 0);
			continue;
		}
		serve_one(fields, n);
	}
	free(line);
	return 0;
}
