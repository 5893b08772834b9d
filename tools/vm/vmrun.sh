#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vmrun.sh [options] -- COMMAND
#
# Boot a kernel under qemu-system-x86_64 (TCG), virtme style: the host
# root is the guest's root, read-only over 9p, and WORKDIR is shared
# writable at the same path.  COMMAND runs as root in WORKDIR; its
# output is printed and its exit code returned.  The run fails (exit
# 254) when the guest kernel log shows a WARNING, BUG, Oops, lockdep,
# KASAN, UBSAN, kmemleak, debug-objects or refcount report, and 255
# when the guest never finished (crash, panic, timeout).
#
#   -a ABI      Debian kernel ABI (default: linux-headers-amd64's)
#   -k KROOT    kernel root with boot/ and lib/modules/ (instead of -a);
#               "-k / -r RELEASE" boots a kernel installed on the host
#               with its own /lib/modules/RELEASE (DKMS, make install)
#   -r RELEASE  the release under KROOT/lib/modules (default: the only one)
#   -i IMAGE    kernel image (default KROOT/boot/vmlinuz-RELEASE)
#   -w WORKDIR  writable share (default: the repository)
#   -t SECONDS  timeout (default 600)
#   -m MiB      memory (default 2048), -s N vCPUs (default 2)
#   -l FILE     also copy the guest's dmesg to FILE
#   -A ARGS     extra kernel command line arguments
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
abi= kroot= kver= image= work=$top timeout=600 mem=2048 smp=2 dmesg_copy= append=
while getopts a:k:r:i:w:t:m:s:l:A: o; do
	case $o in
	a) abi=$OPTARG ;;
	k) kroot=$OPTARG ;;
	r) kver=$OPTARG ;;
	i) image=$OPTARG ;;
	w) work=$(cd "$OPTARG" && pwd) ;;
	t) timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	s) smp=$OPTARG ;;
	l) dmesg_copy=$OPTARG ;;
	A) append=$OPTARG ;;
	*) sed -n '4,27s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "vmrun.sh: no command" >&2; exit 2; }

[ -n "$kroot" ] || kroot=$("$here/kernel.sh" $abi)
[ -n "$kver" ] || kver=$(ls "$kroot/lib/modules" | head -n 1)
[ -d "$kroot/lib/modules/$kver" ] || { echo "vmrun.sh: no $kroot/lib/modules/$kver" >&2; exit 2; }
[ -n "$image" ] || image=$kroot/boot/vmlinuz-$kver

cache=${XDG_CACHE_HOME:-$HOME/.cache}/vfio-user
mkdir -p "$cache"
key=$(cat "$here/mkinitrd.sh" "$here/guest-init" | md5sum | cut -c1-8)
initrd=$cache/initrd-$kver-$key.cpio.gz
[ -e "$initrd" ] || "$here/mkinitrd.sh" "$kroot" "$kver" "$initrd"

run=$work/.vm/run-$$
rm -rf "$run"
mkdir -p "$run"
printf '%s\n' "$*" > "$run/cmd.sh"

rc=0
timeout "$timeout" qemu-system-x86_64 -machine q35 -accel tcg -cpu max \
	-m "$mem" -smp "$smp" -nodefaults -no-user-config -display none \
	-serial stdio -no-reboot -kernel "$image" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 oops=panic vmwork=$work vmrun=$run vmkmods=${kroot%/}/lib/modules/$kver${append:+ $append}" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$work",mount_tag=work,security_model=none,multidevs=remap \
	</dev/null >"$run/console.log" 2>&1 || rc=$?

[ -e "$run/out" ] && cat "$run/out"
if [ ! -s "$run/rc" ]; then
	echo "vmrun: the guest did not finish (qemu rc $rc); console tail:" >&2
	tail -n 40 "$run/console.log" >&2
	exit 255
fi
[ -n "$dmesg_copy" ] && cp "$run/dmesg" "$dmesg_copy"
splat='WARNING:|BUG:|Oops|general protection|Kernel panic|lockdep|possible (circular|recursive) locking|refcount_t|UBSAN|KASAN|kmemleak: [0-9]+ new|blocked for more than|INFO: rcu|Call Trace|ODEBUG:|kernel BUG at|DEBUG_LOCKS_WARN_ON'
# Boot banners of the debug kernel (tools/vm/debug-kernel.sh) that match.
benign='^\[ *[0-9.]+\] rcu: 	RCU lockdep checking is enabled\.$'
if grep -Ev "$benign" "$run/dmesg" | grep -Eq "$splat"; then
	echo "vmrun: kernel splat in the guest log:" >&2
	grep -Ev "$benign" "$run/dmesg" | grep -E -A 20 "$splat" | head -n 60 >&2
	exit 254
fi
rc=$(cat "$run/rc")
rm -rf "$run"
exit "$rc"
