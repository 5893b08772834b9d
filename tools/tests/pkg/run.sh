#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh: the install path a Debian user takes, tested end to end ("make
# pkg"; a lane of "make check").  Runs as root on the build machine and
# changes it: the VM's root is this machine's root (read-only over 9p),
# so the package is installed here for real, and purged at the end.
#
#  1. dpkg-buildpackage -b in a copy of the tree; lintian (warnings and
#     errors fail; accepted tags are overridden, with the reason, in
#     debian/*.lintian-overrides);
#  2. apt-get install both packages: DKMS (the package's postinst) must have built
#     and installed vfio_user.ko for every kernel whose headers are
#     installed, in /lib/modules/<release>/updates/dkms, with the
#     package's version and the kernel's vermagic; systemd-analyze
#     verify accepts the unit;
#  3. boot a kernel that is installed here (image and headers: the 6.12
#     that "make deps" installs) with this machine's /lib/modules
#     (tools/vm/vmrun.sh -k / -r RELEASE) and run guest.sh there:
#     modprobe vfio_user socket=... from updates/dkms, smoke tests with
#     the packaged server and consumer, the vfio-user@.service commands;
#  4. dpkg --purge: nothing of the packages may be left;
#  5. "make install" + depmod, boot, modprobe from updates/, smoke tests,
#     then remove the file again.
# Prints PASS:/FAIL:/SKIP: pkg:... lines.  Logs in results/pkg-*.log.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$top"
mkdir -p results
blog=$top/results/pkg-build.log
: > "$blog"
FAILED=0
pass() { echo "PASS: pkg:$1"; }
fail() { echo "FAIL: pkg:$1${2:+: $2}"; FAILED=1; }
skip() { echo "SKIP: pkg:$1: $2"; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name" "'$*' failed"; fi; }

if [ "$(id -u)" != 0 ]; then
	skip all "needs root: installs the package on this machine"
	exit 0
fi
for t in dpkg-buildpackage dh_dkms dkms lintian fakeroot; do
	command -v "$t" >/dev/null || { fail deps "$t missing (make deps)"; exit 1; }
done

ver=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vfio-user
mkdir -p "$cache"
# One run at a time on a machine: dpkg and DKMS state are global.
exec 9>"$cache/pkg.lock"
flock 9

# "make install" puts vfio_user.ko (compressed as the kernel's modules
# are: .ko.xz on 6.12) in updates/, which it creates.
rm_installed() {
	rm -f /lib/modules/"$kver"/updates/vfio_user.ko*
	rmdir /lib/modules/"$kver"/updates 2>/dev/null
	depmod "$kver" 2>/dev/null
	installed_mod=
}
work=$(mktemp -d "${TMPDIR:-/tmp}/vub-pkg.XXXXXX")
installed_mod=
cleanup() {
	if dpkg-query -W -f='${Status}' vfio-user-dkms vfio-user-tools 2>/dev/null |
	   grep -q installed; then
		dpkg --purge vfio-user-dkms vfio-user-tools >>"$blog" 2>&1
	fi
	if [ -n "$installed_mod" ]; then
		rm_installed
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# 1. Build and lintian.
src=$work/vfio-user-$ver
mkdir -p "$src"
rsync -a --exclude=/.git --exclude=/.build --exclude=/.vm --exclude=/results \
	--exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude=Module.symvers --exclude=modules.order \
	--exclude=/drivers/vfio_user/vub_conftest.h \
	--exclude=/drivers/vfio_user/.vub_conftest.stamp "$top/" "$src/"
t0=$(date +%s)
# nocheck: the server's own tests (dh_auto_test) are the server-test lane.
if ! (cd "$src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -b -us -uc) >>"$blog" 2>&1; then
	tail -n 20 "$blog"
	fail build "dpkg-buildpackage failed (see $blog)"
	exit 1
fi
pass build
echo "INFO: pkg: build $(($(date +%s) - t0)) s"
changes=$(ls "$work"/vfio-user_*.changes)
lintian --info --display-info "$changes" > results/pkg-lintian.log 2>&1
lrc=$?
cat results/pkg-lintian.log
if [ $lrc = 0 ] && ! grep -Eq '^[EW]: ' results/pkg-lintian.log; then
	pass lintian
else
	fail lintian "tags in results/pkg-lintian.log"
fi

# 2. Install; DKMS builds for every kernel with headers.
t0=$(date +%s)
if ! apt-get install -y -q --no-install-recommends "$work"/vfio-user-dkms_"$ver"_all.deb \
	"$work"/vfio-user-tools_"$ver"_amd64.deb >>"$blog" 2>&1; then
	tail -n 30 "$blog"
	fail install "apt-get install failed (see $blog)"
	exit 1
fi
pass install
echo "INFO: pkg: install (DKMS builds) $(($(date +%s) - t0)) s"
check dkms-source test -e "/usr/src/vfio-user-$ver/dkms.conf"
check dkms-version grep -q "^PACKAGE_VERSION=\"$ver\"" "/usr/src/vfio-user-$ver/dkms.conf"
if command -v systemd-analyze >/dev/null; then
	cp /lib/systemd/system/vfio-user@.service "$work/vfio-user@check.service"
	check unit-verify systemd-analyze verify "$work/vfio-user@check.service"
else
	skip unit-verify "no systemd-analyze here"
fi
kernels=
for d in /lib/modules/*; do
	k=${d##*/}
	[ -e "$d/build/Makefile" ] || continue
	case $k in 6.*|7.*) ;; *) continue ;; esac
	kernels="$kernels $k"
	ko=$(ls "$d"/updates/dkms/vfio_user.ko* 2>/dev/null | head -n 1)
	if [ -z "$ko" ]; then
		fail "dkms-built:$k" "no $d/updates/dkms/vfio_user.ko"
		continue
	fi
	pass "dkms-built:$k"
	check "dkms-status:$k" sh -c "dkms status -m vfio-user -v $ver -k $k | grep -q ': installed'"
	check "module-version:$k" test "$(modinfo -F version "$ko")" = "$ver"
	check "vermagic:$k" sh -c "modinfo -F vermagic '$ko' | grep -q '^$k '"
	check "depmod:$k" sh -c "modinfo -k '$k' -n vfio_user | grep -q '/updates/dkms/vfio_user.ko'"
done
[ -n "$kernels" ] || fail dkms-built "no kernel with headers in /lib/modules"

# 3. Boot an installed kernel (image + headers) with the host's modules.
kver=
for k in $kernels; do
	[ -e "/boot/vmlinuz-$k" ] && [ -e "/lib/modules/$k/modules.dep" ] &&
	   [ -e "/lib/modules/$k/kernel" ] && kver=$k
done
boot() {
	local what=$1 rc=0
	tools/vm/vmrun.sh -k / -r "$kver" -t 1200 -l "results/pkg-$what-dmesg.log" -- \
		"sh tools/tests/pkg/guest.sh $what $ver" > "results/pkg-$what.log" 2>&1 || rc=$?
	grep -E '^(PASS|FAIL|SKIP|INFO):' "results/pkg-$what.log"
	case $rc in
	0) pass "$what:guest" ;;
	254) fail "$what:dmesg-clean" "kernel splat (see results/pkg-$what.log)" ;;
	255) fail "$what:guest-finished" "guest crashed or timed out"; tail -n 20 "results/pkg-$what.log" ;;
	*) fail "$what:guest" "exit status $rc" ;;
	esac
}
if [ -z "$kver" ]; then
	skip dkms-boot "no kernel installed here with image and headers (make deps installs 6.12)"
else
	echo "INFO: pkg: booting the installed $kver"
	make -s -C tools all >>"$blog" 2>&1
	boot dkms
fi

# 4. Purge: nothing left.
check purge sh -c "dpkg --purge vfio-user-dkms vfio-user-tools >>'$blog' 2>&1"
left=$(ls -d /usr/src/vfio-user-* /var/lib/dkms/vfio-user \
	/lib/modules/*/updates/dkms/vfio_user.ko* /etc/modprobe.d/vfio-user.conf \
	/lib/systemd/system/vfio-user@.service /usr/lib/vfio-user \
	/usr/bin/vfio-user-server /usr/bin/vfio-consumer-test \
	/usr/share/doc/vfio-user-dkms /usr/share/doc/vfio-user-tools 2>/dev/null)
check purge-nothing-left test -z "$left"
[ -z "$left" ] || echo "left after purge: $left"
check purge-dpkg sh -c "! dpkg-query -W -f='\${Status}\n' vfio-user-dkms vfio-user-tools 2>/dev/null | grep -q installed"
for k in $kernels; do
	check "purge-depmod:$k" sh -c "! modinfo -k '$k' -n vfio_user >/dev/null 2>&1"
done

# 5. make install + depmod + modprobe.
if [ -n "$kver" ]; then
	if (cd "$src" && make install KDIR="/lib/modules/$kver/build") >>"$blog" 2>&1; then
		installed_mod=$(ls /lib/modules/"$kver"/updates/vfio_user.ko* 2>/dev/null | head -n 1)
		check make-install test -n "$installed_mod"
		check make-install-depmod sh -c "modinfo -k '$kver' -n vfio_user | grep -q '/updates/vfio_user.ko'"
		boot install
		rm_installed
		check make-install-removed sh -c "! modinfo -k '$kver' -n vfio_user >/dev/null 2>&1"
	else
		fail make-install "see $blog"
	fi
else
	skip make-install "no kernel installed here with image and headers"
fi
exit $FAILED
