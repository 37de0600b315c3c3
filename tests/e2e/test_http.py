"""HTTP statuses and VSPC error envelopes: 404, 401/403, 429 and retries,
520 and other 5xx, 202, redirects."""

import re

import pytest

import vspc_sim as S
from e2e_util import DEADLINE_SLACK, assert_measured, assert_state, run_plugin


def has_status(text, code):
    return re.search(r"(?<![0-9])%d(?![0-9])" % code, text) is not None


def test_unknown_job_is_critical(vspc):
    # the kind is not known: the VM replication job, the CDP policy and the
    # BackupServerJob are asked for (tests/e2e/test_cdp.py); with --kind=vm
    # one request
    uid = "deadbeef-0000-4000-8000-000000000404"
    run = run_plugin(vspc.args(uid))
    assert_state(run, "CRITICAL")
    assert "not found" in run.summary.lower()
    assert uid in run.summary
    assert S.MSG_JOB_MISSING in run.summary
    assert len(vspc.requests()) == 3
    vspc.restart_records()
    run = run_plugin(vspc.args(uid, "--kind=vm"))
    assert_state(run, "CRITICAL")
    assert uid in run.summary and S.MSG_JOB_MISSING in run.summary, run
    assert len(vspc.requests()) == 1


def test_404_message_is_taken_from_vspc(vspc):
    uid = vspc.add({"error": {"status": 404, "message": "No such object.",
                              "type": "logical", "code": 1404}})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "CRITICAL")
    assert "not found" in run.summary.lower()
    assert uid in run.summary
    assert "No such object." in run.summary


def test_404_without_envelope(vspc):
    uid = vspc.add({"status": 404, "content_type": "text/html",
                    "body": "<html><body>Not here</body></html>"})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "CRITICAL")
    assert uid in run.summary


def test_server_text_cannot_break_the_status_line(vspc):
    msg = "bad|evil=1;;;; \r\nVSPC REPLICATION OK - injected\nthird"
    uid = vspc.add({"error": {"status": 404, "message": msg,
                              "type": "logical", "code": 1}})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "CRITICAL")
    assert "evil" not in run.perf, run
    assert sum(1 for line in run.lines
               if line.startswith("VSPC REPLICATION")) == 1, run
    assert not any(line.startswith("third") for line in run.lines), run


@pytest.mark.parametrize("status,message", [
    (401, "Authorization has been denied for this request."),
    (403, "Access is denied: the user has no permission for this job."),
], ids=["401", "403"])
def test_auth_errors_are_unknown(vspc, status, message):
    uid = vspc.add({"error": {"status": status, "message": message,
                              "type": "security", "code": status}})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, status), run
    assert message in run.summary
    assert len(vspc.requests()) == 1


def test_400_is_unknown(vspc):
    uid = vspc.add({"error": {"status": 400, "message": "Invalid job UID.",
                              "type": "logical", "code": 400,
                              "parameterName": "jobUid"}})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, 400)
    assert "Invalid job UID." in run.summary


# --- 429 ---------------------------------------------------------------------

def _429(retry_after=1, message="Request rate limit exceeded."):
    err = {"status": 429, "message": message, "type": "retryableLogical",
           "code": 429}
    if retry_after is not None:
        err["retryAfter"] = retry_after
    return {"error": err}


def test_429_then_success_is_retried(vspc):
    uid = vspc.job(steps_before=[_429(1)], protected=4)
    run = run_plugin(vspc.args(uid, "-t", "10"))
    assert_state(run, "OK")
    assert_measured(run, 4)
    reqs = vspc.requests()
    assert [r["status"] for r in reqs] == [429, 200], run
    # retryAfter is honoured: a lower bound, which noise cannot break
    assert reqs[1]["t"] - reqs[0]["t"] >= 0.9, reqs
    # one TLS handshake per run, also across a retry
    vspc.settle()
    assert len(vspc.handshakes()) == 1, vspc.connections()
    assert len(vspc.connections()) == 1, vspc.connections()


def test_429_twice_then_success(vspc):
    uid = vspc.job(steps_before=[_429(1), _429(1)], protected=6)
    run = run_plugin(vspc.args(uid, "-t", "10"))
    assert_state(run, "OK")
    assert_measured(run, 6)
    assert [r["status"] for r in vspc.requests()] == [429, 429, 200]


def test_429_with_retry_after_beyond_deadline(vspc):
    uid = vspc.job(steps_before=[_429(60)], protected=4)
    run = run_plugin(vspc.args(uid, "-t", "3"))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, 429), run
    assert run.elapsed <= 3 + DEADLINE_SLACK, run
    assert len(vspc.requests()) == 1


def test_429_forever_ends_by_the_deadline(vspc):
    uid = vspc.add(_429(1))
    run = run_plugin(vspc.args(uid, "-t", "3"))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, 429), run
    assert run.elapsed <= 3 + DEADLINE_SLACK, run
    assert 1 <= len(vspc.requests()) <= 4


def test_429_without_retry_after(vspc):
    uid = vspc.job(steps_before=[_429(None)], protected=4)
    run = run_plugin(vspc.args(uid, "-t", "3"))
    assert run.state in ("UNKNOWN", "OK"), run
    if run.state == "UNKNOWN":
        assert has_status(run.summary, 429), run
    assert run.elapsed <= 3 + DEADLINE_SLACK, run


def test_429_timeout_state_does_not_apply(vspc):
    # A 429 that cannot be retried in time is the server's answer, not a
    # timeout: UNKNOWN even with a critical timeout state.
    uid = vspc.job(steps_before=[_429(60)], protected=4)
    run = run_plugin(vspc.args(uid, "-t", "3:critical"))
    assert has_status(run.summary, 429), run
    assert_state(run, "UNKNOWN")


# --- 5xx, 202, other ---------------------------------------------------------

def test_520_is_unknown(vspc):
    run = run_plugin(vspc.args(S.SERVER_ERROR_UID))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, 520), run
    assert S.MSG_SERVER_ERROR in run.summary
    assert len(vspc.requests()) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_other_5xx_html_is_unknown(vspc, status):
    uid = vspc.add({"status": status, "content_type": "text/html",
                    "body": "<html><head><title>%d</title></head><body>"
                            "<h1>Proxy error</h1></body></html>" % status})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, status), run
    assert "<html" not in run.stdout.lower()


def test_520_with_html_body(vspc):
    uid = vspc.add({"status": 520, "content_type": "text/html",
                    "body": "<html>oops</html>"})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, 520), run


def test_202_is_unknown_and_not_followed(vspc):
    uid = vspc.add({"status": 202, "body": b"", "content_type": None})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, 202), run
    vspc.assert_one_exchange(run, requests=1)


def test_204_is_unknown(vspc):
    uid = vspc.add({"status": 204, "body": b"", "content_type": None})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, 204), run


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_never_followed(vspc, raw_close, status):
    target = "https://localhost:%d%s%s" % (raw_close.port, S.API_PREFIX,
                                           S.SEED_UID)
    uid = vspc.add({"status": status, "headers": {"Location": target},
                    "content_type": "text/html",
                    "body": "<a href='%s'>moved</a>" % target})
    since = raw_close.mark()
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, status), run
    vspc.assert_one_exchange(run, requests=1)
    raw_close.settle()
    assert raw_close.connections(since) == [], \
        "the plugin followed the redirect: %r" % run


def test_redirect_to_same_server_is_not_followed(vspc):
    target = "https://127.0.0.1:%d%s%s" % (vspc.port, S.API_PREFIX,
                                           S.SEED_UID)
    uid = vspc.add({"status": 302, "headers": {"Location": target},
                    "body": ""})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, 302), run
    vspc.assert_one_exchange(run, requests=1)
