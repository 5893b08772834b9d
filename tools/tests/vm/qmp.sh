# SPDX-License-Identifier: GPL-2.0
#
# A minimal QMP client in shell, sourced by tools/tests/vm/t-40-qemu.sh
# and tools/demo/qemu-demo.sh.  The caller starts QEMU with
# "-qmp stdio", stdin from a fifo opened as fd 3 and stdout to
# $d/qmp.out, and sets qpid to QEMU's pid.

# qmp_send JSON: send one QMP command.
qmp_send() {
	printf '%s\n' "$1" >&3
}

# hmp CMD: send a human-monitor-command.
hmp() {
	qmp_send "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"$1\"}}"
}

# nreturns: number of QMP replies so far.
nreturns() {
	c=$(grep -c '^{"return"' "$d/qmp.out" 2>/dev/null)
	echo "${c:-0}"
}

# last_return: the text of the last QMP reply, \r\n decoded.
last_return() {
	grep '^{"return"' "$d/qmp.out" | tail -n 1 |
		sed 's/^{"return": "//; s/"}$//; s/\\r\\n/\n/g; s/\\"/"/g'
}

# wait_returns N [tenths]: wait (default 60 s) until N replies arrived;
# fails early if QEMU died.
wait_returns() {
	i=0
	while [ "$(nreturns)" -lt "$1" ] && [ $i -lt "${2:-600}" ]; do
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(nreturns)" -ge "$1" ]
}
