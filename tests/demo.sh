#!/bin/sh
# A guided tour of check_vspc_replication against the VSPC simulator.
#
#   make demo                      (sets PLUGIN and PYTHON3)
#   PLUGIN=plugins/check_vspc_replication sh tests/demo.sh [--readme]
#
# Creates a test CA and certificates in a temporary directory, starts
# tests/vspc_sim.py on 127.0.0.1 with a random token kept in a 0600 file,
# runs the plugin a few times showing each command, its output and its
# exit code, and stops the simulator again.  Exits 0 when every run ended
# with the exit code it should have, 1 otherwise.
#
# With --readme it runs only the cases marked "example" and prints them as
# the README's block of examples (make readme-examples puts it in place):
# each command as typed against a real server, its output and "(exit N)",
# indented by four spaces; anything that went wrong goes to stderr.

set -u

readme=false
if [ "$#" -eq 1 ] && [ "$1" = --readme ]; then
	readme=true
elif [ "$#" -ne 0 ]; then
	echo "usage: demo.sh [--readme]" >&2
	exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
PLUGIN=${PLUGIN:-$here/../plugins/check_vspc_replication}
python=${PYTHON3:-/usr/bin/python3}
if ! command -v "$python" >/dev/null 2>&1; then
	python=python3
fi

case $PLUGIN in
/*) ;;
*) PLUGIN=$(pwd)/$PLUGIN ;;
esac
if [ ! -x "$PLUGIN" ]; then
	echo "demo: plugin $PLUGIN not found or not executable (make first)" >&2
	exit 1
fi

SEED=bc04d2e5-dd4c-4f85-af0e-424106a32a75
CLOUD=1d0c2f3e-4b5a-4968-8776-a5b4c3d2e1f0
CLOUD_HOST=c7ca9843-26b7-4a1c-b6f5-0fa2cec9ec2e
WAN=9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a
BADTYPE=0badf00d-0000-4000-8000-00000000dead
MISSING=deadbeef-0000-4000-8000-000000000404
CDP=cd9c0001-5e1f-4c2b-9a3d-0f1e2d3c4b5a
CDP_NO_SLA=cd9c0002-5e1f-4c2b-9a3d-0f1e2d3c4b5a
ZERO=00000000-0000-0000-0000-000000000000

tmp=
simpid=
cleanup() {
	if [ -n "$simpid" ]; then
		kill "$simpid" 2>/dev/null
		wait "$simpid" 2>/dev/null
	fi
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vspc-demo.XXXXXX") || exit 1
cd "$tmp" || exit 1

# say TEXT: progress for people, left out of the README's block
say() {
	if ! $readme; then
		printf '%s\n' "$1"
	fi
}

say "== Setting up a test CA, a VSPC simulator and a token in $tmp"
if ! PYTHONDONTWRITEBYTECODE=1 "$python" "$here/vspc_sim.py" \
	--make-certs pki >/dev/null; then
	echo "demo: could not create certificates (is openssl installed?)" >&2
	exit 1
fi
token=demo-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
printf '%s\n' "$token" >token
printf '%s\n' "not-the-token" >wrong-token
chmod 600 token wrong-token

# The collections list the built-in jobs and 1200 generated ones.
PYTHONDONTWRITEBYTECODE=1 "$python" "$here/vspc_sim.py" \
	--cert pki/server.pem --key pki/server.key --token-file token \
	--bind 127.0.0.1 --port 0 --fleet 1200 >sim.out 2>sim.err &
simpid=$!

port=
i=0
while [ $i -lt 100 ]; do
	port=$(sed -n 's/^PORT //p' sim.out)
	if [ -n "$port" ] || ! kill -0 "$simpid" 2>/dev/null; then
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$port" ]; then
	echo "demo: the simulator did not start:" >&2
	cat sim.err >&2
	exit 1
fi
say "   simulator listening on https://127.0.0.1:$port (pid $simpid)"

runs=0
failures=0
# what went wrong goes where people read it: to stdout in the demo, to
# stderr with --readme, whose stdout is the README's block
if $readme; then
	exec 3>&2
else
	exec 3>&1
fi

# quoted ARGS...: the arguments as one line to paste into a shell, each
# word that needs it in single quotes ('Replica seed*', not Replica seed*)
quoted() {
	line=
	for arg in "$@"; do
		case $arg in
		'' | *[!A-Za-z0-9_./:=@%+,-]*)
			arg="'$(printf '%s' "$arg" | sed "s/'/'\\\\''/g")'"
			;;
		esac
		line="$line $arg"
	done
	printf '%s\n' "${line# }"
}

# run ARGS...: the plugin's output in out, its exit code in rc; anything
# on stderr is a failure (Icinga 2 would make it the status line)
run() {
	runs=$((runs + 1))
	"$PLUGIN" "$@" >out 2>err
	rc=$?
	cat out err >>all-output
	if [ -s err ]; then
		echo "!! stderr was not empty:" >&3
		cat err >&3
		failures=$((failures + 1))
	fi
}

# as_expected EXPECTED_EXIT_CODE: whether the run ended with that exit code
# and a status line of the same state (in $state)
as_expected() {
	case $1 in
	0) state=OK ;;
	1) state=WARNING ;;
	2) state=CRITICAL ;;
	*) state=UNKNOWN ;;
	esac
	[ "$rc" -eq "$1" ] && head -n 1 out | grep -q "^VSPC REPLICATION $state - "
}

# announce TITLE ARGS...: the title, the command line to paste, and the
# run's output
announce() {
	echo
	echo "== $1"
	shift
	echo "\$ check_vspc_replication $(quoted "$@")"
	run "$@"
	cat out
}

# show EXPECTED_EXIT_CODE TITLE ARGS...
show() {
	want=$1
	title=$2
	shift 2
	if $readme; then
		return 0
	fi
	announce "$title" "$@"
	if as_expected "$want"; then
		echo "[exit code $rc: $state, as expected]"
	else
		echo "!! exit code $rc, expected $want ($state)"
		failures=$((failures + 1))
	fi
}

# example EXPECTED_EXIT_CODE TITLE ARGS...: a case the README shows too,
# under "Output and perfdata".  ARGS leave out the connection options $c
# (split into words here), which the README writes as for a real server.
example() {
	want=$1
	title=$2
	shift 2
	if ! $readme; then
		show "$want" "$title" $c "$@"
		return
	fi
	if [ "$runs" -gt 0 ]; then
		echo
	fi
	printf '    $ check_vspc_replication %s \\\n' "$readme_c"
	printf '        %s\n' "$(quoted "$@")"
	run $c "$@"
	sed 's/^/    /' out
	echo "    (exit $rc)"
	if ! as_expected "$want"; then
		echo "!! $title: exit code $rc, expected $want ($state)" >&3
		failures=$((failures + 1))
	fi
}

# show_list TITLE ARGS...: a --list run, which prints no status line
show_list() {
	title=$1
	shift
	if $readme; then
		return 0
	fi
	announce "$title" "$@"
	if [ "$rc" -eq 0 ] && head -n 1 out | grep -q "UID.*NAME.*STATUS"; then
		echo "[exit code 0: the listing worked, as expected]"
	else
		echo "!! exit code $rc or no table header, expected 0 and a table"
		failures=$((failures + 1))
	fi
}

c="-H 127.0.0.1 -p $port --ca-file pki/ca.pem -T token"
# $c as the README's other examples write it for a real server
readme_c="-H vspc.example.com -T /etc/nagios/vspc.token"

# $c is split into words on purpose.
example 0 "OK: the seed job protects 5 VMs, as configured" \
	-j $SEED -w 3: -c 1: --wan=no --cloud=no

show 0 "OK: a cloud replication job, with long output (-v)" \
	$c -j $CLOUD --cloud=yes --target-host=$ZERO --cloud-host=$CLOUD_HOST -v

example 1 "WARNING: WAN acceleration expected but off" \
	-j $SEED --wan=yes

show 2 "CRITICAL: the same, with --mismatch-state=critical" \
	$c -j $SEED --wan=yes --mismatch-state=critical

show 2 "CRITICAL: fewer than 10 protected VMs" \
	$c -j $SEED -w 20: -c 10:

show 0 "OK: a job with WAN acceleration" \
	$c -j $WAN --wan=yes -w 10: -c 1:

example 2 "CRITICAL: a job VSPC does not know (HTTP 404)" \
	-j $MISSING

example 3 "UNKNOWN: a field of the wrong type in the answer" \
	-j $BADTYPE

show 3 "UNKNOWN: a token VSPC refuses (HTTP 401)" \
	-H 127.0.0.1 -p "$port" --ca-file pki/ca.pem -T wrong-token -j $SEED

show 3 "UNKNOWN: the server certificate is not trusted (no --ca-file)" \
	-H 127.0.0.1 -p "$port" -T token -j $SEED

show 3 "UNKNOWN: a bad argument, caught before any network traffic" \
	$c -j not-a-uuid

show 0 "OK, with -vvv: the HTTP exchange, the token masked" \
	$c -j $SEED -vvv

show 1 "WARNING: the seed job's last session ended over 30 minutes ago" \
	$c -j $SEED --max-age-warning=30m --max-age-critical=1d

example 0 "OK: a CDP replication policy within its SLA and delay" \
	-j $CDP --sla-warning=99: --sla-critical=90: --max-delay-critical=5m

example 1 "WARNING: a CDP policy missing its SLA (no sync session in the period)" \
	-j $CDP_NO_SLA --kind=cdp --sla-critical=90:

show 3 "UNKNOWN: a VM replication job threshold on a CDP policy" \
	$c -j $CDP -c 1:

show 2 "CRITICAL: every replication job (--all), some of them failed" \
	$c --all --max-age-warning=26h

example 2 "CRITICAL: the ten jobs named Replica 0000*, one of them failed" \
	--all --name 'Replica 0000*'

show 0 "OK: two named jobs, at least two expected" \
	$c --all --name 'Replica seed*' --name CloudReplicaJob --min-jobs=2 \
	--perfdata-per-job

show 2 "CRITICAL: no job matches, but at least one is expected" \
	$c --all --name 'Nightly*' --min-jobs=1

show_list "A listing for people: the jobs named Replica 0000*" \
	$c --list --name 'Replica 0000*'

show 2 "CRITICAL: every job again, now keeping a snapshot for per-job services" \
	$c --all --max-age-warning=26h --snapshot-max-age=4m --cache-dir=cache

show 0 "OK: one job answered from that snapshot, with no request (-v names it)" \
	$c -j $SEED -w 3: -c 1: --snapshot-max-age=4m --cache-dir=cache -v

if grep -q -- "$token" all-output; then
	echo "!! the token was printed" >&3
	failures=$((failures + 1))
fi

if [ "$failures" -eq 0 ]; then
	say ""
	say "== demo done: all $runs runs ended as expected"
	exit 0
fi
echo >&3
echo "== demo FAILED: $failures of $runs checks did not go as expected" >&3
exit 1
