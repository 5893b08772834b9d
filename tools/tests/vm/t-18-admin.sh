# SPDX-License-Identifier: GPL-2.0
#
# What an administrator sees: add errors that name their token, a
# second device on a socket refused, out-of-range parameters refused,
# state changes as uevents (VFIO_USER_STATE, VFIO_GROUP) and as poll()
# wake-ups on "state", why a device broke (broken_reason), who holds it
# (consumer_pid, vfio_group), the log lines of creation and removal, a
# udev rule that gives the VFIO group node an owner and mode (run by
# Debian's systemd-udevd), and the README's recovery after a crash.
. "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vfio-user
D=/tmp/vub-t18
rm -rf $D
mkdir -p $D
WAIT=$CONSUMER/sysfs-wait

# addfail NAME STRING ERRNO-TEXT LOG: add must fail with ERRNO-TEXT and
# log a line containing LOG.
addfail() {
	got=$(wr $BUS/add "$2")
	if [ "$got" = "$3" ]; then pass "$1"; else fail "$1" "got '$got', want '$3'"; fi
	if dmesg | tail -n 5 | grep -qF "vfio-user: $4"; then
		pass "$1-log"
	else
		fail "$1-log" "no line 'vfio-user: $4'"
		dmesg | tail -n 3
	fi
}

check insmod load_module
check server start_server $D/a.sock

# ---- add errors name their token -----------------------------------------
addfail add-unknown-key "socket=$D/a.sock colour=red" "Invalid argument" 'add: unknown key "colour"'
addfail add-no-value "socket=$D/a.sock name" "Invalid argument" 'add: "name": expected KEY=VALUE'
addfail add-timeout-range "socket=$D/a.sock timeout_ms=50" "Invalid argument" \
	"add: timeout_ms=50: expected a decimal number of ms, 100 to 3600000"
addfail add-reset-timeout-hex "socket=$D/a.sock reset_timeout_ms=0x1000" "Invalid argument" \
	"add: reset_timeout_ms=0x1000: expected a decimal number of ms"
addfail add-bad-uid "socket=$D/a.sock server_uid=root" "Invalid argument" \
	"add: server_uid=root: expected a decimal uid"
addfail add-no-socket "name=x" "Invalid argument" "add: no socket=PATH given"
addfail add-relative "socket=run/a.sock" "Invalid argument" "add: socket=run/a.sock: the path must be absolute"
addfail add-bad-name "socket=$D/a.sock name=.x" "Invalid argument" "add: name=.x: 1 to 32 letters"
check add-errors-nothing-left test -z "$(ls $BUS/devices)"

# ---- creation: the log line names the group; uevent; duplicates ----------
SYSTEMD_IGNORE_CHROOT=1 udevadm monitor --kernel --property --subsystem-match=vfio-user > $D/uevents 2>&1 &
mon=$!
sleep 1
check add wr $BUS/add "socket=$D/a.sock name=adm"
grp=$(cat $BUS/devices/adm/vfio_group)
check vfio-group-node test -c /dev/vfio/$grp
check vfio-group-matches test -e /sys/kernel/iommu_groups/$grp/devices/adm
check add-log-group sh -c "dmesg | grep 'vfio-user adm: ' | grep -q 'VFIO group /dev/vfio/$grp'"
check dup-socket test "$(wr $BUS/add "socket=$D/a.sock name=adm2")" = "Address already in use"
check dup-socket-log sh -c "dmesg | tail -n 3 | grep -q 'vfio-user: add: $D/a.sock is already served by device adm'"
ln -sf $D/a.sock $D/link.sock
check dup-socket-symlink test "$(wr $BUS/add "socket=$D/link.sock name=adm2")" = "Address already in use"
check dup-name test "$(wr $BUS/add "socket=$D/b.sock name=adm")" = "File exists"
check broken-reason-empty test -z "$(cat $BUS/devices/adm/broken_reason)"
check consumer-pid-closed test "$(cat $BUS/devices/adm/consumer_pid)" = 0

# ---- who holds it, and remove of an open device (documented: REQ, then
# ---- remove waits until the consumer lets go) ------------------------------
out=$D/req.log
"$CONSUMER/vfio-consumer-test" adm req-on-remove > $out 2>&1 &
cpid=$!
i=0
while ! grep -q WAITING $out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check consumer-pid-open test "$(cat $BUS/devices/adm/consumer_pid)" = "$cpid"
check remove-in-use wr $BUS/remove adm
wait $cpid
check remove-in-use-req grep -q '^PASS: req-on-remove' $out
check remove-in-use-log sh -c "dmesg | grep 'vfio-user adm: ' | grep -q '/dev/vfio/$grp in use by pid $cpid: asking the consumer to release it'"
check remove-log sh -c "dmesg | grep -q 'vfio-user adm: removed (server $D/a.sock)'"

# ---- the server dies: poll() wake, uevent, broken_reason ------------------
check add-again wr $BUS/add "socket=$D/a.sock name=adm"
$WAIT $BUS/devices/adm/state broken 20000 > $D/wait.log 2>&1 &
wpid=$!
i=0
while ! grep -q READY $D/wait.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
stop_server
wait $wpid
check state-poll-woken test $? = 0
check broken-reason-eio test "$(cat $BUS/devices/adm/broken_reason)" = "-EIO server closed the connection"
check broken-log-permanent sh -c "dmesg | grep 'vfio-user adm: connection to' | grep -q 'until the device is removed and added again'"

# ---- recovery (README): restart the server, add a new device beside the
# ---- broken one (its connection is dead), then remove the broken one ------
check restart-server start_server $D/a.sock
check add-beside-broken wr $BUS/add "socket=$D/a.sock name=adm3"
check adm3-ready test "$(cat $BUS/devices/adm3/state)" = ready
check remove-broken wr $BUS/remove adm
check remove-adm3 wr $BUS/remove adm3
stop_server
sleep 1
kill $mon 2>/dev/null
wait $mon 2>/dev/null
# The uevents of "adm": change events with ready (and the group),
# broken, closing.
awk 'BEGIN { RS = "" } /ACTION=change/ && /DEVPATH=[^\n]*\/adm\n/' $D/uevents > $D/adm-events
check uevent-ready grep -q 'VFIO_USER_STATE=ready' $D/adm-events
check uevent-ready-group grep -q "VFIO_GROUP=$grp" $D/adm-events
check uevent-broken grep -q 'VFIO_USER_STATE=broken' $D/adm-events
check uevent-closing grep -q 'VFIO_USER_STATE=closing' $D/adm-events
grep -q 'VFIO_USER_STATE=closing' $D/adm-events ||
	sed 's/^/INFO: uevents: /' $D/uevents | head -n 40

# ---- a malformed reply: broken_reason says so -----------------------------
check bad-reply-server start_server $D/c.sock --fault=count-too-large
check bad-reply-add wr $BUS/add "socket=$D/c.sock name=bad"
wr /sys/kernel/debug/vfio_user/bad/region_read "0 0 4" >/dev/null
check broken-reason-eproto sh -c "cat $BUS/devices/bad/broken_reason | grep -q '^-EPROTO '"
check bad-remove wr $BUS/remove bad
stop_server

# ---- the udev rule of the README, run by systemd-udevd ----------------------
if [ -x /lib/systemd/systemd-udevd ]; then
	mkdir -p /run/udev/rules.d
	cat > /run/udev/rules.d/70-vfio-user.rules <<'RULES'
# The VFIO group of a bridged device: its iommu group holds the device.
SUBSYSTEM=="vfio", KERNEL=="[0-9]*", TEST=="/sys/kernel/iommu_groups/$kernel/devices/udv", OWNER="nobody", GROUP="nogroup", MODE="0660"
RULES
	export SYSTEMD_IGNORE_CHROOT=1
	/lib/systemd/systemd-udevd --daemon 2>$D/udevd.log
	sleep 1
	check udev-server start_server $D/u.sock
	check udev-add wr $BUS/add "socket=$D/u.sock name=udv"
	udevadm settle -t 10
	g=$(cat $BUS/devices/udv/vfio_group)
	check udev-owner test "$(stat -c '%U:%G %a' /dev/vfio/$g)" = "nobody:nogroup 660"
	check udev-remove wr $BUS/remove udv
	udevadm control --exit
	rm -f /run/udev/rules.d/70-vfio-user.rules
	stop_server
else
	skip udev-owner "no systemd-udevd"
fi

check rmmod unload_module

# ---- module parameters out of range are refused ---------------------------
check param-timeout-low sh -c "! insmod $VUB_KO timeout_ms=50 2>/dev/null"
check param-timeout-high sh -c "! insmod $VUB_KO reset_timeout_ms=3600001 2>/dev/null"
check param-timeout-log sh -c "dmesg | tail -n 5 | grep -q 'vfio-user: reset_timeout_ms=3600001 refused: a timeout in ms, 100-3600000'"
check param-dma-bits-high sh -c "! insmod $VUB_KO dma_window_bits=48 2>/dev/null"
check param-dma-bits-log sh -c "dmesg | tail -n 5 | grep -q 'vfio-user: dma_window_bits=48 refused: 0 (no DMA) or 12-47'"
check param-dma-bits-low sh -c "! insmod $VUB_KO dma_window_bits=11 2>/dev/null"
check param-uid-bad sh -c "! insmod $VUB_KO server_uid=-2 2>/dev/null"
check param-uid-log sh -c "dmesg | tail -n 5 | grep -q 'vfio-user: server_uid=-2 refused: a decimal uid, or -1 for no check'"
check param-refused-unloaded sh -c '! grep -q "^vfio_user " /proc/modules'
check insmod2 load_module
check param-runtime-low test "$(wr /sys/module/vfio_user/parameters/timeout_ms 99)" = "Invalid argument"
check param-runtime-ok wr /sys/module/vfio_user/parameters/timeout_ms 5000
check modinfo-socket sh -c "modinfo -F parm $VUB_KO | grep '^socket:' | grep -q 'all or nothing'"
check modinfo-timeout sh -c "modinfo -F parm $VUB_KO | grep '^timeout_ms:' | grep -q '100-3600000'"
check modinfo-dma-bits sh -c "modinfo -F parm $VUB_KO | grep '^dma_window_bits:' | grep -q '12-47'"
check rmmod2 unload_module
