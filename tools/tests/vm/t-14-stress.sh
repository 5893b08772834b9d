# SPDX-License-Identifier: GPL-2.0
#
# Stress: two devices, each with a consumer running three threads of
# region reads/writes, MSI-X interrupts (doorbell + eventfd wait) and
# DMA round trips (vfio-consumer-test stress:SECONDS:THREADS), while
# this script kills servers with SIGKILL and restarts them, and removes
# devices in use and adds them again, round after round.  Device st1's
# server is restarted each time with a fault that sends one malformed
# reply (wrong msg_id or command, oversized msg_size, read count too
# large) or cuts one short, after about 100 replies, i.e. under load
# with requests of all threads in flight.  The consumers close and
# reopen the device on ERR/REQ and accept only EIO/ENODEV, and st1's
# also EPROTO.
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
kasan_on && DUR=90
DUR=${VUB_STRESS_SECONDS:-$DUR}
THREADS=3

now_s() { read -r _up _ < /proc/uptime; echo ${_up%.*}; }

# srv K [ARGS]: (re)start the server of device K, remember its pid.
srv() {
	_k=$1
	shift
	start_server $D/s$_k.sock "$@" >/dev/null || fail "server-$_k-start"
	eval SPID$_k=\$SERVER_PID
	SERVER_PID=
}

# The faults st1's server gets in turn (each fires once, on the Nth
# matching message, bring-up included).
FAULTS="wrong-msg-id:100 oversized-msg-size:100 count-too-large:60 close-mid-reply:100 wrong-cmd:100"
nfaults=0
next_fault() {
	set -- $FAULTS
	shift $((nfaults % $#))
	nfaults=$((nfaults + 1))
	FAULT=$1
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
	mode=stress:$DUR:$THREADS
	[ $k = 1 ] && mode=$mode:eproto
	"$CONSUMER/vfio-consumer-test" st$k $mode > $D/c$k.log 2>&1 &
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
		if [ $k = 1 ]; then
			next_fault
			srv $k --fault=$FAULT
		else
			srv $k
		fi
	else
		bounded remove-in-use-$round 20 $BUS/remove st$k || break
		removes=$((removes + 1))
	fi
	bounded add-$round 20 $BUS/add "socket=$D/s$k.sock name=st$k timeout_ms=5000" || break
	round=$((round + 1))
done
echo "INFO: $T: $round rounds in $(($(now_s) - t0)) s: $kills servers killed, $removes devices removed in use, $nfaults faulty servers"
check storm-rounds test $round -ge 4
# At least one malformed or cut-short reply hit st1 under load.
fired=$(grep -c '^.*fault \(wrong-msg-id\|oversized-msg-size\|count-too-large\|close-mid-reply\|wrong-cmd\)' /tmp/server-s1.sock.log 2>/dev/null)
echo "INFO: $T: $fired faults fired in st1's servers"
check faults-fired test "${fired:-0}" -ge 1

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
