# SPDX-License-Identifier: GPL-2.0
#
# Planned upgrade (Documentation/lifecycle.rst): a write of a new
# server's socket to the device's upgrade attribute carries the device
# state (migration stream) from the running server to the new one while
# a consumer keeps the device open under load (region I/O, MSI-X
# interrupts, DMA): no operation fails, no ERR eventfd fires, and a
# register and BAR2 written before are read back after from the new
# server process (the old one, --once, has exited).  Then the failure
# paths, each leaving the device on the old server, running, with its
# state: the new server refuses the stream, dies mid-stream, presents
# another device, has no migration; the writer is killed; a mapped
# region and a consumer migrating the device refuse (EBUSY), as a
# server without migration does (EOPNOTSUPP); the old server dying
# mid-stream breaks the device.
. "$(dirname "$0")/lib.sh"

sa=/run/t23a.sock
sb=/run/t23b.sock
BUS=/sys/bus/vfio-user
D=$BUS/devices/vfio-user0

# wr FILE STRING: the errno text of a failed write.  One write(2),
# by dd: printf's stdio writes the line again at exit after a failed
# write, which would start a second upgrade.
wr() {
	_err=$(printf '%s\n' "$2" | dd of="$1" bs=4096 2>&1 >/dev/null) && return 0
	_err=$(echo "$_err" | grep 'error writing')
	echo "${_err##*: }"
	return 1
}

# fails FILE STRING: the write fails.
fails() {
	! wr "$@" >/dev/null
}

# gone PID: the process has exited (within 5 s).
gone() {
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -0 "$1" 2>/dev/null && return 1
	wait "$1" 2>/dev/null
	return 0
}

# hold NAME MARKER CMD...: run CMD in the background (pid HP, output
# HOLD_OUT) and wait until it prints MARKER.
hold() {
	_n=$1
	_m=$2
	shift 2
	HOLD_OUT=/tmp/hold-$T-$_n.log
	"$@" >"$HOLD_OUT" 2>&1 &
	HP=$!
	_i=0
	while ! grep -q "$_m" "$HOLD_OUT" && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	check "$_n" grep -q "$_m" "$HOLD_OUT"
}

# consumer NAME SPEC: start a survive-carry consumer in the background,
# wait until it runs; sets CPID and OUT.
consumer() {
	OUT=/tmp/consumer-$T-$1.log
	start_consumer "$OUT" vfio-user0 "$2"
	CPID=$CONSUMER_PID
	check "$1-running" grep -q RUNNING "$OUT"
}

# consumer_done NAME: the consumer saw only successes, no ERR signal,
# and read back the state it wrote.
consumer_done() {
	wait "$CPID"
	check "$1-consumer-exit" test $? = 0
	sed -n 's/^INFO: /INFO: '"$1"': /p' "$OUT"
	check "$1-survive" grep -q '^PASS: survive$' "$OUT"
	check "$1-after" grep -q '^PASS: survive-after$' "$OUT"
	check "$1-zero-failed" test "$(sed -n 's/^EIO-COUNT: //p' "$OUT")" = 0
	check "$1-no-err" test "$(sed -n 's/^ERR-SIGNALS: //p' "$OUT")" = 0
	check "$1-carried" grep -q '^PASS: carry-state$' "$OUT"
}

# ---- under load: two upgrades, a -> b -> a ----------------------------
# ioeventfds=0: a doorbell rung through the server's ioeventfd just
# before the upgrade may not be read by the old server (lifecycle.rst).
check server-a start_server "$sa" --migration --once
pa=$SERVER_PID
check insmod load_module socket="$sa" ioeventfds=0
check upgrades-zero test "$(cat $D/stats/upgrades)" = 0
check pid-a test "$(cat $D/server_pid)" = "$pa"
consumer load survive-carry:20:3
sleep 3
check server-b start_server "$sb" --migration --once
pb=$SERVER_PID
check upgrade-a-b wr $D/upgrade "$sb"
check ready-b test "$(cat $D/state)" = ready
check pid-b test "$(cat $D/server_pid)" = "$pb"
check socket-b test "$(cat $D/socket)" = "$sb"
check old-a-exited gone "$pa"
check migration-running test "$(cat $D/migration)" = running
sleep 3
check server-a2 start_server "$sa" --migration --once
pa2=$SERVER_PID
check upgrade-b-a wr $D/upgrade "$sa"
check pid-a2 test "$(cat $D/server_pid)" = "$pa2"
check old-b-exited gone "$pb"
consumer_done load
check upgrades-two test "$(cat $D/stats/upgrades)" = 2
check reconnects-none test "$(cat $D/stats/reconnects)" = 0
check upgrade-logged sh -c 'dmesg | grep -q "vfio-user0: upgraded to .* bytes of device state carried"'
SERVER_PID=$pa2

# ---- failures: the old server resumed, with its state -----------------
# fail_case NAME EXPECTED SERVER-ARGS...: a new server on $sb with
# SERVER-ARGS; the upgrade fails with EXPECTED (errno text) while a
# consumer runs; the device stays on the old server, running, the
# consumer sees no failure and reads its state back.
fail_case() {
	_n=$1
	_e=$2
	shift 2
	_old=$SERVER_PID
	consumer "$_n" survive-carry:6:2
	sleep 1
	check "$_n-server" start_server "$sb" "$@"
	_new=$SERVER_PID
	check "$_n-refused" test "$(wr $D/upgrade "$sb")" = "$_e"
	check "$_n-ready" test "$(cat $D/state)" = ready
	check "$_n-old-pid" test "$(cat $D/server_pid)" = "$_old"
	check "$_n-old-socket" test "$(cat $D/socket)" = "$sa"
	check "$_n-running" test "$(cat $D/migration)" = running
	consumer_done "$_n"
	SERVER_PID=$_new stop_server
	SERVER_PID=$_old
}

# The new server refuses the stream (a MIG_DATA_WRITE), or refuses to
# leave RESUMING (its 3rd SET: STOP, RESUMING, STOP).
fail_case write-refused "Input/output error" --migration --fault mig-write-refuse:1
check write-refused-logged sh -c 'dmesg | grep -q "vfio-user0: upgrade: MIG_DATA_WRITE to the new server failed"'
fail_case load-refused "Input/output error" --migration --fault mig-refuse:3
# The new server dies mid-stream, after its first MIG_DATA_WRITE.
fail_case new-dies "Connection reset by peer" --migration --fault exit-after:1@MIG_DATA_WRITE
# Another device (a 4 KiB config space), a server without migration.
fail_case other-device "No such device" --migration --config-size 4096
check other-logged sh -c 'dmesg | grep -q "vfio-user0: upgrade: the server on .* presents another device"'
fail_case new-no-migration "Operation not supported"
check no-stats test "$(cat $D/stats/upgrades)" = 2

# The writer killed while the new server holds a MIG_DATA_WRITE reply:
# the old server is resumed all the same.
old=$SERVER_PID
resumed() { dmesg | grep -c "vfio-user0: upgrade: failed, the device stays on the server"; }
r0=$(resumed)
check slow-server start_server "$sb" --migration --fault delay-reply@MIG_DATA_WRITE --delay-ms 20000
slow=$SERVER_PID
printf '%s\n' "$sb" | dd of=$D/upgrade bs=4096 2>/dev/null &
w=$!
i=0
while ! grep -q "fault delay-reply" /tmp/server-${sb##*/}.log && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check killed-mid-stream grep -q "fault delay-reply" /tmp/server-${sb##*/}.log
kill -9 $w
wait $w 2>/dev/null
check killed-logged sh -c 'dmesg | grep -q "vfio-user0: upgrade: MIG_DATA_WRITE to the new server failed after .*EINTR"'
check killed-resumed test "$(resumed)" -gt "$r0"
check killed-ready test "$(cat $D/state)" = ready
check killed-running test "$(cat $D/migration)" = running
check killed-old-pid test "$(cat $D/server_pid)" = "$old"
T=$T-killed run_consumer vfio-user0 bar0 bar2-rw irq-msix dma
SERVER_PID=$slow stop_server
SERVER_PID=$old

# A mapped region refuses the upgrade (EBUSY); unmapped, it works.
old=$SERVER_PID
check busy-server start_server "$sb" --migration --once
pb=$SERVER_PID
hold mapped MAPPED "$CONSUMER/vfio-consumer-test" vfio-user0 hold-mmap:8
check mapped-busy test "$(wr $D/upgrade "$sb")" = "Device or resource busy"
check busy-logged sh -c 'dmesg | grep -q "vfio-user0: upgrade: region 2 of the server is mapped"'
wait $HP
check hold-pass grep -q '^PASS: hold-mmap' "$HOLD_OUT"
check unmapped-upgrade wr $D/upgrade "$sb"
check unmapped-pid test "$(cat $D/server_pid)" = "$pb"
check unmapped-old-exited gone "$old"
SERVER_PID=$pb
check relative-path-refused test "$(wr $D/upgrade "run/x.sock")" = "Invalid argument"
# The consumer migrating the device (its state STOP): EBUSY.
check migrating-server start_server "$sa" --migration --once
pm=$SERVER_PID
hold consumer-stopped STOPPED "$CONSUMER/vfio-mig-test" vfio-user0 hold-stop:8
check consumer-migrating test "$(cat $D/migration)" = stop
check migrating-busy test "$(wr $D/upgrade "$sa")" = "Device or resource busy"
check migrating-logged sh -c 'dmesg | grep -q "vfio-user0: upgrade: the consumer is migrating the device (migration state stop)"'
wait $HP
check hold-stop-pass grep -q '^PASS: hold-stop' "$HOLD_OUT"
check migrating-old-pid test "$(cat $D/server_pid)" = "$pb"
SERVER_PID=$pm stop_server
SERVER_PID=$pb
# The same through the systemd helper (tools/system).
helper="$TOP/tools/system/vfio-user-device"
check unit-server start_server "$sa" --migration --once
pu=$SERVER_PID
check unit-upgrade env WAIT=5 sh "$helper" upgrade vfio-user0 "$sa"
check unit-pid test "$(cat $D/server_pid)" = "$pu"
check unit-old-exited gone "$pb"
check unit-relative-refused sh -c "! sh $helper upgrade vfio-user0 run/x.sock 2>/dev/null"
check unit-upgrades test "$(cat $D/stats/upgrades)" = 4
check rmmod unload_module
stop_server

# The old server dies mid-stream (its 2nd MIG_DATA_READ): without
# reconnect the device breaks, as for any lost server.
check server-dying start_server "$sa" --migration --fault exit-after:2@MIG_DATA_READ
dying=$SERVER_PID
check insmod-dying load_module socket="$sa"
check server-b-dying start_server "$sb" --migration
pb=$SERVER_PID
check dying-refused fails $D/upgrade "$sb"
check dying-broken test "$(cat $D/state)" = broken
check rmmod-dying unload_module
SERVER_PID=$pb stop_server
SERVER_PID=$dying stop_server

# A server without migration: EOPNOTSUPP, and a line saying so.
check server-plain start_server "$sa"
plain=$SERVER_PID
check insmod-plain load_module socket="$sa"
check server-b-plain start_server "$sb" --migration
pb=$SERVER_PID
check plain-refused test "$(wr $D/upgrade "$sb")" = "Operation not supported"
check plain-logged sh -c 'dmesg | grep -q "vfio-user0: upgrade: the server has no migration"'
check plain-ready test "$(cat $D/state)" = ready
check rmmod-plain unload_module
SERVER_PID=$pb stop_server
SERVER_PID=$plain stop_server
