# SPDX-License-Identifier: GPL-2.0
#
# guest.sh dkms|install VERSION: run in the VM by run.sh, on a kernel
# installed on the host whose /lib/modules is the host's.
#   dkms     the module comes from the vfio-user-dkms package
#            (updates/dkms), the server and consumer from vfio-user-tools;
#            modprobe with socket=, smoke tests, the modprobe.d example,
#            and the ExecStart/ExecStop commands of vfio-user@.service
#            (waiting for a server that starts late, add, remove)
#   install  the module comes from "make install" (updates/), the tools
#            from the tree
what=$1
ver=$2
T=$what
FAILED=0
pass() { echo "PASS: pkg:$T:$1"; }
fail() { echo "FAIL: pkg:$T:$1${2:+: $2}"; FAILED=1; }
check() {
	_n=$1
	shift
	if "$@"; then pass "$_n"; else fail "$_n" "'$*' failed"; fi
}
rel=$(uname -r)
if [ "$what" = dkms ]; then
	SERVER=/usr/bin/vfio-user-server
	CONSUMER=/usr/bin/vfio-consumer-test
	want=/lib/modules/$rel/updates/dkms/vfio_user.ko
else
	SERVER=$PWD/tools/vfio-user-server/vfio-user-server
	CONSUMER=$PWD/tools/tests/consumer/vfio-consumer-test
	want=/lib/modules/$rel/updates/vfio_user.ko
fi
echo "INFO: pkg:$T: kernel $rel"

start_server() {
	rm -f "$1"
	"$SERVER" --socket "$1" >/dev/null 2>>/tmp/server.log &
	SERVER_PID=$!
	i=0
	while [ ! -S "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$1" ]
}
smoke() {
	"$CONSUMER" "$1" info regions irqs config bar0 bar2-rw mmap irq-msix dma \
		> /tmp/consumer.log 2>&1
	_rc=$?
	sed -n 's/^\(PASS\|FAIL\): \(.*\)/\1: pkg:'"$T:$1"':\2/p' /tmp/consumer.log
	[ $_rc = 0 ]
}

modprobe vfio
modprobe vfio_iommu_type1
check modinfo-path sh -c "modinfo -n vfio_user | grep -qx '${want}[.a-z]*'"
check server start_server /run/pkg0.sock
check modprobe modprobe vfio_user socket=/run/pkg0.sock
check loaded-from sh -c "grep -q '^vfio_user ' /proc/modules"
check version test "$(cat /sys/module/vfio_user/version)" = "$ver"
check device-ready test "$(cat /sys/bus/vfio-user/devices/vfio-user0/state 2>/dev/null)" = ready
check smoke smoke vfio-user0
check rmmod rmmod vfio_user
kill $SERVER_PID 2>/dev/null
wait $SERVER_PID 2>/dev/null

if [ "$what" = dkms ]; then
	T=dkms-conf
	check installed test -e /etc/modprobe.d/vfio-user.conf
	# modprobe reads it (a syntax error would be reported here).
	check parses sh -c "! modprobe -c 2>&1 | grep -i 'vfio-user.conf.*ignoring'"

	T=unit
	unit=/lib/systemd/system/vfio-user@.service
	check installed test -e $unit
	# The unit's commands and environment, as systemd would run them for
	# vfio-user@pkg1 (%i expanded, the default SOCKET).
	start=$(sed -n 's/^ExecStart=//p' $unit | sed 's/%i/pkg1/g')
	stop=$(sed -n 's/^ExecStop=//p' $unit | sed 's/%i/pkg1/g')
	env=$(sed -n 's/^Environment=//p' $unit | sed 's/%i/pkg1/g')
	echo "INFO: pkg:unit: ExecStart=$start ExecStop=$stop Environment=$env"
	mkdir -p /run/vfio-user
	rm -f /run/vfio-user/pkg1.sock
	# Start before the server exists: the command must wait for it.
	# OPTIONS (from /etc/vfio-user/NAME.conf) are more keys for "add".
	env $env WAIT=30 OPTIONS=timeout_ms=5000 $start > /tmp/unit-start.log 2>&1 &
	spid=$!
	sleep 2
	check waits-for-socket sh -c "kill -0 $spid 2>/dev/null && [ ! -e /sys/bus/vfio-user/devices/pkg1 ]"
	check server start_server /run/vfio-user/pkg1.sock
	wait $spid
	check start-status test $? = 0
	cat /tmp/unit-start.log
	check device-ready test "$(cat /sys/bus/vfio-user/devices/pkg1/state 2>/dev/null)" = ready
	check options test "$(cat /sys/bus/vfio-user/devices/pkg1/timeout_ms 2>/dev/null)" = 5000
	check smoke smoke pkg1
	env $env $stop
	check stop-status test $? = 0
	check removed test ! -e /sys/bus/vfio-user/devices/pkg1
	# Stopping again (the device is gone) succeeds; a server that never
	# comes makes start fail within WAIT.
	check stop-idempotent env $env $stop
	kill $SERVER_PID 2>/dev/null
	wait $SERVER_PID 2>/dev/null
	rm -f /run/vfio-user/pkg1.sock
	check start-times-out sh -c "! env $env WAIT=1 $start"
	check rmmod rmmod vfio_user
fi
exit $FAILED
