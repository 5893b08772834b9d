# SPDX-License-Identifier: GPL-2.0
#
# QEMU as the migration consumer (TCG, nested in the test VM).
#
# QEMU >= 8.1 (bookworm-backports' 10.0, unpacked by
# tools/vm/qemu-backports.sh into .build/ of the tree; SKIP when absent):
# -device vfio-pci,sysfsdev=<bridged device>,enable-migration=on,
# "migrate" to a file, then a second QEMU on a fresh server's device
# with "migrate-incoming" from that file.  The device state only the
# bridged stream carries (BAR2's contents, programmed before QEMU starts:
# resets keep them, QEMU does not save BAR contents) is on the fresh
# server afterwards.
#
# QEMU 7.2 (Debian bookworm's, VFIO migration v1 only) on the same
# migration-capable device: it ignores the v2 uAPI, blocks migration
# with an error, and the device keeps working.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qmp.sh"

QNEW=${QEMU_NEW:-$(ls -d "$TOP"/.build/qemu-[0-9]*/usr/bin/qemu-system-x86_64 2>/dev/null |
	sort -V | tail -n 1)}
QOLD=${QEMU:-qemu-system-x86_64}
sa=/run/t51a.sock
sb=/run/t51b.sock
d0=/sys/bus/vfio-user/devices/vfio-user0
d1=/sys/bus/vfio-user/devices/vfio-user1
d=/tmp/t51
rm -rf "$d"
mkdir -p "$d"
trap '' PIPE

mig() {
	"$CONSUMER/vfio-mig-test" "$@" >"$d/mig-$2.log" 2>&1
	_rc=$?
	sed -n -e "s/^PASS: /PASS: vm:$T:/p" -e "s/^FAIL: \(.*\)/FAIL: vm:$T:\1/p" \
		"$d/mig-$2.log"
	[ $_rc -eq 0 ] || fail "$2" "exit $_rc"
}

# qemu_start NAME BINARY DEVICE [args...]: QEMU with QMP on a fifo.
qemu_start() {
	_n=$1 _q=$2 _dev=$3
	shift 3
	rm -f "$d/in" "$d/qmp.out"
	mkfifo "$d/in"
	timeout 600 "$_q" -machine q35 -accel tcg -nodefaults -no-user-config \
		-display none -m 32 -serial none -qmp stdio \
		-device vfio-pci,sysfsdev=$_dev,id=vub0"${VFIO_OPTS:-}" "$@" \
		<"$d/in" >"$d/qmp.out" 2>"$d/$_n.err" &
	qpid=$!
	exec 3>"$d/in"
	qmp_send '{"execute":"qmp_capabilities"}'
	nr=1
	wait_returns 1
}

qemu_quit() {
	qmp_send '{"execute":"quit"}'
	exec 3>&-
	wait "$qpid"
}

# mig_wait: poll query-migrate until completed or failed (5 min).
mig_wait() {
	i=0
	while [ $i -lt 300 ]; do
		qmp_send '{"execute":"query-migrate"}'
		nr=$((nr + 1))
		wait_returns $nr || return 1
		grep '^{"return"' "$d/qmp.out" | tail -n 1 > "$d/query"
		grep -q '"status": *"completed"' "$d/query" && return 0
		grep -q '"status": *"failed"' "$d/query" && return 1
		sleep 1
		i=$((i + 1))
	done
	return 1
}

check server-a start_server "$sa" --migration
pa=$SERVER_PID
check server-b start_server "$sb" --migration
pb=$SERVER_PID
check insmod load_module socket="$sa,$sb"
mig vfio-user0 bar2-fill

if [ -z "$QNEW" ] || ! "$QNEW" --version >/dev/null 2>&1; then
	skip qemu-new-migration "no QEMU >= 8.1 in .build (run tools/vm/qemu-backports.sh)"
else
	qd=$(dirname "$(dirname "$(dirname "$QNEW")")")
	fw="-L $qd/usr/share/qemu -L $qd/usr/share/seabios"
	echo "INFO: $("$QNEW" --version | head -n 1)"
	# (the trace shows QEMU reading the type1 container's dirty bitmap)
	# shellcheck disable=SC2086
	VFIO_OPTS=,enable-migration=on qemu_start src "$QNEW" $d0 $fw \
		-trace vfio_get_dirty_bitmap
	check src-realize kill -0 "$qpid"
	sleep 3
	# Nested TCG moves well under 1 MB/s: allow any downtime, so
	# that the switch-over comes at once.
	qmp_send '{"execute":"migrate-set-parameters","arguments":{"downtime-limit":600000}}'
	nr=$((nr + 1))
	wait_returns $nr
	qmp_send "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"file:$d/vm.mig\"}}"
	nr=$((nr + 1))
	wait_returns $nr
	if mig_wait; then pass src-migrate; else fail src-migrate "$(cat "$d/query")"; fi
	check src-quit qemu_quit
	check src-ready grep -qx ready $d0/state
	check src-type1-dirty-bitmap grep -q vfio_get_dirty_bitmap "$d/src.err"
	echo "INFO: migration file $(stat -c %s "$d/vm.mig") bytes"
	check stream-in-file test "$(stat -c %s "$d/vm.mig")" -gt 1048576

	# shellcheck disable=SC2086
	VFIO_OPTS=,enable-migration=on qemu_start dst "$QNEW" $d1 $fw \
		-incoming defer
	check dst-realize kill -0 "$qpid"
	qmp_send "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"file:$d/vm.mig\"}}"
	nr=$((nr + 1))
	wait_returns $nr
	if mig_wait; then pass dst-migrate; else fail dst-migrate "$(cat "$d/query")"; fi
	qmp_send '{"execute":"query-status"}'
	nr=$((nr + 1))
	wait_returns $nr
	check dst-running sh -c "grep '^{\"return\"' $d/qmp.out | tail -n 1 | grep -q '\"status\": *\"running\"'"
	check dst-quit qemu_quit
	for f in src dst; do
		if grep -qi -E 'error|fail' "$d/$f.err"; then
			fail "$f-no-error" "$(head -c 600 "$d/$f.err")"
		else
			pass "$f-no-error"
		fi
	done
	check dst-ready grep -qx ready $d1/state
	# The device state moved with the stream: BAR2 on the fresh server.
	mig vfio-user1 bar2-check
fi

# QEMU 7.2: migration v1 only, the v2 device is not migratable.
if ! command -v "$QOLD" >/dev/null 2>&1; then
	fail qemu-old-present "$QOLD not installed"
else
	qemu_start old "$QOLD" $d0
	check old-realize kill -0 "$qpid"
	qmp_send "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > $d/old.mig\"}}"
	nr=$((nr + 1))
	i=0
	while ! grep -q '"error"' "$d/qmp.out" && [ "$(nreturns)" -lt $nr ] &&
		[ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep '"error"' "$d/qmp.out" | head -n 1 | sed 's/^/    /'
	check old-migrate-refused grep -q '"error".*[Mm]igrat' "$d/qmp.out"
	check old-quit qemu_quit
	check old-ready grep -qx ready $d0/state
	# Still migratable with a v2 consumer: a full save and restore.
	mig vfio-user0 arcs
fi
check rmmod unload_module
SERVER_PID=$pb stop_server
SERVER_PID=$pa stop_server
