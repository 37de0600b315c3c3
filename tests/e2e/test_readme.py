"""The README's quick start is two commands, the ones CI runs as written
(.ci/run step 1 in a scratch clone), and they work with sudo and in a root
shell without it; the packages they install are the ones CI installs.  The
examples under "Output and perfdata" are what the plugin prints today."""

import difflib
import os
import re
import subprocess
import sys

from e2e_util import PLUGIN, TESTS_DIR, WRAPPER, clean_env

import pytest

TOP = os.path.dirname(TESTS_DIR)


def read(name):
    with open(os.path.join(TOP, name), encoding="utf-8") as f:
        return f.read()


def quick_start_commands():
    """The indented lines of the "Quick start" section, up to the next
    heading."""
    text = read("README")
    start = text.index("\nQuick start")
    section = text[start + 1:]
    nxt = re.search(r"\n[^\n]+\n-{4,}\n", section[section.index("\n-") + 1:])
    if nxt:
        section = section[:section.index("\n-") + 1 + nxt.start()]
    return [line[4:] for line in section.split("\n")
            if line.startswith("    ") and not line.startswith("     ")]


def apt_packages(command):
    m = re.search(r"apt-get install -y((?: [a-z0-9][a-z0-9.+-]*)+)", command)
    assert m, command
    return set(m.group(1).split())


def test_quick_start_is_two_commands_that_work_with_and_without_sudo():
    cmds = quick_start_commands()
    assert len(cmds) == 2, cmds
    first, second = cmds
    # $(command -v sudo) is sudo where there is one and nothing in a root
    # shell without it
    assert first.startswith("$(command -v sudo) apt-get update && "
                            "$(command -v sudo) apt-get install -y "), first
    assert "sudo " not in first.replace("$(command -v sudo) ", ""), first
    assert first.endswith("&& autoreconf -fi && ./configure && make && "
                          "make demo"), first
    assert second == "make check", second


def test_ci_runs_the_readme_commands_as_written():
    ci = read(".ci/run")
    m = re.search(r"readme_commands\(\) \{\n(.*?)\n\}", ci, re.S)
    assert m, "no readme_commands in .ci/run"
    got = subprocess.run(["bash", "-c", m.group(1)], cwd=TOP,
                         stdout=subprocess.PIPE, universal_newlines=True,
                         check=True).stdout.split("\n")
    assert got[:2] == quick_start_commands(), got
    assert 'step "README quick start, as written" quick_start' in ci
    # everything the quick start installs, CI installs too (CI's fresh
    # machine has nothing else)
    m = re.search(r"apt-get install -y -q --no-install-recommends \\\n(.*?)"
                  r"\|\| exit 1", ci, re.S)
    assert m, "no apt-get install in .ci/run"
    ci_packages = set(m.group(1).replace("\\\n", " ").split())
    missing = apt_packages(quick_start_commands()[0]) - ci_packages
    assert not missing, missing


def test_rpm_spec_follows_the_release():
    """contrib/rpm's spec builds the release tarball of this version, with
    every build dependency configure asks for."""
    spec = read("contrib/rpm/check_vspc_replication.spec")
    ac = read("configure.ac")
    version = re.search(r"AC_INIT\(\[check_vspc_replication\], \[([^]]+)\]",
                        ac).group(1)
    assert re.search(r"^Version:\s+%s$" % re.escape(version), spec, re.M), \
        version
    assert "Source0:        check_vspc_replication-%{version}.tar.gz" in spec
    for pc, devel in (("libcurl", "libcurl-devel"), ("yajl", "yajl-devel"),
                      ("sqlite3", "sqlite-devel"), ("nettle", "nettle-devel")):
        assert "[%s" % pc in ac, pc
        assert re.search(r"^BuildRequires:\s+%s\b" % devel, spec, re.M), devel


EXAMPLES_BEGIN = "<!-- examples: make readme-examples -->\n"
EXAMPLES_END = "<!-- end of examples -->\n"

# What changes from run to run: how long the requests took, and ages in
# seconds, which the simulator counts from the second it answers in and the
# plugin from its own clock a moment later.  Freezing the simulator's clock
# would not help: the plugin's clock still moves on.
VARIABLE = ((re.compile(r"\btime=[0-9.]+s;"), "time=<seconds>s;"),
            (re.compile(r"\b(last_run_age'?)=[0-9]+s;"), r"\1=<s>s;"),
            (re.compile(r"\b[0-9]+s ago\b"), "<s>s ago"))


def readme_examples():
    """The README's block of examples, between its markers."""
    text = read("README")
    assert text.count(EXAMPLES_BEGIN) == 1, EXAMPLES_BEGIN
    assert text.count(EXAMPLES_END) == 1, EXAMPLES_END
    start = text.index(EXAMPLES_BEGIN) + len(EXAMPLES_BEGIN)
    return text[start:text.index(EXAMPLES_END, start)]


def normalised(text):
    for pattern, repl in VARIABLE:
        text = pattern.sub(repl, text)
    return text


def test_make_readme_examples_writes_between_the_markers_read_here():
    am = read("Makefile.am")
    assert "README_EXAMPLES_BEGIN = %s" % EXAMPLES_BEGIN in am
    assert "README_EXAMPLES_END = %s" % EXAMPLES_END in am


@pytest.mark.skipif(bool(WRAPPER), reason="the demo runs the plugin bare")
def test_readme_examples_are_what_the_plugin_prints(tmp_path):
    env = clean_env({"PLUGIN": PLUGIN, "TMPDIR": str(tmp_path),
                     "PYTHON3": os.environ.get("PYTHON3", sys.executable),
                     "PYTHONDONTWRITEBYTECODE": "1"})
    res = subprocess.run(["sh", os.path.join(TESTS_DIR, "demo.sh"),
                          "--readme"],
                         env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, timeout=120, check=False)
    assert res.returncode == 0 and res.stderr == "", res.stdout + res.stderr
    got = normalised(res.stdout)
    for rc in range(4):
        assert "\n    (exit %d)\n" % rc in got, got
    want = normalised(readme_examples())
    assert want == got, "".join(difflib.unified_diff(
        want.splitlines(True), got.splitlines(True), "README",
        "tests/demo.sh --readme (make readme-examples updates the README)"))
