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
rsync -a --delete --exclude=/.git --exclude=/.build --exclude=/.vm \
	--exclude=/tools --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude=/drivers/vfio_user/vub_conftest.h \
	--exclude=/drivers/vfio_user/.vub_conftest.stamp \
	--filter='P /drivers/vfio_user/vub_conftest.h' \
	--filter='P /drivers/vfio_user/.vub_conftest.stamp' \
	--filter='P *.o' --filter='P *.ko' --filter='P .*.cmd' \
	--filter='P *.mod' --filter='P *.mod.c' --filter='P Module.symvers' \
	--filter='P modules.order' \
	"$top/" "$dst/"
make -C "$dst" KDIR="$kdir" "$@" >&2
echo "$dst/vfio_user.ko"
