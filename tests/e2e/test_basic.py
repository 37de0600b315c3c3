"""The good path: what the plugin sends, what it prints, where the token
comes from."""

import re
import uuid

import pytest

import vspc_sim as S
from e2e_util import (API_KEY, TOKEN, WRONG_TOKEN, assert_measured,
                      assert_state, names_any, run_plugin)
from conftest import write_secret


def header_values(req, name):
    return [v for k, v in req["headers"] if k.lower() == name.lower()]


def test_seed_job_ok(vspc):
    run = run_plugin(vspc.args())
    assert_state(run, "OK")
    assert S.SEED_UID in run.summary
    assert re.search(r"(?<![0-9.])5(?![0-9.])", run.summary), run
    assert_measured(run, 5)
    vspc.assert_one_exchange(run)


def test_request_line_and_headers(vspc):
    run = run_plugin(vspc.args())
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    req = vspc.requests()[0]
    assert req["method"] == "GET"
    assert req["path"] == S.API_PREFIX + S.SEED_UID
    assert req["query"] == ""
    assert req["version"] == "HTTP/1.1"
    assert header_values(req, "Authorization") == ["Bearer " + TOKEN]
    assert header_values(req, "Accept") == ["application/json"]
    assert header_values(req, "X-Client-Version") == ["3.6"]
    assert header_values(req, "X-Request-id") == []
    assert header_values(req, "Host") == ["127.0.0.1:%d" % vspc.port]
    assert header_values(req, "Content-Length") in ([], ["0"])
    assert header_values(req, "Transfer-Encoding") == []


@pytest.mark.parametrize("version", ["3.5.1", "3.6.2"])
def test_api_version_header(vspc, version):
    run = run_plugin(vspc.args(S.SEED_UID, "--api-version=" + version))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    reqs = vspc.requests()
    assert len(reqs) == 1
    assert header_values(reqs[0], "X-Client-Version") == [version]


def test_cloud_job_ok(vspc):
    run = run_plugin(vspc.args(
        S.CLOUD_UID, "--cloud=yes", "--target-host=" + S.ZERO_UUID,
        "--cloud-host=" + S.CLOUD_HOST, "--wan=no", "--source-wan=none",
        "--target-wan=none"))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert S.CLOUD_UID in run.summary
    assert_measured(run, 1)


def test_wan_job_ok(vspc):
    run = run_plugin(vspc.args(
        S.WAN_UID, "--wan=yes", "--cloud=no", "--source-wan=" +
        S.WAN_SOURCE_WAN, "--target-wan=" + S.WAN_TARGET_WAN,
        "--cloud-host=none", "--target-host=" + S.WAN_TARGET_HOST))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert_measured(run, 12)


def test_seed_job_all_expectations_met(vspc):
    run = run_plugin(vspc.args(
        S.SEED_UID, "--wan=no", "--cloud=no",
        "--source-wan=" + S.SEED_SOURCE_WAN,
        "--target-wan=" + S.SEED_TARGET_WAN, "--cloud-host=none",
        "--target-host=" + S.SEED_TARGET_HOST, "-w", "3:", "-c", "1:"))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert_measured(run, 5, "3:", "1:")


def test_zero_vms_is_a_count_like_any_other(vspc):
    run = run_plugin(vspc.args(S.EMPTY_JOB_UID))
    assert_state(run, "OK")
    assert_measured(run, 0)
    run = run_plugin(vspc.args(S.EMPTY_JOB_UID, "-c", "1:"))
    assert_state(run, "CRITICAL")
    assert_measured(run, 0, "", "1:")


def test_uid_with_non_rfc4122_version_nibble(vspc):
    # The specification's own example UID has version nibble 6: VSPC hands
    # such UIDs out, so they must be accepted as job UIDs.
    run = run_plugin(vspc.args(S.SPEC_EXAMPLE_UID, "--cloud=yes"))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert_measured(run, 1)


def test_unknown_keys_and_nested_decoys_are_ignored(vspc):
    uid = str(uuid.uuid4())
    job = S.make_job(uid, protected=7, through_wan=True)
    # Decoys named like the checked fields, nested and placed before the
    # real ones: only data.<field> counts.
    decoy = {"protectedVmCount": 999, "throughWanAccelerators": False,
             "data": {"protectedVmCount": 998}}
    data = {"_embedded": {"backupServerJob": decoy}, "originalUid": "x",
            "future": [decoy, {"protectedVmCount": "nope"}], "n": 1.5e300,
            "newObject": {"isCloudJob": "maybe"}, "emptyList": [],
            "emptyObject": {}}
    data.update({k: v for k, v in job.items() if k != "_embedded"})
    vspc.set(uid, {"data": data, "shuffle": False,
                   "envelope_extra": {"meta": {"pagingInfo": {
                       "total": 1, "count": 1, "offset": 0}},
                       "errors": None, "protectedVmCount": 997}})
    run = run_plugin(vspc.args(uid, "--wan=yes", "--cloud=no"))
    assert_state(run, "OK")
    assert_measured(run, 7)


def test_key_order_does_not_matter(vspc):
    uid = vspc.job(protected=3)
    for _ in range(3):  # the simulator shuffles differently each time
        run = run_plugin(vspc.args(uid, "--wan=no", "--cloud=no"))
        assert_state(run, "OK")
        assert_measured(run, 3)


def test_legacy_client_version(vspc):
    # Under X-Client-Version 3.5 instanceUid was the VSPC UID and the Veeam
    # B&R UID came as originalUid (the simulator does that too): the plugin
    # recognises the job it asked for by either.
    run = run_plugin(vspc.args(S.SEED_UID, "--api-version=3.5"))
    assert header_values(vspc.requests()[0], "X-Client-Version") == ["3.5"]
    assert_state(run, "OK")
    assert S.SEED_UID in run.summary


def test_answer_for_another_job_is_not_accepted(vspc):
    other = "01234567-89ab-4cde-8f01-23456789abcd"
    uid = vspc.add({"data": S.make_job(other, protected=5)})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert uid in run.summary and other in run.summary


# --- token sources -----------------------------------------------------------

@pytest.mark.parametrize("content", [
    TOKEN, TOKEN + "\n", TOKEN + "\r\n", "  " + TOKEN + "  \n",
    TOKEN + "\t\n", TOKEN + "\nsecond line\n", TOKEN + "\r\nx\r\n",
], ids=["bare", "lf", "crlf", "spaces", "tab", "two-lines", "crlf-two"])
def test_token_file_is_trimmed(vspc, secrets_dir, content):
    path = write_secret(secrets_dir, "tok-trim", content)
    run = run_plugin(vspc.args(S.SEED_UID, token=False) + ["-T", path])
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert header_values(vspc.requests()[0], "Authorization") == [
        "Bearer " + TOKEN]


def test_token_option(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, token=False) + ["--token", TOKEN])
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert header_values(vspc.requests()[0], "Authorization") == [
        "Bearer " + TOKEN]


def test_token_env(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, token=False),
                     env={"VSPC_TOKEN": TOKEN})
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert header_values(vspc.requests()[0], "Authorization") == [
        "Bearer " + TOKEN]


def test_api_key_is_sent_like_a_token(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, token=False) + ["--token",
                                                           API_KEY])
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert header_values(vspc.requests()[0], "Authorization") == [
        "Bearer " + API_KEY]


def test_token_file_beats_option_and_env(vspc):
    run = run_plugin(vspc.args(S.SEED_UID) + ["--token", WRONG_TOKEN],
                     env={"VSPC_TOKEN": WRONG_TOKEN})
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert header_values(vspc.requests()[0], "Authorization") == [
        "Bearer " + TOKEN]


def test_token_option_beats_env(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, token=False) + ["--token", TOKEN],
                     env={"VSPC_TOKEN": WRONG_TOKEN})
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert header_values(vspc.requests()[0], "Authorization") == [
        "Bearer " + TOKEN]


def test_token_file_order_independent(vspc):
    args = ["--token", WRONG_TOKEN] + vspc.args(S.SEED_UID)
    run = run_plugin(args)
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert header_values(vspc.requests()[0], "Authorization") == [
        "Bearer " + TOKEN]


def test_no_token_anywhere(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, token=False),
                     env={"VSPC_TOKEN": None})
    assert_state(run, "UNKNOWN")
    assert "token" in run.summary.lower()
    vspc.assert_no_traffic(run)


def test_empty_env_token_is_no_token(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, token=False),
                     env={"VSPC_TOKEN": ""})
    assert_state(run, "UNKNOWN")
    assert "token" in run.summary.lower()
    vspc.assert_no_traffic(run)


@pytest.mark.parametrize("content", ["", "\n", "   \r\n"],
                         ids=["empty", "newline", "blank"])
def test_empty_token_file(vspc, secrets_dir, content):
    path = write_secret(secrets_dir, "tok-empty", content)
    run = run_plugin(vspc.args(S.SEED_UID, token=False) + ["-T", path])
    assert_state(run, "UNKNOWN")
    assert "token" in run.summary.lower()
    vspc.assert_no_traffic(run)


def test_unreadable_token_file(vspc, secrets_dir):
    missing = str(secrets_dir) + "/does-not-exist"
    run = run_plugin(vspc.args(S.SEED_UID, token=False) + ["-T", missing],
                     env={"VSPC_TOKEN": TOKEN})
    assert_state(run, "UNKNOWN")
    assert names_any(run.summary, ["token", missing, "-T"]), run
    vspc.assert_no_traffic(run)


def test_token_file_is_a_directory(vspc, secrets_dir):
    run = run_plugin(vspc.args(S.SEED_UID, token=False) +
                     ["-T", str(secrets_dir)])
    assert_state(run, "UNKNOWN")
    vspc.assert_no_traffic(run)


def test_wrong_token_is_401(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, token=False) +
                     ["--token", WRONG_TOKEN])
    assert_state(run, "UNKNOWN")
    assert re.search(r"\b401\b", run.summary), run
    assert S.MSG_UNAUTHORIZED in run.summary
    assert len(vspc.requests()) == 1


@pytest.mark.parametrize("bad", ["tok\r\nX-Injected: 1", "tok\nX-Injected: 1"],
                         ids=["crlf", "lf"])
def test_no_header_injection_through_token(vspc, bad):
    run = run_plugin(vspc.args(S.SEED_UID, token=False) + ["--token", bad])
    assert_state(run, "UNKNOWN")
    vspc.settle()
    for req in vspc.requests():
        assert header_values(req, "X-Injected") == [], run


def test_no_header_injection_through_api_version(vspc):
    run = run_plugin(vspc.args(S.SEED_UID,
                               "--api-version=3.6\r\nX-Injected: 1"))
    vspc.settle()
    for req in vspc.requests():
        assert header_values(req, "X-Injected") == [], run
    if not vspc.requests():
        assert_state(run, "UNKNOWN")
        assert "api-version" in run.summary.lower()
