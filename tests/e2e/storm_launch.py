"""Starts many plugin processes at once, outside the pytest process.

Why it exists: the simulator runs as threads of the pytest process, and a
few hundred TLS connections keep its interpreter lock busy; a spawning
loop in that process would then start the checks over many seconds
instead of together.  This launcher is a process of its own with one
thread: it forks the children one after the other (fork returns at
once, unlike posix_spawn, which waits for the child's exec and, on a
busy machine, can hold the interpreter for a long while), reaping those
that have ended between two forks and the rest after the last, so each
run's wall time is measured from its own fork, as an engine's is, to its
own exit.

Run as "python3 storm_launch.py DIR" with a JSON object on stdin:
    {"env": {...}, "cwd": "/", "cmds": [[argv0, argv1, ...], ...]}
Each child's stdin is /dev/null, its stdout and stderr the files
DIR/N.out and DIR/N.err.  Prints one JSON list on stdout, in the order
of cmds: {"rc", "start", "end", "out", "err"} with rc from
os.waitstatus_to_exitcode (negative for a signal; 127 when the exec
failed), start and end in time.monotonic() seconds (one clock for every
process on the machine), out and err the files' text.  Standard library
only.
"""

import json
import os
import sys
import time


def child(argv, env, out, err):
    """In the forked child: the files, then the plugin; never returns."""
    try:
        fd = os.open("/dev/null", os.O_RDONLY)
        os.dup2(fd, 0)
        for target, path in ((1, out), (2, err)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, target)
        os.execve(argv[0], argv, env)
    finally:
        os._exit(127)


def main(outdir):
    job = json.load(sys.stdin)
    env, cwd, cmds = job["env"], job.get("cwd", "/"), job["cmds"]
    os.chdir(cwd)
    index, starts = {}, []
    results = [None] * len(cmds)

    def reap(flags):
        """Records the children that have ended; False when none had."""
        pid, status, _ = os.wait4(-1, flags)
        if pid == 0:
            return False
        i = index.pop(pid)
        results[i] = {"rc": os.waitstatus_to_exitcode(status),
                      "start": starts[i], "end": time.monotonic()}
        return True

    for i, argv in enumerate(cmds):
        starts.append(time.monotonic())
        pid = os.fork()
        if pid == 0:
            child(argv, env, os.path.join(outdir, "%d.out" % i),
                  os.path.join(outdir, "%d.err" % i))
        index[pid] = i
        while index and reap(os.WNOHANG):  # the quick ones, meanwhile
            pass
    while index:
        reap(0)
    for i, r in enumerate(results):
        for key, ext in (("out", "out"), ("err", "err")):
            with open(os.path.join(outdir, "%d.%s" % (i, ext)), "rb") as f:
                r[key] = f.read().decode("utf-8", errors="replace")
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
