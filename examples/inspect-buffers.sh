#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# inspect-buffers.sh [MOUNT]
#
# List every buffer in a dmabuffs mount (MOUNT, else $DMABUFFS_MOUNT, else
# /run/dmabuf) with its size, exporter, map flag and origin, and show its
# first 64 bytes. Buffers found in other processes (proc/PID/FD) are
# included; showing their bytes needs the right to ptrace the process.
#
# Attributes are read with getfattr (package attr) when it is installed,
# else with `dmabufctl info`. Bytes are shown with xxd, else od.
set -u

mnt=${1:-${DMABUFFS_MOUNT:-/run/dmabuf}}

if [ ! -d "$mnt/by-inode" ]; then
	echo "inspect-buffers: $mnt is not a dmabuffs mount" >&2
	exit 1
fi

have() { command -v "$1" >/dev/null 2>&1; }

# attr FILE KEY: the value of user.dmabuf.KEY, or "-".
attr()
{
	if have getfattr; then
		v=$(getfattr --absolute-names --only-values -n "user.dmabuf.$2" \
			-- "$1" 2>/dev/null)
	elif have dmabufctl; then
		# dmabufctl info prints one "user.dmabuf.KEY: VALUE" line each.
		v=$(dmabufctl --mount "$mnt" info "$1" 2>/dev/null |
			sed -n "s/^user\.dmabuf\.$2: //p")
	else
		v=
	fi
	printf '%s' "${v:--}"
}

size_of()
{
	# ls -ln is POSIX, stat -c is not; the size is the fifth field.
	ls -ln -- "$1" 2>/dev/null | awk '{ print $5; exit }'
}

dump()
{
	if have xxd; then
		xxd -l 64 -- "$1"
	else
		od -A x -t x1 -N 64 -- "$1"
	fi
}

if ! have getfattr && ! have dmabufctl; then
	echo "inspect-buffers: neither getfattr nor dmabufctl found;" \
		"attributes are not shown" >&2
fi

count=0
for f in "$mnt"/* "$mnt"/proc/*/*; do
	# Buffers are the regular files; skip the directories and the globs
	# that matched nothing.
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	count=$((count + 1))
	name=${f#"$mnt"/}
	size=$(size_of "$f")
	printf '%s: %s bytes, exporter %s, iomem %s, origin %s\n' \
		"$name" "${size:-?}" "$(attr "$f" exporter)" \
		"$(attr "$f" iomem)" "$(attr "$f" origin)"
	if [ "${size:-0}" -eq 0 ]; then
		echo "    (no buffer yet)"
	elif out=$(dump "$f" 2>&1); then
		printf '%s\n' "$out" | sed 's/^/    /'
	else
		echo "    (cannot read: ${out##*: })"
	fi
done

[ "$count" -gt 0 ] || echo "no buffers in $mnt"
