#!/bin/sh
# make lint: cppcheck, clang-tidy, the banned-function check and
# clang-format, each with the configuration checked in at the top level.
#   lint.sh SRCDIR BUILDDIR
set -u
srcdir=$1
builddir=$2
status=0
cd "$srcdir" || exit 1
sources="lib/*.c plugins/*.c"
all="lib/*.c lib/*.h plugins/*.c plugins/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c"
incs="-Ilib -Iplugins -I$builddir"

echo "lint: banned functions"
# shellcheck disable=SC2086
if grep -nE '(^|[^_a-z0-9])(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|gets|sscanf)[[:space:]]*\(' $all; then
	echo "lint: use snprintf/buf_* and strtol-style parsing with an end pointer instead"
	status=1
fi

echo "lint: cppcheck"
# shellcheck disable=SC2086
cppcheck -q --enable=warning,portability,performance,style --std=c11 --error-exitcode=1 \
	--inline-suppr --suppress=missingIncludeSystem $incs -DHAVE_EXPLICIT_BZERO $sources || status=1

echo "lint: clang-tidy"
# shellcheck disable=SC2086
clang-tidy -quiet $sources -- -std=c11 $incs $(pkg-config --cflags libcurl yajl) -D_GNU_SOURCE \
	2>/dev/null | grep -E 'warning:|error:' && status=1

echo "lint: clang-format"
# shellcheck disable=SC2086
clang-format --dry-run --Werror $all || status=1

[ $status -eq 0 ] && echo "lint: clean"
exit $status
