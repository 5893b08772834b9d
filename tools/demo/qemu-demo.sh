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

nreturns() {
	c=$(grep -c '^{"return"' "$d/qmp.out" 2>/dev/null)
	echo "${c:-0}"
}
last_return() {
	grep '^{"return"' "$d/qmp.out" | tail -n 1 |
		sed 's/^{"return": "//; s/"}$//; s/\\r\\n/\n/g; s/\\"/"/g'
}
# call N JSON: send a QMP command, wait for the Nth reply (30 s max).
call() {
	echo "$2" >&3
	i=0
	while [ "$(nreturns)" -lt "$1" ] && [ $i -lt 300 ]; do
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(nreturns)" -ge "$1" ]
}
hmp() {
	call "$1" "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"$2\"}}"
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
	hmp $n "info pci" || break
	last_return | awk '/^  Bus /{b=""} {b=b $0 "\n"} /id "vub0"/{printf "%s", b}' > "$d/dev"
	grep -q 'BAR0: .* at 0x' "$d/dev" &&
		! grep -q 'at 0xffffffffffffffff' "$d/dev" && break
	sleep 1
	tries=$((tries + 1))
done
echo "(qemu) info pci"
cat "$d/dev"
n=$((n + 1))
if hmp $n "info mtree -f"; then
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
