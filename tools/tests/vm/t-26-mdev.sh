# SPDX-License-Identifier: GPL-2.0
#
# The mdev front-end (vfio_user_mdev.ko, Documentation/mdev.rst): a
# device added with frontend=mdev is an mdev parent with one type,
# vfio-user-pci (device_api, available_instances 1/0, name and
# description with the PCI ids and the socket); the mdev is created
# through sysfs and through Debian's mdevctl (types, start, list,
# stop); a second instance is refused (EUSERS); the connection has no
# bus VFIO device (exclusive front-ends); the consumer tests pass through
# the mdev; removing the vfio-user device while the mdev is open
# signals REQ; a server kill breaks the mdev's device (ERR); unloading
# vfio_user_mdev removes the mdevs and leaves the devices unbound, and
# loading it again binds them (unloading is refused while an mdev is
# open); a socket= device with frontend=mdev waits for vfio_user_mdev;
# the README's boot set-up (mdevctl define
# --auto and its udev rule, run by systemd-udevd) starts the mdev when
# the device is added.
. "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vfio-user
D=/tmp/vub-t26
rm -rf $D
mkdir -p $D
sock=$D/a.sock
MDEV_KO=${VUB_KO%/*}/vfio_user_mdev.ko
U1=6f6b1e0c-2b8a-4c55-9e0e-26a000000001
U2=6f6b1e0c-2b8a-4c55-9e0e-26a000000002
U3=6f6b1e0c-2b8a-4c55-9e0e-26a000000003

if [ ! -e "$MDEV_KO" ]; then
	skip all "vfio_user_mdev.ko not built (kernel without CONFIG_VFIO_MDEV)"
	exit 0
fi
if ! modprobe mdev; then
	fail modprobe-mdev
	exit 0
fi

vid=$(hexid VUB_SAMPLE_VENDOR_ID)
did=$(hexid VUB_SAMPLE_DEVICE_ID)

# waitfor SECONDS CMD...: poll until CMD succeeds.
waitfor() {
	_n=$(($1 * 10))
	shift
	while ! "$@" && [ $_n -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	"$@"
}

check server start_server "$sock"
check insmod load_module

# ---- frontend=mdev without vfio_user_mdev: refused, says what to load ------
r=$(wr $BUS/add "socket=$sock name=m0 frontend=mdev")
check add-without-mdev-module test "$r" = "No such device"
check add-without-mdev-log sh -c "dmesg | grep 'vfio-user m0: ' | grep -q 'frontend=mdev needs vfio_user_mdev.ko'"
check add-without-mdev-nothing-left test ! -e $BUS/devices/m0
r=$(wr $BUS/add "socket=$sock frontend=pci")
check add-bad-frontend test "$r" = "Invalid argument"
check add-bad-frontend-log sh -c "dmesg | grep -q 'add: frontend=pci: expected bus or mdev'"
check param-frontend-default test "$(cat /sys/module/vfio_user/parameters/frontend)" = bus
r=$(wr /sys/module/vfio_user/parameters/frontend pci)
check param-frontend-bad test "$r" = "Invalid argument"
check param-frontend-bad-log sh -c "dmesg | grep -q 'vfio-user: frontend=pci refused: bus or mdev'"

check insmod-mdev insmod "$MDEV_KO"

# ---- the parent and its type ------------------------------------------------
check add wr $BUS/add "socket=$sock name=m0 frontend=mdev"
dev=$BUS/devices/m0
t=$dev/mdev_supported_types/vfio-user-pci
check frontend-attr test "$(cat $dev/frontend)" = mdev
check bound test -e $dev/driver
check no-bus-vfio-device test ! -e $dev/iommu_group
check no-bus-vfio-group test "$(cat $dev/vfio_group)" = -1
check class-link test -e /sys/class/mdev_bus/m0
check one-type test "$(ls $dev/mdev_supported_types)" = vfio-user-pci
check type-device-api test "$(cat $t/device_api)" = vfio-pci
check type-available-1 test "$(cat $t/available_instances)" = 1
check type-name test "$(cat $t/name)" = "vfio-user PCI $vid:$did"
echo "INFO: description: $(cat $t/description)"
check type-description-ids grep -q "PCI $vid:$did subsystem" $t/description
check type-description-socket grep -q "vfio-user server $sock:" $t/description
# The bus front-end: nothing to open on the vfio-user device.
"$CONSUMER/vfio-consumer-test" -q m0 info > $D/bus.log 2>&1
check bus-consumer-refused test $? != 0

# ---- create through sysfs; a second instance is refused ----------------------
check create wr $t/create $U1
m=/sys/bus/mdev/devices/$U1
check mdev-present test -d $m
check mdev-type-link test "$(readlink -f $m/mdev_type)" = "$(readlink -f $t)"
check mdev-iommu-group test -L $m/iommu_group
grp=$(basename "$(readlink $m/iommu_group)")
check mdev-group-node test -c /dev/vfio/$grp
check parent-vfio-group test "$(cat $dev/vfio_group)" = "$grp"
check type-available-0 test "$(cat $t/available_instances)" = 0
r=$(wr $t/create $U2)
check second-create-eusers test "$r" = "Too many users"
check second-create-absent test ! -e /sys/bus/mdev/devices/$U2

# ---- the consumer tests through the mdev --------------------------------------
req0=$(cat $dev/stats/requests)
run_consumer $m info regions irqs config bar0 bar2-rw mmap negative ebusy \
	irq-intx irq-msi irq-msix irq-err-req dma dma-fault reset reopen \
	dma-after-reopen
check stats-through-mdev test "$(cat $dev/stats/requests)" -gt "$req0"

# consumer_pid on the vfio-user device names the mdev's opener.
out=$D/req.log
"$CONSUMER/vfio-consumer-test" $m req-on-remove > $out 2>&1 &
cpid=$!
i=0
while ! grep -q WAITING $out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check consumer-pid test "$(cat $dev/consumer_pid)" = "$cpid"
# Removing the mdev while it is open: REQ, then the removal completes.
check mdev-remove-while-open wr $m/remove 1
wait $cpid
check mdev-remove-req grep -q '^PASS: req-on-remove' $out
check mdev-removed test ! -e $m
check type-available-again test "$(cat $t/available_instances)" = 1
check remove-req-log sh -c "dmesg | grep 'vfio-user m0: ' | grep -q '/dev/vfio/$grp in use by pid $cpid: asking the consumer to release it'"

# ---- mdevctl ------------------------------------------------------------------
if command -v mdevctl >/dev/null 2>&1; then
	mdevctl types > $D/types.log 2>&1
	check mdevctl-types sh -c "grep -q '^m0\$' $D/types.log && grep -q 'vfio-user-pci' $D/types.log && grep -q 'Device API: vfio-pci' $D/types.log"
	sed 's/^/    mdevctl types: /' $D/types.log | head -n 8
	check mdevctl-start mdevctl start -p m0 -t vfio-user-pci -u $U2
	check mdevctl-list sh -c "mdevctl list | grep -q '^$U2 m0 vfio-user-pci'"
	run_consumer /sys/bus/mdev/devices/$U2 config bar0
	check mdevctl-stop mdevctl stop -u $U2
	check mdevctl-stopped test ! -e /sys/bus/mdev/devices/$U2
else
	skip mdevctl "mdevctl not installed (apt-get install mdevctl)"
fi

# ---- the server dies: the mdev's device breaks like the bus one ---------------
check create-2 wr $t/create $U1
out=$D/err.log
"$CONSUMER/vfio-consumer-test" $m err-on-broken > $out 2>&1 &
cpid=$!
i=0
while ! grep -q WAITING $out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
stop_server
wait $cpid
check err-on-broken grep -q '^PASS: err-on-broken' $out
check broken-state waitfor 5 test "$(cat $dev/state)" = broken
# A broken device offers no new mdev.
check mdev-remove-broken wr $m/remove 1
r=$(wr $t/create $U3)
check create-on-broken-refused test "$r" = "Input/output error"
check remove-broken wr $BUS/remove m0
check removed-broken test ! -e $dev

# ---- remove the vfio-user device while its mdev is open: REQ -----------------
check server-2 start_server "$sock"
check add-2 wr $BUS/add "socket=$sock name=m1 frontend=mdev"
dev=$BUS/devices/m1
t=$dev/mdev_supported_types/vfio-user-pci
check create-3 wr $t/create $U3
m=/sys/bus/mdev/devices/$U3
out=$D/req2.log
"$CONSUMER/vfio-consumer-test" $m req-on-remove > $out 2>&1 &
cpid=$!
i=0
while ! grep -q WAITING $out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check device-remove-while-open wr $BUS/remove m1
wait $cpid
check device-remove-req grep -q '^PASS: req-on-remove' $out
check device-remove-mdev-gone test ! -e $m
check device-remove-gone test ! -e $dev

# ---- at boot: mdevctl define --auto and the README's udev rule ----------------
# The rule is taken from the README, so that the README's text is what
# runs.  /etc is read-only in the test VM: mdevctl's configuration
# directory gets a tmpfs.
U4=6f6b1e0c-2b8a-4c55-9e0e-26a000000004
rule=$(grep '^ACTION=="change", SUBSYSTEM=="vfio-user", ENV{MDEV_STATE}' "$TOP/README.md")
if [ -x /lib/systemd/systemd-udevd ] && command -v mdevctl >/dev/null 2>&1 &&
	mount -t tmpfs tmp /etc/mdevctl.d; then
	check boot-rule-in-readme test -n "$rule"
	mkdir -p /run/udev/rules.d
	echo "$rule" > /run/udev/rules.d/70-vfio-user-mdev.rules
	mkdir -p /etc/mdevctl.d/scripts.d/callouts /etc/mdevctl.d/scripts.d/notifiers
	mdevctl define -u $U4 -p boot0 -t vfio-user-pci --auto > $D/define.log 2>&1
	check boot-define test $? = 0
	sed 's/^/    mdevctl define: /' $D/define.log | head -n 5
	check boot-defined test -e /etc/mdevctl.d/boot0/$U4
	export SYSTEMD_IGNORE_CHROOT=1
	/lib/systemd/systemd-udevd --daemon 2>$D/udevd.log
	check boot-add wr $BUS/add "socket=$sock name=boot0 frontend=mdev"
	udevadm settle -t 10
	check boot-mdev-started waitfor 20 test -e /sys/bus/mdev/devices/$U4
	check boot-mdevctl-list sh -c "mdevctl list | grep -q '^$U4 boot0 vfio-user-pci.*(defined)'"
	check boot-remove wr $BUS/remove boot0
	check boot-mdev-gone test ! -e /sys/bus/mdev/devices/$U4
	udevadm control --exit
	rm -f /run/udev/rules.d/70-vfio-user-mdev.rules
	umount /etc/mdevctl.d
else
	skip boot-autostart "needs systemd-udevd and mdevctl"
fi

# ---- a bus device offers no mdev; the module default ---------------------------
check add-bus wr $BUS/add "socket=$sock name=b0"
check bus-frontend test "$(cat $BUS/devices/b0/frontend)" = bus
check bus-no-types test ! -e $BUS/devices/b0/mdev_supported_types
check bus-no-class-link test ! -e /sys/class/mdev_bus/b0
check remove-bus wr $BUS/remove b0
check param-frontend-mdev wr /sys/module/vfio_user/parameters/frontend mdev
check add-default-mdev wr $BUS/add "socket=$sock name=m2"
check default-frontend test "$(cat $BUS/devices/m2/frontend)" = mdev
check param-frontend-bus wr /sys/module/vfio_user/parameters/frontend bus

# ---- unloading vfio_user_mdev removes the mdev, keeps the device --------------
dev=$BUS/devices/m2
check create-4 wr $dev/mdev_supported_types/vfio-user-pci/create $U1
# Held open: the module is in use, unloading it is refused.
out=$D/req3.log
"$CONSUMER/vfio-consumer-test" /sys/bus/mdev/devices/$U1 req-on-remove > $out 2>&1 &
cpid=$!
i=0
while ! grep -q WAITING $out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check rmmod-mdev-open-refused sh -c '! rmmod vfio_user_mdev 2>/dev/null'
check rmmod-mdev-open-kept test -e /sys/bus/mdev/devices/$U1
check mdev-remove-open wr /sys/bus/mdev/devices/$U1/remove 1
wait $cpid
check mdev-remove-open-req grep -q '^PASS: req-on-remove' $out
check create-4b wr $dev/mdev_supported_types/vfio-user-pci/create $U1
check rmmod-mdev-in-use sh -c '! rmmod vfio_user 2>/dev/null'
check rmmod-mdev rmmod vfio_user_mdev
check rmmod-mdev-gone test ! -e /sys/bus/mdev/devices/$U1
check rmmod-mdev-unbound test ! -e $dev/driver
check rmmod-mdev-no-types test ! -e $dev/mdev_supported_types
check rmmod-mdev-ready test "$(cat $dev/state)" = ready
check reinsmod-mdev insmod "$MDEV_KO"
check reinsmod-bound waitfor 5 test -e $dev/mdev_supported_types/vfio-user-pci
check create-5 wr $dev/mdev_supported_types/vfio-user-pci/create $U2
run_consumer /sys/bus/mdev/devices/$U2 config
# Module exit order: vfio_user_mdev first (it uses vfio_user).
check rmmod-mdev-2 rmmod vfio_user_mdev
check rmmod unload_module

# ---- socket= at load time, frontend=mdev: the device waits ------------------
check param-insmod load_module socket="$sock" frontend=mdev
dev=$BUS/devices/vfio-user0
check param-dev-frontend test "$(cat $dev/frontend)" = mdev
check param-dev-unbound test ! -e $dev/driver
check param-dev-waiting-log sh -c "dmesg | grep 'vfio-user vfio-user0: ' | grep -q 'frontend=mdev: waiting for vfio_user_mdev to be loaded'"
check param-insmod-mdev insmod "$MDEV_KO"
check param-dev-bound waitfor 5 test -e $dev/mdev_supported_types/vfio-user-pci
check param-create wr $dev/mdev_supported_types/vfio-user-pci/create $U3
check param-rmmod-mdev rmmod vfio_user_mdev
check param-rmmod unload_module
stop_server
