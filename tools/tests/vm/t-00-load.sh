# SPDX-License-Identifier: GPL-2.0
#
# The module loads into the guest kernel, logs its version, shows in
# lsmod with a zero refcount and unloads cleanly.
. "$(dirname "$0")/lib.sh"

check insmod load_module
check lsmod sh -c 'lsmod | grep -q "^vfio_user "'
check version-logged sh -c 'dmesg | grep -q "vfio-user: bridge version"'
check refcount-zero test "$(module_refcount)" = 0
check softdep sh -c 'modinfo -F softdep "$VUB_KO" | grep -q vfio_iommu_type1'
check rmmod unload_module
check unloaded sh -c '! grep -q "^vfio_user " /proc/modules'
check unload-logged sh -c 'dmesg | grep -q "vfio-user: bridge unloaded"'
