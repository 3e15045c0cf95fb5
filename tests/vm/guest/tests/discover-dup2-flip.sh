#!/bin/sh
# proc/PID/FD takes nothing but the dma-buf it listed (issue 10). A root
# process (dup2-flip.c) swaps fd 100 between a dma-buf (every byte 'D') and
# a secret file ("SECRET!") with dup2() in a loop; 300 reads of
# proc/PID/100 through the daemon: each either fails (the fd was the file
# at lookup or at the take) or gives 'D's, never a byte of the secret. The
# daemon's log shows how often the take was refused after the check
# passed (the race hit), and the daemon keeps serving.
. /vm/lib.sh

start_daemon
dup2-flip 65536 >"$VMT/flip.out" 2>&1 &
fp=$!
trap 'rc=$?; kill $fp 2>/dev/null; (exit $rc); stop_daemon' EXIT
i=0
while ! grep -q '^flip ' "$VMT/flip.out"; do
	kill -0 "$fp" 2>/dev/null || {
		grep -q skip "$VMT/flip.out" && skip "dup2-flip: $(tail -n1 "$VMT/flip.out")"
		fail "dup2-flip did not come up: $(cat "$VMT/flip.out")"
	}
	[ $i -ge 100 ] && fail "dup2-flip: no flip line in 10 s"
	sleep 0.1
	i=$((i + 1))
done
echo "# $(cat "$VMT/flip.out")"
F=/run/dmabuf/proc/$fp/100
good=0 secret=0 other=0 refused=0 n=0
while [ $n -lt 300 ]; do
	n=$((n + 1))
	if out=$(head -c 16 "$F" 2>/dev/null); then
		case $out in
		DDDDDDDDDDDDDDDD) good=$((good + 1)) ;;
		*SECRET*) secret=$((secret + 1)) ;;
		*) other=$((other + 1)); echo "# read $n: '$out'" ;;
		esac
	else
		refused=$((refused + 1))
	fi
done
raced=$(grep -c 'is not the dma-buf listed' "$VMT/daemon.log")
echo "# 300 reads: $good the dma-buf, $refused failed, $secret the secret, $other other;" \
	"the daemon refused $raced fds taken after the check"
[ "$secret" -eq 0 ] || fail "the daemon served the secret file $secret times"
[ "$other" -eq 0 ] || fail "$other reads gave neither the dma-buf nor an error"
[ "$good" -gt 0 ] || fail "no read gave the dma-buf (300 tries)"
kill "$fp"
wait "$fp" 2>/dev/null
truncate -s 4096 /run/dmabuf/after || fail "the daemon no longer serves after the race"
exit 0
