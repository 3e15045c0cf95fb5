#!/bin/sh
# Discovery follows ptrace's rules for the caller (issue 10): proc/PID and
# its files belong to the process's uid only when its real, effective and
# saved uids are one uid, its gids one gid, it is dumpable and Yama's
# ptrace_scope is 0; else to root (mode 0500 / 0600), so the kernel checks
# every caller on its own credentials. Targets (ptrace-target.c), all
# uid 1000: plain, nodump (not dumpable), suid (saved uid 0), sgid (saved
# gid 0). uid 1000 may list and read only plain's buffer (EACCES for the
# others), uid 1001 none, root all of them. With Yama 1 and 2 even plain is
# root's only. (Yama 3 is one-way until reboot and would stop every later
# test's pidfd_getfd: left to the code and dmabuffs(5).)
. /vm/lib.sh

start_daemon -o allow_other
P=/run/dmabuf/proc
YAMA=/proc/sys/kernel/yama/ptrace_scope
scope_was=$(cat "$YAMA" 2>/dev/null)
TPIDS=
cleanup() {
	rc=$?
	for p in $TPIDS; do kill "$p" 2>/dev/null; done
	[ -n "$scope_was" ] && echo "$scope_was" >"$YAMA" 2>/dev/null
	(exit "$rc")
	stop_daemon
}
trap cleanup EXIT
[ -n "$scope_was" ] && { echo 0 >"$YAMA" || fail "cannot set $YAMA to 0"; }
echo "# Yama ptrace_scope: ${scope_was:-absent (no Yama)}"

# target TAG MODE SALT: ptrace-target as uid 1000; sets TAG_pid, TAG_fd.
target() {
	sleep 600 | ptrace-target 1000 "$2" 65536 "$3" >"$VMT/$1.out" 2>&1 &
	tp=$!
	TPIDS="$TPIDS $tp"
	i=0
	while ! grep -q '^hold ' "$VMT/$1.out"; do
		kill -0 "$tp" 2>/dev/null || {
			cat "$VMT/$1.out"
			grep -q skip "$VMT/$1.out" && skip "ptrace-target: $(tail -n1 "$VMT/$1.out")"
			fail "ptrace-target $2 did not come up"
		}
		[ $i -ge 100 ] && fail "ptrace-target $2: no hold line in 10 s"
		sleep 0.1
		i=$((i + 1))
	done
	for kv in $(sed -n 's/^hold //p' "$VMT/$1.out"); do
		case $kv in pid=* | fd=*) eval "${1}_${kv%%=*}=\${kv#*=}" ;; esac
	done
	echo "# $1 ($2): $(sed -n 's/^hold //p' "$VMT/$1.out")"
}

# expect TAG UID_1000_RESULT OWNER: what uid 1000 gets, who owns the nodes.
expect() {
	tag=$1 want=$2 owner=$3 salt=$4
	pid=$(eval echo "\$${tag}_pid") fd=$(eval echo "\$${tag}_fd")
	d=$P/$pid f=$P/$pid/$fd
	got=$(stat -c '%u %a' "$d") || fail "stat $d failed"
	[ "$got" = "$owner 500" ] || fail "$tag: proc/$pid is '$got', expected '$owner 500'"
	got=$(stat -c '%u %a' "$f") || fail "stat $f failed"
	[ "$got" = "$owner 600" ] || fail "$tag: $f is '$got', expected '$owner 600'"
	got=$(dmabuf-hold as 1000 open "$f" r)
	[ "$got" = "$want" ] || fail "$tag: uid 1000 opening $f: '$got', expected $want"
	if [ "$want" = ok ]; then
		dmabuf-hold as 1000 verify "$f" "$salt" || fail "$tag: uid 1000 cannot read $f"
		got=$(dmabuf-hold as 1000 exec ls "$d" | tr '\n' ' ')
		[ "$got" = "$fd " ] || fail "$tag: uid 1000 lists proc/$pid as '$got'"
	else
		dmabuf-hold as 1000 exec ls "$d" >/dev/null 2>&1 &&
			fail "$tag: uid 1000 may list proc/$pid"
	fi
	got=$(dmabuf-hold as 1001 open "$f" r)
	[ "$got" = EACCES ] || fail "$tag: uid 1001 opening $f: '$got', expected EACCES"
	dmabuf-hold verify "$f" "$salt" || fail "$tag: root cannot read $f"
	echo "# $tag: owner $owner, uid 1000 $want, uid 1001 EACCES, root reads"
}

target plain plain 11
target nodump nodump 12
target suid suid 13
target sgid sgid 14
expect plain ok 1000 11
expect nodump EACCES 0 12
expect suid EACCES 0 13
expect sgid EACCES 0 14

if [ -n "$scope_was" ]; then
	for s in 1 2; do
		echo "$s" >"$YAMA" || fail "cannot set $YAMA to $s"
		expect plain EACCES 0 11
		echo "# Yama $s: plain is root's only"
	done
	echo 0 >"$YAMA"
	expect plain ok 1000 11
else
	echo "# no Yama in this kernel: scopes 1 and 2 not tried"
fi

# Listings show only the processes the caller could inspect.
listed() { # UID PID: 0 when uid UID sees PID in proc/
	dmabuf-hold as "$1" exec ls "$P" | grep -qx "$2"
}
for t in plain nodump suid sgid; do
	pid=$(eval echo "\$${t}_pid")
	ls "$P" | grep -qx "$pid" || fail "root does not see $t (pid $pid) in proc/"
	listed 1001 "$pid" && fail "uid 1001 sees $t (pid $pid) in proc/"
	if [ "$t" = plain ]; then
		listed 1000 "$pid" || fail "uid 1000 does not see its own plain (pid $pid)"
	else
		listed 1000 "$pid" && fail "uid 1000 sees $t (pid $pid) in proc/"
	fi
done
echo "# proc/ lists for each caller only what it could inspect"
exit 0
