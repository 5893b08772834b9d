# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the VM test scripts (sourced; runs inside the guest).
# Environment from run-all.sh: TOP (repository), VUB_KO (module),
# SERVER (sample server binary), CONSUMER (consumer test binaries dir).

pass() { echo "PASS: vm:$T:$1"; }
fail() { echo "FAIL: vm:$T:$1${2:+: $2}"; FAILED=1; }
# skip NAME WHY: a case that cannot run on this kernel (never a pass).
skip() { echo "SKIP: vm:$T:$1: $2"; }
# check NAME CMD...: pass if CMD succeeds.
check() {
	n=$1
	shift
	if "$@"; then pass "$n"; else fail "$n" "'$*' failed"; fi
}

# start_server SOCK [server args...]: start the sample server in the
# background on SOCK and wait until it listens; sets SERVER_PID.
start_server() {
	sock=$1
	shift
	rm -f "$sock"
	"$SERVER" --socket "$sock" "$@" 2>>"/tmp/server-${sock##*/}.log" &
	SERVER_PID=$!
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -S "$sock" ]
}

stop_server() {
	[ -n "${SERVER_PID:-}" ] || return 0
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

# load_module [params...]
load_module() {
	insmod "$VUB_KO" "$@"
}

# unload_module: rmmod must succeed (refcount back to 0).
unload_module() {
	rmmod vfio_user
}

module_refcount() {
	cat /sys/module/vfio_user/refcnt 2>/dev/null || echo none
}

# run_consumer DEVICE TEST...: run the VFIO consumer test program on
# DEVICE, reporting its PASS/FAIL/SKIP lines as cases of this test.
run_consumer() {
	_out=/tmp/consumer-$T.log
	"$CONSUMER/vfio-consumer-test" "$@" >"$_out" 2>&1
	_rc=$?
	sed -n -e "s/^PASS: /PASS: vm:$T:/p" -e "s/^FAIL: \(.*\)/FAIL: vm:$T:\1/p" \
		-e "s/^SKIP: /SKIP: vm:$T:/p" -e 's/^INFO: /INFO: /p' "$_out"
	grep -q '^FAIL' "$_out" && FAILED=1
	[ $_rc -eq 0 ] || fail consumer-exit "status $_rc"
}

# wr FILE STRING: write STRING to FILE in one write(2); prints nothing
# and succeeds, or prints the error text (e.g. "Connection refused")
# and fails.
wr() {
	_err=$(/usr/bin/printf '%s' "$2" 2>&1 >"$1") && return 0
	echo "${_err##*: }"
	return 1
}

# kasan_on: is this a KASAN kernel?  Its quarantine keeps freed objects
# for a while, which slab-growth checks must allow for.  The boot line
# may have left the ring buffer by the time a late test asks: look at
# the symbol table first.
kasan_on() {
	grep -qw kasan_report /proc/kallsyms 2>/dev/null ||
		dmesg | grep -q 'KernelAddressSanitizer initialized'
}
