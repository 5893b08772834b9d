# SPDX-License-Identifier: GPL-2.0
#
# Runs last: after every other test has loaded, used and unloaded the
# module, ask kmemleak (debug kernel only, tools/vm/debug-kernel.sh) for
# unreferenced objects.  Any suspected leak fails -- those from the module
# (a "[vfio_user]" frame, or a "vfio_user"/"vub_" symbol) are flagged as
# such, others are still printed and fail, as the boot itself is clean.
# On a kernel without kmemleak (Debian's) the case is reported skipped.
. "$(dirname "$0")/lib.sh"

km=/sys/kernel/debug/kmemleak
if [ ! -e "$km" ]; then
	skip no-leaks "kernel without kmemleak (make check-debug runs it)"
	exit 0
fi

# Objects younger than 5 s are never reported, and a pointer that was
# only in a register or on a stack during the first scan is found by the
# second one (cat lists what is still unreferenced after the last scan).
sleep 6
echo scan > "$km" || { fail scan "echo scan > $km failed"; exit 0; }
sleep 6
echo scan > "$km"
out=/tmp/kmemleak-$T.txt
cat "$km" > "$out"

n=$(grep -c '^unreferenced object' "$out")
if [ "$n" = 0 ]; then
	pass no-leaks
	exit 0
fi
# Split into reports and tell the module's from the others.  After rmmod
# the module's frames no longer resolve ("[<ffffffffc0...>] 0xffffffffc0..."),
# and vfio_user is the only module unloaded here, so those count too.
vub=$(awk '
function done() { if (r ~ /vfio_user|vub_|\] 0xffffffff/) c++; r = "" }
/^unreferenced object/ && r != "" { done() }
{ r = r $0 "\n" }
END { if (r != "") done(); print c + 0 }' "$out")
fail leaks "$n suspected leaks ($vub attributed to vfio_user), listed below"
sed 's/^/kmemleak: /' "$out" | head -n 400
