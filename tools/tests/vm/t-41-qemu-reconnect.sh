# SPDX-License-Identifier: GPL-2.0
#
# QEMU keeps running across a server restart and reconnect
# (Documentation/lifecycle.rst, "Reconnect"): Debian's QEMU (TCG, nested)
# uses the bridged device with x-no-mmap=on (BAR accesses as region
# reads and writes: a reconnect is refused while the consumer maps a
# region of the lost server), SeaBIOS assigns the BARs; the sample
# server is killed with SIGKILL and started again, the device
# reconnected; QEMU is still running and `info pci` still shows the
# device.  reconnect_err=0: QEMU stops the guest on the ERR eventfd a
# reconnect signals by default ("Unrecoverable error detected").  Then, with BAR2 mapped (no x-no-mmap), the reconnect is
# refused with EBUSY and the device stays reconnecting until it times
# out (QEMU's close waits for that, then the device is broken).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qmp.sh"

sock=/tmp/t41.sock
D=/sys/bus/vfio-user/devices/vfio-user0
qemu_test_init /tmp/t41 skip || exit 0

# start_qemu OPTS: QEMU with the device, QMP on a fifo; waits until
# SeaBIOS assigned BAR0 (info pci in $d/vub0).
start_qemu() {
	rm -f "$d/in" "$d/qmp.out"
	mkfifo "$d/in"
	t0=$(date +%s)
	timeout 300 "$QEMU" -machine q35 -accel tcg -nodefaults -no-user-config \
		-display none -m 128 -serial none -qmp stdio \
		-device vfio-pci,sysfsdev=$D,id=vub0$1 \
		<"$d/in" >"$d/qmp.out" 2>"$d/qemu.err" &
	qpid=$!
	exec 3>"$d/in"
	qmp_send '{"execute":"qmp_capabilities"}'
	nr=1
	wait_returns 1 || return 1
	while kill -0 "$qpid" 2>/dev/null && [ $(( $(date +%s) - t0 )) -lt 75 ]; do
		info_pci || return 1
		grep -q 'BAR0: 32 bit memory at 0x[0-9a-f]\{8\} ' "$d/vub0" && return 0
		sleep 1
	done
	return 1
}

# info_pci: `info pci`, the device's block in $d/vub0.
info_pci() {
	hmp "info pci"
	nr=$((nr + 1))
	wait_returns $nr || return 1
	last_return > "$d/info-pci"
	awk '/^  Bus /{blk=""} {blk=blk $0 "\n"} /id "vub0"/{printf "%s", blk}' \
		"$d/info-pci" > "$d/vub0"
}

quit_qemu() {
	qmp_send '{"execute":"quit"}'
	exec 3>&-
	wait "$qpid"
}

vid=$(hexid VUB_SAMPLE_VENDOR_ID)
did=$(hexid VUB_SAMPLE_DEVICE_ID)

check server start_server "$sock"
check insmod load_module socket="$sock" reconnect=1 reconnect_timeout_ms=60000 reconnect_err=0
check qemu-start start_qemu ",x-no-mmap=on"
pid0=$(cat $D/server_pid)
kill_server
check reconnecting wait_state reconnecting
check server2 start_server "$sock"
check reconnect wr $D/reconnect "$sock"
check ready test "$(cat $D/state)" = ready
check new-server test "$(cat $D/server_pid)" != "$pid0"
check qemu-alive kill -0 "$qpid"
check info-pci-after info_pci
check info-pci-ids grep -q "PCI device $vid:$did" "$d/vub0"
check reconnects test "$(cat $D/stats/reconnects)" = 1
qmp_send '{"execute":"query-status"}'
i=0
while ! grep -q '"status": *"running"' "$d/qmp.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check qemu-running grep -q '"status": *"running"' "$d/qmp.out"
quit_qemu
check qemu-exit-0 test $? = 0
sed 's/^/    qemu stderr: /' "$d/qemu.err" | head -n 5

# BAR2 mapped by QEMU: refused while the mapping exists.
check short-timeout sh -c "echo 5000 > $D/reconnect_timeout_ms"
check qemu-mmap-start start_qemu ""
kill_server
check mmap-reconnecting wait_state reconnecting
check server3 start_server "$sock"
check mmap-refused test "$(wr $D/reconnect "$sock")" = "Device or resource busy"
check mmap-still-reconnecting test "$(cat $D/state)" = reconnecting
check mmap-refusal-logged sh -c 'dmesg | grep -q "vfio-user0: reconnect: region 2 of the lost server is still mapped"'
quit_qemu
# QEMU's close did not wait: the timeout breaks the device a bit later.
check mmap-broken-after-timeout wait_state broken 100
check rmmod unload_module
stop_server
