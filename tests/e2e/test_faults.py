"""The plugin's last line of defence: a fatal signal (a bug, or a library
that could not allocate memory and did not check) still ends the run with
one UNKNOWN line and exit code 3, never with nothing on stdout and a signal
status, which Nagios would read as CRITICAL."""

import os
import signal
import subprocess
import time

import pytest

from e2e_util import PLUGIN, WRAPPER, clean_env


def sanitizer_build():
    """ASan and UBSan keep their own signal handlers (and the plugin leaves
    them alone): their builds print their own report instead."""
    with open(PLUGIN, "rb") as f:
        data = f.read()
    return b"AddressSanitizer" in data or b"__ubsan_handle" in data


pytestmark = [
    pytest.mark.skipif(bool(WRAPPER), reason="valgrind handles the signals"),
    pytest.mark.skipif(sanitizer_build(),
                       reason="a sanitizer build reports faults itself"),
]


@pytest.mark.parametrize("sig,name", [
    (signal.SIGSEGV, "SIGSEGV"), (signal.SIGBUS, "SIGBUS"),
    (signal.SIGFPE, "SIGFPE"), (signal.SIGABRT, "SIGABRT"),
    (signal.SIGILL, "SIGILL")])
def test_fatal_signal_gives_one_unknown_line(vspc, sig, name):
    uid = vspc.add({"action": "hang"})
    proc = subprocess.Popen([PLUGIN] + vspc.args(uid, "-t", "20"),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=clean_env())
    # wait until the request is on its way: the plugin is then waiting
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not vspc.requests():
        time.sleep(0.05)
    assert vspc.requests(), "the plugin never sent its request"
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 3, (proc.returncode, out, err)
    lines = out.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("VSPC REPLICATION UNKNOWN - plugin fault: "
                               "fatal signal %s (" % name), lines
    assert err == b"", err
