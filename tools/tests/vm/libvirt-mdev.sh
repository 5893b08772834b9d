# SPDX-License-Identifier: GPL-2.0
#
# libvirt-mdev.sh UUID DIR VUDEV: run by t-42-mdev-qemu.sh in a private
# mount namespace (unshare -m).  Debian's libvirtd starts a domain with
# <hostdev mode='subsystem' type='mdev' model='vfio-pci'> for the mdev
# UUID of the vfio-user device VUDEV (a sysfs directory); the domain
# reaches "running" with the device attached (QEMU's `info pci` shows
# the sample's ids and BARs, VUDEV's consumer_pid is that QEMU), and is
# destroyed again.
#
# The test VM has no systemd, a read-only root and no libvirt-qemu user
# (libvirt-daemon-system's postinst creates it; libvirt resolves it
# before it reads qemu.conf), so, in this namespace only: tmpfs on /var
# and /etc/libvirt, passwd and group with that user, and a qemu.conf
# for a root QEMU without cgroups, namespaces, virtlogd or a security
# driver.  None of that concerns the device: libvirt sees the mdev as
# on any host.
. "$(dirname "$0")/lib.sh"

U=$1
d=$2
VUDEV=$3
V="virsh -c qemu:///system"

vid=$(hexid VUB_SAMPLE_VENDOR_ID)
did=$(hexid VUB_SAMPLE_DEVICE_ID)

mount -t tmpfs tmp /var || { fail libvirt-setup "tmpfs on /var"; exit 0; }
mkdir -p /var/lib/libvirt/qemu /var/cache/libvirt /var/log/libvirt/qemu \
	/var/tmp
ln -s /run /var/run
mount -t tmpfs tmp /etc/libvirt
cp /etc/passwd /etc/group "$d/"
echo "libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin" >> "$d/passwd"
echo "libvirt-qemu:x:64055:" >> "$d/group"
grep -q '^kvm:' "$d/group" || echo "kvm:x:64056:" >> "$d/group"
mount --bind "$d/passwd" /etc/passwd
mount --bind "$d/group" /etc/group
cat > /etc/libvirt/qemu.conf <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
EOF
cat > /etc/libvirt/libvirtd.conf <<EOF
log_outputs = "3:file:$d/libvirtd.log"
EOF

libvirtd -d -p /run/libvirtd-t42.pid
# The first connection waits for libvirtd's QEMU capability probe.
i=0
while ! $V version >/dev/null 2>&1 && [ $i -lt 120 ]; do
	sleep 1
	i=$((i + 1))
done
check libvirtd-up sh -c "$V version > $d/version.log 2>&1"
sed 's/^/    /' "$d/version.log"

cat > "$d/dom.xml" <<EOF
<domain type='qemu'>
  <name>vub-mdev</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
      <source><address uuid='$U'/></source>
    </hostdev>
  </devices>
</domain>
EOF
check virsh-define sh -c "$V define $d/dom.xml > $d/define.log 2>&1"
$V domxml-to-native qemu-argv --domain vub-mdev > "$d/argv" 2>&1
check domxml-to-native grep -q "\"driver\":\"vfio-pci\",\"id\":\"hostdev0\",\"sysfsdev\":\"/sys/bus/mdev/devices/$U\"" "$d/argv"
if $V start vub-mdev > "$d/start.log" 2>&1; then
	pass virsh-start
else
	fail virsh-start "$(head -c 600 "$d/start.log")"
	tail -n 20 "$d/libvirtd.log" | cut -c1-300 | sed 's/^/    libvirtd: /'
fi
check domstate-running test "$($V domstate vub-mdev 2>&1 | head -n 1)" = running
qpid=$(cat "$VUDEV/consumer_pid")
check consumer-is-qemu test "$(readlink /proc/$qpid/exe)" = "$(readlink -f "$(command -v qemu-system-x86_64)")"
$V qemu-monitor-command --hmp vub-mdev "info pci" > "$d/info-pci" 2>&1
awk '/^  Bus /{blk=""} {blk=blk $0 "\n"} /id "hostdev0"/{printf "%s", blk}' \
	"$d/info-pci" > "$d/hostdev0"
sed 's/^/    /' "$d/hostdev0"
check info-pci-ids grep -q "PCI device $vid:$did" "$d/hostdev0"
check info-pci-bar2 grep -q 'BAR2: 64 bit prefetchable memory' "$d/hostdev0"
check virsh-destroy sh -c "$V destroy vub-mdev > $d/destroy.log 2>&1"
i=0
while [ "$(cat "$VUDEV/consumer_pid")" != 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check closed-after-destroy test "$(cat "$VUDEV/consumer_pid")" = 0
check virsh-undefine sh -c "$V undefine vub-mdev > $d/undefine.log 2>&1"

kill "$(cat /run/libvirtd-t42.pid)"
i=0
while [ -e /run/libvirtd-t42.pid ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check libvirtd-stopped test ! -e /run/libvirtd-t42.pid
rm -rf /run/libvirt
