# SPDX-License-Identifier: GPL-2.0
#
# Stress: two devices, each with a consumer running three threads of
# region reads/writes, MSI-X interrupts (doorbell + eventfd wait) and
# DMA round trips (vfio-consumer-test stress:SECONDS:THREADS), while
# this script kills servers with SIGKILL and restarts them, and removes
# devices in use and adds them again, round after round.  The consumers
# close and reopen the device on ERR/REQ and accept only EIO/ENODEV.
# Checks: every remove and add completes in bounded time, the consumers
# exit within their bound with no unexpected error, a fresh server and
# device afterwards pass the basic consumer tests, rmmod works.  (The
# VM runner fails the run on any kernel splat.)
. "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vfio-user
D=/tmp/vub-t14
mkdir -p $D
# Consumer run time; the debug kernel (KASAN, lockdep) is about five
# times slower, so it gets longer for the same number of storm rounds.
DUR=45
dmesg | grep -q 'KernelAddressSanitizer initialized' && DUR=90
DUR=${VUB_STRESS_SECONDS:-$DUR}
THREADS=3

now_s() { read -r _up _ < /proc/uptime; echo ${_up%.*}; }

# srv K: (re)start the server of device K, remember its pid.
srv() {
	start_server $D/s$1.sock >/dev/null || fail "server-$1-start"
	eval SPID$1=\$SERVER_PID
	SERVER_PID=
}

# bounded NAME SECONDS FILE STRING: write STRING to FILE in the
# background; fails NAME if it fails or takes longer than SECONDS.
bounded() {
	rm -f $D/bw.rc
	(wr "$3" "$4" > $D/bw.err; echo $? > $D/bw.rc) &
	_p=$! _i=0
	while [ ! -s $D/bw.rc ] && [ $_i -lt $(($2 * 10)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if [ ! -s $D/bw.rc ]; then
		fail "$1" "still blocked after $2 s"
		HUNG=1
		return 1
	fi
	wait $_p
	[ "$(cat $D/bw.rc)" = 0 ] && return 0
	fail "$1" "$(cat $D/bw.err)"
	return 1
}

check insmod load_module dma_window_bits=33
for k in 0 1; do
	srv $k
	check add-$k wr $BUS/add "socket=$D/s$k.sock name=st$k timeout_ms=5000"
	"$CONSUMER/vfio-consumer-test" st$k stress:$DUR:$THREADS > $D/c$k.log 2>&1 &
	eval CPID$k=$!
done

# The storm: each round picks a device and either kills its server
# (then removes the broken device) or removes it while in use, then
# brings it back.
t0=$(now_s)
round=0 kills=0 removes=0 HUNG=
while [ $(($(now_s) - t0)) -lt $((DUR - 8)) ] && [ -z "$HUNG" ]; do
	sleep 1
	k=$((round % 2))
	if [ $((round / 2 % 2)) = 0 ]; then
		eval kill -9 \$SPID$k
		eval wait \$SPID$k 2>/dev/null
		kills=$((kills + 1))
		sleep 1
		bounded remove-broken-$round 20 $BUS/remove st$k || break
		srv $k
	else
		bounded remove-in-use-$round 20 $BUS/remove st$k || break
		removes=$((removes + 1))
	fi
	bounded add-$round 20 $BUS/add "socket=$D/s$k.sock name=st$k timeout_ms=5000" || break
	round=$((round + 1))
done
echo "INFO: $T: $round rounds in $(($(now_s) - t0)) s: $kills servers killed, $removes devices removed in use"
check storm-rounds test $round -ge 4

# Every consumer ends within its run time plus a margin.
for k in 0 1; do
	i=0
	while eval kill -0 \$CPID$k 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if eval kill -0 \$CPID$k 2>/dev/null; then
		fail consumer-$k-hung "still running 30 s after its end"
		eval kill -9 \$CPID$k
	fi
	eval wait \$CPID$k
	rc=$?
	sed -n 's/^INFO: stress: /INFO: '"$T"': st'$k': /p' $D/c$k.log
	check consumer-$k-exit test $rc = 0
	check consumer-$k-pass grep -q '^PASS: stress' $D/c$k.log
done

# Afterwards: everything goes away, and a fresh device works.
for k in 0 1; do
	[ -e $BUS/devices/st$k ] && bounded remove-end-$k 20 $BUS/remove st$k
	eval kill \$SPID$k 2>/dev/null
	eval wait \$SPID$k 2>/dev/null
done
check no-devices test -z "$(ls $BUS/devices)"
check fresh-server start_server $D/f.sock
check fresh-add wr $BUS/add "socket=$D/f.sock name=fresh"
T=$T-fresh run_consumer fresh info regions bar0 irq-msix dma reset
check fresh-remove wr $BUS/remove fresh
stop_server
check refcount-zero test "$(module_refcount)" = 0
check rmmod unload_module
rm -rf $D
