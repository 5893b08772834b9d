# SPDX-License-Identifier: GPL-2.0
#
# What a consumer, an unprivileged writer or a server must not be able to
# do through the bridge:
#  - map a server's region file for writing when the file cannot be
#    written: sealed memfds (F_SEAL_WRITE, F_SEAL_FUTURE_WRITE) and
#    read-only fds give read-only mappings, with a log line (write-only
#    fds are refused at bring-up, t-11);
#  - hand the server a file that is not an eventfd by swapping the fd
#    number behind SET_IRQS with dup2() from another thread (the server
#    logs every non-eventfd it receives), with and without relays;
#  - hang in SET_IRQS behind a reset the server takes long to answer: a
#    SIGKILLed caller exits at once;
#  - add or remove devices without CAP_SYS_ADMIN.
. "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vfio-user
D=/tmp/vub-t17
mkdir -p $D

check insmod load_module

# ---- region files that cannot be mapped for writing ---------------------
r=0
for f in bar2-sealed bar2-future-sealed bar2-rdonly; do
	r=$((r + 1))
	case $f in
	bar2-rdonly) why="the fd is open read-only" ;;
	*) why="the server's file is sealed against writes" ;;
	esac
	check $f-server start_server $D/r$r.sock --fault=$f
	check $f-add wr $BUS/add "socket=$D/r$r.sock name=t17r$r"
	check $f-log sh -c "dmesg | grep 'vfio-user t17r$r: region 2: ' | grep -q \"$why, mappings will be read-only\""
	T=$T-$f run_consumer t17r$r mmap-ro bar2-rw config
	check $f-remove wr $BUS/remove t17r$r
	stop_server
done

# ---- SET_IRQS against a racing dup2() -----------------------------------
for relay in N Y; do
	check dup2-relay-$relay wr /sys/module/vfio_user/parameters/irq_relay $relay
	check dup2-$relay-server start_server $D/d$relay.sock
	check dup2-$relay-add wr $BUS/add "socket=$D/d$relay.sock name=t17d$relay"
	T=$T-relay-$relay run_consumer t17d$relay irq-dup2-race
	check dup2-$relay-server-eventfds-only sh -c "! grep 'is not an eventfd' /tmp/server-d$relay.sock.log"
	check dup2-$relay-remove wr $BUS/remove t17d$relay
	stop_server
done
check dup2-relay-off wr /sys/module/vfio_user/parameters/irq_relay N

# ---- SET_IRQS behind a slow reset is killable ---------------------------
check reset-kill-server start_server $D/k.sock --fault=delay-reply@DEVICE_RESET \
	--delay-ms 12000
check reset-kill-add wr $BUS/add "socket=$D/k.sock name=t17k reset_timeout_ms=60000"
T=$T run_consumer t17k reset-kill
check reset-kill-state test "$(cat $BUS/devices/t17k/state)" = ready
check reset-kill-remove wr $BUS/remove t17k
stop_server

# ---- add and remove need CAP_SYS_ADMIN ----------------------------------
check cap-server start_server $D/c.sock
# (/usr/bin/printf: dash's echo reports every write error as "I/O error")
check cap-add-eperm sh -c "setpriv --bounding-set=-sys_admin sh -c '/usr/bin/printf %s $D/c.sock > $BUS/add' 2>&1 | grep -q 'Operation not permitted'"
check cap-add-nothing test -z "$(ls $BUS/devices)"
check cap-add-root wr $BUS/add "socket=$D/c.sock name=t17c"
check cap-remove-eperm sh -c "setpriv --bounding-set=-sys_admin sh -c '/usr/bin/printf %s t17c > $BUS/remove' 2>&1 | grep -q 'Operation not permitted'"
check cap-remove-still-there test -e $BUS/devices/t17c
check cap-remove-root wr $BUS/remove t17c
stop_server

check rmmod unload_module
