#!/bin/sh
# Runs every libFuzzer target for a bounded time (make fuzz-run, CI).
#   run.sh SRCDIR BUILDDIR [SECONDS]
# Starts from the seed corpus in SRCDIR/tests/fuzz/corpus/NAME (read only;
# new inputs go to a temporary directory). Fails on any crash, leak,
# timeout or out-of-memory; the input that did it is kept in
# BUILDDIR/tests/fuzz/artifacts/ to be added to the corpus as a regression.
set -u
srcdir=$1
builddir=$2
seconds=${3:-60}
status=0
artifacts=$builddir/tests/fuzz/artifacts
mkdir -p "$artifacts"

for name in fuzz_job fuzz_session fuzz_page fuzz_oauth fuzz_values fuzz_credentials fuzz_ini fuzz_cli fuzz_snapshot fuzz_element fuzz_trim fuzz_confesc; do
	bin=$builddir/tests/fuzz/$name
	seeds=$srcdir/tests/fuzz/corpus/$name
	work=$(mktemp -d)
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is missing (make fuzz)"
		status=1
		continue
	fi
	echo "fuzz: $name for ${seconds}s"
	if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$work" "$seeds" \
		>"$work.log" 2>&1; then
		echo "fuzz: $name FAILED"
		tail -n 40 "$work.log"
		status=1
	else
		grep -E '^stat::number_of_executed_units|^Done' "$work.log" | tail -n 2
	fi
	rm -rf "$work" "$work.log"
done
exit $status
