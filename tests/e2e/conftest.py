"""Fixtures for the end-to-end tests, and a TAP reporter for automake.

The simulators run in this process (threads); the plugin runs as a child.
Everything written goes to pytest's temporary directories, never to the
source tree (make distcheck makes it read-only).
"""

import gc
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import vspc_sim  # noqa: E402  (tests/vspc_sim.py)
import vspc_profiles  # noqa: E402  (tests/vspc_profiles.py)
import e2e_util as U  # noqa: E402


# --------------------------------------------------------------------------
# TAP output (E2E_TAP=1, set by tests/run-e2e.sh)
# --------------------------------------------------------------------------

class TapReporter:
    """Writes one TAP line per test and the plan at the end.

    Lines go to the file descriptor E2E_TAP_FD (tests/run-e2e.sh points it at
    the real stdout and sends pytest's own chatter to stderr, so that the
    two can never mix); with the default fd 1 pytest's capture is switched
    off around each write."""

    def __init__(self, config):
        self.config = config
        self.fd = int(os.environ.get("E2E_TAP_FD", "1"))
        self.n = 0
        self.outcome = {}

    def _write(self, line):
        data = (line + "\n").encode("utf-8", errors="replace")
        capman = self.config.pluginmanager.getplugin("capturemanager")
        if self.fd == 1 and capman is not None:
            with capman.global_and_fixture_disabled():
                os.write(self.fd, data)
        else:
            os.write(self.fd, data)

    @staticmethod
    def _clean(text):
        # '#' would start a TAP directive, a newline a new TAP line.
        return " ".join(str(text).replace("#", "%23").split())

    def pytest_runtest_logreport(self, report):
        st = self.outcome.setdefault(report.nodeid, {"fail": None,
                                                     "skip": None,
                                                     "xfail": None})
        if report.failed and st["fail"] is None:
            st["fail"] = report.when
        elif report.skipped and hasattr(report, "wasxfail"):
            # an expected failure: TAP's TODO (automake counts an XFAIL)
            st["xfail"] = report.wasxfail or "expected to fail"
        elif report.skipped and st["skip"] is None:
            reason = report.longrepr
            if isinstance(reason, tuple) and len(reason) == 3:
                reason = reason[2]
            reason = str(reason)
            if reason.startswith("Skipped: "):
                reason = reason[len("Skipped: "):]
            st["skip"] = reason or "skipped"
        if report.when != "teardown":
            return
        self.n += 1
        name = self._clean(report.nodeid)
        if st["fail"]:
            self._write("not ok %d - %s (failed in %s)" % (self.n, name,
                                                            st["fail"]))
        elif st["xfail"]:
            self._write("not ok %d - %s # TODO %s" % (
                self.n, name, self._clean(st["xfail"])))
        elif st["skip"]:
            self._write("ok %d - %s # SKIP %s" % (self.n, name,
                                                  self._clean(st["skip"])))
        else:
            self._write("ok %d - %s" % (self.n, name))

    def pytest_collectreport(self, report):
        if report.failed:
            self._write("Bail out! collection failed: %s"
                        % self._clean(report.nodeid or "(session)"))

    def pytest_sessionfinish(self, session, exitstatus):
        if self.n == 0:
            self._write("Bail out! no tests ran")
        self._write("1..%d" % self.n)


def pytest_configure(config):
    if os.environ.get("E2E_TAP") == "1":
        config.pluginmanager.register(TapReporter(config), "e2e_tap")


# --------------------------------------------------------------------------
# The plugin
# --------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def plugin_binary():
    path = U.PLUGIN
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("plugin binary %s is missing or not executable (set "
                    "PLUGIN)" % path, pytrace=False)
    return path


# --------------------------------------------------------------------------
# Certificates, tokens, simulators
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return vspc_sim.make_certs(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="session")
def secrets_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("secrets")
    os.chmod(d, 0o700)
    return d


def write_secret(directory, name, content):
    path = os.path.join(str(directory), name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content if isinstance(content, bytes)
                else content.encode("utf-8"))
    return path


@pytest.fixture(scope="session")
def token_file(secrets_dir):
    return write_secret(secrets_dir, "token", U.TOKEN + "\n")


# Every simulator started by _start_sim, with the server version it plays
# when no test has changed it: _restore_server_versions puts each one back
# after every test, so that set_server_version(), set_paging_style(),
# freeze_clock() and set_scope() in one test cannot leak into the next.
_STARTED = []


def _session_sim(certs, **kwargs):
    """vspc_sim.start_sim() with the session's token and API key (kwargs
    may override them)."""
    kwargs.setdefault("token", U.TOKEN)
    kwargs.setdefault("api_keys", [U.API_KEY])
    return vspc_sim.start_sim(certs, **kwargs)


def _start_sim(certs, cert, key, host="127.0.0.1",
               server_version=vspc_profiles.DEFAULT_SERVER_VERSION):
    s = _session_sim(certs, cert=cert, key=key, host=host,
                     server_version=server_version)
    _STARTED.append((s, server_version))
    return s


@pytest.fixture
def make_sim(certs):
    """A factory for simulators of one test: make_sim(**kwargs) is a
    started in-process VspcSim with the session's certificates, token and
    API key (kwargs go to vspc_sim.start_sim / VspcSim: cert, key, host,
    server_version, paging_style, fleet, defaults, accounts, token, ...);
    every one is stopped when the test ends."""
    made = []

    def make(**kwargs):
        s = _session_sim(certs, **kwargs)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


@pytest.fixture(autouse=True)
def _freeze_old_objects():
    """The simulators keep every request record for the session: after
    each test what exists is moved out of the garbage collector's way
    (gc.freeze), so that its full collections do not rescan an ever
    growing heap while a test generates a large fleet."""
    yield
    gc.freeze()


@pytest.fixture(autouse=True)
def _restore_server_versions():
    yield
    for s, home in list(_STARTED):
        s.set_server_version(home)
        s.set_paging_style("standard")
        s.freeze_clock(None)
        with s.jobs_lock:
            s.scopes.clear()


@pytest.fixture(scope="session")
def sim(certs):
    s = _start_sim(certs, "server_cert", "server_key")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def sim_version(certs):
    """A factory: sim_version("8.0") is a started simulator playing that
    VSPC version (vspc_profiles.SERVER_VERSIONS), with the certificates,
    token and API key of the sim fixture; one per version, made when first
    asked for and kept for the session.  Its version and paging style come
    back after each test (see _restore_server_versions); its fleet is
    reset by view_for."""
    made = {}

    def get(server_version):
        vspc_profiles.check_server_version(server_version)
        s = made.get(server_version)
        if s is None:
            s = made[server_version] = _start_sim(
                certs, "server_cert", "server_key",
                server_version=server_version)
        return s
    yield get
    for s in made.values():
        s.stop()


@pytest.fixture(scope="session")
def sim_wrong_name(certs):
    s = _start_sim(certs, "wrong_cert", "wrong_key")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def sim_self_signed(certs):
    s = _start_sim(certs, "self_cert", "self_key")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def sim_expired(certs):
    s = _start_sim(certs, "expired_cert", "expired_key")
    yield s
    s.stop()


def _ipv6_loopback_problem():
    """None if ::1 can be listened on and connected to, else why not."""
    if not socket.has_ipv6:
        return "Python was built without IPv6"
    try:
        srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError as exc:
        return "no IPv6 sockets: %s" % exc
    try:
        srv.bind(("::1", 0))
        srv.listen(1)
        cli = socket.create_connection(srv.getsockname()[:2], timeout=5)
        conn, _ = srv.accept()
        conn.close()
        cli.close()
    except OSError as exc:
        return "::1 not usable on this machine: %s" % exc
    finally:
        srv.close()
    return None


@pytest.fixture(scope="session")
def sim6(certs):
    problem = _ipv6_loopback_problem()
    if problem:
        pytest.skip(problem)
    s = _start_sim(certs, "server_cert", "server_key", host="::1")
    yield s
    s.stop()


def _raw(mode):
    s = vspc_sim.RawServer(mode).start()
    return s


@pytest.fixture(scope="session")
def raw_silent():
    s = _raw("silent")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def raw_reset():
    s = _raw("reset")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def raw_plain():
    s = _raw("plain_http")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def raw_close():
    s = _raw("close")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def refused_port():
    """A port on 127.0.0.1 that is bound (nobody else can take it) but not
    listening: connecting to it is refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    yield s.getsockname()[1]
    s.close()


@pytest.fixture(scope="session")
def de_locale(tmp_path_factory):
    """LOCPATH with a de_DE.UTF-8 locale (decimal comma) built by localedef,
    so that the locale test means something even where the machine has no
    German locale installed."""
    d = str(tmp_path_factory.mktemp("locale"))
    target = os.path.join(d, "de_DE.UTF-8")
    try:
        subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8", target],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip("localedef not usable: %s" % exc)
    probe = subprocess.run(
        [sys.executable, "-c",
         "import locale; locale.setlocale(locale.LC_ALL, 'de_DE.UTF-8'); "
         "print(locale.localeconv()['decimal_point'])"],
        env={"LOCPATH": d, "PATH": os.environ.get("PATH", "/usr/bin")},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    if probe.stdout.strip() != b",":
        pytest.skip("could not build a de_DE.UTF-8 locale with a decimal "
                    "comma (localedef, /usr/share/i18n/locales/de_DE)")
    return d


# --------------------------------------------------------------------------
# Per-test view of a simulator
# --------------------------------------------------------------------------

class SimView:
    """A simulator seen from one test: records since the test started,
    scenarios under fresh UIDs, ready-made plugin arguments.

    args() is the single-job command line of the replication check alone
    (--no-job-status: one request, the output of the first release);
    hargs() the same with the job status (two requests); fargs() --all."""

    def __init__(self, sim, certs, token_file):
        self.sim = sim
        self.certs = certs
        self.token_file = token_file
        self.since = sim.mark()
        self.port = sim.port
        self.host = sim.host

    def restart_records(self):
        self.since = self.sim.mark()

    def add(self, spec):
        """Serve scenario spec under a fresh UID; returns the UID."""
        return self.sim.add_job(spec)

    def set(self, uid, spec):
        self.sim.set_job(uid, spec)
        return uid

    def set_bsjob(self, uid, spec):
        self.sim.set_bsjob(uid, spec)
        return uid

    def job(self, steps_before=(), step_extra=None, **fields):
        """Serve a job made by vspc_sim.make_job(uid, **fields) under a
        fresh UID, after the given steps if any, with step_extra merged
        into its step (framing, delay, ...); returns the UID."""
        uid = str(uuid.uuid4())
        step = {"data": vspc_sim.make_job(uid, **fields)}
        step.update(step_extra or {})
        self.sim.set_job(uid, {"steps": list(steps_before) + [step]})
        return uid

    def health(self, replication=(), job=(), **spec):
        """Serve the job spec (vspc_sim job spec keys) on both single-job
        endpoints under a fresh UID (or spec's uid), after the given steps
        on each; returns the UID."""
        spec.setdefault("uid", str(uuid.uuid4()))
        return self.sim.set_health_job(spec, replication=replication,
                                       job=job)

    def cdp(self, cdp=(), job=(), **spec):
        """Serve the CDP policy spec (vspc_sim CDP spec keys) on the CDP
        policy endpoint and its BackupServerJob on the job endpoint under
        a fresh UID (or spec's uid), after the given steps on each;
        returns the UID."""
        spec.setdefault("uid", str(uuid.uuid4()))
        return self.sim.set_cdp_job(spec, cdp=cdp, job=job)

    def requests(self):
        return self.sim.requests(self.since)

    def connections(self):
        return self.sim.connections(self.since)

    def handshakes(self):
        return [c for c in self.connections() if c["state"] == "tls"]

    def settle(self):
        self.sim.settle()

    def base_args(self, ca=True, token=True):
        a = ["-H", self.host, "-p", str(self.port)]
        if ca:
            a += ["--ca-file", self.certs["ca"]]
        if token:
            a += ["-T", self.token_file]
        return a

    def args(self, uid=vspc_sim.SEED_UID, *extra, ca=True, token=True,
             status=False):
        a = ["-H", self.host, "-p", str(self.port), "-j", uid]
        if ca:
            a += ["--ca-file", self.certs["ca"]]
        if token:
            a += ["-T", self.token_file]
        if not status:
            a.append("--no-job-status")
        return a + list(extra)

    def hargs(self, uid=vspc_sim.SEED_UID, *extra, ca=True, token=True):
        return self.args(uid, *extra, ca=ca, token=token, status=True)

    def fargs(self, *extra, ca=True, token=True):
        return self.base_args(ca, token) + ["--all"] + list(extra)

    def largs(self, *extra, fmt=None):
        opt = "--list" if fmt is None else "--list=" + fmt
        return self.base_args() + [opt] + list(extra)

    def run_aligned(self, args, attempts=4, **kw):
        """run_plugin(args) started early in a wall-clock second, so that
        the whole run (and whatever moment the plugin takes as "now")
        falls into the second the simulator anchors its timestamps to.
        Tries a few times; run.aligned says whether it worked.  Records
        start again with each attempt."""
        run = None
        for _ in range(attempts):
            frac = time.time() % 1.0
            if frac > 0.7:
                time.sleep(1.0 - frac + 0.005)
            self.restart_records()
            run = U.run_plugin(args, **kw)
            run.aligned = int(run.wall0) == int(run.wall1)
            if run.aligned:
                break
        return run

    def assert_no_traffic(self, run=None):
        self.settle()
        assert self.connections() == [], \
            "the plugin connected although it should not have: %r" % (run,)
        assert self.requests() == [], \
            "the plugin sent a request although it should not have: %r" % (
                run,)

    def assert_one_exchange(self, run=None, requests=1):
        """One TLS connection, one handshake, `requests` requests."""
        self.settle()
        conns = self.connections()
        assert len(conns) == 1, "%d connections (want 1): %r" % (len(conns),
                                                                 run)
        assert conns[0]["state"] == "tls", (conns, run)
        reqs = self.requests()
        assert len(reqs) == requests, "%d requests (want %d): %r" % (
            len(reqs), requests, run)


@pytest.fixture
def vspc(sim, certs, token_file):
    return SimView(sim, certs, token_file)


@pytest.fixture
def view_of(certs, token_file):
    def make(s):
        return SimView(s, certs, token_file)
    return make


@pytest.fixture
def view_for(sim_version, certs, token_file):
    """view_for("8.1"): a SimView of the simulator playing VSPC 8.1 (see
    sim_version), e.g. run_plugin(view_for("8.1").hargs(uid)).  The fleets
    of the simulators it handed out are reset after the test."""
    used = []

    def make(server_version):
        s = sim_version(server_version)
        if s not in used:
            used.append(s)
        return SimView(s, certs, token_file)
    yield make
    for s in used:
        s.set_fleet(None)


@pytest.fixture
def fleet(sim):
    """Set the collections' jobs for one test: fleet(spec) -> vspc_sim.Fleet;
    the default fleet comes back afterwards."""
    def set_fleet(spec):
        return sim.set_fleet(spec)
    yield set_fleet
    sim.set_fleet(None)
