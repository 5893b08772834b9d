# SPDX-License-Identifier: GPL-2.0
#
# irq_relay=1: the server gets revocable relay files
# (anon_inode:[vfio-user-irq]) instead of the consumer's eventfds, and
# every interrupt test still passes through them (exact counts, masks,
# INTx, MSI, MSI-X, ERR/REQ, reset and reopen).  When the consumer
# closes, the server is told to drop them and does: none is left open
# and the module unloads.  A server that keeps them (keep-irq-fds) can
# no longer signal through them; without relays it can.
. "$(dirname "$0")/lib.sh"

sock=/run/t32.sock
slog=/tmp/server-t32.sock.log

relay_fds() {
	n=0
	for f in /proc/"$SERVER_PID"/fd/*; do
		case "$(readlink "$f" 2>/dev/null)" in
		*vfio-user-irq*) n=$((n + 1)) ;;
		esac
	done
	echo $n
}

rm -f "$slog"
check server start_server "$sock"
check insmod load_module socket="$sock" irq_relay=1
check param-set test "$(cat /sys/module/vfio_user/parameters/irq_relay)" = Y
run_consumer vfio-user0 irq-intx irq-msi irq-msix irq-err-req reset reopen
check server-got-relays grep -q 'relay files' "$slog"
check no-relay-left test "$(relay_fds)" = 0
check rmmod unload_module
stop_server

# A server that ignores the disable (keep-irq-fds) fires the old vector
# again: through a revoked relay that signals nothing.  It keeps its
# relay files (and so the module) until its connection goes away.
dev=/sys/bus/vfio-user/devices/vfio-user0
check server-keep start_server "$sock" --fault=keep-irq-fds
check insmod-keep load_module socket="$sock" irq_relay=1
run_consumer vfio-user0 irq-revoked
check keep-holds-relays test "$(relay_fds)" -gt 0
check keep-remove wr /sys/bus/vfio-user/remove vfio-user0
i=0
while [ "$(relay_fds)" != 0 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check keep-relays-dropped test "$(relay_fds)" = 0
check rmmod-keep unload_module
stop_server

# Without the parameter the same server still signals the consumer's
# eventfd after the disable: the limit irq_relay removes.
check server-kept start_server "$sock" --fault=keep-irq-fds
check insmod-kept load_module socket="$sock"
run_consumer vfio-user0 irq-kept
check rmmod-kept unload_module
stop_server

# Without the parameter the server gets the eventfds themselves.
rm -f "$slog"
check server-eventfd start_server "$sock"
check insmod-eventfd load_module socket="$sock"
run_consumer vfio-user0 irq-msix
check server-got-eventfds sh -c "! grep -q 'relay files' $slog"
check rmmod-eventfd unload_module
stop_server
