#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build vfio_user.ko for the Debian kernel the VM boots, the
# sample server and tools/bench, boot the VM and run tools/bench/guest.sh
# there; prints one table (bridge figure, comparison figure from the
# same run, ratio).  Arguments go to vub-bench (--iters N, --secs S).
#
# The VM gets one vCPU: under TCG on a shared host a second vCPU turns
# every cross-CPU wake-up into a host-thread wake-up (milliseconds when
# the host is busy), which measures the host's scheduler, not the bridge.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
abi=$(scripts/abi.sh)
echo "bench: building vfio_user.ko for $abi and the userspace tools"
ko=$(scripts/build-in.sh "bench-$abi" "/usr/src/linux-headers-$abi" 2>/dev/null | tail -n 1)
if ! modinfo -F parm "$ko" 2>/dev/null | grep -q '^socket:'; then
	echo "bench: $ko is not a complete vfio_user.ko (no socket= parameter)" >&2
	exit 1
fi
make -s -C tools/vfio-user-server all
make -s -C tools/bench all
echo "bench: host load average $(cut -d" " -f1-3 /proc/loadavg) on $(nproc) CPUs (TCG numbers scale with it)"
echo "bench: booting Debian $abi under qemu (TCG, 1 vCPU); about 2 minutes"
# no_timer_check: a loaded host makes TCG's boot-time IO-APIC timer
# check fail ("IO-APIC + timer doesn't work!", a panic), as in check.sh.
exec tools/vm/vmrun.sh -a "$abi" -s "${BENCH_VCPUS:-1}" -t 600 \
	-A no_timer_check -- \
	"VUB_KO=$ko TOP=$top sh tools/bench/guest.sh $*"
