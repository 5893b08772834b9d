# SPDX-License-Identifier: GPL-2.0
#
# The opt-in server uid check: add's server_uid=N key and the
# server_uid module parameter refuse a server whose listener does not
# run as uid N with EPERM and a log line, leaving nothing behind.
. "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vfio-user
D=/tmp/uidtest
rm -rf $D
mkdir -p $D
chmod 777 $D

start_server $D/root.sock >/dev/null || fail server-root

# A server running as nobody (uid 65534).
rm -f $D/nobody.sock
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$SERVER" --socket $D/nobody.sock >/dev/null 2>>/tmp/server-nobody.sock.log &
PID_NOBODY=$!
i=0
while [ ! -S $D/nobody.sock ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
check server-nobody test -S $D/nobody.sock

# ---- add's server_uid key -------------------------------------------------
check insmod load_module
check add-uid-match wr $BUS/add "socket=$D/root.sock name=r0 server_uid=0"
check add-uid-match-dev test "$(cat $BUS/devices/r0/state)" = ready
check add-uid-match-remove wr $BUS/remove r0
check add-uid-mismatch test "$(wr $BUS/add "socket=$D/root.sock name=r1 server_uid=65534")" = \
	"Operation not permitted"
check add-uid-mismatch-log sh -c "dmesg | tail -n 5 | grep -q 'server on $D/root.sock runs as uid 0, expected 65534: refusing it'"
check add-uid-mismatch-gone test ! -e $BUS/devices/r1
check add-uid-nobody wr $BUS/add "socket=$D/nobody.sock name=n0 server_uid=65534"
check add-uid-nobody-uid test "$(cat $BUS/devices/n0/server_uid)" = 65534
check add-uid-nobody-state test "$(cat $BUS/devices/n0/state)" = ready
check add-uid-einval test "$(wr $BUS/add "socket=$D/root.sock server_uid=x")" = "Invalid argument"
check add-uid-einval-invalid test "$(wr $BUS/add "socket=$D/root.sock server_uid=4294967295")" = \
	"Invalid argument"
check add-uid-nothing-left test "$(ls $BUS/devices | tr '\n' ' ')" = "n0 "
check add-uid-remove wr $BUS/remove n0
# uids are decimal: 065534 is 65534 (not octal 27484), 0x10 is no uid.
check add-uid-decimal wr $BUS/add "socket=$D/nobody.sock name=n8 server_uid=065534"
check add-uid-decimal-remove wr $BUS/remove n8
check add-uid-hex test "$(wr $BUS/add "socket=$D/root.sock server_uid=0x10")" = "Invalid argument"
check add-uid-rmmod unload_module

# ---- the module parameter -------------------------------------------------
check param-uid-mismatch-fails sh -c "! insmod $VUB_KO server_uid=65534 socket=$D/root.sock 2>/dev/null"
check param-uid-mismatch-unloaded sh -c '! grep -q "^vfio_user " /proc/modules'
check param-uid-mismatch-log sh -c "dmesg | tail -n 5 | grep -q 'server on $D/root.sock runs as uid 0, expected 65534: refusing it'"
check param-uid-einval sh -c "! insmod $VUB_KO server_uid=-2 2>/dev/null"
check param-uid-einval-unloaded sh -c '! grep -q "^vfio_user " /proc/modules'
check param-uid-match load_module server_uid=65534 socket=$D/nobody.sock
check param-uid-match-dev test "$(cat $BUS/devices/vfio-user0/server_uid)" = 65534
# The parameter is add's default; the key overrides it.
check param-uid-default test "$(wr $BUS/add "socket=$D/root.sock name=r2")" = \
	"Operation not permitted"
check param-uid-override wr $BUS/add "socket=$D/root.sock name=r3 server_uid=0"
# The sample server serves one client at a time.
check param-uid-override-remove wr $BUS/remove r3
check param-uid-runtime wr /sys/module/vfio_user/parameters/server_uid -1
check param-uid-runtime-off wr $BUS/add "socket=$D/root.sock name=r4"
check param-uid-rmmod unload_module

stop_server
SERVER_PID=$PID_NOBODY
stop_server
rm -rf $D
