"""check_vspc_replication as an active check of real monitoring engines.

Nagios Core 4 (Debian package nagios4-core, /usr/sbin/nagios4) and Icinga 2
(Debian package icinga2-bin, /usr/sbin/icinga2) each run once as a throwaway
process that this module starts and stops itself, with every path (config,
state, logs, spool, sockets) in a pytest temporary directory, as the current
user.  They run the plugin (env PLUGIN, absolute, as for tests/e2e) through
the command definitions in contrib/ against the VSPC simulator
(tests/vspc_sim.py, HTTPS on 127.0.0.1 with its own test CA); the tests then
read what the engine recorded:

  Nagios   status.dat (state, plugin_output, long_plugin_output,
           performance_data), a service_perfdata_file, nagios.log (alerts,
           no warnings);
  Icinga 2 the check results in icinga2.state (exit status, state, output,
           performance_data and the command line it ran), a PerfdataWriter
           file, and its debug log, where the GraphiteWriter shows how
           Icinga 2 itself parsed every perfdata value (it drops what it
           cannot parse, with a warning); Graphite is a local listener that
           only swallows the metrics.

The contrib files are also validated as shipped (nagios4 -v, icinga2 daemon
-C), with their commented-out examples switched on, and the Icinga 2
CheckCommand is compared with the plugin's --help.

The configuration that --list=icinga2, --list=icinga2-array and
--list=nagios generate from a simulator (names that need every escaping
rule, namesakes) must pass the engines' own checks together with the
contrib files and make one service per job as documented; cut short, or
from a listing that failed, it must not; and each engine runs the
generated services of a small fleet as real checks, and those of a fleet
of 1,000 jobs all at once on a cold cache with --snapshot-max-age: the
simulator's request log must show one walk of the collections (and one
login) for all of them, and every service the state a direct check of its
job gives.

An engine that is not installed makes its tests skip, naming the package.
Nothing leaves 127.0.0.1 and nothing is written outside the temporary
directory (PYTHONDONTWRITEBYTECODE=1 keeps __pycache__ out of tests/ too).
PLUGIN_WRAPPER (valgrind) is not used here: the engines run the plugin.

    PYTHONDONTWRITEBYTECODE=1 PLUGIN=$PWD/plugins/check_vspc_replication \
        /usr/bin/python3 -m pytest tests/engine
"""

import grp
import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(HERE)
REPO_DIR = os.path.dirname(TESTS_DIR)
sys.path.insert(0, TESTS_DIR)
sys.path.insert(0, os.path.join(TESTS_DIR, "e2e"))

import vspc_sim  # noqa: E402  (tests/vspc_sim.py)
import e2e_util as U  # noqa: E402  (tests/e2e/e2e_util.py)

NAGIOS = "/usr/sbin/nagios4"
ICINGA2 = "/usr/sbin/icinga2"
CONTRIB_NAGIOS = os.path.join(REPO_DIR, "contrib", "nagios",
                              "check_vspc_replication.cfg")
CONTRIB_ICINGA2 = os.path.join(REPO_DIR, "contrib", "icinga2",
                               "check_vspc_replication.conf")

# How long an engine may take to check every service once, and to stop.
CHECK_DEADLINE = 30.0
STOP_DEADLINE = 20.0

# The token in the token file, and the API key passed through VSPC_TOKEN
# (Icinga 2); neither may show up in anything an engine recorded.
TOKEN = "engTok-R5tY7uI9oP1aS3dF"
API_KEY = "engKey-G2hJ4kL6zX8cV0bN"
SECRETS = (TOKEN, API_KEY)

SEED = vspc_sim.SEED_UID
FAILED_UID = "7a1e5f0c-3b2d-4e8f-9a1b-2c3d4e5f6a7b"
ODD_UID = "4c5d6e7f-8091-4a2b-b3c4-d5e6f708192a"
ORG_A = "0a0a0a0a-1111-4222-8333-444444444444"
ORG_B = "0b0b0b0b-1111-4222-8333-444444444444"
ORG_C = "0c0c0c0c-1111-4222-8333-444444444444"
ORG_D = "0d0d0d0d-1111-4222-8333-444444444444"
FLEET_SQL = "aaaaaaaa-0000-4000-8000-000000000001"
FLEET_FILES = "aaaaaaaa-0000-4000-8000-000000000002"
FLEET_TEST = "aaaaaaaa-0000-4000-8000-000000000003"
FLEET_OTHER = "aaaaaaaa-0000-4000-8000-000000000004"
FLEET_QUOTE = "aaaaaaaa-0000-4000-8000-000000000005"
FLEET_EQUALS = "aaaaaaaa-0000-4000-8000-000000000006"
CDP_OK = "cdcd0000-0000-4000-8000-0000000000c1"
CDP_NO_SLA = "cdcd0000-0000-4000-8000-0000000000c2"
ORG_E = "0e0e0e0e-1111-4222-8333-444444444444"

FAILURE_LINES = ("vm-exch01: Processing finished with errors; will retry",
                 "vm-exch02: The network path was not found.")


def _jobs(sim):
    sim.set_health_job({"uid": FAILED_UID, "name": "Replica Exchange DR",
                        "status": "Failed",
                        "failure": "".join(l + "\r\n" for l in FAILURE_LINES)})
    sim.set_health_job({"uid": ODD_UID, "name": "Replica odd status",
                        "status": "Unknown"})
    sim.set_fleet({"jobs": [
        {"uid": FLEET_SQL, "name": "Replica SQL", "status": "Success",
         "org": ORG_A, "protected": 4},
        {"uid": FLEET_FILES, "name": "Replica Files", "status": "Warning",
         "org": ORG_B, "protected": 7},
        # left out by --exclude-name='*Test*'
        {"uid": FLEET_TEST, "name": "Replica Test lab", "status": "Failed",
         "org": ORG_A, "protected": 2},
        # left out: another organization
        {"uid": FLEET_OTHER, "name": "Replica other tenant",
         "status": "Failed", "org": ORG_C, "protected": 9},
        # names that end up in perfdata labels (--perfdata-per-job)
        {"uid": FLEET_QUOTE, "name": "Replica O'Brien", "status": "Success",
         "org": ORG_D, "protected": 5},
        {"uid": FLEET_EQUALS, "name": "Replica a=b", "status": "Success",
         "org": ORG_D, "protected": 5},
    ], "cdp_jobs": [
        # CDP policies of an organization no fleet service selects
        {"uid": CDP_OK, "kind": "cdp", "name": "CDP SQL cluster",
         "status": "Success", "org": ORG_E,
         "last_period": {"sla": 99, "maxDelay": 7}},
        {"uid": CDP_NO_SLA, "kind": "cdp", "name": "CDP new policy",
         "status": "Success", "org": ORG_E,
         "last_period": {"sla": None, "maxDelay": None}},
    ]})


# --------------------------------------------------------------------------
# What every engine must record, per service
# --------------------------------------------------------------------------

class Expect:
    """state; regexes the summary (first line after "STATE - ", perfdata
    cut off) must match; regexes that must each match one long-output line
    (none at all when long is empty); label -> regex the raw perfdata value
    "value;warn;crit;min;max" must match in full; labels that must not be
    there; per_job: the number of jobs with "NAME:protected_vms" and
    "NAME:last_run_age" labels (whatever NAME became)."""

    def __init__(self, state, summary, long=(), perf=None, absent=(),
                 per_job=None):
        self.state = state
        self.summary = summary
        self.long = long
        self.perf = perf or {}
        self.absent = absent
        self.per_job = per_job


AGE = r"[0-9]+s;;;0;"
SECONDS = r"[0-9]+\.[0-9]+s;;;0;"
SINGLE_PERF = {"protected_vms": r"5;;;0;", "last_run_age": AGE,
               "last_duration": r"402s;;;0;",
               "transferred": r"16115584998B;;;0;", "time": SECONDS}

EXPECT = {
    "seed-ok": Expect(
        "OK",
        [r"\(%s\) last session Success [0-9]+h [0-9]+m ago, protects 5 VMs$"
         % SEED],
        perf=SINGLE_PERF),
    "seed-critical": Expect(
        "CRITICAL",
        [r"\(%s\)" % SEED,
         r"protectedVmCount 5 is outside the critical range 10:",
         r"throughWanAccelerators expected true, got false$"],
        perf=dict(SINGLE_PERF, protected_vms=r"5;;10:;0;")),
    "failed-job": Expect(
        "CRITICAL",
        [r"^'Replica Exchange DR' \(%s\) last session Failed" % FAILED_UID],
        long=[r"^%s$" % re.escape(l) for l in FAILURE_LINES],
        perf=SINGLE_PERF),
    "odd-status": Expect(
        "UNKNOWN",
        [r"\(%s\)" % ODD_UID, r"session status as Unknown"],
        perf={"protected_vms": r"5;;;0;", "time": SECONDS}),
    "fleet": Expect(
        "WARNING",
        [r"^2 jobs: 0 critical, 1 warning, 0 unknown, 1 ok$"],
        long=[r"^\[WARNING\] 'Replica Files' \(%s\)" % FLEET_FILES],
        perf={"jobs": r"2;;2:;0;", "jobs_ok": r"1;;;0;",
              "jobs_warning": r"1;;;0;", "jobs_critical": r"0;;;0;",
              "jobs_unknown": r"0;;;0;", "protected_vms_total": r"11;;;0;",
              "time": SECONDS,
              "Replica SQL:protected_vms": r"4;;;0;",
              "Replica SQL:last_run_age": AGE,
              "Replica Files:protected_vms": r"7;;;0;",
              "Replica Files:last_run_age": AGE},
        absent=("Replica Test lab:protected_vms",
                "Replica other tenant:protected_vms"),
        per_job=2),
    "cdp-ok": Expect(
        "OK",
        [r"^'CDP SQL cluster' \(%s\) last session Success [0-9]+[smh]"
         r".* ago, SLA 99%%, max delay 7s, 0 sync errors in the last period$"
         % CDP_OK],
        perf={"sla": r"99%;95:;90:;0;100", "max_delay": r"7s;;300;;",
              "sessions_error": r"0;;;0;", "last_run_age": AGE,
              "time": SECONDS},
        absent=("protected_vms",)),
    "cdp-no-sla": Expect(
        "WARNING",
        [r"\(%s\)" % CDP_NO_SLA,
         r"VSPC reports no SLA for the last period"],
        perf={"sessions_success": r"[0-9]+;;;0;", "time": SECONDS},
        absent=("sla", "max_delay")),
    "odd-names": Expect(
        "OK",
        [r"^2 jobs: 0 critical, 0 warning, 0 unknown, 2 ok$"],
        perf={"jobs": r"2;;;0;", "protected_vms_total": r"10;;;0;"},
        per_job=2),
}
SERVICES = sorted(EXPECT)
FIRST_LINE_RE = re.compile(
    r"^VSPC REPLICATION (OK|WARNING|CRITICAL|UNKNOWN) - (.*)$")


class Recorded:
    """One check result as an engine recorded it."""

    def __init__(self, where, state, first, long_lines, perfdata):
        self.where = where          # e.g. "Nagios status.dat"
        self.state = state          # OK, WARNING, CRITICAL, UNKNOWN
        self.first = first          # first output line, perfdata cut off
        self.long = long_lines      # the further output lines
        self.perfdata = perfdata    # perfdata text, space separated

    def __repr__(self):
        return "Recorded(%s: %s | %r | %r | %r)" % (
            self.where, self.state, self.first, self.perfdata, self.long)


def assert_recorded(svc, rec):
    """The checks every engine's record of service svc must pass."""
    exp = EXPECT[svc]
    assert rec.state == exp.state, rec
    m = FIRST_LINE_RE.match(rec.first)
    assert m, "first line is not the plugin's status line (stderr or a " \
        "stray line in front?): %r" % (rec,)
    assert m.group(1) == exp.state, rec
    summary = m.group(2).rstrip()
    for pattern in exp.summary:
        assert re.search(pattern, summary), (pattern, rec)
    for line in rec.long:
        assert "|" not in line, "perfdata outside the first line: %r" % (rec,)
    if exp.long:
        for pattern in exp.long:
            assert any(re.search(pattern, l) for l in rec.long), (pattern, rec)
    else:
        assert [l for l in rec.long if l.strip()] == [], rec
    perf = U.parse_perfdata(rec.perfdata)  # dot decimals, numbers, units
    for label, pattern in exp.perf.items():
        assert label in perf, "perfdata %r missing: %r" % (label, rec)
        assert re.fullmatch(pattern, perf[label].raw), (label, rec)
    for label in exp.absent:
        assert label not in perf, (label, rec)
    if exp.per_job is not None:
        for metric, pattern in (("protected_vms", r"[0-9]+;;;0;"),
                                ("last_run_age", AGE)):
            mine = [v for k, v in perf.items() if k.endswith(":" + metric)]
            assert len(mine) == exp.per_job, (metric, rec)
            for v in mine:
                assert re.fullmatch(pattern, v.raw), (metric, rec)
    for value in perf.values():
        assert "," not in value.raw, "comma in perfdata: %r" % (rec,)
    text = repr(rec)
    for secret in SECRETS:
        assert secret not in text, rec


# --------------------------------------------------------------------------
# Shared fixtures: plugin, certificates, secrets, simulator
# --------------------------------------------------------------------------

class World:
    pass


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    plugin = U.PLUGIN
    if not (os.path.isabs(plugin) and os.path.isfile(plugin)
            and os.access(plugin, os.X_OK)):
        pytest.fail("plugin binary %s is missing or not executable (set "
                    "PLUGIN to its absolute path)" % plugin, pytrace=False)
    w = World()
    w.dir = str(tmp_path_factory.mktemp("engine"))
    # PluginDir / $USER1$: the plugin under its real name, whatever PLUGIN is
    w.plugin_dir = os.path.join(w.dir, "plugins")
    os.makedirs(w.plugin_dir)
    os.symlink(plugin, os.path.join(w.plugin_dir, "check_vspc_replication"))
    w.certs = vspc_sim.make_certs(os.path.join(w.dir, "pki"))
    w.ca = w.certs["ca"]
    secrets_dir = os.path.join(w.dir, "secrets")
    os.makedirs(secrets_dir, mode=0o700)
    w.token_file = _secret(secrets_dir, "vspc.token", TOKEN + "\n")
    w.sim = vspc_sim.start_sim(w.certs, token=TOKEN, api_keys=[API_KEY])
    w.port = w.sim.port
    _jobs(w.sim)
    # what --extra-opts=@FILE reads: the login, the CA and the port
    w.ini = _secret(secrets_dir, "vspc.ini",
                    "[check_vspc_replication]\n"
                    "token-file=%s\nca-file=%s\nport=%d\n"
                    % (w.token_file, w.ca, w.port))
    w.user = pwd.getpwuid(os.getuid()).pw_name
    w.group = grp.getgrgid(os.getgid()).gr_name
    yield w
    w.sim.stop()


def _secret(directory, name, content):
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)
    return path


def engine_env(home):
    """The engines' environment, which their checks inherit: small and
    fixed, so that no proxy or CA setting of the machine gets in."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C",
           "TZ": "UTC", "HOME": home}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def tail(path, n=40):
    try:
        return "\n".join(read(path).splitlines()[-n:])
    except OSError as exc:
        return "(%s)" % exc


class Daemon:
    """An engine process in its own process group, stopped by stop()."""

    def __init__(self, argv, env, cwd, out_path):
        self.out_path = out_path
        self.out = open(out_path, "wb")
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.out,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def running(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM (a clean shutdown writes the final state); after
        STOP_DEADLINE SIGKILL for the group, while its leader (our child,
        not yet reaped) still holds the group id.  Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        rc = self.proc.wait()
        if not self.out.closed:
            self.out.close()
        return rc


def wait_for(what, predicate, daemon, logs):
    deadline = time.monotonic() + CHECK_DEADLINE
    while time.monotonic() < deadline:
        if predicate():
            return
        if not daemon.running():
            break
        time.sleep(0.2)
    state = "running" if daemon.running() else \
        "exited %r" % daemon.proc.returncode
    daemon.stop()
    pytest.fail("%s: not seen within %.0f s (engine %s)\n%s" % (
        what, CHECK_DEADLINE, state,
        "\n".join("--- %s\n%s" % (p, tail(p)) for p in logs)),
        pytrace=False)


def commented_examples(path, begin, end, prefix=""):
    """The example block of a contrib file, comment markers removed."""
    lines = read(path).splitlines()
    starts = [i for i, l in enumerate(lines) if l.startswith(begin)]
    ends = [i for i, l in enumerate(lines) if l.startswith(end)]
    assert len(starts) == 1 and len(ends) == 1 and starts[0] < ends[0], \
        "%s: no single %r ... %r block" % (path, begin, end)
    out = []
    for l in lines[starts[0] + 1:ends[0]]:
        if prefix:
            assert l.startswith(prefix.rstrip()), (path, l)
            l = l[len(prefix):] if l.startswith(prefix) else ""
        out.append(l)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# Nagios Core 4
# --------------------------------------------------------------------------

def require_nagios():
    if not os.access(NAGIOS, os.X_OK):
        pytest.skip("Nagios Core 4 is not installed (%s missing): "
                    "apt-get install nagios4-core" % NAGIOS)


NAGIOS_COMMON_OBJECTS = """\
define timeperiod {
    timeperiod_name     24x7
    alias               always
    sunday              00:00-24:00
    monday              00:00-24:00
    tuesday             00:00-24:00
    wednesday           00:00-24:00
    thursday            00:00-24:00
    friday              00:00-24:00
    saturday            00:00-24:00
}
define command {
    command_name        notify-nobody
    command_line        /bin/true
}
define contact {
    contact_name                    nobody
    host_notifications_enabled      0
    service_notifications_enabled   0
    host_notification_period        24x7
    service_notification_period     24x7
    host_notification_options       n
    service_notification_options    n
    host_notification_commands      notify-nobody
    service_notification_commands   notify-nobody
}
"""

NAGIOS_TEMPLATES = """\
define host {
    name                    generic-host
    register                0
    max_check_attempts      3
    check_period            24x7
    check_interval          5
    retry_interval          1
    contacts                nobody
    notification_period     24x7
    notification_interval   0
}
define service {
    name                    generic-service
    register                0
    max_check_attempts      3
    check_interval          10
    retry_interval          2
    check_period            24x7
    contacts                nobody
    notification_period     24x7
    notification_interval   0
}
"""


def nagios_main_cfg(d, cfg_files, user, group, settings=None):
    """nagios.cfg for a Nagios with every path under d; settings replace
    (or add) main configuration options."""
    v = os.path.join(d, "var")
    for sub in ("var", "spool/checkresults"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    lines = ["cfg_file=%s" % f for f in cfg_files] + [
        "resource_file=%s/resource.cfg" % d,
        "log_file=%s/nagios.log" % v,
        "object_cache_file=%s/objects.cache" % v,
        "precached_object_file=%s/objects.precache" % v,
        "status_file=%s/status.dat" % v,
        "status_update_interval=1",
        "nagios_user=%s" % user,
        "nagios_group=%s" % group,
        "check_external_commands=0",
        "command_file=%s/nagios.cmd" % v,
        "lock_file=%s/nagios.lock" % v,
        "temp_file=%s/nagios.tmp" % v,
        "temp_path=%s" % v,
        "check_result_path=%s/spool/checkresults" % d,
        "query_socket=%s/nagios.qh" % v,
        "retain_state_information=0",
        "state_retention_file=%s/retention.dat" % v,
        "use_syslog=0",
        "log_rotation_method=n",
        "log_archive_path=%s" % v,
        "log_initial_states=1",
        "log_service_retries=1",
        "log_passive_checks=1",
        # check_interval counts seconds; every check once, right at start
        "interval_length=1",
        "service_inter_check_delay_method=n",
        "host_inter_check_delay_method=n",
        "max_service_check_spread=1",
        "enable_notifications=0",
        "enable_flap_detection=0",
        "process_performance_data=1",
        "service_perfdata_file=%s/service-perfdata" % v,
        "service_perfdata_file_template=$HOSTNAME$\\t$SERVICEDESC$\\t"
        "$SERVICESTATE$\\t$SERVICEOUTPUT$\\t$SERVICEPERFDATA$\\t"
        "$LONGSERVICEOUTPUT$",
        "service_perfdata_file_mode=a",
        "debug_level=0",
        # as in Debian's nagios.cfg (nagios4 -v warns when it is missing)
        "illegal_macro_output_chars=`~$&|'\"<>",
    ]
    settings = dict(settings or {})
    lines = [l if l.split("=", 1)[0] not in settings
             else "%s=%s" % (l.split("=", 1)[0],
                             settings.pop(l.split("=", 1)[0]))
             for l in lines]
    lines += ["%s=%s" % kv for kv in sorted(settings.items())]
    path = os.path.join(d, "nagios.cfg")
    write(path, "\n".join(lines) + "\n")
    return path


def nagios_resource(d, w):
    # the secrets stay in files; the object config names only $USERn$
    write(os.path.join(d, "resource.cfg"),
          "$USER1$=%s\n$USER3$=%s\n$USER4$=%s\n"
          % (w.plugin_dir, w.token_file, w.ini))


def nagios_check(cfg, env, cwd):
    """nagios4 -v: (exit code, output)."""
    res = subprocess.run([NAGIOS, "-v", cfg], env=env, cwd=cwd,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=60, check=False)
    return res.returncode, res.stdout.decode("utf-8", errors="replace")


def nagios_verify(cfg, env, cwd):
    rc, out = nagios_check(cfg, env, cwd)
    assert rc == 0, out
    assert re.search(r"^Total Warnings:\s+0$", out, re.M), out
    assert re.search(r"^Total Errors:\s+0$", out, re.M), out
    return out


def parse_status_dat(text):
    """[(block type, {key: value})] of a Nagios status.dat."""
    blocks = []
    for m in re.finditer(r"^(\w+) \{\n(.*?)^\t\}$", text, re.M | re.S):
        d = {}
        for line in m.group(2).splitlines():
            key, _, value = line.lstrip("\t").partition("=")
            d[key] = value
        blocks.append((m.group(1), d))
    return blocks


def nagios_services(blocks):
    return {d["service_description"]: d for kind, d in blocks
            if kind == "servicestatus" and d.get("host_name") == "vspc"}


NAGIOS_STATES = {"0": "OK", "1": "WARNING", "2": "CRITICAL", "3": "UNKNOWN"}


def nagios_unescape(text):
    """Nagios writes a newline as \\n and a backslash as \\\\."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n"
                  else m.group(1), text)


class NagiosRun:
    pass


@pytest.fixture(scope="module")
def nagios_run(world):
    require_nagios()
    w = world
    d = os.path.join(w.dir, "nagios")
    os.makedirs(d)
    nagios_resource(d, w)
    port_ca = "-p %d --ca-file %s" % (w.port, w.ca)
    commands = {
        # token file ($USER3$); the rest in $ARG2$
        "seed-ok": "check_vspc_replication!%s!%s" % (SEED, port_ca),
        "seed-critical": "check_vspc_replication!%s!%s -c 10: --wan=yes"
                         % (SEED, port_ca),
        # --extra-opts=@$USER4$: token file, CA and port from the ini
        "failed-job": "check_vspc_replication_ini!%s" % FAILED_UID,
        "odd-status": "check_vspc_replication_ini!%s!--max-age-critical=2d"
                      % ODD_UID,
        # a quoted glob: the command line runs through /bin/sh
        "fleet": "check_vspc_replication_all_ini!--organization=%s "
                 "--organization=%s '--exclude-name=*Test*' --min-jobs=2 "
                 "--perfdata-per-job" % (ORG_A, ORG_B),
        "odd-names": "check_vspc_replication_all_ini!--organization=%s "
                     "--perfdata-per-job" % ORG_D,
        # CDP policies: the kind found out, and given
        "cdp-ok": "check_vspc_replication!%s!%s --sla-warning=95: "
                  "--sla-critical=90: --max-delay-critical=5m"
                  % (CDP_OK, port_ca),
        "cdp-no-sla": "check_vspc_replication_ini!%s!--kind=cdp "
                      "--sla-critical=90:" % CDP_NO_SLA,
    }
    objects = [NAGIOS_COMMON_OBJECTS, """\
define host {
    host_name               vspc
    address                 127.0.0.1
    max_check_attempts      1
    check_period            24x7
    active_checks_enabled   0
    contacts                nobody
    notification_period     24x7
}
"""]
    for svc, command in sorted(commands.items()):
        objects.append("""\
define service {
    host_name               vspc
    service_description     %s
    check_command           %s
    max_check_attempts      1
    check_interval          2
    retry_interval          2
    check_period            24x7
    contacts                nobody
    notification_period     24x7
}
""" % (svc, command))
    objects_cfg = write(os.path.join(d, "objects.cfg"), "".join(objects))
    cfg = nagios_main_cfg(d, [CONTRIB_NAGIOS, objects_cfg], w.user, w.group)
    env = engine_env(d)
    nagios_verify(cfg, env, d)

    var = os.path.join(d, "var")
    status_path = os.path.join(var, "status.dat")
    log_path = os.path.join(var, "nagios.log")
    daemon = Daemon([NAGIOS, cfg], env, d, os.path.join(d, "nagios.out"))
    status = {}

    def all_checked():
        try:
            services = nagios_services(parse_status_dat(read(status_path)))
        except OSError:
            return False
        if all(services.get(s, {}).get("has_been_checked") == "1"
               for s in SERVICES):
            status.update(services)
            return True
        return False

    try:
        wait_for("every service checked in %s" % status_path, all_checked,
                 daemon, [log_path, daemon.out_path])
    finally:
        rc = daemon.stop()
    run = NagiosRun()
    run.rc = rc
    run.status = status
    run.log = read(log_path)
    run.out = read(daemon.out_path)
    run.perfdata = read(os.path.join(var, "service-perfdata"))
    return run


@pytest.mark.parametrize("svc", SERVICES)
def test_nagios_status_dat(nagios_run, svc):
    """What status.dat holds for the service: state, output, perfdata."""
    s = nagios_run.status[svc]
    long_text = nagios_unescape(s["long_plugin_output"])
    rec = Recorded("Nagios status.dat", NAGIOS_STATES[s["current_state"]],
                   s["plugin_output"],
                   long_text.split("\n") if long_text else [],
                   s["performance_data"])
    assert s["state_type"] == "1", s  # HARD (max_check_attempts 1)
    assert_recorded(svc, rec)


@pytest.mark.parametrize("svc", SERVICES)
def test_nagios_perfdata_file(nagios_run, svc):
    """Every line the service_perfdata_file got for the service."""
    lines = [l.split("\t") for l in nagios_run.perfdata.splitlines()]
    mine = [f for f in lines if len(f) >= 2 and f[1] == svc]
    assert mine, nagios_run.perfdata
    for f in mine:
        assert len(f) == 6, f
        host, _, state, output, perfdata, long_text = f
        long_text = nagios_unescape(long_text)
        assert_recorded(svc, Recorded(
            "Nagios service_perfdata_file", state, output,
            long_text.split("\n") if long_text else [], perfdata))


def test_nagios_log(nagios_run):
    """A SERVICE ALERT with the status line for each problem; no warning
    or error of any kind; the engine stopped cleanly."""
    log = nagios_run.log
    for line in log.splitlines():
        assert not re.search(r"\b(warning|error)\b", line, re.I) or \
            "SERVICE ALERT" in line, line
    for svc in SERVICES:
        exp = EXPECT[svc]
        alerts = re.findall(r"SERVICE ALERT: vspc;%s;([A-Z]+);HARD;1;(.*)$"
                            % re.escape(svc), log, re.M)
        if exp.state == "OK":
            assert alerts == [], alerts
            continue
        assert alerts, (svc, log)
        for state, output in alerts:
            assert state == exp.state, (state, output)
            assert output.startswith("VSPC REPLICATION %s - " % state), output
    for secret in SECRETS:
        assert secret not in log and secret not in nagios_run.perfdata
    assert nagios_run.rc == 0, nagios_run.out


def test_nagios_contrib_config_with_examples(world, tmp_path):
    """contrib/nagios as shipped, plus its examples switched on, passes
    nagios4 -v without a warning."""
    require_nagios()
    d = str(tmp_path)
    nagios_resource(d, world)
    examples = write(os.path.join(d, "examples.cfg"), commented_examples(
        CONTRIB_NAGIOS, "# BEGIN EXAMPLES", "# END EXAMPLES", prefix="# "))
    base = write(os.path.join(d, "base.cfg"),
                 NAGIOS_COMMON_OBJECTS + NAGIOS_TEMPLATES)
    cfg = nagios_main_cfg(d, [base, CONTRIB_NAGIOS, examples], world.user,
                          world.group)
    out = nagios_verify(cfg, engine_env(d), d)
    # four written by hand, one of each kind as --list=nagios makes them
    assert re.search(r"Checked 6 services\.", out), out
    assert re.search(r"Checked 1 service groups\.", out), out

    # single job, fleet and generated services, each with a token file or
    # an ini; no secret
    commands = dict(re.findall(r"^\s*command_name\s+(\S+)\s*\n"
                               r"\s*command_line\s+(.+?)\s*$",
                               read(CONTRIB_NAGIOS), re.M))
    assert sorted(commands) == [
        "check_vspc_replication", "check_vspc_replication_all",
        "check_vspc_replication_all_ini", "check_vspc_replication_ini",
        "check_vspc_replication_job", "check_vspc_replication_job_ini"], \
        commands
    for name, line in commands.items():
        assert line.startswith("$USER1$/check_vspc_replication "), line
        assert "-H $HOSTADDRESS$" in line, line
        secret = "--extra-opts=@$USER4$" if name.endswith("_ini") \
            else "-T $USER3$"
        assert secret in line and "--token " not in line, line
        assert ("--all" in line) == ("_all" in name), line
        # the generated services' job and kind, from their custom variables
        assert ("-j $_SERVICEVSPC_JOB$ --kind=$_SERVICEVSPC_KIND$" in line) \
            == ("_job" in name), line


# --------------------------------------------------------------------------
# Icinga 2
# --------------------------------------------------------------------------

def require_icinga2():
    if not os.access(ICINGA2, os.X_OK):
        pytest.skip("Icinga 2 is not installed (%s missing): "
                    "apt-get install icinga2-bin" % ICINGA2)


class Icinga2:
    """An Icinga 2 with every path under directory d."""

    def __init__(self, d, w):
        self.d = d
        self.paths = {k: os.path.join(d, k.lower().replace("dir", ""))
                      for k in ("DataDir", "LogDir", "CacheDir", "SpoolDir",
                                "InitRunDir")}
        for p in self.paths.values():
            os.makedirs(p, exist_ok=True)
        self.env = engine_env(d)
        # run as the current user, not as nagios
        self.env["ICINGA2_USER"] = w.user
        self.env["ICINGA2_GROUP"] = w.group
        self.main = os.path.join(d, "icinga2.conf")

    def argv(self, *extra):
        a = [ICINGA2, "daemon", "-c", self.main]
        for k, v in sorted(self.paths.items()):
            a += ["-D", "%s=%s" % (k, v)]
        return a + list(extra)

    def check(self, main=None):
        """icinga2 daemon -C of main (default: self.main): (exit code,
        output)."""
        argv = self.argv("-C")
        if main is not None:
            argv[argv.index("-c") + 1] = main
        res = subprocess.run(argv, env=self.env, cwd=self.d,
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=120, check=False)
        return res.returncode, res.stdout.decode("utf-8", errors="replace")

    def validate(self, main=None):
        rc, out = self.check(main)
        assert rc == 0, out
        bad = [l for l in out.splitlines()
               if re.search(r"\] (warning|critical)/", l)]
        assert bad == [], out
        return out

    def objects(self):
        """The objects file icinga2 daemon -C wrote: {(type, name): obj}."""
        return {(o["type"], o["name"]): o for o in read_netstrings(
            os.path.join(self.paths["CacheDir"], "icinga2.debug"))}


def read_netstrings(path):
    """The JSON objects of an Icinga 2 state or objects file."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    pos = 0
    while pos < len(data):
        colon = data.index(b":", pos)
        n = int(data[pos:colon])
        out.append(json.loads(data[colon + 1:colon + 1 + n]))
        assert data[colon + 1 + n:colon + 2 + n] == b",", path
        pos = colon + 2 + n
    return out


class GraphiteSink:
    """Accepts the GraphiteWriter's connections on 127.0.0.1 and swallows
    what it sends, so that the writer has a peer and logs no errors."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.conns = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(0.2)
            self.conns.append(conn)
            threading.Thread(target=self._drain, args=(conn,),
                             daemon=True).start()

    def _drain(self, conn):
        while not self.stopping.is_set():
            try:
                if not conn.recv(65536):
                    return
            except socket.timeout:
                continue
            except OSError:
                return

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        for c in self.conns:
            c.close()
        self.sock.close()


ICINGA2_SERVICES = {
    # the token through VSPC_TOKEN (env), nothing about it on the command line
    "seed-ok": {"vspc_replication_job": SEED,
                "vspc_replication_token": API_KEY},
    # a token file; an Icinga boolean for --wan
    "seed-critical": {"vspc_replication_job": SEED,
                      "vspc_replication_token_file": "@TOKEN_FILE@",
                      "vspc_replication_critical": "10:",
                      "vspc_replication_wan": True},
    # --extra-opts=@ini: token file (and CA, port) from the ini
    "failed-job": {"vspc_replication_job": FAILED_UID,
                   "vspc_replication_extra_opts": "@@INI@"},
    "odd-status": {"vspc_replication_job": ODD_UID,
                   "vspc_replication_token_file": "@TOKEN_FILE@",
                   "vspc_replication_max_age_critical": "2d"},
    # arrays with repeat_key, switches with set_if
    "fleet": {"vspc_replication_all": True,
              "vspc_replication_organization": [ORG_A, ORG_B],
              "vspc_replication_exclude_name": ["*Test*"],
              "vspc_replication_min_jobs": 2,
              "vspc_replication_perfdata_per_job": True,
              "vspc_replication_token_file": "@TOKEN_FILE@"},
    "odd-names": {"vspc_replication_all": True,
                  "vspc_replication_organization": [ORG_D],
                  "vspc_replication_perfdata_per_job": True,
                  "vspc_replication_token_file": "@TOKEN_FILE@"},
    # CDP policies: the new arguments of the CheckCommand
    "cdp-ok": {"vspc_replication_job": CDP_OK,
               "vspc_replication_token_file": "@TOKEN_FILE@",
               "vspc_replication_sla_warning": "95:",
               "vspc_replication_sla_critical": "90:",
               "vspc_replication_max_delay_critical": "5m"},
    "cdp-no-sla": {"vspc_replication_job": CDP_NO_SLA,
                   "vspc_replication_kind": "cdp",
                   "vspc_replication_token_file": "@TOKEN_FILE@",
                   "vspc_replication_sla_critical": "90:"},
}


def icinga2_value(v, w):
    if isinstance(v, str):
        v = v.replace("@TOKEN_FILE@", w.token_file).replace("@INI@", w.ini)
    return json.dumps(v)  # JSON strings, numbers, booleans, arrays are DSL


class Icinga2Run:
    pass


@pytest.fixture(scope="module")
def icinga2_run(world):
    require_icinga2()
    w = world
    d = os.path.join(w.dir, "icinga2")
    os.makedirs(d)
    i2 = Icinga2(d, w)
    perf_dir = os.path.join(d, "perfdata")
    os.makedirs(perf_dir)
    debug_log = os.path.join(i2.paths["LogDir"], "debug.log")
    sink = GraphiteSink()
    conf = ["""\
const PluginDir = %(plugins)s
include <itl>
include %(contrib)s

object IcingaApplication "app" { }
object CheckerComponent "checker" { }
object FileLogger "debug-file" {
	severity = "debug"
	path = %(debug_log)s
}
object PerfdataWriter "perfdata" {
	service_perfdata_path = %(perf)s + "/service-perfdata"
	service_temp_path = %(perf)s + "/service-perfdata.tmp"
	host_perfdata_path = %(perf)s + "/host-perfdata"
	host_temp_path = %(perf)s + "/host-perfdata.tmp"
	service_format_template = "RECORD\\t$service.name$\\t$service.state$\\t$service.output$\\t$service.perfdata$"
	rotation_interval = 1h
}
object GraphiteWriter "graphite" {
	host = "127.0.0.1"
	port = %(graphite)d
	enable_send_thresholds = true
}
object Host "vspc" {
	check_command = "dummy"
	address = "127.0.0.1"
	enable_active_checks = false
	vars.vspc_replication_port = %(port)d
	vars.vspc_replication_ca_file = %(ca)s
}
""" % {"plugins": json.dumps(w.plugin_dir),
       "contrib": json.dumps(CONTRIB_ICINGA2),
       "debug_log": json.dumps(debug_log), "perf": json.dumps(perf_dir),
       "graphite": sink.port, "port": w.port, "ca": json.dumps(w.ca)}]
    for svc, vars_ in sorted(ICINGA2_SERVICES.items()):
        conf.append('object Service %s {\n\thost_name = "vspc"\n'
                    '\tcheck_command = "vspc_replication"\n'
                    '\tcheck_interval = 2s\n\tretry_interval = 2s\n'
                    '\tmax_check_attempts = 1\n\tenable_flapping = false\n'
                    % json.dumps(svc))
        for k, v in sorted(vars_.items()):
            conf.append("\tvars.%s = %s\n" % (k, icinga2_value(v, w)))
        conf.append("}\n")
    write(i2.main, "".join(conf))
    try:
        i2.validate()
        daemon = Daemon(i2.argv(), i2.env, d, os.path.join(d, "daemon.out"))

        def all_checked():
            try:
                text = read(debug_log)
            except OSError:
                return False
            # logged once a result is processed: the first is a hard change
            return all("State Change: Checkable 'vspc!%s'" % s in text
                       for s in SERVICES)

        try:
            wait_for("a check result of every service in %s" % debug_log,
                     all_checked, daemon, [debug_log, daemon.out_path])
            time.sleep(0.5)
        finally:
            rc = daemon.stop()
    finally:
        sink.stop()
    run = Icinga2Run()
    run.rc = rc
    run.ini = w.ini
    run.port = w.port
    run.ca = w.ca
    run.out = read(daemon.out_path)
    run.log = read(debug_log)
    run.results = {}
    for obj in read_netstrings(os.path.join(i2.paths["DataDir"],
                                            "icinga2.state")):
        name = obj.get("name", "")
        if obj.get("type") == "Service" and name.startswith("vspc!"):
            run.results[name[len("vspc!"):]] = \
                obj["update"].get("last_check_result")
    run.perfdata = "".join(read(os.path.join(perf_dir, f))
                           for f in sorted(os.listdir(perf_dir))
                           if f.startswith("service-perfdata"))
    return run


ICINGA2_STATES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}

# Icinga 2.13 (PluginUtility::SplitPerfdata) ends a label at its first "="
# and keeps a doubled quote doubled, so the plugin keeps both characters out
# of labels: the per-job labels of "Replica a=b" and "Replica O'Brien" must
# arrive intact.
ICINGA2_PARAMS = list(SERVICES)


@pytest.mark.parametrize("svc", ICINGA2_PARAMS)
def test_icinga2_check_result(icinga2_run, svc):
    """The check result in icinga2.state: exit status, state, output
    (status line first, then the long output), performance_data."""
    cr = icinga2_run.results.get(svc)
    assert cr, "no check result for %s in icinga2.state" % svc
    assert cr["exit_status"] == int(cr["state"]), cr
    lines = cr["output"].split("\n")
    rec = Recorded("Icinga 2 icinga2.state", ICINGA2_STATES[int(cr["state"])],
                   lines[0], lines[1:], " ".join(cr["performance_data"]))
    assert_recorded(svc, rec)
    for secret in SECRETS:
        assert secret not in json.dumps(cr), cr


# The PerfdataWriter writes the output as it is, long output lines included,
# so a record starts with a marker rather than on every line.
PERFDATA_RECORD_RE = re.compile(
    r"^RECORD\t([^\t\n]*)\t([^\t\n]*)\t(.*?)\t([^\t\n]*)$", re.M | re.S)


@pytest.mark.parametrize("svc", ICINGA2_PARAMS)
def test_icinga2_perfdata_writer(icinga2_run, svc):
    """Every record the PerfdataWriter wrote for the service."""
    records = PERFDATA_RECORD_RE.findall(icinga2_run.perfdata)
    assert records and "".join("RECORD\t%s\t%s\t%s\t%s\n" % r
                               for r in records) == icinga2_run.perfdata, \
        icinga2_run.perfdata
    mine = [r for r in records if r[0] == svc]
    assert mine, icinga2_run.perfdata
    for _, state, output, perfdata in mine:
        lines = output.split("\n")
        assert_recorded(svc, Recorded("Icinga 2 PerfdataWriter", state,
                                      lines[0], lines[1:], perfdata))


def graphite_label(label):
    """GraphiteWriter::EscapeMetricLabel."""
    return re.sub(r"[ \\/]", "_", label).replace("::", ".")


# What Icinga 2 2.13's PerfdataValue multiplies a value of these units by
# (seen in the engine: 2949120KB is stored as 2949120000).
ICINGA2_UNIT_SCALE = {"KB": 1000}


@pytest.mark.parametrize("svc", ICINGA2_PARAMS)
def test_icinga2_parses_every_perfdata_value(icinga2_run, svc):
    """Icinga 2's own perfdata parser (GraphiteWriter, in the debug log)
    got every value the plugin reported, as the same number."""
    cr = icinga2_run.results[svc]
    perf = U.parse_perfdata(" ".join(cr["performance_data"]))
    metrics = {}
    for m in re.finditer(r"Checkable 'vspc!%s' adds to metric list: "
                         r"'\S+?\.perfdata\.(.+)\.(value|min|max|warn|crit) "
                         r"(\S+) [0-9]+'" % re.escape(svc), icinga2_run.log):
        metrics.setdefault(m.group(1), {})[m.group(2)] = float(m.group(3))
    for label, value in perf.items():
        got = metrics.get(graphite_label(label))
        assert got is not None, "Icinga 2 dropped %r: %r" % (label, metrics)
        # Icinga 2 normalises units it knows: KB (total_data) to bytes
        scale = ICINGA2_UNIT_SCALE.get(value.uom, 1)
        assert got["value"] == pytest.approx(float(value.value) * scale), \
            (label, value, got)
        if value.min:
            assert got.get("min") == pytest.approx(float(value.min) * scale), \
                (label, value, got)


def test_icinga2_log(icinga2_run):
    """No warning or critical message at all, and a perfdata threshold is
    only ignored where it is a range (Icinga 2 keeps plain numbers only)."""
    log = icinga2_run.log
    bad = [l for l in log.splitlines()
           if re.match(r"\[[^]]+\] (warning|critical)/", l)]
    assert bad == [], "\n".join(bad)
    for m in re.finditer(r"Ignoring unsupported perfdata \w+ range, "
                         r"value: '([^']*)'", log):
        assert re.search(r"[:~@]", m.group(1)), m.group(0)
    for secret in SECRETS:
        assert secret not in log and secret not in icinga2_run.perfdata
    assert icinga2_run.rc == 0, icinga2_run.out


def test_icinga2_command_lines(icinga2_run):
    """What the CheckCommand made of the custom variables."""
    cmd = {svc: icinga2_run.results[svc]["command"] for svc in SERVICES}
    for svc, argv in cmd.items():
        assert argv[0].endswith("/check_vspc_replication"), argv
        # the host's address and custom variables
        for opt, value in (("--hostname", "127.0.0.1"),
                           ("--port", str(icinga2_run.port)),
                           ("--ca-file", icinga2_run.ca)):
            assert opt in argv and argv[argv.index(opt) + 1] == value, argv
        for secret in SECRETS:
            assert secret not in " ".join(argv), argv
        assert "--token" not in argv, argv
    assert "--token-file" not in cmd["seed-ok"], cmd["seed-ok"]
    wan = cmd["seed-critical"]
    assert wan[wan.index("--wan") + 1] == "true", wan
    assert "--extra-opts=@" + icinga2_run.ini in cmd["failed-job"], \
        cmd["failed-job"]
    fleet = cmd["fleet"]
    orgs = [fleet[i + 1] for i, a in enumerate(fleet) if a == "--organization"]
    assert orgs == [ORG_A, ORG_B], fleet
    assert fleet[fleet.index("--exclude-name") + 1] == "*Test*", fleet
    assert "--all" in fleet and "--perfdata-per-job" in fleet, fleet
    assert "--job" not in fleet, fleet
    cdp = cmd["cdp-no-sla"]
    assert cdp[cdp.index("--kind") + 1] == "cdp", cdp
    assert cdp[cdp.index("--sla-critical") + 1] == "90:", cdp


def help_long_options():
    res = subprocess.run([U.PLUGIN, "--help"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=engine_env("/nonexistent"), timeout=30,
                         check=False)
    text = res.stdout.decode("utf-8", errors="replace")
    opts = set(re.findall(r"^\s+(?:-[A-Za-z0-9], )?--([a-z][a-z0-9-]*)",
                          text, re.M))
    # "-4, --ipv4" style and "--x / -y" continuation lines
    opts |= set(re.findall(r"^\s+-[A-Za-z0-9], --([a-z][a-z0-9-]*)", text,
                           re.M))
    assert {"hostname", "job", "all", "token-file"} <= opts, text
    return opts


# Options of --help that have no place in the CheckCommand: the token goes
# through VSPC_TOKEN, --list is not a check, help and version are not either.
# --output-format=test-json is for the plugin's own tests.
NOT_IN_CHECKCOMMAND = {"help", "version", "token", "list", "output-format"}


def test_icinga2_contrib_config_with_examples(world, tmp_path):
    """contrib/icinga2 as shipped, plus its examples switched on, passes
    icinga2 daemon -C; the CheckCommand maps every option of --help."""
    require_icinga2()
    d = str(tmp_path)
    i2 = Icinga2(d, world)
    examples = write(os.path.join(d, "examples.conf"), commented_examples(
        CONTRIB_ICINGA2, "/* EXAMPLES", "END OF EXAMPLES */"))
    # everything Debian's icinga2.conf includes from the ITL: no clash
    write(i2.main, "const PluginDir = %s\n"
          "const PluginContribDir = PluginDir\n"
          "const ManubulonPluginDir = PluginDir\n"
          "const VspcApiKey = \"dummy\"\n"
          "include <itl>\ninclude <plugins>\ninclude <plugins-contrib>\n"
          "include <manubulon>\ninclude <windows-plugins>\ninclude <nscp>\n"
          "include %s\ninclude %s\n"
          % (json.dumps(world.plugin_dir), json.dumps(CONTRIB_ICINGA2),
             json.dumps(examples)))
    i2.validate()
    objects = i2.objects()

    for svc in ("replication SQL to DR", "replication ACME (all jobs)",
                "replication Exchange to DR",
                "replication File servers to cloud"):
        obj = objects.get(("Service", svc))
        assert obj, sorted(k for k in objects if k[0] == "Service")
        assert obj["properties"]["host_name"] == "vspc.example.com", obj
        assert obj["properties"]["check_command"] == "vspc_replication", obj

    # the per-job services of the examples: a hand-written entry, a
    # generated template, the services Director deploys; all from a
    # snapshot, each kind with its options
    services = services_of(objects)
    for full, uid, kind in (
            ("vspc.example.com!replication CDP SQL cluster",
             "cd9c0001-5e1f-4c2b-9a3d-0f1e2d3c4b5a", "cdp"),
            ('vspc-eu.example.com!replication Replica "SQL" to DR',
             "3f2e1d0c-9b8a-4796-a5b4-c3d2e1f0a9b8", "vm"),
            ("vspc-eu.example.com!replication CDP Exchange",
             "cd9c0005-5e1f-4c2b-9a3d-0f1e2d3c4b5a", "cdp"),
            ("vspc-dr.example.com!replication vm "
             "7b6a5948-3726-4150-8f9e-8d7c6b5a4938",
             "7b6a5948-3726-4150-8f9e-8d7c6b5a4938", "vm"),
            ("vspc-dr.example.com!replication cdp "
             "cd9c0006-5e1f-4c2b-9a3d-0f1e2d3c4b5a",
             "cd9c0006-5e1f-4c2b-9a3d-0f1e2d3c4b5a", "cdp")):
        assert full in services, sorted(services)
        assert_per_job_service(services[full], uid, kind)

    cc = objects[("CheckCommand", "vspc_replication")]["properties"]
    assert cc["command"] == [world.plugin_dir + "/check_vspc_replication"]
    assert cc["env"] == {"VSPC_TOKEN": "$vspc_replication_token$"}, cc["env"]
    assert cc["vars"]["vspc_replication_hostname"] == "$address$", cc["vars"]
    args = cc["arguments"]
    expected = help_long_options() - NOT_IN_CHECKCOMMAND
    keys = {k[2:] for k in args}
    assert keys == expected, ("missing: %s, unknown: %s"
                              % (sorted(expected - keys),
                                 sorted(keys - expected)))
    switches = {"ipv4", "ipv6", "insecure", "allow-http", "no-token-cache",
                "no-job-status", "all", "perfdata-per-job", "verbose"}
    for key, spec in args.items():
        opt = key[2:]
        var = "$vspc_replication_%s$" % opt.replace("-", "_")
        assert isinstance(spec, dict), (key, spec)
        assert spec.get("description"), "%s has no description" % key
        if opt in switches:
            assert spec.get("set_if") == var and "value" not in spec, \
                (key, spec)
        elif opt == "extra-opts":
            # the plugin takes only the spelled-out --extra-opts=VALUE
            assert spec.get("value") == "--extra-opts=" + var and \
                spec.get("skip_key") is True, (key, spec)
        else:
            assert spec.get("value") == var and "set_if" not in spec, \
                (key, spec)
        assert bool(spec.get("required")) == (opt == "hostname"), (key, spec)
        assert bool(spec.get("repeat_key")) == \
            (opt in ("organization", "name", "exclude-name")), (key, spec)


# --------------------------------------------------------------------------
# Generated configuration: --list=icinga2, --list=icinga2-array and
# --list=nagios against the simulator, given to the real engines together
# with the contrib files
# --------------------------------------------------------------------------

import listing_util as L  # noqa: E402  (tests/e2e/listing_util.py)

GEN_VM = "9a000001-0000-4000-8000-000000000001"
GEN_CDP = "9c000001-0000-4000-8000-000000000001"
# what the engines run: one job of each kind, OK under the contrib options
GEN_RUN_FLEET = {
    "jobs": [{"uid": GEN_VM, "name": 'Replica "gen" $x$ ; a!b',
              "status": "Success", "protected": 3}],
    "cdp_jobs": [{"uid": GEN_CDP, "kind": "cdp", "name": "CDP gen \\ one",
                  "status": "Success",
                  "last_period": {"sla": 99, "maxDelay": 7}}]}
# what the engines only read: names that need every rule, namesakes
GEN_NAMES = ['He said "hi"', "C:\\Backups\\", "trailing\\", "two\r\nlines",
             "$USER1$ $host.name$", "semi;colon", "# hash", "}", "null",
             "+plus", "a!b", "a_b", "`~!$%^&*|'<>?,()=", "  padded  ",
             "R\u00e9plica \u65e5\u672c \U0001f600", "NUL\x00x",
             "x" * 300, "SQL", "SQL", "SQL [%s]" % "9a000000"[:8], "", None]


def gen_fleet():
    vm = [{"uid": "9a%06x-0000-4000-8000-%012x" % (i, i), "name": n,
           "status": "Success", "protected": 2}
          for i, n in enumerate(GEN_NAMES)]
    cdp = [{"uid": "9c%06x-0000-4000-8000-%012x" % (i, i), "name": n,
            "kind": "cdp", "status": "Success"}
           for i, n in enumerate(GEN_NAMES[:8] + ["SQL"])]
    return {"jobs": vm, "cdp_jobs": cdp}, vm + cdp


class GenSim:
    """A simulator of its own (the world's serves the services above)."""

    def __init__(self, w, fleet):
        self.w = w
        self.sim = vspc_sim.start_sim(w.certs, token=TOKEN,
                                      api_keys=[API_KEY])
        self.sim.set_fleet(fleet)

    def listing(self, form, *extra, rc=0):
        res = subprocess.run(
            [U.PLUGIN, "-H", "127.0.0.1", "-p", str(self.sim.port),
             "--ca-file", self.w.ca, "-T", self.w.token_file,
             "--list=" + form] + list(extra),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=engine_env("/nonexistent"),
            timeout=60, check=False)
        assert res.returncode == rc and res.stderr == b"", res
        return res.stdout.decode("utf-8")

    def stop(self):
        self.sim.stop()


@pytest.fixture
def gen_sim(world):
    made = []

    def make(fleet):
        g = GenSim(world, fleet)
        made.append(g)
        return g
    yield make
    for g in made:
        g.stop()


def services_of(objects, host=None):
    """The Service objects of icinga2 daemon -C by full name (host!name,
    which Director's name = ... changes, not the item name)."""
    out = {}
    for (kind, _), obj in objects.items():
        props = obj["properties"]
        if kind == "Service" and (host is None or props["host_name"] == host):
            out[props["__name"]] = props
    return out


def assert_per_job_service(props, uid, kind):
    """A generated service: its job and kind, the snapshot, the options
    of its kind (contrib's apply rules)."""
    v = props["vars"]
    assert props["check_command"] == "vspc_replication", props
    assert v["vspc_replication_job"] == uid, v
    assert v["vspc_replication_kind"] == kind, v
    assert v["vspc_replication_snapshot_max_age"] == "4m", v
    assert ("vspc_replication_sla_critical" in v) == (kind == "cdp"), v
    assert ("vspc_replication_critical" in v) == (kind == "vm"), v


def per_job_apply_rule():
    """The apply Service for rule of contrib/icinga2's examples, alone (the
    examples' hosts must not be checked: nothing leaves 127.0.0.1)."""
    text = commented_examples(CONTRIB_ICINGA2, "/* EXAMPLES",
                              "END OF EXAMPLES */")
    m = re.search(r'^apply Service "replication " for \(job_name => config '
                  r'in host\.vars\.vspc_replication_jobs\) \{\n.*?^\}\n',
                  text, re.M | re.S)
    assert m, "no apply Service for rule in the examples"
    return m.group(0)


def icinga2_main(w, *includes, extra=""):
    return ("const PluginDir = %s\nconst VspcApiKey = \"dummy\"\n"
            "include <itl>\ninclude <plugins>\n" % json.dumps(w.plugin_dir)
            + "".join("include %s\n" % json.dumps(p) for p in includes)
            + extra)


GEN_HOST = """
object Host "127.0.0.1" {
	import "vspc-replication-jobs-127.0.0.1"
	check_command = "dummy"
	address = "127.0.0.1"
	enable_active_checks = false
}
"""


def test_icinga2_generated_list_with_contrib(world, tmp_path, gen_sim):
    """--list=icinga2 passes icinga2 daemon -C on its own and with contrib
    and its examples; the apply rule makes one Service per job, named by
    the documented rules, with the job's UID and kind."""
    require_icinga2()
    fleet, specs = gen_fleet()
    text = gen_sim(fleet).listing("icinga2")
    d = str(tmp_path)
    i2 = Icinga2(d, world)
    jobs = write(os.path.join(d, "vspc-replication-jobs.conf"), text)
    i2.validate(jobs)  # a complete configuration by itself
    examples = write(os.path.join(d, "examples.conf"), commented_examples(
        CONTRIB_ICINGA2, "/* EXAMPLES", "END OF EXAMPLES */"))
    write(i2.main, icinga2_main(world, CONTRIB_ICINGA2, examples, jobs,
                                extra=GEN_HOST))
    i2.validate()
    services = services_of(i2.objects(), "127.0.0.1")
    want = L.expected_names(specs, "icinga2")
    assert sorted(services) == sorted("127.0.0.1!replication " + key
                                      for _, _, key, _ in want)
    for uid, kind, key, _ in want:
        assert_per_job_service(services["127.0.0.1!replication " + key],
                               uid, kind)


def test_icinga2_cut_or_failed_list_does_not_validate(world, tmp_path,
                                                      gen_sim):
    """A file cut at any line before its end, and the output of a listing
    whose walk failed, are refused by icinga2 daemon -C."""
    require_icinga2()
    g = gen_sim({"count": 700, "seed": 3, "pages": {500: {"truncate": 900}}})
    failed = g.listing("icinga2", rc=3)
    g.sim.set_fleet(gen_fleet()[0])
    lines = g.listing("icinga2").split("\n")
    d = str(tmp_path)
    i2 = Icinga2(d, world)
    # the end is the template's last two closing braces and the footer
    cuts = [4, 5, 12, len(lines) - 4, len(lines) - 3]
    for i, text in enumerate(["\n".join(lines[:n]) + "\n" for n in cuts]
                             + [failed]):
        path = write(os.path.join(d, "cut%d.conf" % i), text)
        rc, out = i2.check(path)
        assert rc != 0, (text[-300:], out)


def test_icinga2_director_array_with_contrib(world, tmp_path, gen_sim):
    """--list=icinga2-array as Director deploys it (the JSON's variables
    on the host) with the Director rules of the examples: one Service per
    job named by its kind and UID, with its kind."""
    require_icinga2()
    fleet, specs = gen_fleet()
    arrays = json.loads(gen_sim(fleet).listing("icinga2-array"))
    assert sorted(arrays) == ["vars.vspc_replication_cdp_jobs",
                              "vars.vspc_replication_vm_jobs"]
    d = str(tmp_path)
    i2 = Icinga2(d, world)
    examples = write(os.path.join(d, "examples.conf"), commented_examples(
        CONTRIB_ICINGA2, "/* EXAMPLES", "END OF EXAMPLES */"))
    host = ('object Host "127.0.0.1" {\n\tcheck_command = "dummy"\n'
            '\taddress = "127.0.0.1"\n'
            + "".join("\t%s = %s\n" % (k, json.dumps(v))
                      for k, v in sorted(arrays.items())) + "}\n")
    write(i2.main, icinga2_main(world, CONTRIB_ICINGA2, examples,
                                extra=host))
    i2.validate()
    services = services_of(i2.objects(), "127.0.0.1")
    want = {"127.0.0.1!replication %s %s" % (kind, uid): (uid, kind)
            for uid, kind, _, _ in L.expected_names(specs, "icinga2")}
    assert sorted(services) == sorted(want)
    for name, (uid, kind) in want.items():
        assert_per_job_service(services[name], uid, kind)


def gen_nagios_cfg(d, w, jobs_cfg, address="127.0.0.1", settings=None):
    nagios_resource(d, w)
    base = write(os.path.join(d, "base.cfg"), NAGIOS_COMMON_OBJECTS + """\
define host {
    host_name               127.0.0.1
    address                 %s
    max_check_attempts      1
    check_period            24x7
    active_checks_enabled   0
    contacts                nobody
    notification_period     24x7
}
""" % address)
    return nagios_main_cfg(d, [base, CONTRIB_NAGIOS, jobs_cfg], w.user,
                           w.group, settings)


def test_nagios_generated_list_with_contrib(world, tmp_path, gen_sim):
    """--list=nagios passes nagios4 -v with contrib (no warning): one
    service per job and the service group; cut at the boundary of any
    definition, or the output of a failed listing, it does not."""
    require_nagios()
    fleet, specs = gen_fleet()
    g = gen_sim(fleet)
    text = g.listing("nagios")
    d = str(tmp_path)
    jobs = write(os.path.join(d, "vspc-replication-jobs.cfg"), text)
    cfg = gen_nagios_cfg(d, world, jobs)
    out = nagios_verify(cfg, engine_env(d), d)
    assert re.search(r"Checked %d services\." % len(specs), out), out
    assert re.search(r"Checked 1 service groups\.", out), out
    lst = L.read_nagios(text)
    assert [(uid, kind, key, note) for key, uid, kind, note in lst.entries] \
        == L.expected_names(specs, "nagios")
    # a file that ends after any "}" but the last is incomplete
    lines = text.split("\n")
    ends = [i for i, l in enumerate(lines) if l == "}"]
    g.sim.set_fleet({"count": 700, "seed": 3,
                     "pages": {500: {"truncate": 900}}})
    failed = g.listing("nagios", rc=3)
    for i, text in enumerate(["\n".join(lines[:n + 1]) + "\n"
                              for n in (ends[0], ends[-2])] + [failed]):
        write(jobs, text)
        rc, out = nagios_check(cfg, engine_env(d), d)
        assert rc != 0, (text[-300:], out)


# --- the generated services as real checks ---------------------------------

def test_icinga2_runs_the_generated_services(world, tmp_path, gen_sim):
    """Icinga 2 with contrib's CheckCommand, the examples' apply rule and
    the generated template runs one check per job: the plugin gets the
    job's UID, its kind and --snapshot-max-age=4m, and says OK."""
    require_icinga2()
    g = gen_sim(GEN_RUN_FLEET)
    d = str(tmp_path)
    i2 = Icinga2(d, world)
    jobs = write(os.path.join(d, "jobs.conf"), g.listing("icinga2"))
    # the rule as documented, only checking every 2 s instead of 5 min
    rule = per_job_apply_rule()
    assert "\tcheck_interval = 5m\n\tretry_interval = 2m\n" in rule, rule
    rule = write(os.path.join(d, "rule.conf"), rule.replace(
        "\tcheck_interval = 5m\n\tretry_interval = 2m\n",
        "\tcheck_interval = 2s\n\tretry_interval = 2s\n"
        "\tmax_check_attempts = 1\n"))
    debug_log = os.path.join(i2.paths["LogDir"], "debug.log")
    names = ['replication Replica "gen" $x$ ; a_b', "replication CDP gen \\ one"]
    write(i2.main, icinga2_main(world, CONTRIB_ICINGA2, jobs, rule) + """
object IcingaApplication "app" { }
object CheckerComponent "checker" { }
object FileLogger "debug-file" {
	severity = "debug"
	path = %s
}
object Host "127.0.0.1" {
	import "vspc-replication-jobs-127.0.0.1"
	check_command = "dummy"
	address = "127.0.0.1"
	enable_active_checks = false
	vars.vspc_replication_port = %d
	vars.vspc_replication_ca_file = %s
	vars.vspc_replication_token_file = %s
}
""" % (json.dumps(debug_log), g.sim.port, json.dumps(world.ca),
       json.dumps(world.token_file)))
    i2.validate()
    daemon = Daemon(i2.argv(), i2.env, d, os.path.join(d, "daemon.out"))

    def checked():
        try:
            text = read(debug_log)
        except OSError:
            return False
        return all("State Change: Checkable '127.0.0.1!%s'" % n in text
                   for n in names)

    try:
        wait_for("a check result of each generated service", checked,
                 daemon, [debug_log, daemon.out_path])
    finally:
        rc = daemon.stop()
    assert rc == 0, read(daemon.out_path)
    results = {}
    for obj in read_netstrings(os.path.join(i2.paths["DataDir"],
                                            "icinga2.state")):
        if obj.get("type") == "Service":
            results[obj["name"]] = obj["update"].get("last_check_result")
    for name, uid, kind in ((names[0], GEN_VM, "vm"),
                            (names[1], GEN_CDP, "cdp")):
        cr = results.get("127.0.0.1!" + name)
        assert cr, sorted(results)
        argv = cr["command"]
        assert argv[argv.index("--job") + 1] == uid, argv
        assert argv[argv.index("--kind") + 1] == kind, argv
        assert argv[argv.index("--snapshot-max-age") + 1] == "4m", argv
        assert int(cr["state"]) == 0, cr
        assert cr["output"].startswith("VSPC REPLICATION OK - "), cr
        assert "(%s)" % uid in cr["output"], cr


def test_nagios_runs_the_generated_services(world, tmp_path, gen_sim):
    """Nagios with contrib's command and templates and the generated
    services runs one check per job: $_SERVICEVSPC_JOB$ and
    $_SERVICEVSPC_KIND$ reach the plugin, which says OK."""
    require_nagios()
    g = gen_sim(GEN_RUN_FLEET)
    d = str(tmp_path)
    # the contrib command takes the server from $HOSTADDRESS$ only, and the
    # simulator's port is not 1280: the host's address carries -p and the
    # CA (the plugin sees "-H 127.0.0.1 -p PORT --ca-file CA")
    jobs = write(os.path.join(d, "jobs.cfg"), g.listing("nagios"))
    cfg = gen_nagios_cfg(d, world, jobs, address="127.0.0.1 -p %d --ca-file %s"
                         % (g.sim.port, world.ca))
    # every check right at the start (interval_length=1: check_interval
    # counts seconds)
    env = engine_env(d)
    nagios_verify(cfg, env, d)
    status_path = os.path.join(d, "var", "status.dat")
    log_path = os.path.join(d, "var", "nagios.log")
    names = ["Replication Replica _gen_ _x_ _ a_b", "Replication CDP gen _ one"]
    daemon = Daemon([NAGIOS, cfg], env, d, os.path.join(d, "nagios.out"))
    status = {}

    def checked():
        try:
            blocks = parse_status_dat(read(status_path))
        except OSError:
            return False
        svcs = {b["service_description"]: b for kind, b in blocks
                if kind == "servicestatus"}
        if all(svcs.get(n, {}).get("has_been_checked") == "1"
               for n in names):
            status.update(svcs)
            return True
        return False

    try:
        wait_for("each generated service checked in %s" % status_path,
                 checked, daemon, [log_path, daemon.out_path])
    finally:
        rc = daemon.stop()
    assert rc == 0, read(daemon.out_path)
    for name, uid in ((names[0], GEN_VM), (names[1], GEN_CDP)):
        s = status[name]
        assert s["current_state"] == "0", s
        assert s["plugin_output"].startswith("VSPC REPLICATION OK - "), s
        assert "(%s)" % uid in s["plugin_output"], s



# --- 1,000 generated services from one walk --------------------------------
#
# What --snapshot-max-age is for: a real engine runs one service per job,
# all at once on a cold cache, and VSPC sees one walk of its collections
# (plus one login), not two requests per job.

# 900 VM replication jobs and 100 CDP policies of the simulator's
# generator: its mix of session states (Success, Warning, Failed, Running,
# Paused, never run, ...), disabled jobs, SLA and delay values.
MANY_SEED = 11
MANY_VM, MANY_CDP = 900, 100
MANY_FLEET = {"count": MANY_VM, "seed": MANY_SEED, "cdp_count": MANY_CDP,
              "cdp_seed": MANY_SEED}
# one walk: pages of 500 per collection, the VM ones and the CDP ones
MANY_LIMIT = 500
MANY_PAGES = sorted([("vm", o) for o in range(0, MANY_VM, MANY_LIMIT)]
                    + [("cdp", o) for o in range(0, MANY_CDP, MANY_LIMIT)])
# every check's -t, generous for 1,000 processes started at once on a
# small shared machine, most of them waiting for the one that walks; the
# engines kill a check after 60 s
MANY_TIMEOUT = 30
# how long an engine may take to check all of them once
MANY_DEADLINE = 120.0
# the options contrib's templates and apply rule give each kind
MANY_OPTIONS = {"vm": ["--max-age-critical=2d", "-c", "1:"],
                "cdp": ["--max-age-critical=2d", "--sla-critical=90:",
                        "--max-delay-critical=5m"]}
MANY_USER, MANY_PASSWORD = "svc-monitoring", "engPw-Q8wE6rT4yU2i"


def many_run(w, g, cache, *args):
    """A direct run of the plugin against g's simulator: (exit code,
    stdout)."""
    res = subprocess.run(
        [U.PLUGIN, "-H", "127.0.0.1", "-p", str(g.sim.port), "--ca-file",
         w.ca, "-T", w.token_file, "--cache-dir", cache, "-t", "60"]
        + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=engine_env(cache), timeout=120,
        check=False)
    assert res.stderr == b"", res
    return res.returncode, res.stdout.decode("utf-8")


def many_expected(w, g, d):
    """{uid: (kind, state)}: every job as a direct --all --kind run (no
    snapshot) with its kind's options judges it; a direct -j run of one
    job of every kind and state found must say the same."""
    cache = os.path.join(d, "oracle-cache")
    os.makedirs(cache, mode=0o700)
    jobs = {}
    for kind, count in (("vm", MANY_VM), ("cdp", MANY_CDP)):
        _, out = many_run(w, g, cache, "--all", "--kind=" + kind,
                          "--output-format=test-json", *MANY_OPTIONS[kind])
        tree = json.loads(out)
        mine = {c["id"]: (c["kind"], c["state"]) for c in tree["checks"]
                if c.get("name") == "job"}
        assert not tree["dropped"] and len(mine) == count, tree["summary"]
        jobs.update(mine)
    first = {}
    for uid, ks in sorted(jobs.items()):
        first.setdefault(ks, uid)
    # the mix the test needs: every state, both kinds
    assert {s for _, s in first} == set(ICINGA2_STATES.values()), first
    assert {k for k, _ in first} == {"vm", "cdp"}, first

    def direct(item):
        (kind, state), uid = item
        rc, out = many_run(w, g, cache, "-j", uid, "--kind=" + kind,
                           *MANY_OPTIONS[kind])
        return uid, state, ICINGA2_STATES.get(rc), out

    with ThreadPoolExecutor(4) as ex:
        for uid, state, got, out in ex.map(direct, sorted(first.items())):
            assert got == state and out.startswith(
                "VSPC REPLICATION %s - " % state), (uid, state, out)
    return jobs


def assert_one_walk(g, since, logins):
    """Every request since the mark: one walk's pages (and one login)."""
    reqs = g.sim.requests(since)
    seen = [(r["endpoint"], r.get("kind"), r.get("offset"), r["status"])
            for r in reqs]
    assert len(reqs) <= len(MANY_PAGES) + logins, seen
    pages = [r for r in reqs if r["endpoint"] == "collection"]
    assert sorted((r["kind"], r["offset"]) for r in pages) == MANY_PAGES, \
        seen
    assert all(r["limit"] == MANY_LIMIT and r["status"] == 200
               for r in pages), seen
    assert [r["outcome"] for r in reqs if r["endpoint"] == "token"] == \
        ["token"] * logins, seen
    return seen


def assert_many_states(expected, results):
    """results: {uid: (state, first output line)} of every service."""
    assert sorted(results) == sorted(expected)
    wrong = [(uid, expected[uid], results[uid]) for uid in sorted(results)
             if results[uid][0] != expected[uid][1]
             or not results[uid][1].startswith(
                 "VSPC REPLICATION %s - " % expected[uid][1])
             or "(%s)" % uid not in results[uid][1]]
    assert wrong == [], "%d of %d services in the wrong state, e.g. %r" % (
        len(wrong), len(results), wrong[:5])


def test_icinga2_1000_generated_services_cost_one_walk(world, tmp_path,
                                                        gen_sim):
    """Icinga 2 runs the 1,000 services the examples' apply rule makes of
    --list=icinga2, each with --snapshot-max-age and a login, all forced at
    once on a cold cache: VSPC sees one login and one walk, and every
    service gets the state a direct check gives its job."""
    require_icinga2()
    g = gen_sim(MANY_FLEET)
    g.sim.add_account(MANY_USER, MANY_PASSWORD)
    d = str(tmp_path)
    expected = many_expected(world, g, d)
    i2 = Icinga2(d, world)
    jobs = write(os.path.join(d, "jobs.conf"), g.listing("icinga2"))
    rule = per_job_apply_rule()
    for line in ('vars.vspc_replication_snapshot_max_age = "4m"',
                 'vars.vspc_replication_max_age_critical = "2d"',
                 'vars.vspc_replication_sla_critical = "90:"',
                 'vars.vspc_replication_max_delay_critical = "5m"',
                 'vars.vspc_replication_critical = "1:"'):
        assert "\t%s\n" % line in rule, (line, rule)
    # each service once: every first result is a hard state change (from
    # the initial UNKNOWN, UNKNOWN included), logged; no retry in 2 minutes
    rule = write(os.path.join(d, "rule.conf"), rule.replace(
        "\tretry_interval = 2m\n",
        "\tretry_interval = 2m\n\tmax_check_attempts = 1\n"))
    os.makedirs(os.path.join(d, "secrets"), mode=0o700)
    creds = _secret(os.path.join(d, "secrets"), "vspc.credentials",
                    "username=%s\npassword=%s\n" % (MANY_USER, MANY_PASSWORD))
    cache = os.path.join(d, "check-cache")
    os.makedirs(cache, mode=0o700)
    pipe = os.path.join(d, "icinga2.cmd")
    log = os.path.join(i2.paths["LogDir"], "notice.log")
    write(i2.main, icinga2_main(world, CONTRIB_ICINGA2, jobs, rule) + """
object IcingaApplication "app" { }
object CheckerComponent "checker" { }
object ExternalCommandListener "command" {
	command_path = %s
}
object FileLogger "notice-file" {
	severity = "notice"
	path = %s
}
object Host "127.0.0.1" {
	import "vspc-replication-jobs-127.0.0.1"
	check_command = "dummy"
	address = "127.0.0.1"
	enable_active_checks = false
	vars.vspc_replication_port = %d
	vars.vspc_replication_ca_file = %s
	vars.vspc_replication_credentials_file = %s
	vars.vspc_replication_cache_dir = %s
	vars.vspc_replication_timeout = %d
}
""" % (json.dumps(pipe), json.dumps(log), g.sim.port, json.dumps(world.ca),
       json.dumps(creds), json.dumps(cache), MANY_TIMEOUT))
    i2.validate()
    cc = i2.objects()[("CheckCommand", "vspc_replication")]
    assert cc["properties"]["timeout"] > MANY_TIMEOUT, cc["properties"]
    mark = g.sim.mark()
    daemon = Daemon(i2.argv(), i2.env, d, os.path.join(d, "daemon.out"))
    started = time.monotonic()
    forced = False
    checked = set()
    try:
        while time.monotonic() < started + MANY_DEADLINE and \
                daemon.running():
            forced = forced or force_icinga2_checks(pipe)
            try:
                checked = set(ICINGA2_CHANGE_RE.findall(read(log)))
            except OSError:
                pass
            if len(checked) >= len(expected):
                break
            time.sleep(0.5)
        took = time.monotonic() - started
        print("Icinga 2: %d services checked in %.1f s" % (len(checked),
                                                             took))
        assert len(checked) == len(expected), (
            "%d of %d services checked within %.0f s (engine %s)\n%s"
            % (len(checked), len(expected), MANY_DEADLINE,
               "running" if daemon.running() else "exited", tail(log)))
    finally:
        rc = daemon.stop()
    assert rc == 0, read(daemon.out_path)
    assert_one_walk(g, mark, logins=1)
    results = {}
    for obj in read_netstrings(os.path.join(i2.paths["DataDir"],
                                            "icinga2.state")):
        cr = obj.get("update", {}).get("last_check_result")
        if obj.get("type") == "Service" and cr:
            argv = cr["command"]
            assert argv[argv.index("--snapshot-max-age") + 1] == "4m", argv
            assert argv[argv.index("--timeout") + 1] == str(MANY_TIMEOUT)
            uid = argv[argv.index("--job") + 1]
            assert uid not in results, uid
            results[uid] = (ICINGA2_STATES[int(cr["state"])],
                            cr["output"].split("\n")[0])
    assert_many_states(expected, results)


ICINGA2_CHANGE_RE = re.compile(
    r"notice/Checkable: State Change: Checkable '127\.0\.0\.1!(.*)' hard "
    r"state change from ")


def force_icinga2_checks(pipe):
    """SCHEDULE_FORCED_HOST_SVC_CHECKS through the command pipe, once
    Icinga 2 reads it: True when written."""
    try:
        fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        now = int(time.time())
        os.write(fd, b"[%d] SCHEDULE_FORCED_HOST_SVC_CHECKS;127.0.0.1;%d\n"
                 % (now, now))
    finally:
        os.close(fd)
    return True


def test_nagios_1000_generated_services_cost_one_walk(world, tmp_path,
                                                       gen_sim):
    """Nagios runs the 1,000 services of --list=nagios with contrib's
    templates (--snapshot-max-age=4m), all at once at start-up on a cold
    cache: VSPC sees one walk, and every service gets the state a direct
    check gives its job."""
    require_nagios()
    g = gen_sim(MANY_FLEET)
    d = str(tmp_path)
    expected = many_expected(world, g, d)
    contrib = read(CONTRIB_NAGIOS)
    for kind in ("vm", "cdp"):
        # the options many_expected judged by
        assert re.search(
            r"^\s*name\s+vspc-replication-%s-job\n(?:.*\n)*?\s*check_command"
            r"\s+check_vspc_replication_job!--snapshot-max-age=4m %s\n"
            % (kind, re.escape(" ".join(MANY_OPTIONS[kind]))), contrib,
            re.M), kind
    cache = os.path.join(d, "check-cache")
    os.makedirs(cache, mode=0o700)
    jobs = write(os.path.join(d, "jobs.cfg"), g.listing("nagios"))
    # as in test_nagios_runs_the_generated_services, the host's address
    # carries what contrib's command takes from nowhere else; minutes as
    # the unit, so that nothing is checked twice, every check at start-up
    cfg = gen_nagios_cfg(
        d, world, jobs,
        address="127.0.0.1 -p %d --ca-file %s -t %d --cache-dir %s"
        % (g.sim.port, world.ca, MANY_TIMEOUT, cache),
        settings={"interval_length": "60", "service_check_timeout": "60",
                  "max_concurrent_checks": "0"})
    env = engine_env(d)
    nagios_verify(cfg, env, d)
    status_path = os.path.join(d, "var", "status.dat")
    log_path = os.path.join(d, "var", "nagios.log")
    mark = g.sim.mark()
    daemon = Daemon([NAGIOS, cfg], env, d, os.path.join(d, "nagios.out"))
    started = time.monotonic()
    services = {}
    try:
        while time.monotonic() < started + MANY_DEADLINE and \
                daemon.running():
            try:
                blocks = parse_status_dat(read(status_path))
            except OSError:
                blocks = []
            services = {b["service_description"]: b for kind, b in blocks
                        if kind == "servicestatus"
                        and b.get("has_been_checked") == "1"}
            if len(services) >= len(expected):
                break
            time.sleep(0.5)
        took = time.monotonic() - started
        print("Nagios: %d services checked in %.1f s" % (len(services),
                                                          took))
        assert len(services) == len(expected), (
            "%d of %d services checked within %.0f s (engine %s)\n%s"
            % (len(services), len(expected), MANY_DEADLINE,
               "running" if daemon.running() else "exited",
               tail(log_path)))
    finally:
        rc = daemon.stop()
    assert rc == 0, read(daemon.out_path)
    assert_one_walk(g, mark, logins=0)
    # what Nagios made of the templates: every service from the snapshot
    commands = re.findall(r"^\s*check_command\s+(.*)$", read(os.path.join(
        d, "var", "objects.cache")), re.M)
    assert len(commands) == len(expected) and all(
        c.startswith("check_vspc_replication_job!--snapshot-max-age=4m ")
        for c in commands), commands[:3]
    results = {}
    for s in services.values():
        uid = s["_VSPC_JOB"].partition(";")[2]
        assert uid not in results, uid
        results[uid] = (NAGIOS_STATES[s["current_state"]], s["plugin_output"])
    assert_many_states(expected, results)
