#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [LANE...]: the project's test suite ("make check").
#
# Lanes (all by default, in this order):
#   check-build  build the module W=1 for Debian 6.1 (the VM kernel's ABI),
#                the newest installed 6.12 headers and the newest 7.x from
#                trixie-backports (scripts/kernel7.sh); warnings fail
#   server-test  the sample server's own protocol tests
#   fuzz-smoke   a short libFuzzer run of every harness
#   kunit        the KUnit suites on UML
#   vm-test      boot Debian's 6.1 kernel (the ABI of linux-headers-amd64),
#                run every tools/tests/vm/t-*.sh; lines "vm-6.1:..."
#   vm-6.12      Debian's newest 6.12 kernel (bookworm-security), module
#                built against its headers: a representative subset
#                (VM_SUBSET below) plus t-50 (migration); lines
#                "vm-6.12:..."
#   vm-7.x       Debian's newest 7.x kernel (trixie-backports), module
#                built in scripts/kernel7.sh's tree: the same subset;
#                lines "vm-7.x:..."
#   pkg          build the Debian packages (debian/), lintian, install
#                them on this machine (root), check DKMS built the module
#                for every kernel with headers, boot the installed 6.12
#                kernel with the host's /lib/modules, modprobe from
#                updates/dkms, smoke tests, the vfio-user@.service
#                commands, purge and check nothing is left; then
#                "make install" + depmod + modprobe the same way
#                (tools/tests/pkg/run.sh)
#   vm-debug     not by default (make check-debug): the same tests on the
#                debug kernel (KASAN, lockdep, debug objects, kmemleak;
#                tools/vm/debug-kernel.sh builds it once, 10-33 min cold,
#                the run takes ~20 min); lines are "PASS: vmdebug:..."
#
# Every lane prints "PASS: name" / "FAIL: name: why" / "SKIP: name: why"
# lines (a skipped case could not run here and is never counted as
# passed); the line before the last is "N skipped", the last one
# "N passed, N failed", and the exit status is non-zero if anything
# failed; before them one line per lane with its counts and time.  A
# full log is kept in results/check.log.
#
# VUB_MATRIX=full (make check-matrix) runs the whole VM suite on 6.12
# and 7.x too.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p results
log=results/check.log
: > "$log"
lanes=${*:-check-build server-test fuzz-smoke kunit vm-test vm-6.12 vm-7.x pkg}
abi=$(scripts/abi.sh)
start=$(date +%s)
# The subset of the VM tests for the other kernels: bring-up (t-00, and
# every test adds devices), faults, region I/O and sparse mmap,
# interrupts and DMA, QEMU, removal (t-30 and t-40 remove devices in use).
VM_SUBSET="t-00 t-11 t-20 t-30 t-40"

say() { echo "$*" | tee -a "$log"; }
stamp() { say "== $1 ($(($(date +%s) - start)) s)"; }
# lane_out: copy PASS/FAIL lines to the terminal, everything to the log.
lane_out() { tee -a "$log" | grep -E '^(PASS|FAIL|SKIP):' ; }

# build_one NAME KDIR [LABEL]: W=1 build in .build/NAME; reports
# LABEL (default build:NAME).  Returns 2 if make failed, 1 on warnings.
build_one() {
	local out label=${3:-build:$1}
	if ! out=$(scripts/build-in.sh "$1" "$2" W=1 2>&1); then
		echo "$out" >> "$log"
		say "FAIL: $label: make failed (see $log)"
		return 2
	fi
	echo "$out" >> "$log"
	if echo "$out" | grep -E 'warning:|error:' >/dev/null; then
		echo "$out" | grep -E -A3 'warning:|error:' | head -n 20
		say "FAIL: $label: warnings with W=1"
		return 1
	fi
	say "PASS: $label"
}

# vm_run PREFIX OUT KO [vmrun.sh options...]: run the VM tests (those
# matching $VM_TESTS, default all) with module KO, relabel their "vm:"
# lines PREFIX:, keep them in OUT and report how the guest ended.
vm_run() {
	local prefix=$1 out=$2 ko=$3 rc=0
	shift 3
	if ! make -s -C tools all >>"$log" 2>&1; then
		say "FAIL: $prefix:tools-build (see $log)"
		return
	fi
	tools/vm/vmrun.sh "$@" -- "VUB_KO=$ko sh tools/tests/vm/run-all.sh ${VM_TESTS:-}" 2>&1 |
		sed "s/^PASS: vm:/PASS: $prefix:/; s/^FAIL: vm:/FAIL: $prefix:/; s/^SKIP: vm:/SKIP: $prefix:/" \
		> "$out" || rc=${PIPESTATUS[0]}
	lane_out < "$out"
	case $rc in
	0) say "PASS: $prefix:dmesg-clean" ;;
	254) say "FAIL: $prefix:dmesg-clean: kernel splat (see $out)" ;;
	255) say "FAIL: $prefix:guest-finished: guest crashed or timed out" ;;
	*) say "FAIL: $prefix:guest-exit-status: $rc" ;;
	esac
}

# kernel-doc comments of the module, checked as "make htmldocs" would.
kdoc_check() {
	local kdoc=/usr/src/linux-headers-$abi/scripts/kernel-doc out
	if [ ! -x "$kdoc" ]; then
		say "FAIL: build:kernel-doc: $kdoc missing (make deps)"
		return
	fi
	out=$("$kdoc" -none drivers/vfio_user/*.[ch] 2>&1)
	if [ -n "$out" ]; then
		echo "$out" | tee -a "$log" | head -n 20
		say "FAIL: build:kernel-doc: warnings"
	else
		say "PASS: build:kernel-doc"
	fi
}

# Shipped text must not point at this machine or outside the tree.
paths_check() {
	local hits pat='/wo''rk/|/ro''ot/|/ho''me/|\.\./sha''red'
	if ! git rev-parse --git-dir >/dev/null 2>&1; then
		say "SKIP: build:no-machine-paths: not a git checkout"
		return
	fi
	hits=$(git grep -n -I -E "$pat" -- . 2>/dev/null | head -n 10)
	if [ -n "$hits" ]; then
		echo "$hits" | tee -a "$log"
		say "FAIL: build:no-machine-paths: repository text names machine paths"
	else
		say "PASS: build:no-machine-paths"
	fi
}

# vfio_user_mdev.ko is built where the kernel has CONFIG_VFIO_MDEV, and
# vfio_user.ko alone, depending on no mdev symbol, where it has not
# (the option unset on make's command line).
mdev_split_check() {
	local b=$top/.build
	if [ ! -e "$b/$abi/vfio_user_mdev.ko" ] ||
	   modinfo -F depends "$b/$abi/vfio_user.ko" | grep -q mdev; then
		say "FAIL: build:mdev-module: no vfio_user_mdev.ko for $abi, or vfio_user.ko needs mdev"
		return
	fi
	rm -f "$b/no-mdev/"*.ko
	if scripts/build-in.sh no-mdev "/usr/src/linux-headers-$abi" W=1 \
		CONFIG_VFIO_MDEV= >>"$log" 2>&1 &&
	   [ -e "$b/no-mdev/vfio_user.ko" ] &&
	   [ ! -e "$b/no-mdev/vfio_user_mdev.ko" ]; then
		say "PASS: build:without-mdev"
	else
		say "FAIL: build:without-mdev: vfio_user.ko alone did not build (see $log)"
	fi
}

lane_check_build() {
	build_one "$abi" "/usr/src/linux-headers-$abi"
	mdev_split_check
	kdoc_check
	paths_check
	local h
	h=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V |
		tail -n 1)
	if [ -n "$h" ]; then
		build_one "$(basename "$h" | sed 's/^linux-headers-//')" "$h"
	else
		say "FAIL: build:6.12: no 6.12 headers installed (make deps)"
	fi
	if h=$(scripts/kernel7.sh 2>>"$log"); then
		build_one "$(basename "$(dirname "$h")" | sed 's/^linux-//')" "$h"
	else
		say "FAIL: build:7.x: could not prepare Debian's 7.x source (see $log)"
	fi
}

lane_server_test() {
	if [ ! -e tools/vfio-user-server/Makefile ]; then
		say "FAIL: server-test: tools/vfio-user-server missing"
		return
	fi
	make -s -C tools/vfio-user-server check 2>&1 | lane_out
	[ "${PIPESTATUS[0]}" = 0 ] || say "FAIL: server-test:exit-status"
}

lane_fuzz_smoke() {
	if [ ! -e tools/fuzz/Makefile ]; then
		say "FAIL: fuzz-smoke: tools/fuzz missing"
		return
	fi
	make -s -C tools/fuzz smoke 2>&1 | lane_out
	[ "${PIPESTATUS[0]}" = 0 ] || say "FAIL: fuzz-smoke:exit-status"
}

lane_kunit() {
	tools/kunit/run.sh 2>&1 | lane_out
	[ "${PIPESTATUS[0]}" = 0 ] || say "FAIL: kunit:exit-status"
}

# fresh_ko NAME KDIR: .build/NAME/vfio_user.ko, rebuilt if a source
# is newer (check-build normally built it already).
fresh_ko() {
	local ko=$top/.build/$1/vfio_user.ko
	if [ ! -e "$ko" ] || [ -n "$(find drivers include Kbuild debian/changelog -newer "$ko" -print -quit)" ]; then
		scripts/build-in.sh "$1" "$2" >>"$log" 2>&1 || return 1
	fi
	echo "$ko"
}

lane_vm_test() {
	local ko
	ko=$(fresh_ko "$abi" "/usr/src/linux-headers-$abi") ||
		{ say "FAIL: vm-6.1:build (see $log)"; return; }
	vm_run vm-6.1 results/vm-test.log "$ko" -a "$abi" -t 3000 -l results/vm-dmesg.log
}

# The newest installed 6.12 headers (make deps), and Debian's matching
# linux-image-<abi>-unsigned (tools/vm/kernel.sh).
lane_vm_612() {
	local h a ko kroot
	h=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$h" ] || { say "FAIL: vm-6.12:headers: no 6.12 headers installed (make deps)"; return; }
	a=${h##*/linux-headers-}
	ko=$(fresh_ko "$a" "$h") || { say "FAIL: vm-6.12:build (see $log)"; return; }
	kroot=$(tools/vm/kernel.sh "$a" 2>>"$log") ||
		{ say "FAIL: vm-6.12:image: cannot fetch linux-image-$a-unsigned (see $log)"; return; }
	# Migration too: 6.12's core asks migration_get_data_size(), 6.1's
	# leaves MIG_DATA_SIZE to the driver (Documentation/migration.rst).
	VM_TESTS=${VM_TESTS-${VM_SUBSET:+$VM_SUBSET t-50}} vm_run vm-6.12 \
		results/vm-6.12.log "$ko" -k "$kroot" -t 2400 -A no_timer_check \
		-l results/vm-6.12-dmesg.log
}

# Debian's 7.x from trixie-backports: the module built in the tree
# scripts/kernel7.sh prepares with Debian's release string, booted on
# Debian's own (signed) image.
lane_vm_7x() {
	local kdir a ko kroot
	kdir=$(scripts/kernel7.sh 2>>"$log") ||
		{ say "FAIL: vm-7.x:tree: could not prepare Debian's 7.x source (see $log)"; return; }
	a=$(scripts/kernel7.sh abi 2>>"$log")
	ko=$(fresh_ko "$a" "$kdir") || { say "FAIL: vm-7.x:build (see $log)"; return; }
	kroot=$(scripts/kernel7.sh image 2>>"$log") ||
		{ say "FAIL: vm-7.x:image: cannot fetch Debian's 7.x image (see $log)"; return; }
	VM_TESTS=${VM_TESTS-$VM_SUBSET} vm_run vm-7.x results/vm-7.x.log "$ko" \
		-k "$kroot" -t 2400 -A no_timer_check -l results/vm-7.x-dmesg.log
}

lane_pkg() {
	tools/tests/pkg/run.sh 2>&1 | lane_out
	[ "${PIPESTATUS[0]}" = 0 ] || say "FAIL: pkg:exit-status"
}

# The VM tests again on tools/vm/debug-kernel.sh's kernel, with the module
# built against its build directory; "vm:" in the test output becomes
# "vmdebug:".
lane_vm_debug() {
	local paths kroot image kdir
	if ! paths=$(tools/vm/debug-kernel.sh 2>>"$log"); then
		say "FAIL: vmdebug:kernel-build (see $log)"
		return
	fi
	kroot=$(echo "$paths" | sed -n 1p)
	image=$(echo "$paths" | sed -n 2p)
	kdir=$(echo "$paths" | sed -n 3p)
	# Warnings are reported, but the tests still run.
	build_one debug "$kdir" vmdebug:build
	[ $? = 2 ] && return
	vm_run vmdebug results/vm-debug.log "$top/.build/debug/vfio_user.ko" \
		-k "$kroot" -i "$image" -t 3600 -l results/vmdebug-dmesg.log
}

[ "${VUB_MATRIX:-}" = full ] && VM_SUBSET=
count() { grep -c "^$1:" "$log"; }
summary=
for lane in $lanes; do
	stamp "$lane"
	t0=$(date +%s) p0=$(count PASS) f0=$(count FAIL) s0=$(count SKIP)
	case $lane in
	check-build) lane_check_build ;;
	server-test) lane_server_test ;;
	fuzz-smoke) lane_fuzz_smoke ;;
	kunit) lane_kunit ;;
	vm-test) lane_vm_test ;;
	vm-6.12) lane_vm_612 ;;
	vm-7.x) lane_vm_7x ;;
	pkg) lane_pkg ;;
	vm-debug) lane_vm_debug ;;
	*) say "FAIL: unknown lane $lane" ;;
	esac
	name=$lane
	[ "$lane" = vm-test ] && name=vm-6.1
	summary="$summary$(printf '%-12s %4d passed, %d failed, %d skipped, %d s' "$name:" \
		$(($(count PASS) - p0)) $(($(count FAIL) - f0)) $(($(count SKIP) - s0)) \
		$(($(date +%s) - t0)))
"
done
stamp done
printf '%s' "$summary" | tee -a "$log"
p=$(grep -c '^PASS:' "$log")
f=$(grep -c '^FAIL:' "$log")
s=$(grep -c '^SKIP:' "$log")
if [ "$f" != 0 ]; then
	echo "failed:"
	grep '^FAIL:' "$log"
fi
echo "$s skipped" | tee -a "$log"
echo "$p passed, $f failed"
[ "$f" = 0 ]
