# SPDX-License-Identifier: GPL-2.0
#
# Fault matrix: every fault mode of the sample server (read from its
# --help, with its scope) crossed with every operation a VFIO consumer
# makes the bridge perform: bring-up (add), region read, region write,
# SET_IRQS, the server's DMA (to and from the host), reset and close.
# Each cell starts a server with the fault aimed at that operation,
# adds the device, runs the operation through the VFIO consumer
# (vfio-consumer-test op-NAME, which prints the errno it got) and
# checks the caller's result, the device's state (ready, broken, or no
# device after a failed add), that a ready device still answers and a
# broken one fails at once with EIO, then removes the device.  A fault
# whose scope cannot reach an operation is an n/a cell.  Ends with the
# table, rmmod with refcount 0 and a slab-growth check.
. "$(dirname "$0")/lib.sh"

BUS=/sys/bus/vfio-user
DBG=/sys/kernel/debug/vfio_user
D=/tmp/vub-t13
SOCK=$D/m.sock
DEV=m13
TMO=1000		# timeout_ms and reset_timeout_ms of the operation
OPS="add read write irqs dma-to-host dma-from-host reset close"

ADD_TMO=2000		# timeout_ms of "add" cells (bring-up)
mkdir -p $D

# Starting a process costs a few hundred ms under TCG (more under
# load): a cell starts the server and the consumer, everything else is
# shell builtins.
now_ms() {
	read -r _up _ < /proc/uptime
	echo $((${_up%.*}${_up#*.} * 10))
}
state() {
	{ read -r _s < $BUS/devices/$DEV/state; } 2>/dev/null || _s=absent
	echo $_s
}
no_devices() {
	set -- $BUS/devices/*
	[ ! -e "$1" ]
}
# bw FILE STRING: write with the shell's builtin echo (one write(2)).
bw() { { echo "$2" > "$1"; } 2>/dev/null; }
# A config-space read through debugfs: prints the bytes, or fails.
cfg_read() {
	bw $DBG/$DEV/region_read "7 0 4" && read -r _v < $DBG/$DEV/region_read &&
		echo "$_v"
}
# The server says "ready" on stdout once it listens.
FIFO=$D/ready
mkfifo $FIFO
srv_start() {
	"$SERVER" --socket $SOCK "$@" > $FIFO 2>> $D/server.log &
	SERVER_PID=$!
	read -r _l < $FIFO && [ "$_l" = ready ]
}

# Errno names as the sysfs writer sees them (add).
errtext() {
	case $1 in
	OK) echo "" ;;
	ETIMEDOUT) echo "Connection timed out" ;;
	ECONNRESET) echo "Connection reset by peer" ;;
	EPROTO) echo "Protocol error" ;;
	EIO) echo "Input/output error" ;;
	*) echo "$1" ;;
	esac
}

# target SCOPE OP: the --fault suffix aiming a fault of SCOPE at OP,
# or "n/a".  "-" means the fault's fixed scope already is OP's.
target() {
	case "$1:$2" in
	any:add) echo @DEVICE_GET_INFO ;;
	any:read) echo @REGION_READ ;;
	any:write) echo @REGION_WRITE ;;
	any:irqs) echo @DEVICE_SET_IRQS ;;
	any:reset) echo @DEVICE_RESET ;;
	# The first SET_IRQS assigns the vector, the second is close's.
	any:close) echo :2@DEVICE_SET_IRQS ;;
	VERSION:add | DEVICE_GET_REGION_INFO:add) echo - ;;
	DEVICE_GET_REGION_IO_FDS:add) echo - ;;
	REGION_READ:read) echo - ;;
	DEVICE_SET_IRQS:irqs | DEVICE_SET_IRQS:close) echo - ;;
	DMA_READ/DMA_WRITE:dma-to-host) echo @DMA_WRITE ;;
	DMA_READ/DMA_WRITE:dma-from-host) echo @DMA_READ ;;
	*) echo n/a ;;
	esac
}

# expect FAULT OP: sets WANT (the caller's result: OK, an errno name or
# DMA_ERR:<errno>) and WSTATE (ready, broken, absent).
expect() {
	case $1 in
	hang | truncated-reply | delay-reply | dma-truncated | no-version-reply)
		WANT=ETIMEDOUT WSTATE=broken ;;
	close-mid-reply) WANT=EIO WSTATE=broken ;;
	exit-after) WANT=OK WSTATE=broken ;;
	# The errno the fault puts in its reply, as libvfio-user's do.
	error-reply-with-payload) WANT=EIO WSTATE=ready ;;
	error-reply-*) WANT=EINVAL WSTATE=ready ;;
	dma-oversized)
		# A DMA_WRITE that large does not fit a message: the
		# stream is lost.  A DMA_READ gets an E2BIG error reply.
		if [ "$2" = dma-to-host ]; then
			WANT=EPROTO WSTATE=broken
		else
			WANT=DMA_ERR:E2BIG WSTATE=ready
		fi ;;
	dma-bad-addr) WANT=DMA_ERR:EFAULT WSTATE=ready ;;
	# Harmless to the caller; what it means for interrupts is t-32's.
	keep-irq-fds) WANT=OK WSTATE=ready ;;
	# Mappings of BAR2 become read-only (t-17); the device works.
	bar2-sealed | bar2-future-sealed | bar2-rdonly) WANT=OK WSTATE=ready ;;
	# Malformed io-fd replies are ignored: the device works without.
	io-fds-*) WANT=OK WSTATE=ready ;;
	# Only posted writes get these; the matrix posts none (t-21 does).
	noreply-errors | noreply-ack) WANT=OK WSTATE=ready ;;
	bar0-io) WANT=OK WSTATE=ready ;;	# only changes posting (t-21)
	*) WANT=EPROTO WSTATE=broken ;;	# malformed replies and requests
	esac
	case "$1:$2" in
	*:close) WANT=OK ;;		# close(2) cannot fail
	*:add)
		WSTATE=absent
		case $1 in
		close-mid-reply | exit-after) WANT=ECONNRESET ;;
		error-reply-*) WANT=EPROTO ;;	# bring-up fails on any error
		# Bring-up knows the largest valid reply of each command
		# and refuses a bigger msg_size before reading the payload.
		truncated-reply) WANT=EPROTO ;;
		bar2-sealed | bar2-future-sealed | bar2-rdonly) WSTATE=ready ;;
		io-fds-* | noreply-errors | noreply-ack | bar0-io) WSTATE=ready ;;
		esac ;;
	esac
}

wait_state() {
	_i=0
	while [ "$(state)" != "$1" ] && [ $_i -lt 20 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ "$(state)" = "$1" ]
}

# cell FAULT SUFFIX OP: run one cell; prints nothing, sets CELL
# (pass/FAIL) and WHY.
cell() {
	_f=$1 _sfx=$2 _op=$3
	CELL=FAIL WHY=
	spec=$_f
	[ "$_sfx" = - ] || spec=$_f$_sfx
	expect "$_f" "$_op"
	srv_start --fault="$spec" --delay-ms $((ADD_TMO * 2)) ||
		{ WHY="server did not start"; return; }
	if [ "$_op" = add ]; then
		t0=$(now_ms)
		res=$(wr $BUS/add "socket=$SOCK name=$DEV timeout_ms=$ADD_TMO")
		el=$(($(now_ms) - t0))
		want=$(errtext "$WANT")
		tmo=$ADD_TMO
	else
		# A generous timeout for bring-up (this cell is not about
		# it), the short one for the operation.
		if ! bw $BUS/add "socket=$SOCK name=$DEV timeout_ms=20000" ||
			! bw $BUS/devices/$DEV/timeout_ms $TMO ||
			! bw $BUS/devices/$DEV/reset_timeout_ms $TMO; then
			WHY="add failed"
			bw $BUS/remove $DEV
			stop_server
			return
		fi
		# (op-* modes end themselves after 60 s with SIGALRM)
		out=$("$CONSUMER/vfio-consumer-test" $DEV "op-$_op" 2>&1)
		case "$out" in
		*"OP: $_op "*)
			line=${out#*OP: $_op }
			set -- ${line%%"
"*}
			res=$1 el=$2 ;;
		*)
			res="no result (consumer: ${out##*"
"})"
			el=0 ;;
		esac
		want=$WANT
		tmo=$TMO
	fi
	if [ "$res" != "$want" ]; then
		WHY="got '$res', want '$want'"
	elif [ "${el:-0}" -gt $((tmo + 5000)) ]; then
		WHY="took $el ms"
	elif ! wait_state $WSTATE; then
		WHY="state $(state), want $WSTATE"
	elif [ $WSTATE = ready ]; then
		# The device still answers (error-reply-odd-errno hits two
		# replies in a row: the read after a faulted read gets the
		# second one).
		if [ "$_f:$_op" = error-reply-odd-errno:read ] && cfg_read; then
			WHY="second odd-errno reply not seen"
		elif [ "$(cfg_read)" != "58 4e 75 75" ]; then
			WHY="ready device does not answer"
		elif [ "$(state)" != ready ]; then
			WHY="broken after the check read"
		else
			CELL=pass
		fi
	elif [ $WSTATE = broken ]; then
		# Requests fail (with EIO, see t-11) at once.
		if got=$(cfg_read); then
			WHY="broken device: read got '$got'"
		else
			CELL=pass
		fi
	elif ! no_devices; then
		WHY="devices left after a failed add: $(ls $BUS/devices)"
	else
		CELL=pass
	fi
	[ $CELL = pass ] && WHY="$res, $WSTATE, $el ms"
	if [ "$(state)" != absent ] && ! bw $BUS/remove $DEV; then
		WHY="$WHY; remove failed"
		CELL=FAIL
	fi
	no_devices || { WHY="$WHY; device left"; CELL=FAIL; }
	stop_server
}

slab() { sed -n 's/^Slab: *\([0-9]*\) kB/\1/p' /proc/meminfo; }

# The fault list, "NAME SCOPE" per line, from the server itself.
FAULTS=$("$SERVER" --help | awk '/^Faults/ { f = 1; next }
	f && /^  [a-z]/ { print $1, $2 }')
check fault-list test "$(echo "$FAULTS" | wc -l)" -ge 20

# One DMA window (8 GiB, the consumer's buffer is at 4 GiB): the open
# sends one DMA_MAP instead of 16.
check insmod load_module dma_window_bits=33
t_start=$(now_ms)

# Warm-up (not counted): every operation once without a fault, and a
# few faulted cells, so that slab caches have grown before measuring.
# (exit-after:100 never fires: these cells "fail" and are ignored.)
for op in $OPS; do
	cell exit-after :100@DEVICE_RESET $op </dev/null
done
cell hang @REGION_READ read </dev/null
cell wrong-msg-id @REGION_WRITE write </dev/null
cell dma-malformed @DMA_WRITE dma-to-host </dev/null
sync; echo 2 > /proc/sys/vm/drop_caches
slab_before=$(slab)

run=0 passed=0 na=0
TABLE=$D/table
: > $TABLE
echo "$FAULTS" | {
	while read -r f scope; do
		row=$(printf '%-24s' "$f")
		for op in $OPS; do
			sfx=$(target "$scope" $op)
			if [ "$sfx" = n/a ]; then
				na=$((na + 1))
				row="$row $(printf '%-13s' n/a)"
				continue
			fi
			cell "$f" "$sfx" $op </dev/null
			run=$((run + 1))
			if [ $CELL = pass ]; then
				passed=$((passed + 1))
				pass "$f@$op"
				echo "INFO: $T: $f@$op: $WHY"
			else
				fail "$f@$op" "$WHY"
			fi
			row="$row $(printf '%-13s' $CELL)"
		done
		echo "$row" >> $TABLE
	done
	echo "$run $passed $na $FAILED" > $D/counts
}
read -r run passed na f < $D/counts
[ "$f" = 1 ] && FAILED=1
t_end=$(now_ms)

echo "INFO: $T: fault x operation (timeout_ms=$TMO, add: $ADD_TMO)"
echo "INFO: $(printf '%-24s' fault) $(for op in $OPS; do printf '%-14s' $op; done)"
sed 's/^/INFO: /' $TABLE
echo "INFO: matrix: $run cells run, $passed passed, $na n/a, $(((t_end - t_start) / 1000)) s"
check all-cells-passed test "$run" = "$passed"
check some-cells-run test "$run" -ge 50

sync; echo 2 > /proc/sys/vm/drop_caches
slab_after=$(slab)
echo "INFO: $T: Slab ${slab_before} kB -> ${slab_after} kB over $run cells"
slab_max=512
kasan_on && slab_max=2048
check slab test $((slab_after - slab_before)) -lt $slab_max
check refcount-zero test "$(module_refcount)" = 0
check rmmod unload_module
rm -rf $D
