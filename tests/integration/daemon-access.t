#!/bin/bash
# daemon-access: the access model of a shared service. With allow_other
# and group=video, members of the group may create buffers and use their
# own (0600 to their creator, sticky root: nobody else's to remove); users
# outside the group get EACCES on the mount root and on the control
# socket. Checked as non-root users (setpriv), the daemon running as root.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/daemon-lib.sh"
require_host
require_users_video
# Two unprivileged users: the tests need no account, only the ids.
U1=64001 U2=64002 OUTSIDER=64003

chmod 0755 "$T" # the users must reach the mount point and the socket
start_daemon "allow_other,group=video" || bail_out "dmabuffs did not mount"

# --- the root and the socket as they appear
is "$(stat -c '%a %U %g' "$M")" "1770 root $VIDEO" "the mount root is 01770 root:video"
is "$(stat -c '%a %g' "$DMABUFFS_CONTROL")" "660 $VIDEO" "the control socket is 0660 root:video"

# --- outside the group
is "$(as_user $OUTSIDER "" 'os.listdir(M)')" EACCES "a non-member cannot list the mount root (EACCES)"
is "$(as_user $OUTSIDER "" 'open(M + "/x", "w")')" EACCES "a non-member cannot create a buffer (EACCES)"
truncate -s 4K "$M/rootbuf"
is "$(as_user $OUTSIDER "" 'os.stat(M + "/rootbuf")')" EACCES "a non-member cannot even stat root's buffer"
is "$(as_user $OUTSIDER "" 'socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect(CTL)')" \
	EACCES "a non-member cannot connect to the control socket (EACCES)"

# --- members
is "$(as_user $U1 "$VIDEO" 'os.listdir(M)')" OK "a member lists the mount root"
is "$(as_user $U1 "$VIDEO" 'open(M + "/u1buf", "w").truncate(8192)')" OK \
	"a member creates a buffer (truncate)"
is "$(stat -c '%a %u %g %s' "$M/u1buf")" "600 $U1 $VIDEO 8192" \
	"... 0600, owned by its creator, group video, 8 KiB"
is "$(as_user $U1 "$VIDEO" '
with open(M + "/u1buf", "r+b") as f:
    f.write(b"mine"); f.flush(); f.seek(0)
    assert f.read(4) == b"mine"')" OK "... which its creator writes and reads back"
is "$(head -c 4 "$M/u1buf")" mine "... and root sees the data"
is "$(as_user $U1 "$VIDEO" 'open(M + "/rootbuf", "rb")')" EACCES "a member cannot read root's 0600 buffer"
is "$(as_user $U2 "$VIDEO" 'open(M + "/u1buf", "rb")')" EACCES \
	"another member cannot read the first member's buffer"
is "$(as_user $U2 "$VIDEO" 'open(M + "/u1buf", "r+b")')" EACCES "... nor write it"
is "$(as_user $U2 "$VIDEO" 'os.unlink(M + "/u1buf")')" EPERM "... nor remove it (sticky root: EPERM)"
is "$(as_user $U2 "$VIDEO" 'os.rename(M + "/u1buf", M + "/stolen")')" EPERM "... nor rename it"
is "$(as_user $U2 "$VIDEO" 'open(M + "/u2buf", "w").write("x" * 100)')" OK \
	"another member creates a buffer of its own (staged write)"
is "$(stat -c '%u %a' "$M/u2buf" 2>&1)" "$U2 600" "... owned by that member, 0600"
is "$(as_user $U1 "$VIDEO" 'os.unlink(M + "/u1buf")')" OK "a member removes its own buffer"
is "$(as_user $U1 "$VIDEO" 'socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect(CTL)')" \
	OK "a member connects to the control socket"
stop_daemon

# --- without group=: the tree is open to every user of an allow_other mount
start_daemon "allow_other" || bail_out "dmabuffs did not mount without group="
is "$(stat -c '%a' "$M")" 1777 "without group= the root stays 01777"
is "$(as_user $OUTSIDER "" 'os.listdir(M)')" OK "... and any user lists it"
stop_daemon

done_testing
