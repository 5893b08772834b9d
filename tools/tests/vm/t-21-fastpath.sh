# SPDX-License-Identifier: GPL-2.0
#
# Region I/O fast paths (Documentation/region-io.rst).
# Posted writes: off by default on the sample device (BAR2 is
# mappable); with posted_writes on, a burst of BAR0 writes all reach
# the device in order before a read-back; a posted write the server
# fails is counted in stats/posted_errors when the server reports it
# (noreply-errors) and the device stays ready; a success reply to a
# posted write breaks the device; a server that dies with posted writes
# queued breaks the device and later calls fail with EIO; the bridge's
# queue of posted writes applies back-pressure when full (a stopped
# server), and a server that dies or stops reading with it full breaks
# the device (EIO).
# ioeventfds: the sample server's NOTIFY (data match) and KICK doorbells
# are signalled through its eventfds, other values go as messages, the
# device model sees every write; malformed io-fd replies are rejected
# with a log line and the device works without them.
. "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vfio-user
D=/tmp/vub-t21
mkdir -p $D
fno=0

attr() { cat "$BUS/devices/$DEV/$1"; }

# dev [FAULT]: a server (with FAULT) and a device on it; sets DEV.
dev() {
	fno=$((fno + 1))
	sock=$D/s$fno.sock
	DEV=p$fno
	start_server $sock ${1:+--fault="$1"} >/dev/null &&
		wr $BUS/add "socket=$sock name=$DEV timeout_ms=3000"
}

gone() {
	wr $BUS/remove $DEV
	stop_server
}

check insmod load_module

# ---- posted writes --------------------------------------------------------
check posted-dev dev
check posted-default-off test "$(attr posted_writes)" = 0
run_consumer $DEV posted-burst
check posted-off-none test "$(attr stats/posted_writes)" = 0
check posted-on wr "$BUS/devices/$DEV/posted_writes" 1
check posted-attr test "$(attr posted_writes)" = 1
r0=$(attr stats/requests)
run_consumer $DEV posted-burst
p=$(attr stats/posted_writes)
b=$(attr stats/posted_batches)
echo "INFO: posted writes $p in $b sends, requests $r0 -> $(attr stats/requests)"
check posted-counted test "$p" -ge 4000
# Queued writes go out in batches (one sendmsg each), never more sends
# than writes.
check posted-batches test "$b" -ge 1 -a "$b" -le "$p"
# Config space, BAR2 (mappable) and reads are never posted.
run_consumer $DEV config bar2-rw
check posted-not-config test "$(attr stats/posted_writes)" = "$p"
check posted-state test "$(attr state)" = ready
# Without noreply-errors the server says nothing about a failed posted
# write, as the spec wants: nothing to count.
run_consumer $DEV posted-error
check posted-error-silent test "$(attr stats/posted_errors)" = 0
gone

check posted-err-dev dev noreply-errors
wr "$BUS/devices/$DEV/posted_writes" 1
run_consumer $DEV posted-error
run_consumer $DEV posted-error
check posted-errors-counted test "$(attr stats/posted_errors)" = 2
check posted-errors-ready test "$(attr state)" = ready
check posted-errors-log sh -c "dmesg | grep 'vfio-user $DEV:' | grep -q 'a posted REGION_WRITE failed on the server'"
gone

# A success reply to a posted write is a protocol violation.
check posted-ack-dev dev noreply-ack
wr "$BUS/devices/$DEV/posted_writes" 1
"$CONSUMER/vfio-consumer-test" $DEV posted-burst >/dev/null 2>&1
i=0
while [ "$(attr state)" != broken ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
check posted-ack-broken test "$(attr state)" = broken
check posted-ack-reason sh -c "grep -q 'reply to a posted write' $BUS/devices/$DEV/broken_reason"
gone

# The server is stopped, takes 200 posted writes into its socket, dies.
check posted-dead-dev dev
wr "$BUS/devices/$DEV/posted_writes" 1
run_consumer $DEV posted-dead
check posted-dead-broken test "$(attr state)" = broken
wr $BUS/remove $DEV
SERVER_PID=

# The posted-write queue's back-pressure: with the server stopped the
# socket and then the queue fill, and the next write waits; the server
# dies while it waits (EIO), or stays stopped until the timeout.
for t in posted-full-dead posted-full-stuck; do
	check $t-dev dev
	wr "$BUS/devices/$DEV/posted_writes" 1
	run_consumer $DEV $t
	check $t-broken test "$(attr state)" = broken
	check $t-queue-full test "$(attr stats/posted_queue_full)" -ge 1
	echo "INFO: $t: $(attr stats/posted_writes) posted in $(attr stats/posted_batches) sends, queue full $(attr stats/posted_queue_full), $(attr broken_reason)"
	wr $BUS/remove $DEV
	SERVER_PID=
done
check posted-full-stuck-reason sh -c "dmesg | grep 'vfio-user $DEV:' | grep -q 'server does not read its socket'"

# An I/O BAR is never posted to, whatever the setting.
check posted-io-dev dev bar0-io
wr "$BUS/devices/$DEV/posted_writes" 1
run_consumer $DEV posted-burst
check posted-io-none test "$(attr stats/posted_writes)" = 0
gone

# The module parameter sets the default (devices without mappable
# regions only; the sample's BAR2 is mappable, so it stays off here).
check posted-param-off wr /sys/module/vfio_user/parameters/posted_writes N
dev
check posted-param-dev-off test "$(attr posted_writes)" = 0
gone
wr /sys/module/vfio_user/parameters/posted_writes Y

# ---- ioeventfds -----------------------------------------------------------
check ioeventfd-dev dev
check ioeventfd-two test "$(attr ioeventfds)" = 2
run_consumer $DEV ioeventfd
w=$(attr stats/ioeventfd_writes)
echo "INFO: ioeventfd writes $w"
# 300 NOTIFY, 70 KICK and the interrupt's NOTIFY.
check ioeventfd-counted test "$w" = 371
check ioeventfd-ready test "$(attr state)" = ready
# ioeventfds and posting together: matching writes still use the eventfd.
wr "$BUS/devices/$DEV/posted_writes" 1
run_consumer $DEV ioeventfd posted-burst
gone

# Turned off by the module parameter: no io fds asked, all messages.
check ioeventfd-param-off wr /sys/module/vfio_user/parameters/ioeventfds N
dev
check ioeventfd-param-none test "$(attr ioeventfds)" = 0
run_consumer $DEV ioeventfd-off
gone
wr /sys/module/vfio_user/parameters/ioeventfds Y

# Malformed io-fd replies: rejected with a log line, the device works.
for f in io-fds-overlap:"overlapping io fds" \
	 io-fds-oversized:"io fd size not 1, 2, 4 or 8" \
	 io-fds-wrong-fd-type:"io fd 0 is not an eventfd" \
	 io-fds-too-many:"more io fds than the bridge supports" \
	 io-fds-error:""; do
	fault=${f%%:*}
	msg=${f#*:}
	check $fault-add dev $fault
	check $fault-none test "$(attr ioeventfds)" = 0
	check $fault-ready test "$(attr state)" = ready
	if [ -n "$msg" ]; then
		check $fault-log sh -c "dmesg | grep 'vfio-user $DEV:' | grep 'io fds rejected\|not an eventfd' | grep -q '$msg'"
	else
		check $fault-quiet sh -c "! dmesg | grep 'vfio-user $DEV:' | grep -q 'io fd'"
	fi
	run_consumer $DEV ioeventfd-off
	gone
done

check rmmod unload_module
rm -rf $D
