#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh SECONDS NAME...: run out/fuzz-NAME for SECONDS each, seeded from
# corpus/NAME (read-only) and out/corpus/NAME (grows), with the shared
# dictionary.  Prints one PASS/FAIL line per harness; exits non-zero if
# any harness crashed, leaked, hit a sanitizer report or did not run.
set -u
cd "$(dirname "$0")"
secs=$1
shift
rc=0
for name in "$@"; do
	bin=out/fuzz-$name
	log=out/fuzz-$name.log
	mkdir -p "out/corpus/$name" "out/artifacts/$name" "corpus/$name"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-dict=vfio_user.dict -print_final_stats=1 \
		-artifact_prefix="out/artifacts/$name/" \
		"out/corpus/$name" "corpus/$name" > "$log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
	corp=$(ls "out/corpus/$name" | wc -l)
	info="${execs:-0} execs, ${speed:-0} execs/s, ${cov:-no coverage}, corpus $corp"
	if [ $st -eq 0 ] && [ -n "$execs" ] &&
	   ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
		echo "PASS: fuzz-$name ($info)"
	else
		echo "FAIL: fuzz-$name (exit $st, $info; see tools/fuzz/$log)"
		grep -m5 -E 'ERROR|runtime error|Test unit written' "$log" | sed 's/^/  /'
		rc=1
	fi
done
exit $rc
