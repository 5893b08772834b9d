#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [--kroot|--image|--kdir]: build (once) the x86_64 debug
# kernel for the VM tests -- KASAN, lockdep, debug objects, kmemleak,
# KUnit, tracepoints -- from Debian's linux-source-6.1 with the config
# fragment tools/vm/debug-kernel.config and the patches in
# tools/vm/debug-kernel-patches/, and print where it is:
#
#   line 1  KROOT  modroot with boot/vmlinuz-KVER and lib/modules/KVER
#               (for tools/vm/vmrun.sh -k KROOT)
#   line 2  IMAGE  the bzImage
#   line 3  KDIR   the O= build directory, with Module.symvers, to build
#               the module against (scripts/build-in.sh debug KDIR W=1)
#
# With an option only that one path is printed.  Progress goes to stderr.
#
# The build lives in ${XDG_CACHE_HOME:-~/.cache}/vfio-user/
# kdebug-<linux-source-6.1 version>/ (kernel build dirs are not
# relocatable, so the path is fixed); .vub-built there holds the md5 of
# the fragment and patches it was built with.  When the fragment changes, the same
# directory is reconfigured and rebuilt incrementally (kbuild recompiles
# only what the changed options affect: minutes, not a cold build).  The source tree is the one tools/kunit/run.sh keeps in
# the cache (linux-source-6.1, extracted here too if missing); the build
# holds the same flock (kunit.lock) as kunit/run.sh for as long as it
# reads that tree, because run.sh overlays a symlink and a drivers/Makefile
# line into it while it runs.  Cold build: 10-15 minutes on two cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug-kernel.config
what=all
case ${1:-} in
--kroot|--image|--kdir) what=${1#--} ;;
"") ;;
*) sed -n '4,24s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac

cache=${XDG_CACHE_HOME:-$HOME/.cache}/vfio-user
src=$cache/linux-source-6.1
tarball=/usr/src/linux-source-6.1.tar.xz
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) || {
	echo "debug-kernel: linux-source-6.1 is not installed (make deps)" >&2
	exit 1
}
patches=$here/debug-kernel-patches
fmd5=$(cat "$frag" "$patches"/*.patch | md5sum | cut -c1-8)
dir=$cache/kdebug-$pkgver
kroot=$dir/modroot
image=$dir/arch/x86/boot/bzImage

say() { echo "debug-kernel: $*" >&2; }

print() {
	case $what in
	kroot) echo "$kroot" ;;
	image) echo "$image" ;;
	kdir) echo "$dir" ;;
	*) printf '%s\n' "$kroot" "$image" "$dir" ;;
	esac
}

# Built and the source it points to is still there (the build dir's
# Makefile includes $src/Makefile, module builds read $src/include).
built() { [ "$(cat "$dir/.vub-built" 2>/dev/null)" = "$fmd5" ]; }
if built && [ "$(cat "$src/.vub-pkgver" 2>/dev/null)" = "$pkgver" ]; then
	print
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/kunit.lock"
if ! flock -n 9; then
	say "waiting for $cache/kunit.lock (a KUnit run uses the source tree)"
	flock 9
fi

# The same extraction as tools/kunit/run.sh (same marker file).
if [ "$(cat "$src/.vub-pkgver" 2>/dev/null)" != "$pkgver" ]; then
	up=${pkgver%%-*}
	if [ -e "$src/Makefile" ] &&
	   [ "$(make -s -C "$src" kernelversion 2>/dev/null)" = "$up" ]; then
		:
	else
		say "extracting linux-source-6.1 $pkgver"
		rm -rf "$src" "$src.tmp"
		mkdir -p "$src.tmp"
		tar -C "$src.tmp" --strip-components=1 -xf "$tarball"
		mv "$src.tmp" "$src"
	fi
	echo "$pkgver" > "$src/.vub-pkgver"
fi
if built; then
	print
	exit 0
fi

# A KUnit run that was killed hard may have left its overlay behind; it
# must not end up in this kernel.
rm -f "$src/drivers/vfio_user_kunit"
sed -i '\|^obj-y += vfio_user_kunit/$|d' "$src/drivers/Makefile"
if grep -q vfio_user "$src/drivers/Makefile" "$src/drivers/Kconfig"; then
	say "the source tree $src carries a vfio_user overlay; remove it"
	exit 1
fi

# Fixes of kernel bugs the tests would otherwise trip over (each patch
# says why).  Applied to the shared tree: only drivers KUnit's UML build
# does not compile are touched.  Idempotent: a patch that reverses
# cleanly is in already.
for p in "$patches"/*.patch; do
	if patch -d "$src" -p1 -R -s -f --dry-run < "$p" >/dev/null 2>&1; then
		continue
	fi
	say "applying $(basename "$p")"
	patch -d "$src" -p1 -s -f < "$p" >&2 || { say "$p does not apply"; exit 1; }
done

if [ -e "$dir/.config" ]; then
	say "fragment changed: reconfiguring $dir, incremental build (log: $dir/build.log)"
else
	say "building $dir (log: $dir/build.log)"
fi
mkdir -p "$dir"
t0=$(date +%s)
log=$dir/build.log
: > "$log"
mk() { nice -n 10 make -C "$src" O="$dir" ARCH=x86_64 "$@" >>"$log" 2>&1; }
fail() {
	say "$1; last lines of $log:"
	tail -n 30 "$log" >&2
	exit 1
}
rm -f "$dir/.vub-built"
mk tinyconfig || fail "make tinyconfig failed"
(cd "$dir" && "$src/scripts/kconfig/merge_config.sh" -m -O "$dir" \
	"$dir/.config" "$frag") >>"$log" 2>&1 || fail "merge_config.sh failed"
mk olddefconfig || fail "make olddefconfig failed"

# Every fragment line must be in .config ("is not set" may also be absent).
miss=0 req=1
while IFS= read -r l; do
	case $l in
	"# --- nice to have"*) req=0; continue ;;
	CONFIG_*=*) grep -qxF -- "$l" "$dir/.config" && continue ;;
	"# CONFIG_"*" is not set")
		s=${l#\# }; s=${s%% *}
		grep -q "^$s=" "$dir/.config" || continue ;;
	*) continue ;;
	esac
	s=${l#\# }; s=${s%%[= ]*}
	got=$(grep -E "^$s=|^# $s is not set" "$dir/.config" | head -n 1; true)
	if [ "$req" = 1 ]; then
		say "MISSING (required): $l  -- .config has: ${got:-nothing}"
		miss=$((miss + 1))
	else
		say "missing (optional): $l  -- .config has: ${got:-nothing}"
	fi
done < "$frag"
[ "$miss" = 0 ] || { rm -f "$dir/.config"; fail "$miss required fragment lines did not land in .config"; }

say "make -j$(nproc) bzImage modules (10-15 minutes cold)"
mk -j"$(nproc)" bzImage modules || fail "kernel build failed"
kver=$(cat "$dir/include/config/kernel.release")
rm -rf "$kroot.new"
mk INSTALL_MOD_PATH="$kroot.new" modules_install || fail "modules_install failed"
rm -f "$kroot.new/lib/modules/$kver/build" "$kroot.new/lib/modules/$kver/source"
depmod -b "$kroot.new" "$kver"
mkdir -p "$kroot.new/boot"
cp "$image" "$kroot.new/boot/vmlinuz-$kver"
cp "$dir/System.map" "$kroot.new/boot/System.map-$kver"
[ -s "$dir/Module.symvers" ] || fail "no Module.symvers"
rm -rf "$kroot"
mv "$kroot.new" "$kroot"
echo "$fmd5" > "$dir/.vub-built"
say "built $kver in $(($(date +%s) - t0)) s"
print
