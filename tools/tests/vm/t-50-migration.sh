# SPDX-License-Identifier: GPL-2.0
#
# Live migration through the VFIO migration v2 uAPI
# (tools/tests/consumer/vfio-mig-test): the flags; every arc and illegal
# targets; a save on one server and a restore into a fresh server with
# the device state checked; stale data fds (ENODEV); reset from STOP,
# STOP_COPY and RESUMING; server DMA refused while stopped; type1 dirty
# pages exactly those the server wrote (with dma=mmap: those written by
# message and the pinned ones); server death mid-stream and malformed
# migration replies (EIO, device broken).  Runs on any kernel run-all.sh
# boots.
. "$(dirname "$0")/lib.sh"

sa=/run/t50a.sock
sb=/run/t50b.sock
d0=/sys/bus/vfio-user/devices/vfio-user0
d1=/sys/bus/vfio-user/devices/vfio-user1
stream=/tmp/t50.stream

# mig TEST [FILE]: one vfio-mig-test run on vfio-user0, as cases of $T.
mig() {
	_dev=${MIGDEV:-vfio-user0}
	_out=/tmp/mig-$T-$1.log
	"$CONSUMER/vfio-mig-test" "$_dev" "$@" >"$_out" 2>&1
	_rc=$?
	sed -n -e "s/^PASS: /PASS: vm:$T:/p" -e "s/^FAIL: \(.*\)/FAIL: vm:$T:\1/p" \
		-e 's/^INFO: /INFO: /p' "$_out"
	grep -q '^PASS' "$_out" || fail "$1" "no PASS line (exit $_rc)"
	[ $_rc -eq 0 ] || FAILED=1
}

# A server without migration: no mig_ops, the feature is absent.
check server-plain start_server "$sa"
check insmod-plain load_module socket="$sa"
check sysfs-none test "$(cat $d0/migration)" = none
mig no-migration
check rmmod-plain unload_module
stop_server

# Two servers with migration: source (vfio-user0) and destination.
check server-a start_server "$sa" --migration
pa=$SERVER_PID
check server-b start_server "$sb" --migration
pb=$SERVER_PID
check insmod load_module socket="$sa,$sb"
check sysfs-running test "$(cat $d0/migration)" = running
mig flags
mig arcs
mig save "$stream"
MIGDEV=vfio-user1 mig restore "$stream"
# The restore must fail against a device that was not saved: flip one
# byte of the stream and it is refused (the server checks it).
check corrupt sh -c "printf 'X' | dd of=$stream bs=1 seek=200 conv=notrunc 2>/dev/null"
out=/tmp/mig-$T-corrupt.log
MIGDEV=vfio-user1 "$CONSUMER/vfio-mig-test" vfio-user1 restore "$stream" >"$out" 2>&1
check corrupt-refused grep -q '^FAIL: restore: RESUMING -> RUNNING' "$out"
# The server was left in ERROR; the close reset it for the next consumer.
check error-reset-at-close test "$(cat $d1/migration)" = running
mig stale-fd
mig reset
MIGDEV=vfio-user1 mig dirty
check both-ready sh -c "grep -qx ready $d0/state && grep -qx ready $d1/state"
check rmmod unload_module
SERVER_PID=$pb stop_server
SERVER_PID=$pa stop_server

# A server that pads a short MIG_DATA_READ reply to the requested
# length, argsz and size naming the data (libvfio-user does): the save
# restores into a server that does not.
check server-pad start_server "$sa" --migration --mig-pad-reads
pa=$SERVER_PID
check server-pad-b start_server "$sb" --migration
pb=$SERVER_PID
check insmod-pad load_module socket="$sa,$sb"
T=$T-pad mig save "$stream"
T=$T-pad MIGDEV=vfio-user1 mig restore "$stream"
check pad-both-ready sh -c "grep -qx ready $d0/state && grep -qx ready $d1/state"
check rmmod-pad unload_module
SERVER_PID=$pb stop_server
SERVER_PID=$pa stop_server

# DMA refused while stopped: the server's first GO while stopped is
# refused by the server itself, the second is tried and the bridge
# refuses it.
check server-dma start_server "$sa" --migration --fault mig-dma-stopped:2
check insmod-dma load_module socket="$sa"
mig dma-stopped
check dma-faults-counted test "$(cat $d0/stats/dma_faults)" -gt 0
check rmmod-dma unload_module
stop_server

# The same with direct DMA: the window mapping is zapped while stopped,
# the server's access is SIGBUS, and mapped again once running.
check server-dma-direct start_server "$sa" --migration --fault mig-dma-stopped:2
check insmod-dma-direct load_module socket="$sa" dma=mmap
mig dma-stopped-direct
check dma-direct-sigbus test "$(cat $d0/stats/dma_mmap_sigbus)" -gt 0
check dma-direct-unpinned test "$(cat $d0/stats/dma_pinned)" = 0
# The server holds the window file (and so the module) until it exits.
stop_server
check rmmod-dma-direct unload_module

# Dirty pages with dma=mmap: the pinned chunk the server's mapping
# faulted in is reported in every sync, plus the pages written by
# DMA_WRITE messages; the server's stores themselves are not seen.
check server-dirty-direct start_server "$sa" --migration
check insmod-dirty-direct load_module socket="$sa" dma=mmap
mig dirty-direct
check dirty-direct-unpinned-at-close test "$(cat $d0/stats/dma_pinned)" = 0
stop_server
check rmmod-dirty-direct unload_module

# Server death mid-stream and malformed replies: EIO, device broken.
for f in exit-after:2@MIG_DATA_READ mig-short-data:3 mig-oversized-data:2; do
	check "server-$f" start_server "$sa" --migration --fault "$f"
	check "insmod-$f" load_module socket="$sa"
	T=$T-${f%%[:@]*} mig stream-eio
	check "broken-$f" grep -qx broken $d0/state
	check "rmmod-$f" unload_module
	stop_server
done
# The 1st MIG_DEVICE_STATE is open's GET, the 2nd the SET to STOP.
check server-bad-state start_server "$sa" --migration --fault mig-bad-state:2
check insmod-bad-state load_module socket="$sa"
mig set-eio
check broken-bad-state grep -qx broken $d0/state
# The failed arc was read back: the broken server could not answer.
check sysfs-error test "$(cat $d0/migration)" = error
check reason-bad-state grep -q "MIG_DEVICE_STATE" $d0/broken_reason
check rmmod-bad-state unload_module
stop_server
