#!/bin/sh
# End-to-end tests of check_vspc_replication against the VSPC simulator.
#
# Run by `make check` through automake's tap-driver.sh with PLUGIN (the
# built binary) and srcdir in the environment; works from a VPATH build
# directory and never writes into the source tree.  TAP goes to stdout,
# pytest's own report to stderr (the test's .log file).
#
#   PLUGIN=/path/to/check_vspc_replication tests/run-e2e.sh [pytest args]
#   PLUGIN_WRAPPER='valgrind --error-exitcode=99 -q' tests/run-e2e.sh

if [ -z "${srcdir:-}" ]; then
	srcdir=$(dirname "$0")/..
fi
if [ -z "${PLUGIN:-}" ]; then
	PLUGIN=$(pwd)/plugins/check_vspc_replication
fi
python=${PYTHON3:-/usr/bin/python3}

if ! "$python" -c 'import pytest' >/dev/null 2>&1; then
	echo "Bail out! $python cannot import pytest (Debian: apt-get install python3-pytest)"
	exit 1
fi

E2E_TAP=1
E2E_TAP_FD=3
PYTHONDONTWRITEBYTECODE=1
export PLUGIN E2E_TAP E2E_TAP_FD PYTHONDONTWRITEBYTECODE

# fd 3 is the real stdout (TAP only); everything else goes to stderr.
exec 3>&1 1>&2
exec "$python" -m pytest -p no:cacheprovider -q -rfEs \
	"$srcdir/tests/e2e" "$@"
