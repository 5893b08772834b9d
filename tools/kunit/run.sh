#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [kunit.py run options...]: run the KUnit suites in kunit/ on
# UML with kunit.py from Debian's linux-source-6.1.
#
# The source is extracted once into the cache and the build directory
# is kept there too (both must stay at the same absolute path for
# incremental builds).  For the run, kunit/ is overlaid into the tree
# as drivers/vfio_user_kunit (a symlink plus one line in
# drivers/Makefile); the overlay is removed again however the run ends.
#
# Prints "PASS: kunit:<suite>.<case>" / "FAIL: ..." per test case and
# exits non-zero if a case failed or the build/run broke.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vfio-user
src=$cache/linux-source-6.1
build=$cache/kunit-uml
tarball=/usr/src/linux-source-6.1.tar.xz
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
overlay=$src/drivers/vfio_user_kunit
line='obj-y += vfio_user_kunit/'

mkdir -p "$cache"
exec 9>"$cache/kunit.lock"
flock 9

if [ "$(cat "$src/.vub-pkgver" 2>/dev/null)" != "$pkgver" ]; then
	up=${pkgver%%-*}
	if [ -e "$src/Makefile" ] &&
	   [ "$(make -s -C "$src" kernelversion 2>/dev/null)" = "$up" ]; then
		:	# extracted by an earlier run without the marker
	else
		echo "kunit: extracting linux-source-6.1 $pkgver" >&2
		rm -rf "$src"
		mkdir -p "$src.tmp"
		tar -C "$src.tmp" --strip-components=1 -xf "$tarball"
		mv "$src.tmp" "$src"
	fi
	echo "$pkgver" > "$src/.vub-pkgver"
fi

remove_overlay() {
	rm -f "$overlay"
	sed -i "\|^$line\$|d" "$src/drivers/Makefile"
}
trap remove_overlay EXIT
remove_overlay
ln -s "$top/kunit" "$overlay"
echo "$line" >> "$src/drivers/Makefile"

log=$(mktemp "${TMPDIR:-/tmp}/vub-kunit.XXXXXX")
rc=0
(cd "$src" && python3 tools/testing/kunit/kunit.py run \
	--build_dir="$build" --kunitconfig="$top/kunit/.kunitconfig" \
	--jobs="$(nproc)" "$@") > "$log" 2>&1 || rc=$?

# kunit.py prints "[PASSED] case" / "[FAILED] case" / "[SKIPPED] case"
# inside "==== suite (N subtests) ====" banners and closes each suite
# with "==== [PASSED] suite ====", which is not a case.
awk '
/=+ \[(PASSED|FAILED|SKIPPED)\] [a-z0-9_]+ =+/ { next }
/=+ [a-z0-9_]+ \([0-9]+ subtests?\) =+/ { suite = $0; sub(/.*=+ /, "", suite); sub(/ \(.*/, "", suite) }
/\[PASSED\]/ && suite != "" { n = $0; sub(/.*\[PASSED\] /, "", n); if (n != suite) print "PASS: kunit:" suite "." n }
/\[FAILED\]/ && suite != "" { n = $0; sub(/.*\[FAILED\] /, "", n); if (n != suite) print "FAIL: kunit:" suite "." n }
/\[SKIPPED\]/ && suite != "" { n = $0; sub(/.*\[SKIPPED\] /, "", n); if (n != suite) print "SKIP: kunit:" suite "." n ": skipped by the test" }
' "$log"
grep -E 'Testing complete|Elapsed time' "$log" | sed 's/^\[[0-9:]*\] /kunit: /' >&2 || true
if [ "$rc" != 0 ]; then
	echo "FAIL: kunit:run (kunit.py exit $rc)"
	grep -E -B2 -A12 'FAILED|ERROR|error:|Error' "$log" | head -n 80 >&2 || true
	tail -n 20 "$log" >&2
fi
rm -f "$log"
exit "$rc"
