#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-in.sh NAME KDIR [make args...]: build the module in a private
# copy of the tree, .build/NAME/ (so builds for several kernels, or by
# several people, do not clobber each other's objects), and print the
# path of the resulting vfio_user.ko on the last line.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
name=$1
kdir=$2
shift 2
dst=$top/.build/$name
mkdir -p "$dst"
# Build outputs are excluded: a stale vfio_user.mod (the object list)
# from an in-place build must never reach the copy.  Excluded files are
# also kept on the receiving side, so the copy builds incrementally.
rsync -a --delete --exclude=/.git --exclude=/.build --exclude=/.vm \
	--exclude=/tools --exclude=/results --exclude='*.o' --exclude='*.ko' \
	--exclude='.*.cmd' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude=Module.symvers --exclude=modules.order \
	--exclude=/drivers/vfio_user/vub_conftest.h \
	--exclude=/drivers/vfio_user/.vub_conftest.stamp \
	"$top/" "$dst/"
make -C "$dst" KDIR="$kdir" "$@" >&2
echo "$dst/vfio_user.ko"
