#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu-demo.sh SYSFSDEV: the QEMU part of `make demo` (run by guest.sh
# inside the VM).  Starts an unmodified qemu-system-x86_64 with
#   -device vfio-pci,sysfsdev=SYSFSDEV
# (TCG, no disks, 128 MiB, QMP on stdio), lets SeaBIOS assign the BARs,
# prints the device's `info pci` block and its BARs from `info mtree`,
# and quits.  Takes 15-25 s under nested TCG.
dev=${1:?usage: qemu-demo.sh /sys/bus/vfio-user/devices/NAME}
QEMU=${QEMU:-qemu-system-x86_64}
d=$(mktemp -d /tmp/qemu-demo.XXXXXX)
trap '' PIPE

. "$(dirname "$0")/../tests/vm/qmp.sh"

# call N JSON: send a QMP command, wait (30 s max) for the Nth reply.
call() {
	qmp_send "$2"
	wait_returns "$1" 300
}
# hmpw N CMD: the same for a human-monitor-command.
hmpw() {
	hmp "$2"
	wait_returns "$1" 300
}

echo "$QEMU -machine q35 -accel tcg -nodefaults -display none -m 128 -qmp stdio \\"
echo "    -device vfio-pci,sysfsdev=$dev,id=vub0"
mkfifo "$d/in"
timeout 60 "$QEMU" -machine q35 -accel tcg -nodefaults -no-user-config \
	-display none -m 128 -serial none -qmp stdio \
	-device vfio-pci,sysfsdev="$dev",id=vub0 \
	<"$d/in" >"$d/qmp.out" 2>"$d/qemu.err" &
qpid=$!
exec 3>"$d/in"
if ! call 1 '{"execute":"qmp_capabilities"}'; then
	echo "qemu-demo: QEMU did not start:"
	cat "$d/qemu.err"
	exec 3>&-
	wait "$qpid"
	rm -rf "$d"
	exit 1
fi
echo "(qemu) device realized; waiting for SeaBIOS to assign the BARs"
n=1
tries=0
while [ $tries -lt 40 ]; do
	n=$((n + 1))
	hmpw $n "info pci" || break
	last_return | awk '/^  Bus /{b=""} {b=b $0 "\n"} /id "vub0"/{printf "%s", b}' > "$d/dev"
	grep -q 'BAR0: .* at 0x' "$d/dev" &&
		! grep -q 'at 0xffffffffffffffff' "$d/dev" && break
	sleep 1
	tries=$((tries + 1))
done
echo "(qemu) info pci"
cat "$d/dev"
n=$((n + 1))
if hmpw $n "info mtree -f"; then
	echo "(qemu) info mtree -f | grep vfio-user"
	last_return | grep -E 'vfio-user|msix-(table|pba)' | sort -u
fi
n=$((n + 1))
call $n '{"execute":"quit"}'
exec 3>&-
wait "$qpid"
rc=$?
[ -s "$d/qemu.err" ] && sed 's/^/qemu: /' "$d/qemu.err"
echo "(qemu) quit: exit status $rc"
rm -rf "$d"
exit "$rc"
