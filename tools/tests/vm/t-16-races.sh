# SPDX-License-Identifier: GPL-2.0
#
# Races around creation and removal, bounded in rounds and time; on the
# debug kernel (make check-debug) KASAN, lockdep and debug objects watch
# every round, on Debian's kernel the rounds must simply end cleanly:
#  - "remove" of a name racing the "add" that creates it: the device is
#    removed only once its creation is complete (remove fails with EBUSY
#    until then), never freed under its creator;
#  - "remove" racing a consumer whose request times out and breaks the
#    device (the broken notification is scheduled by the consumer's
#    thread while the device goes away);
#  - the server killed while consumers open, use and close the device,
#    then "remove".
. "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vfio-user
D=/tmp/vub-t16
mkdir -p $D
SECS=${T16_SECS:-20}		# per scenario

# bw FILE STRING: one write(2) with the builtin echo; status only
# (dash reports every write error as "I/O error": wr gives the errno).
bw() { { echo "$2" > "$1"; } 2>/dev/null; }
secs() { read -r _up _ < /proc/uptime; echo ${_up%.*}; }

check insmod load_module

# ---- 1. remove racing add -------------------------------------------------
# The remover spins with the builtin echo (fast, status only): a failed
# remove while the device is already in sysfs hit it between device_add()
# and the end of its creation, the window in which it must not be freed.
check add-remove-server start_server $D/a.sock
rounds=0 removed=0 busy=0
end=$(($(secs) + SECS))
while [ "$(secs)" -lt $end ] && [ $rounds -lt 200 ]; do
	rounds=$((rounds + 1))
	bw $BUS/add "socket=$D/a.sock name=race timeout_ms=5000" &
	apid=$!
	i=0
	while [ $i -lt 20000 ]; do
		if bw $BUS/remove race; then
			removed=$((removed + 1))
			break
		fi
		[ -e $BUS/devices/race ] && busy=$((busy + 1))
		# Stop trying once add is done and left nothing.
		kill -0 $apid 2>/dev/null || [ -e $BUS/devices/race ] || break
		i=$((i + 1))
	done
	wait $apid
	[ -e $BUS/devices/race ] && bw $BUS/remove race
done
echo "INFO: $T: add/remove: $rounds rounds, $removed removed, $busy refused while in sysfs and not yet created"
check add-remove-rounds test $rounds -gt 0
check add-remove-some-removed test $removed -gt 0
check add-remove-nothing-left test -z "$(ls $BUS/devices)"
check add-remove-ebusy-logged sh -c "[ $busy = 0 ] || dmesg | grep -q 'remove: race is still being created'"
stop_server

# ---- 2. remove racing a request that breaks the device -------------------
# The server stops answering REGION_READ: the consumer's read times out
# after 100 ms, which breaks the device from the consumer's thread,
# while "remove" runs at a varying moment.
rounds=0 bad=0
end=$(($(secs) + SECS))
while [ "$(secs)" -lt $end ] && [ $rounds -lt 60 ]; do
	rounds=$((rounds + 1))
	start_server $D/b.sock --fault=hang@REGION_READ >/dev/null ||
		{ bad=$((bad + 1)); continue; }
	if ! bw $BUS/add "socket=$D/b.sock name=brk timeout_ms=5000" ||
	   ! bw $BUS/devices/brk/timeout_ms 100; then
		bad=$((bad + 1))
		stop_server
		continue
	fi
	"$CONSUMER/vfio-consumer-test" -q brk op-read > $D/b.log 2>&1 &
	cpid=$!
	# 0 to 250 ms after the consumer started.
	sleep 0.$(((rounds % 6) * 5))
	bw $BUS/remove brk || { bad=$((bad + 1)); echo "INFO: remove failed"; }
	wait $cpid
	stop_server
done
echo "INFO: $T: remove vs broken: $rounds rounds"
check remove-broken-rounds test $rounds -gt 0
check remove-broken-errors test $bad = 0
check remove-broken-nothing-left test -z "$(ls $BUS/devices)"

# ---- 3. server killed under consumers, then remove ----------------------
rounds=0 bad=0
end=$(($(secs) + SECS))
while [ "$(secs)" -lt $end ] && [ $rounds -lt 30 ]; do
	rounds=$((rounds + 1))
	start_server $D/c.sock >/dev/null || { bad=$((bad + 1)); continue; }
	bw $BUS/add "socket=$D/c.sock name=kil timeout_ms=2000" ||
		{ bad=$((bad + 1)); stop_server; continue; }
	for k in 1 2; do
		( while [ -e $BUS/devices/kil ]; do
			"$CONSUMER/vfio-consumer-test" -q kil op-read >/dev/null 2>&1
		  done ) &
		eval c$k=$!
	done
	sleep 0.$(((rounds % 4) * 2 + 1))
	kill -9 $SERVER_PID
	wait $SERVER_PID 2>/dev/null
	SERVER_PID=
	bw $BUS/remove kil || { bad=$((bad + 1)); echo "INFO: remove failed"; }
	wait $c1 $c2
done
echo "INFO: $T: kill under consumers: $rounds rounds"
check kill-rounds test $rounds -gt 0
check kill-errors test $bad = 0
check kill-nothing-left test -z "$(ls $BUS/devices)"

check rmmod unload_module
