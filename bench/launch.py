"""Low-memory process launcher for bench/run.  Not meant to be run by hand.

Why it exists: Linux folds the resident set of the process that calls
exec() into the new program's ru_maxrss (fs/exec.c, exec_mmap), so a child
spawned straight from bench/run (about 14 MiB of Python) would report at
least 14 MiB whatever it really used, more than curl itself needs.  This
launcher is started once with "python3 -I -S", imports nothing but the
interpreter's built-in modules and stays near 8 MiB, so the rusage of the
processes it spawns is their own; bench/run measures that floor with
/bin/true and prints it.

Protocol, one request per line on stdin:
    STDOUT_PATH \\0 STDERR_PATH \\0 ARGV0 \\0 ARGV1 ...\\n
answered on stdout by one line:
    EXIT_CODE USER_US SYS_US MAXRSS_KIB WALL_NS\\n
EXIT_CODE is negative for a signal (os.waitstatus_to_exitcode).  The
child's stdin is /dev/null; its environment is the launcher's.  A spawn
failure answers "ERR message".
"""

import os
import sys
import time


def serve(inp, out):
    env = dict(os.environ)
    for line in inp:
        fields = line.rstrip(b"\n").split(b"\0")
        if len(fields) < 3:
            out.write(b"ERR bad request\n")
            out.flush()
            continue
        out_path, err_path, argv = fields[0], fields[1], fields[2:]
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, out_path,
             os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
            (os.POSIX_SPAWN_OPEN, 2, err_path,
             os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
        ]
        start = time.monotonic_ns()
        try:
            pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        except OSError as e:
            out.write(b"ERR %s\n" % str(e).encode("utf-8", "replace"))
            out.flush()
            continue
        _, status, ru = os.wait4(pid, 0)
        wall = time.monotonic_ns() - start
        out.write(b"%d %d %d %d %d\n" % (
            os.waitstatus_to_exitcode(status),
            round(ru.ru_utime * 1e6), round(ru.ru_stime * 1e6),
            ru.ru_maxrss, wall))
        out.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
