"""Starting and stopping simulators (see vspc_sim.py): the one way to run
`python3 tests/vspc_sim.py ...` as a separate process and wait for its
"PORT <n>" line (start_process, stop_process, running), and to start one
in this process with a test PKI (start_sim).

Standard library only."""

import contextlib
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

import sim_server

SIM_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "vspc_sim.py")


def start_process(args, *, python=None, env=None, timeout=30.0):
    """Start `python vspc_sim.py ARGS` (python: default sys.executable)
    and wait until it prints "PORT <n>".  env: variables added to the
    small default environment (PATH, PYTHONDONTWRITEBYTECODE=1).  Returns
    (proc, port).  stdout is read up to that line only; stderr goes to a
    temporary file, whose text stop_process() leaves in proc.sim_stderr.
    Raises RuntimeError (the process stopped, its stderr in the message)
    when no PORT line comes within timeout seconds."""
    full_env = {"PATH": os.environ.get("PATH", ""),
                "PYTHONDONTWRITEBYTECODE": "1"}
    full_env.update(env or {})
    err = tempfile.TemporaryFile()
    try:
        proc = subprocess.Popen(
            [python or sys.executable, SIM_SCRIPT] + [str(a) for a in args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
            env=full_env)
    except BaseException:
        err.close()
        raise
    proc.sim_stderr_file = err
    proc.sim_stderr = None
    line = b""
    end = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while not line.endswith(b"\n"):
        left = end - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            if proc.poll() is not None:
                break
            continue
        piece = os.read(fd, 1)
        if not piece:
            break
        line += piece
    text = line.decode("utf-8", "replace").strip()
    if text.startswith("PORT ") and text[5:].isdigit():
        proc.sim_port = int(text[5:])
        return proc, proc.sim_port
    stop_process(proc)
    raise RuntimeError("simulator %s printed %r, not PORT <n>; stderr: %s"
                       % (" ".join(str(a) for a in args), text,
                          proc.sim_stderr))


def stop_process(proc, timeout=10.0):
    """Stop a simulator started by start_process (SIGTERM, then SIGKILL
    after timeout seconds), close its pipes, keep its stderr text in
    proc.sim_stderr; returns its exit status (0: stopped cleanly)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    err = getattr(proc, "sim_stderr_file", None)
    if err is not None and not err.closed:
        err.seek(0)
        proc.sim_stderr = err.read().decode("utf-8", "replace")
        err.close()
    return proc.returncode


@contextlib.contextmanager
def running(args, **kwargs):
    """with running(args) as (proc, port): a simulator process for the
    block (start_process's keyword arguments); stopped afterwards, its
    exit status then in proc.returncode."""
    proc, port = start_process(args, **kwargs)
    try:
        yield proc, port
    finally:
        stop_process(proc)


def start_sim(certs, *, cert="server_cert", key="server_key", **kwargs):
    """A started in-process VspcSim with the server certificate and key
    of certs (the dict make_certs() returns; cert and key name its
    entries, e.g. "wrong_cert", "wrong_key"); kwargs go to VspcSim
    (token, api_keys, host, server_version, fleet, defaults, ...).  Stop
    it with stop()."""
    return sim_server.VspcSim(certs[cert], certs[key], **kwargs).start()
