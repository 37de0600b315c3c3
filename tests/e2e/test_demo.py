"""make demo must keep working: run tests/demo.sh as make would."""

import os
import re
import shlex
import subprocess
import sys

from e2e_util import PLUGIN, TESTS_DIR, WRAPPER, clean_env

import pytest


@pytest.mark.skipif(bool(WRAPPER), reason="the demo runs the plugin bare")
def test_demo_script(tmp_path):
    env = clean_env({"PLUGIN": PLUGIN, "TMPDIR": str(tmp_path),
                     "PYTHON3": os.environ.get("PYTHON3", sys.executable),
                     "PYTHONDONTWRITEBYTECODE": "1"})
    res = subprocess.run(["sh", os.path.join(TESTS_DIR, "demo.sh")],
                         env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=120, check=False)
    out = res.stdout.decode(errors="replace")
    assert res.returncode == 0, out + res.stderr.decode(errors="replace")
    assert "all 23 runs ended as expected" in out
    # every command line shown pastes into a shell as the words it ran with
    lines = [l[2:] for l in out.split("\n") if l.startswith("$ ")]
    assert len(lines) == 23, lines
    words = [shlex.split(l) for l in lines]
    assert all(w[0] == "check_vspc_replication" for w in words), lines
    assert ["--name", "Replica seed*"] == [w for w in words if
                                           "Replica seed*" in w][0][-6:-4], \
        lines
    assert any(w[-2:] == ["--name", "Replica 0000*"] for w in words), lines
    # per-job services from the snapshot the --all run made
    assert re.search(r"\nanswered from the snapshot cache/snapshot-[0-9a-f]{32}"
                     r"\.db \(made by an earlier run", out), out
    # the CDP policy missing its SLA
    assert re.search(r"\nVSPC REPLICATION WARNING - 'CDP file server \(no SLA "
                     r"yet\)' \([0-9a-f-]+\) .*VSPC reports no SLA for the last "
                     r"period", out), out
    for state in ("OK", "WARNING", "CRITICAL", "UNKNOWN"):
        assert "\nVSPC REPLICATION %s - " % state in out, state
    assert "Authorization: Bearer ****" in out
    assert re.search(r"\nVSPC REPLICATION CRITICAL - \d+ jobs: \d+ critical, "
                     r"\d+ warning, \d+ unknown, \d+ ok", out), out
    assert "Replica 00001 Exchange" in out  # the listing
    # the demo cleans up after itself
    assert os.listdir(str(tmp_path)) == []
