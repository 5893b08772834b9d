# SPDX-License-Identifier: GPL-2.0
#
# Device lifecycle: creation through the socket= module parameter and
# /sys/bus/vfio-user/add (both syntaxes), removal, errors returned to
# the writer, sysfs attributes, 200 add/remove cycles without slab
# growth, and rmmod with refcount 0 after each scenario.
. "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vfio-user
D=/tmp/vub-t10
mkdir -p $D

# A bound socket nobody listens on (connect gets ECONNREFUSED).
python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('$D/dead.sock')" 2>/dev/null ||
	fail dead-socket-setup

start_server $D/a.sock >/dev/null || fail server-a
PID_A=$SERVER_PID
start_server $D/c.sock >/dev/null || fail server-c
PID_C=$SERVER_PID
start_server $D/b.sock >/dev/null || fail server-b

# ---- module parameter ---------------------------------------------------
check param-insmod load_module socket=$D/a.sock,$D/b.sock
check param-dev0 test -d $BUS/devices/vfio-user0
check param-dev1 test -d $BUS/devices/vfio-user1
check param-socket test "$(cat $BUS/devices/vfio-user1/socket)" = $D/b.sock
check param-state test "$(cat $BUS/devices/vfio-user0/state)" = ready
check param-version test "$(cat $BUS/devices/vfio-user0/protocol_version)" = 0.2
check param-server-pid test "$(cat $BUS/devices/vfio-user0/server_pid)" = "$PID_A"
check param-server-uid test "$(cat $BUS/devices/vfio-user0/server_uid)" = 0
check param-caps test "$(cat $BUS/devices/vfio-user0/caps/max_data_xfer_size)" = 1048576
check param-caps-fds test "$(cat $BUS/devices/vfio-user0/caps/max_msg_fds)" = 8
check param-pgsizes test "$(cat $BUS/devices/vfio-user0/caps/pgsizes)" = 0x1000
check param-timeout test "$(cat $BUS/devices/vfio-user0/timeout_ms)" = 30000
check param-reset-timeout test "$(cat $BUS/devices/vfio-user0/reset_timeout_ms)" = 120000
check param-stats test "$(cat $BUS/devices/vfio-user0/stats/requests)" -gt 3
check param-driver-bound test -e $BUS/devices/vfio-user0/driver
check add-remove-mode test "$(stat -c %a $BUS/add) $(stat -c %a $BUS/remove)" = "200 200"
# A request through the normal path: the config space vendor/device ID.
check region-read wr /sys/kernel/debug/vfio_user/vfio-user0/region_read "7 0 4"
check region-read-data test "$(cat /sys/kernel/debug/vfio_user/vfio-user0/region_read)" = "58 4e 75 75"
check param-rmmod unload_module

# A failing device makes the load fail and leaves nothing behind.
check param-enoent-fails sh -c "! insmod $VUB_KO socket=$D/a.sock,$D/nonexistent.sock 2>/dev/null"
check param-enoent-unloaded sh -c '! grep -q "^vfio_user " /proc/modules'
check param-enoent-logged sh -c "dmesg | grep -q 'cannot connect to $D/nonexistent.sock'"

# ---- sysfs add/remove ---------------------------------------------------
check insmod load_module
check add-path wr $BUS/add "$D/a.sock"
check add-path-dev test "$(cat $BUS/devices/vfio-user0/state)" = ready
check add-kv wr $BUS/add "socket=$D/b.sock name=mydev timeout_ms=2000 reset_timeout_ms=5000"
check add-kv-dev test "$(cat $BUS/devices/mydev/timeout_ms)" = 2000
check add-kv-reset test "$(cat $BUS/devices/mydev/reset_timeout_ms)" = 5000
check add-kv-devnode test "$(readlink -f $BUS/devices/mydev/subsystem)" = $BUS
check add-dup-name test "$(wr $BUS/add "socket=$D/a.sock name=mydev")" = "File exists"
check add-enoent test "$(wr $BUS/add $D/nonexistent.sock)" = "No such file or directory"
check add-enoent-log sh -c "dmesg | tail -n 5 | grep -q 'cannot connect to $D/nonexistent.sock: -\(ENOENT\|2\)$'"
check add-econnrefused test "$(wr $BUS/add $D/dead.sock)" = "Connection refused"
check add-einval-key test "$(wr $BUS/add "socket=$D/a.sock colour=red")" = "Invalid argument"
check add-einval-relative test "$(wr $BUS/add "socket=a.sock")" = "Invalid argument"
check add-einval-name test "$(wr $BUS/add "socket=$D/a.sock name=../x")" = "Invalid argument"
check add-einval-timeout test "$(wr $BUS/add "socket=$D/a.sock timeout_ms=1")" = "Invalid argument"
check add-einval-empty test "$(wr $BUS/add " ")" = "Invalid argument"
check add-nothing-left test "$(ls $BUS/devices | sort | tr '\n' ' ')" = "mydev vfio-user0 "
check timeout-rw wr $BUS/devices/mydev/timeout_ms 3000
check timeout-rw-read test "$(cat $BUS/devices/mydev/timeout_ms)" = 3000
check timeout-rw-einval test "$(wr $BUS/devices/mydev/timeout_ms 0)" = "Invalid argument"
check remove-kv wr $BUS/remove mydev
check remove-kv-gone test ! -e $BUS/devices/mydev
check remove-enodev test "$(wr $BUS/remove mydev)" = "No such device"
# The name is reusable, and generated names skip explicit ones.
check add-name-reuse wr $BUS/add "socket=$D/b.sock name=vfio-user1"
check add-skip-name wr $BUS/add "$D/c.sock"
check add-skip-name-dev test -d $BUS/devices/vfio-user2
check refcount-zero test "$(module_refcount)" = 0
check rmmod-with-devices unload_module
check no-bus test ! -e $BUS

# ---- add/remove cycles (VUB_CYCLES, default 200): no slab growth ---------
slab() { sed -n 's/^Slab: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
cycles=${VUB_CYCLES:-200}
check cycles-insmod load_module
cycle() {
	wr $BUS/add "socket=$D/a.sock name=cyc" >/dev/null &&
		wr $BUS/remove cyc >/dev/null
}
i=0
while [ $i -lt 20 ]; do cycle; i=$((i + 1)); done
sync; echo 2 > /proc/sys/vm/drop_caches
before=$(slab)
ok=0
i=0
while [ $i -lt $cycles ]; do
	cycle && ok=$((ok + 1))
	i=$((i + 1))
done
sync; echo 2 > /proc/sys/vm/drop_caches
after=$(slab)
echo "vm: $T: $cycles cycles: $ok ok, Slab ${before} kB -> ${after} kB"
check cycles-all-ok test $ok = $cycles
# KASAN's quarantine keeps freed objects for a while, so slab grows
# without a leak there; on that kernel t-99-kmemleak is the leak check.
slab_max=512
kasan_on && slab_max=2048
check cycles-slab test $((after - before)) -lt $slab_max
check cycles-no-devices test -z "$(ls $BUS/devices)"
check cycles-rmmod unload_module

stop_server
SERVER_PID=$PID_A
stop_server
SERVER_PID=$PID_C
stop_server
rm -rf $D
