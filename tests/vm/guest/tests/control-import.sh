#!/bin/sh
# dmabufctl import --pid P --fd N NAME: a udmabuf held by another process
# (dmabuf-hold.c) becomes the file NAME: origin imported, exporter udmabuf,
# backend import, inode and holders right, by-inode/ and by-exporter/
# links; it reads the holder's pattern, a write through it shows in the
# holder's mapping and the holder's change in the file; the daemon's own
# reference keeps it after the holder exits. Refused: an fd that is not a
# dma-buf, and another user's process (ptrace rule); neither creates a file.
. /vm/lib.sh
start_daemon
start_holder H hold udmabuf 131072 5
f=/run/dmabuf/imp

out=$(dmabufctl import --pid "$H_pid" --fd "$H_fd" imp 2>&1) ||
	fail "dmabufctl import --pid $H_pid --fd $H_fd imp failed: $out"
[ -f "$f" ] || fail "no $f after the import"
got=$(stat -c %s "$f")
[ "$got" = 131072 ] || fail "$f has $got bytes, expected 131072"
for kv in origin=imported exporter=udmabuf backend=import iomem=0 inode="$H_ino"; do
	got=$(info_field "$f" "${kv%%=*}")
	[ "$got" = "${kv#*=}" ] ||
		fail "user.dmabuf.${kv%%=*} of $f is '$got', expected '${kv#*=}'"
done
got=$(info_field "$f" holders)
echo "# holders: $got (holder $H_pid, daemon $DAEMON_PID)"
echo " $got " | grep -q " $H_pid:" || fail "user.dmabuf.holders '$got' lacks the holder $H_pid"
got=$(readlink "/run/dmabuf/by-inode/$H_ino")
[ "$got" = ../imp ] || fail "by-inode/$H_ino -> '$got', expected ../imp"
[ -L /run/dmabuf/by-exporter/udmabuf/imp ] || fail "no by-exporter/udmabuf/imp"

dmabuf-hold verify "$f" 5 || fail "$f does not read the holder's pattern"
dmabuf-hold write "$f" 6 || fail "writing $f failed"
holder_cmd H check 6 || fail "a write through $f does not show in the holder's mapping"
holder_cmd H fill 7 || fail "the holder could not refill its buffer"
dmabuf-hold verify "$f" 7 || fail "$f does not show what the holder wrote later"

# Refusals: fd 0 of the holder is a fifo; uid 1000 may not take root's fd.
if out=$(dmabufctl import --pid "$H_pid" --fd 0 notdmabuf 2>&1); then
	fail "importing a fifo (fd 0 of $H_pid) succeeded"
fi
echo "# import of a fifo: $out"
[ -e /run/dmabuf/notdmabuf ] && fail "a refused import created notdmabuf"
if out=$(dmabuf-hold as 1000 exec dmabufctl import --pid "$H_pid" --fd "$H_fd" notmine 2>&1); then
	fail "uid 1000 imported a dma-buf of root's process $H_pid"
fi
echo "# import by uid 1000: $out"
[ -e /run/dmabuf/notmine ] && fail "a refused import created notmine"

# The daemon holds its own reference: the buffer outlives the holder.
stop_holder H
dmabuf-hold verify "$f" 7 || fail "$f lost its contents when the holder exited"
# The attribute comes from a walk of /proc at most 2 s old (or EAGAIN while
# the walker is busy): a gone holder leaves it within that and one walk.
i=0
while :; do
	got=$(info_field "$f" holders)
	# Empty: EAGAIN this time (the daemon itself always holds it).
	[ -n "$got" ] && ! echo " $got " | grep -q " $H_pid:" && break
	i=$((i + 1))
	[ "$i" -lt 20 ] || fail "user.dmabuf.holders '$got' still names the gone holder after 10 s"
	sleep 0.5
done
rm "$f" || fail "rm $f failed"
[ ! -e "$f" ] || fail "$f still exists after rm"
