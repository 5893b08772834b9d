# SPDX-License-Identifier: GPL-2.0
#
# Two paths the other tests do not reach:
# - the late-reply tombstone: a consumer is SIGKILLed while it waits
#   for a reply the server delays; the reply arrives later, is dropped
#   and counted in stats/late_replies, its msg_id is not reused in the
#   meantime, and the device stays ready and usable;
# - many requests: more than 65536 on one device, as many as there are
#   16-bit msg_ids (IDs are the lowest free one, reused as requests
#   complete), all answered correctly.
. "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vfio-user
DBG=/sys/kernel/debug/vfio_user
D=/tmp/vub-t15
mkdir -p $D
sock=$D/s.sock
SLOG=/tmp/server-s.sock.log

stat() { cat $BUS/devices/$DEV/stats/$1; }
rd() { wr $DBG/$DEV/region_read "$1" && cat $DBG/$DEV/region_read; }

check insmod load_module dma_window_bits=33

# ---- late reply ---------------------------------------------------------
# The first REGION_READ is answered 3 s late.
DEV=late
: > $SLOG
check late-server start_server $sock --fault=delay-reply@REGION_READ --delay-ms 3000
check late-add wr $BUS/add "socket=$sock name=$DEV timeout_ms=10000"
# Error replies to bring-up's optional probes (migration, io fds) count.
err0=$(stat errors)
out=$D/late.log
"$CONSUMER/vfio-consumer-test" $DEV op-read > $out 2>&1 &
cpid=$!
i=0
while ! grep -q 'fault delay-reply' $SLOG && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check late-delayed grep -q 'fault delay-reply' $SLOG
kill -9 $cpid
wait $cpid
check late-consumer-killed test $? = 137
check late-no-result sh -c "! grep -q '^OP:' $out"
check late-not-yet test "$(stat late_replies)" = 0
# A read issued now (class code at 8, not the vendor ID at 0) must get
# its own reply, not the late one: the abandoned msg_id stays reserved.
got=$(rd "7 8 4")
check late-next-own-reply test "$got" = "01 00 00 ff"
i=0
while [ "$(stat late_replies)" = 0 ] && [ $i -lt 60 ]; do
	sleep 0.1
	i=$((i + 1))
done
check late-counted test "$(stat late_replies)" = 1
check late-ready test "$(cat $BUS/devices/$DEV/state)" = ready
check late-no-timeouts test "$(stat timeouts) $(stat errors)" = "0 $err0"
check late-usable test "$(rd "7 0 4")" = "58 4e 75 75"
"$CONSUMER/vfio-consumer-test" $DEV op-read > $out 2>&1
check late-consumer-usable grep -q '^OP: read OK ' $out
check late-remove wr $BUS/remove $DEV
stop_server

# ---- msg_id wrap --------------------------------------------------------
DEV=wrap
nreads=${VUB_WRAP_READS:-70000}
check wrap-server start_server $sock
check wrap-add wr $BUS/add "socket=$sock name=$DEV"
req0=$(stat requests)
err0=$(stat errors)
T=$T run_consumer $DEV wrap:$nreads
req1=$(stat requests)
echo "INFO: $T: requests $req0 -> $req1"
check wrap-requests test $((req1 - req0)) -ge $nreads -a $nreads -gt 65536
check wrap-ready test "$(cat $BUS/devices/$DEV/state)" = ready
check wrap-no-errors test "$(stat timeouts) $(stat errors) $(stat late_replies)" = "0 $err0 0"
check wrap-usable test "$(rd "7 0 4")" = "58 4e 75 75"
check wrap-remove wr $BUS/remove $DEV
stop_server

check refcount-zero test "$(module_refcount)" = 0
check rmmod unload_module
rm -rf $D
