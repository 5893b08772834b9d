# SPDX-License-Identifier: GPL-2.0
#
# Reconnect (Documentation/lifecycle.rst): the sample server is killed
# with SIGKILL under consumer I/O (region I/O, MSI-X interrupts, DMA in
# both modes), started again and the device reconnected with a write to
# its reconnect attribute: the consumer's open device keeps working, its
# ERR eventfd fires once per reconnect, and no operation sees anything
# but success or EIO.  Then: a different device on the socket is
# refused (the device breaks), the reconnect timeout breaks the device,
# a server that dies again mid-reconnect, a device removed
# mid-reconnect, two writers at once, and a reconnect to a new path.
. "$(dirname "$0")/lib.sh"

sock=/run/t22.sock

# wr FILE STRING, as lib.sh's; an empty STRING writes "\n" (a write of
# nothing never reaches the attribute): reconnect to the same path.
wr() {
	_err=$(/usr/bin/printf '%s\n' "$2" 2>&1 >"$1") && return 0
	echo "${_err##*: }"
	return 1
}
BUS=/sys/bus/vfio-user
D=$BUS/devices/vfio-user0

# survive NAME CYCLES: a consumer keeps one open across CYCLES
# kill/restart/reconnect cycles; its ERR eventfd must fire CYCLES times.
survive() {
	_name=$1
	_cycles=$2
	out=/tmp/consumer-$T-$_name.log
	check $_name-running start_consumer "$out" vfio-user0 "survive:$((4 + 5 * _cycles)):3"
	_cpid=$CONSUMER_PID
	_c=0
	while [ $_c -lt "$_cycles" ]; do
		sleep 2
		kill_server
		check $_name-reconnecting-$_c wait_state reconnecting
		check $_name-server-$_c start_server "$sock"
		check $_name-reconnect-$_c wr $D/reconnect ""
		check $_name-ready-$_c test "$(cat $D/state)" = ready
		_c=$((_c + 1))
	done
	wait $_cpid
	check $_name-consumer-exit test $? = 0
	sed -n 's/^INFO: /INFO: '"$_name"': /p' "$out"
	check $_name grep -q '^PASS: survive$' "$out"
	check $_name-after grep -q '^PASS: survive-after$' "$out"
	check $_name-err-fired test "$(sed -n 's/^ERR-SIGNALS: //p' "$out")" = "$_cycles"
}

check server start_server "$sock"
# ioeventfds=0: a doorbell rung through an ioeventfd is lost with the
# server that did not read it yet (the consumer would count it lost).
check insmod load_module socket="$sock" reconnect=1 reconnect_timeout_ms=30000 ioeventfds=0
check attr-enabled test "$(cat $D/reconnect_enabled)" = 1
check attr-timeout test "$(cat $D/reconnect_timeout_ms)" = 30000
check attr-timeout-bounded sh -c "! echo 99 > $D/reconnect_timeout_ms"
check reconnects-zero test "$(cat $D/stats/reconnects)" = 0
# Only a device that lost its server reconnects.
check refused-when-ready test "$(wr $D/reconnect "$sock")" = "Invalid argument"

# dma=message (the default): two kill/restart/reconnect cycles.
survive message 2
check reconnects-counted test "$(cat $D/stats/reconnects)" = 2
check reconnect-logged sh -c 'dmesg | grep -q "vfio-user0: reconnected to"'
check lost-logged sh -c 'dmesg | grep -q "vfio-user0: connection to .* lost"'
check rmmod unload_module
stop_server

# dma=mmap: the window file is sent again.
check server-mmap start_server "$sock"
check insmod-mmap load_module socket="$sock" reconnect=1 ioeventfds=0 dma=mmap
survive mmap 1
check dma-mode-mmap test "$(cat $D/dma_mode)" = mmap
# The server holds window files (this module's) until it exits.
stop_server
check rmmod-mmap unload_module

# The consumer goes (SIGKILL: its close runs at exit) while the device
# is reconnecting: the close does not wait for the reconnect, which
# then succeeds; a new consumer finds a working device.
check server-close start_server "$sock"
check insmod-close load_module socket="$sock" reconnect=1 ioeventfds=0
out=/tmp/consumer-$T-close.log
check close-running start_consumer "$out" vfio-user0 survive:60:2
cpid=$CONSUMER_PID
sleep 1
kill_server
check close-reconnecting wait_state reconnecting
t0=$(date +%s)
kill -9 $cpid
wait $cpid
t1=$(date +%s)
check close-prompt test $((t1 - t0)) -lt 5
check close-closed test "$(cat $D/consumer_pid)" = 0
check server-close2 start_server "$sock"
check close-reconnect wr $D/reconnect ""
check close-ready test "$(cat $D/state)" = ready
T=$T-close run_consumer vfio-user0 bar0 irq-msix dma
stop_server
check rmmod-close unload_module

# Without reconnect (the default) a lost server breaks the device.
check server-off start_server "$sock"
check insmod-off load_module socket="$sock"
check off-default test "$(cat $D/reconnect_enabled)" = 0
kill_server
check off-broken wait_state broken
check rmmod-off unload_module

# Another device on the socket (a 4 KiB config space): refused, broken.
check server-id start_server "$sock"
check insmod-id load_module socket="$sock" reconnect=1
kill_server
check id-reconnecting wait_state reconnecting
check server-other start_server "$sock" --config-size 4096
check other-refused test "$(wr $D/reconnect "")" = "No such device"
check other-broken test "$(cat $D/state)" = broken
check other-logged sh -c 'dmesg | grep -q "vfio-user0: reconnect: the server on .* presents another device"'
check rmmod-id unload_module
stop_server

# The reconnect timeout breaks the device; a consumer's request issued
# meanwhile waits, then fails with EIO, within the timeout.
check server-tmo start_server "$sock"
check insmod-tmo load_module socket="$sock" ioeventfds=0
check enable-sysfs sh -c "echo 1 > $D/reconnect_enabled"
check tmo-set sh -c "echo 1500 > $D/reconnect_timeout_ms"
out=/tmp/consumer-$T-tmo.log
check tmo-running start_consumer "$out" vfio-user0 survive:6:2
cpid=$CONSUMER_PID
sleep 1
kill_server
check tmo-reconnecting wait_state reconnecting 10
check tmo-broken wait_state broken 60
# From the loss to the break, by the kernel log's clock (the VM is slow).
stamp() { dmesg | grep "vfio-user0: connection to .* $1" | tail -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'; }
ms=$(awk "BEGIN { printf \"%d\", ($(stamp 'broken (-ETIMEDOUT)') - $(stamp lost)) * 1000 }")
echo "INFO: reconnecting -> broken after $ms ms (timeout 1500)"
check tmo-in-time test "$ms" -ge 1400 -a "$ms" -lt 2500
check tmo-reason grep -q "no reconnect within" $D/broken_reason
wait $cpid
sed -n 's/^INFO: /INFO: tmo: /p' "$out"
check tmo-only-eio grep -q 'INFO: survive: slowest operation .* 0 unexpected results' "$out"
check tmo-eio-seen test "$(sed -n 's/^EIO-COUNT: //p' "$out")" -gt 0
check tmo-late-refused test "$(wr $D/reconnect "")" = "Invalid argument"
check rmmod-tmo unload_module

# The new server dies during the reconnect's bring-up: the write fails,
# the device stays reconnecting; a good server then reconnects it.
check server-race start_server "$sock"
check insmod-race load_module socket="$sock" reconnect=1
kill_server
check race-reconnecting wait_state reconnecting
check server-dies start_server "$sock" --fault exit-after:3
check dies-refused test "$(wr $D/reconnect "")" = "Connection reset by peer"
check dies-still-reconnecting test "$(cat $D/state)" = reconnecting
kill_server
check server-good start_server "$sock"
# Two writers at once: one reconnects, the other finds it done.
( wr $D/reconnect "" >/tmp/t22-w1; echo $? >>/tmp/t22-w1 ) &
w1=$!
( wr $D/reconnect "" >/tmp/t22-w2; echo $? >>/tmp/t22-w2 ) &
w2=$!
wait $w1 $w2
check two-writers-one-wins test "$(cat /tmp/t22-w1 /tmp/t22-w2 | grep -c '^0$')" = 1
check two-writers-other-einval sh -c 'cat /tmp/t22-w1 /tmp/t22-w2 | grep -q "Invalid argument"'
check race-ready test "$(cat $D/state)" = ready
# The device removed while a reconnect waits for a slow server.
kill_server
check race-reconnecting2 wait_state reconnecting
check server-slow start_server "$sock" --fault delay-reply@VERSION --delay-ms 20000
( wr $D/reconnect "" >/tmp/t22-w3; echo $? >>/tmp/t22-w3 ) &
w3=$!
sleep 1
t0=$(date +%s)
check remove-mid-reconnect sh -c "echo vfio-user0 > $BUS/remove"
wait $w3
t1=$(date +%s)
check remove-prompt test $((t1 - t0)) -lt 10
check removed test ! -e $D
check reconnect-writer-failed test "$(tail -1 /tmp/t22-w3)" != 0
stop_server

# A reconnect to a new socket path.
sock2=/run/t22-b.sock
check server-path start_server "$sock"
check add-path sh -c "echo $sock > $BUS/add"
check enable-path sh -c "echo 1 > $D/reconnect_enabled"
kill_server
check path-reconnecting wait_state reconnecting
check server-path2 start_server "$sock2"
check reconnect-new-path wr $D/reconnect "$sock2"
check new-path-shown test "$(cat $D/socket)" = "$sock2"
check new-path-ready test "$(cat $D/state)" = ready
check new-path-pid test "$(cat $D/server_pid)" = "$SERVER_PID"
check rmmod-path unload_module
stop_server

# The unit's helper (vfio-user@.service ExecReload=): add with
# reconnect=1, then reconnect after a restart; a ready device is left
# alone.
DEV=$BUS/devices/t22dev
helper="$TOP/tools/system/vfio-user-device"
check server-unit start_server "$sock"
check insmod-unit load_module
check unit-add env SOCKET="$sock" OPTIONS="reconnect=1" WAIT=5 sh "$helper" add t22dev
check unit-reconnect-enabled test "$(cat $DEV/reconnect_enabled)" = 1
check unit-ready-noop env SOCKET="$sock" WAIT=5 sh "$helper" reconnect t22dev
kill_server
check server-unit2 start_server "$sock"
check unit-reconnect env SOCKET="$sock" WAIT=5 sh "$helper" reconnect t22dev
check unit-ready test "$(cat $DEV/state)" = ready
check unit-reconnects test "$(cat $DEV/stats/reconnects)" = 1
check unit-remove env sh "$helper" remove t22dev
check rmmod-unit unload_module
stop_server
