"""Running check_vspc_replication and reading what it printed.

run_plugin() runs the real binary (env PLUGIN, optionally under env
PLUGIN_WRAPPER such as "valgrind --error-exitcode=99 -q") in a clean
environment and checks, for every single run, the rules that hold whatever
the scenario: nothing on stderr, a first line "VSPC REPLICATION <STATE> - "
whose STATE matches the exit code, perfdata only on the first line, no token
anywhere in the output.
"""

import atexit
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(HERE)
REPO_DIR = os.path.dirname(TESTS_DIR)

PLUGIN = os.path.abspath(os.environ.get("PLUGIN") or os.path.join(
    REPO_DIR, "plugins", "check_vspc_replication"))
WRAPPER = shlex.split(os.environ.get("PLUGIN_WRAPPER", ""))

# Extra time a run may take past its -t deadline before the test fails:
# generous, the machine is shared; much more under valgrind and friends.
DEADLINE_SLACK = 1.5 if not WRAPPER else 20.0
# How long any single run may take before it is killed and failed.
RUN_TIMEOUT = 60.0 if not WRAPPER else 600.0

STATES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}
STATE_NAMES = {v: k for k, v in STATES.items()}

# Distinctive tokens: none of them may ever show up in anything the plugin
# prints.  TOKEN is what the simulator accepts, API_KEY is accepted too.
TOKEN = "e2eTok-K7wQ9zR4pX2mV8sB"
API_KEY = "e2eKey-N3dF6hJ1tY5uL0cG"
WRONG_TOKEN = "e2eBad-A9sD8fG7hJ6kL5zX"
SECRETS = (TOKEN, API_KEY, WRONG_TOKEN)

STATUS_RE = re.compile(
    r"^VSPC REPLICATION (OK|WARNING|CRITICAL|UNKNOWN) - (.*)$")
PERF_ITEM_RE = re.compile(r"\s*('(?:[^']|'')+'|[^'=\s][^=\s]*)=(\S*)")
PERF_VALUE_RE = re.compile(r"^(-?[0-9]+(?:\.[0-9]+)?)([a-zA-Z%]*)$")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class PerfValue:
    def __init__(self, raw):
        fields = raw.split(";")
        self.raw = raw
        m = PERF_VALUE_RE.match(fields[0])
        if not m:
            raise AssertionError("perfdata value %r is not a number with a "
                                 "dot decimal and a unit" % fields[0])
        self.value, self.uom = m.group(1), m.group(2)
        fields += [""] * (5 - len(fields))
        self.warn, self.crit, self.min, self.max = fields[1:5]

    def __repr__(self):
        return "PerfValue(%r)" % self.raw


def parse_perfdata(text):
    """'label'=value[uom];warn;crit;min;max ... -> {label: PerfValue}."""
    out = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = PERF_ITEM_RE.match(text, pos)
        if not m:
            raise AssertionError("unparsable perfdata at %r" % text[pos:])
        label = m.group(1)
        if label.startswith("'"):
            label = label[1:-1].replace("''", "'")
        if label in out:
            raise AssertionError("perfdata label %r twice" % label)
        out[label] = PerfValue(m.group(2))
        pos = m.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
    return out


def parse_status_line(line):
    """'VSPC REPLICATION STATE - summary | perfdata' ->
    (state, summary, {label: PerfValue})."""
    m = STATUS_RE.match(line)
    if not m:
        raise AssertionError("not a status line: %r" % line)
    state, rest = m.group(1), m.group(2)
    summary, bar, perf = rest.partition("|")
    if bar:
        summary = summary.rstrip()
        if not summary:
            raise AssertionError("empty summary: %r" % line)
    return state, summary, parse_perfdata(perf) if bar else {}


class Run:
    """One finished run.  Unpacks as (rc, stdout, stderr, elapsed)."""

    def __init__(self, cmd, rc, stdout, stderr, elapsed, maxrss_kib,
                 wall0=None, wall1=None):
        self.cmd = cmd
        # wall-clock time just before the start and just after the end
        self.wall0 = wall0
        self.wall1 = wall1
        self.aligned = None
        self.rc = rc
        self.raw_stdout = stdout
        self.stdout = stdout.decode("utf-8", errors="replace")
        self.stderr = stderr.decode("utf-8", errors="replace")
        self.elapsed = elapsed
        self.maxrss_kib = maxrss_kib
        self.lines = self.stdout.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.first = self.lines[0] if self.lines else ""
        self.state = self.summary = None
        self.perf = {}

    def __iter__(self):
        return iter((self.rc, self.stdout, self.stderr, self.elapsed))

    def __repr__(self):
        return ("Run(cmd=%s, rc=%r, elapsed=%.3f, stdout=%r, stderr=%r)"
                % (" ".join(shlex.quote(c) for c in self.cmd), self.rc,
                   self.elapsed, self.stdout, self.stderr))

    @property
    def text(self):
        return self.stdout


# Every test gets a cache directory of its own (XDG_CACHE_HOME), so that
# what one test's runs remember (the API version a simulator port agreed
# on, tokens) can never change what another test sees.
_CACHE_ROOT = tempfile.mkdtemp(prefix="vspc-e2e-cache-")
atexit.register(shutil.rmtree, _CACHE_ROOT, True)


def cache_home_for_test():
    """The XDG_CACHE_HOME of the running test's plugin runs."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
    d = os.path.join(_CACHE_ROOT,
                     hashlib.sha256(test.encode()).hexdigest()[:16])
    os.makedirs(d, mode=0o700, exist_ok=True)
    return d


def clean_env(extra=None, drop=()):
    """A small, fixed environment: no proxies, no CA overrides, C locale,
    so that the machine's own settings can neither send traffic elsewhere
    nor make an untrusted certificate trusted."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": os.environ.get("E2E_HOME", "/nonexistent"),
           "XDG_CACHE_HOME": cache_home_for_test(),
           "LC_ALL": "C", "TZ": "UTC"}
    # sanitizer builds (configure --enable-asan/--enable-ubsan) read these
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    if WRAPPER:
        for k in ("VALGRIND_LIB", "VALGRIND_OPTS", "TMPDIR"):
            if k in os.environ:
                env[k] = os.environ[k]
    if extra:
        env.update(extra)
    for k in drop:
        env.pop(k, None)
    return env


def _reader(stream, sink):
    sink.append(stream.read())


# Peak RSS has to be measured through a small parent: a child started by
# this (large) test process with vfork or fork inherits its high-water mark
# across exec, so wait4() here would report the test process's size.
_RSS_HELPER = r"""
import os, sys
fd = int(sys.argv[1])
pid = os.fork()
if pid == 0:
    os.close(fd)
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
os.write(fd, b"%d\n" % usage.ru_maxrss)
os.close(fd)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_plugin(args, env=None, timeout=None, status_line=True, secrets=(),
               cwd=None, measure_rss=False, allow_empty=False, prefix=()):
    """Run the plugin with args; env is added to clean_env() (a value of
    None removes the variable).  Returns a Run after asserting the rules
    every run must follow.  With measure_rss, Run.maxrss_kib is the
    plugin's peak resident set size.  allow_empty (with status_line
    False): no output at all is fine (an empty --list=json).  prefix is a
    command the plugin runs under (fiu-run, strace: see fault_util)."""
    if timeout is None:
        timeout = RUN_TIMEOUT
    full_env = clean_env()
    for k, v in (env or {}).items():
        if v is None:
            full_env.pop(k, None)
        else:
            full_env[k] = v
    cmd = list(prefix) + WRAPPER + [PLUGIN] + [str(a) for a in args]
    popen_cmd, pass_fds, rss_r = cmd, (), None
    if measure_rss:
        rss_r, rss_w = os.pipe()
        popen_cmd = [sys.executable, "-c", _RSS_HELPER, str(rss_w)] + cmd
        pass_fds = (rss_w,)
    wall0 = time.time()
    start = time.monotonic()
    proc = subprocess.Popen(popen_cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=full_env, cwd=cwd or "/", pass_fds=pass_fds,
                            start_new_session=measure_rss)
    if measure_rss:
        os.close(rss_w)
    out, err = [], []
    readers = [threading.Thread(target=_reader, args=(proc.stdout, out)),
               threading.Thread(target=_reader, args=(proc.stderr, err))]
    for t in readers:
        t.start()
    # os.wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would give
    # the largest of all children so far).
    result = {}

    def reap():
        result["wait"] = os.wait4(proc.pid, 0)
        result["t"] = time.monotonic()
        result["wall"] = time.time()

    reaper = threading.Thread(target=reap)
    reaper.start()
    reaper.join(timeout)
    killed = reaper.is_alive()
    if killed:
        if measure_rss:
            os.killpg(proc.pid, 9)
        else:
            proc.kill()
        reaper.join()
    for t in readers:
        t.join()
    proc.stdout.close()
    proc.stderr.close()
    _, status, _ = result["wait"]
    proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss = None
    if measure_rss:
        with os.fdopen(rss_r, "rb") as f:
            text = f.read().strip()
        maxrss = int(text) if text else None
    run = Run(cmd, proc.returncode, out[0], err[0], result["t"] - start,
              maxrss, wall0, result["wall"])
    assert not killed, "plugin still running after %.0f s: %r" % (timeout,
                                                                  run)
    check_run(run, status_line, secrets, allow_empty)
    return run


def check_run(run, status_line=True, secrets=(), allow_empty=False):
    for secret in tuple(SECRETS) + tuple(secrets):
        assert secret not in run.stdout and secret not in run.stderr, \
            "a token was printed: %r" % run
    assert run.stderr == "", "stderr must stay empty: %r" % run
    assert run.rc in (0, 1, 2, 3), "exit code outside 0..3: %r" % run
    assert b"\x00" not in run.raw_stdout, "NUL byte in output: %r" % run
    assert "\r" not in run.stdout, "carriage return in output: %r" % run
    if allow_empty and not status_line and not run.lines:
        return
    assert run.lines, "no output at all: %r" % run
    if not status_line:
        return
    run.state, run.summary, run.perf = parse_status_line(run.first)
    assert STATES[run.state] == run.rc, \
        "state %s but exit code %d: %r" % (run.state, run.rc, run)
    for line in run.lines[1:]:
        assert "|" not in line, \
            "'|' after the first line (perfdata belongs on the first " \
            "line only): %r" % run


def assert_state(run, state):
    assert run.state == state, "expected %s: %r" % (state, run)


def assert_measured(run, count, warn="", crit=""):
    """The run evaluated a job: perfdata protected_vms and time on the
    first line, ranges echoed exactly as given."""
    assert "protected_vms" in run.perf, "no protected_vms perfdata: %r" % run
    pv = run.perf["protected_vms"]
    assert (pv.value, pv.uom) == (str(count), ""), run
    assert (pv.warn, pv.crit, pv.min, pv.max) == (warn, crit, "0", ""), run
    assert "time" in run.perf, "no time perfdata: %r" % run
    t = run.perf["time"]
    assert re.match(r"^[0-9]+\.[0-9]+$", t.value), \
        "time needs a dot decimal: %r" % run
    assert t.uom == "s" and (t.warn, t.crit, t.min, t.max) == (
        "", "", "0", ""), run


def assert_mismatch(text, field, expected, actual):
    """text names field, then the expected and the actual value, in that
    order (the wording around them is free)."""
    i = text.find(field)
    assert i >= 0, "%s not named: %r" % (field, text)
    rest = text[i + len(field):]
    e = re.search(r"(?<![0-9A-Za-z-])%s(?![0-9A-Za-z-])" % expected, rest,
                  re.I)
    assert e, "expected value %r for %s not shown: %r" % (expected, field,
                                                          text)
    a = re.search(r"(?<![0-9A-Za-z-])%s(?![0-9A-Za-z-])" % actual,
                  rest[e.end():], re.I)
    assert a, "actual value %r for %s not shown after the expected one: " \
        "%r" % (actual, field, text)


def names_any(text, needles):
    low = text.lower()
    return any(n.lower() in low for n in needles)


def run_json(args, **kw):
    """Runs the plugin with --output-format=test-json: (run, tree), the
    tree being the result with its sub-checks (a dict); its state must be
    the exit code's."""
    run = run_plugin(list(args) + ["--output-format=test-json"],
                     status_line=False, **kw)
    assert len(run.stdout.splitlines()) == 1, run
    tree = json.loads(run.stdout)
    assert STATES[tree["state"]] == run.rc, (tree, run)
    return run, tree


def checks_named(tree, name):
    """Every sub-check called name, depth first."""
    out = []
    for c in tree.get("checks", []):
        if c["name"] == name:
            out.append(c)
        out += checks_named(c, name)
    return out
