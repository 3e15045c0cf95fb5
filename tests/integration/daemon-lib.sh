# shellcheck shell=bash
# Shared by the daemon-*.t integration tests and lifecycle.t, sourced after
# lib.sh.

# wait_exit PID: wait up to 5 s for our child PID; its exit status (or
# TIMEOUT) in $ST. Not in $(...): only this shell can reap its children.
wait_exit() {
	if wait_for "! pid_alive $1" 50; then
		wait "$1"
		ST=$?
	else
		ST=TIMEOUT
	fi
}

# as_user UID GROUPS PYTHON: run the statements as UID (primary group
# nogroup, supplementary GROUPS, or none when empty) with M, CTL, trunc()
# and write() at hand; prints OK or the errno name of what they raised.
as_user() {
	local uid=$1 groups=$2 g=(--clear-groups)
	[ -n "$groups" ] && g=(--groups "$groups")
	setpriv --reuid="$uid" --regid="$(getent group nogroup | cut -d: -f3 || echo 65534)" \
		"${g[@]}" env -i PATH="$PATH" M="$M" DMABUFFS_CONTROL="$DMABUFFS_CONTROL" \
		python3 -c "
import os, sys, errno, socket
M = os.environ['M']; CTL = os.environ['DMABUFFS_CONTROL']
def trunc(name, size):
    with open(os.path.join(M, name), 'wb') as f:
        f.truncate(size)
def write(name, size):
    with open(os.path.join(M, name), 'wb') as f:
        f.write(b'x' * size)
try:
    exec(sys.argv[1])
    print('OK')
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
" "$3" 2>&1
}

# require_users_video: setpriv, and group video (its gid in $VIDEO), or
# skip the whole script.
require_users_video() {
	command -v setpriv >/dev/null 2>&1 || skip_all "no setpriv (util-linux)"
	VIDEO=$(getent group video | cut -d: -f3)
	[ -n "$VIDEO" ] || skip_all "no group video on this machine"
}
