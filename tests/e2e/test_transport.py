"""Below the JSON: TLS trust, connection failures, deadlines, oversized and
broken HTTP framing, IPv6."""

import re

import pytest

import vspc_sim as S
from e2e_util import (DEADLINE_SLACK, WRAPPER, assert_measured, assert_state,
                      run_plugin)

TLS_WORDS = r"certificate|ssl|tls|peer|verif|issuer|handshake|trust|expired"


def names_tls(text):
    return re.search(TLS_WORDS, text, re.I) is not None


def names_timeout(text):
    return re.search(r"time(d)?[ -]?out|deadline", text, re.I) is not None


# --- TLS ---------------------------------------------------------------------

def test_untrusted_ca_without_ca_file(vspc):
    run = run_plugin(vspc.args(ca=False))
    assert_state(run, "UNKNOWN")
    assert names_tls(run.summary), run
    vspc.settle()
    # the token must not go to a server that could not be verified
    assert vspc.requests() == [], run


def test_insecure_accepts_untrusted_ca(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "--insecure", ca=False))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert_measured(run, 5)


def test_wrong_host_name(view_of, sim_wrong_name):
    v = view_of(sim_wrong_name)
    run = run_plugin(v.args())
    assert_state(run, "UNKNOWN")
    assert names_tls(run.summary) or "wrong.example" in run.summary or \
        "127.0.0.1" in run.summary, run
    v.settle()
    assert v.requests() == [], run
    assert len(v.connections()) == 1


def test_wrong_host_name_with_insecure(view_of, sim_wrong_name):
    v = view_of(sim_wrong_name)
    run = run_plugin(v.args(S.SEED_UID, "--insecure"))
    assert_state(run, "OK")
    v.assert_one_exchange(run)


def test_self_signed_with_ca_file(view_of, sim_self_signed):
    v = view_of(sim_self_signed)
    run = run_plugin(v.args())
    assert_state(run, "UNKNOWN")
    assert names_tls(run.summary), run
    v.settle()
    assert v.requests() == [], run


def test_self_signed_with_insecure(view_of, sim_self_signed):
    v = view_of(sim_self_signed)
    run = run_plugin(v.args(S.SEED_UID, "--insecure", ca=False))
    assert_state(run, "OK")
    v.assert_one_exchange(run)
    assert_measured(run, 5)


def test_expired_certificate(view_of, sim_expired):
    v = view_of(sim_expired)
    run = run_plugin(v.args())
    assert_state(run, "UNKNOWN")
    assert names_tls(run.summary), run
    v.settle()
    assert v.requests() == [], run


def test_ca_file_of_another_ca(vspc, certs):
    # the self-signed certificate as the only trust anchor
    run = run_plugin(vspc.args(S.SEED_UID, "--ca-file", certs["self_cert"],
                               ca=False))
    assert_state(run, "UNKNOWN")
    vspc.settle()
    assert vspc.requests() == [], run


def test_missing_ca_file(vspc, tmp_path):
    run = run_plugin(vspc.args(S.SEED_UID, "--ca-file",
                               str(tmp_path / "nope.pem"), ca=False))
    assert_state(run, "UNKNOWN")
    vspc.settle()
    assert vspc.requests() == [], run


def test_ca_file_that_is_no_certificate(vspc, tmp_path):
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    run = run_plugin(vspc.args(S.SEED_UID, "--ca-file", str(bogus),
                               ca=False))
    assert_state(run, "UNKNOWN")
    vspc.settle()
    assert vspc.requests() == [], run


def test_plain_http_server(raw_plain):
    run = run_plugin(["-H", "127.0.0.1", "-p", str(raw_plain.port), "-j",
                      S.SEED_UID, "--token", "x" * 8, "-t", "5"])
    assert_state(run, "UNKNOWN")
    assert run.elapsed <= 5 + DEADLINE_SLACK, run


# --- connections -------------------------------------------------------------

def test_connection_refused(refused_port, token_file, certs):
    run = run_plugin(["-H", "127.0.0.1", "-p", str(refused_port), "-j",
                      S.SEED_UID, "-T", token_file, "--ca-file", certs["ca"]])
    assert_state(run, "UNKNOWN")
    assert re.search(r"connect|refused", run.summary, re.I), run


def test_reset_before_tls(raw_reset, token_file, certs):
    run = run_plugin(["-H", "127.0.0.1", "-p", str(raw_reset.port), "-j",
                      S.SEED_UID, "-T", token_file, "--ca-file", certs["ca"],
                      "-t", "5"])
    assert_state(run, "UNKNOWN")


def test_close_before_tls(raw_close, token_file, certs):
    run = run_plugin(["-H", "127.0.0.1", "-p", str(raw_close.port), "-j",
                      S.SEED_UID, "-T", token_file, "--ca-file", certs["ca"],
                      "-t", "5"])
    assert_state(run, "UNKNOWN")


@pytest.mark.parametrize("action", ["reset", "close"])
def test_connection_dropped_after_request(vspc, action):
    uid = vspc.add({"action": action})
    run = run_plugin(vspc.args(uid, "-t", "5"))
    assert_state(run, "UNKNOWN")
    assert run.elapsed <= 5 + DEADLINE_SLACK, run


# --- deadlines ---------------------------------------------------------------

@pytest.mark.parametrize("spec,state", [
    ("1", "UNKNOWN"),
    ("1:unknown", "UNKNOWN"),
    ("1:critical", "CRITICAL"),
    ("1:warning", "WARNING"),
    ("1:ok", "OK"),
    ("1:2", "CRITICAL"),
    ("1:1", "WARNING"),
    ("1:0", "OK"),
    ("1:3", "UNKNOWN"),
])
def test_timeout_state(vspc, spec, state):
    uid = vspc.add({"action": "hang"})
    run = run_plugin(vspc.args(uid, "-t", spec))
    assert_state(run, state)
    assert names_timeout(run.summary), run
    assert run.elapsed <= 1 + DEADLINE_SLACK, run
    assert "protected_vms" not in run.perf


def test_timeout_long_option(vspc):
    uid = vspc.add({"action": "hang"})
    run = run_plugin(vspc.args(uid, "--timeout=2:critical"))
    assert_state(run, "CRITICAL")
    assert run.elapsed <= 2 + DEADLINE_SLACK, run


def test_server_that_never_answers(vspc):
    uid = vspc.add({"action": "hang"})
    run = run_plugin(vspc.args(uid, "-t", "2"))
    assert_state(run, "UNKNOWN")
    assert names_timeout(run.summary), run
    assert run.elapsed <= 2 + DEADLINE_SLACK, run


def test_tcp_server_that_never_starts_tls(raw_silent, token_file, certs):
    run = run_plugin(["-H", "127.0.0.1", "-p", str(raw_silent.port), "-j",
                      S.SEED_UID, "-T", token_file, "--ca-file", certs["ca"],
                      "-t", "2:critical"])
    assert_state(run, "CRITICAL")
    assert names_timeout(run.summary), run
    assert run.elapsed <= 2 + DEADLINE_SLACK, run


def test_the_deadline_counts_from_the_start_of_the_process(vspc):
    """A plugin that took long to get going (a busy host: 300 checks
    starting at once took a second or two to reach main(); here a shell
    that sleeps before it execs the plugin) still ends by its -t deadline
    counted from the moment it was started, as the engine counts it; half
    the deadline at most is taken for gone."""
    uid = vspc.add({"action": "hang"})
    args = vspc.args(uid, "-t", "4")
    run = run_plugin(args, prefix=["/bin/sh", "-c",
                                   'sleep 1.8 && exec "$0" "$@"'])
    assert_state(run, "UNKNOWN")
    assert "timed out after 4 s" in run.summary, run
    assert run.elapsed <= 4 + DEADLINE_SLACK, run
    # a wrapper that waited longer than the whole deadline: half of it is
    # left, and the request is still made
    vspc.restart_records()
    run = run_plugin(args, prefix=["/bin/sh", "-c",
                                   'sleep 4.5 && exec "$0" "$@"'])
    assert "timed out after 4 s" in run.summary, run
    vspc.settle()
    assert [r["uid"] for r in vspc.requests()] == [uid], run


@pytest.mark.parametrize("action", ["drip_headers", "drip_body"])
def test_drip_feed_ends_at_the_deadline(vspc, action):
    uid = vspc.add({"action": action})
    run = run_plugin(vspc.args(uid, "-t", "2"))
    assert_state(run, "UNKNOWN")
    assert run.elapsed <= 2 + DEADLINE_SLACK, run


def test_slow_but_in_time(vspc):
    uid = vspc.job(step_extra={"delay": 1.0})
    run = run_plugin(vspc.args(uid, "-t", "10"))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)


# --- framing and size --------------------------------------------------------

@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
def test_body_over_8_mib(vspc, framing):
    # 100 MiB: a plugin that kept it all could not stay under the bound;
    # one that stops at 8 MiB never makes the simulator send the rest.
    uid = vspc.add({"big": 100 * S.MIB, "framing": framing})
    run = run_plugin(vspc.args(uid, "-t", "20"), measure_rss=True)
    assert_state(run, "UNKNOWN")
    assert "protected_vms" not in run.perf
    assert run.maxrss_kib is not None
    if not WRAPPER:  # a wrapper (valgrind) has its own memory footprint
        assert run.maxrss_kib < 64 * 1024, \
            "peak RSS %d KiB: the body was not capped: %r" % (
                run.maxrss_kib, run)


def test_rss_measurement_is_the_plugins_own(vspc):
    # the measurement must not include the (large) test process
    run = run_plugin(vspc.args(), measure_rss=True)
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    if not WRAPPER:
        assert 0 < run.maxrss_kib < 48 * 1024, run.maxrss_kib


def test_body_under_8_mib_is_read(vspc):
    uid = vspc.add({"big": 6 * S.MIB, "framing": "chunked"})
    run = run_plugin(vspc.args(uid, "-t", "20"))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert_measured(run, 5)


def test_content_length_longer_than_body(vspc):
    uid = vspc.job(step_extra={"extra_length": 1000})
    run = run_plugin(vspc.args(uid, "-t", "5"))
    assert_state(run, "UNKNOWN")
    assert run.elapsed <= 5 + DEADLINE_SLACK, run


def test_chunked_body_is_fine(vspc):
    uid = vspc.job(protected=8, step_extra={"framing": "chunked"})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert_measured(run, 8)


def test_http10_close_delimited_body_is_fine(vspc):
    uid = vspc.job(protected=9, step_extra={"http_version": "HTTP/1.0",
                                            "framing": "close"})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert_measured(run, 9)


# --- IPv6 and address families -----------------------------------------------

def test_ipv6(view_of, sim6):
    # the job status too: two requests, one connection, over IPv6
    v = view_of(sim6)
    run = run_plugin(["-H", "::1", "-6", "-p", str(sim6.port), "-j",
                      S.SEED_UID, "-T", v.token_file, "--ca-file",
                      v.certs["ca"]])
    assert_state(run, "OK")
    assert_measured(run, 5)
    v.assert_one_exchange(run, requests=2)
    for req in v.requests():
        host = [val for k, val in req["headers"] if k.lower() == "host"]
        assert host == ["[::1]:%d" % sim6.port], host


def test_ipv6_literal_without_flag(view_of, sim6):
    v = view_of(sim6)
    run = run_plugin(["-H", "::1", "-p", str(sim6.port), "-j", S.SEED_UID,
                      "-T", v.token_file, "--ca-file", v.certs["ca"],
                      "--no-job-status"])
    assert_state(run, "OK")
    v.assert_one_exchange(run)


def test_ipv6_literal_with_ipv4_flag(view_of, sim6):
    v = view_of(sim6)
    run = run_plugin(["-H", "::1", "-4", "-p", str(sim6.port), "-j",
                      S.SEED_UID, "-T", v.token_file, "--ca-file",
                      v.certs["ca"], "-t", "5"])
    assert_state(run, "UNKNOWN")
    v.assert_no_traffic(run)


def test_ipv4_literal_with_ipv6_flag(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "-6", "-t", "5"))
    assert_state(run, "UNKNOWN")
    vspc.assert_no_traffic(run)


def test_localhost_with_ipv4_flag(vspc):
    with open("/etc/hosts", encoding="utf-8", errors="replace") as f:
        if not re.search(r"^\s*127\.0\.0\.1\s.*\blocalhost\b", f.read(),
                         re.M):
            pytest.skip("/etc/hosts does not map localhost to 127.0.0.1")
    args = vspc.args(S.SEED_UID, "-4")
    args[1] = "localhost"
    run = run_plugin(args)
    assert_state(run, "OK")
    host = [val for k, val in vspc.requests()[0]["headers"]
            if k.lower() == "host"]
    assert host == ["localhost:%d" % vspc.port], host
