#!/bin/sh
# Builds the libFuzzer targets with clang (make fuzz).
#   build.sh SRCDIR BUILDDIR
# Each target is the lib sources plus one fuzz entry point, compiled with
# -fsanitize=fuzzer,address,undefined into BUILDDIR/tests/fuzz/NAME.
set -eu
srcdir=$1
builddir=$2
cc=${FUZZ_CC:-clang}
out=$builddir/tests/fuzz
mkdir -p "$out"

flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
incs="-I$builddir -I$srcdir/lib -I$srcdir/plugins $(pkg-config --cflags libcurl yajl sqlite3 nettle)"
libs="$(pkg-config --libs yajl sqlite3 nettle)" # libcurl is dlopen()ed (lib/curl_dl.c)
lib_sources=$(ls "$srcdir"/lib/*.c)

build() { # name source target-number [extra sources]
	name=$1 src=$2 num=$3
	shift 3
	echo "  FUZZ     $name"
	# shellcheck disable=SC2086
	$cc $flags $incs -DFUZZ_TARGET="$num" -o "$out/$name" \
		"$srcdir/tests/fuzz/$src" $lib_sources "$@" $libs
}

build fuzz_job fuzz_decode.c 1
build fuzz_session fuzz_decode.c 2
build fuzz_page fuzz_decode.c 3
build fuzz_oauth fuzz_decode.c 4
build fuzz_values fuzz_parse.c 5
build fuzz_credentials fuzz_parse.c 6
build fuzz_ini fuzz_parse.c 7
build fuzz_cli fuzz_parse.c 8 "$srcdir/plugins/cli.c"
build fuzz_snapshot fuzz_store.c 9
build fuzz_element fuzz_store.c 10
build fuzz_trim fuzz_trim.c 11
build fuzz_confesc fuzz_confesc.c 12
