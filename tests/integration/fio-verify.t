#!/bin/sh
# fio's verify mode as a data-integrity oracle: random reads and writes
# (--rw=randrw, 4..64 KiB blocks) with a crc32c in every block, checked by
# fio at the end of the run and again by a second fio process that only
# verifies (--verify_only: fresh opens of the file).
# Each I/O engine (psync, mmap, libaio with O_DIRECT) runs once per
# accessor: the daemon's memcpy (iomem=never) and the I/O accessor shim
# (iomem=always). One TAP test per run: fio-verify-ENGINE-ACCESSOR.
#
# POSIX sh with no python, getfattr or bash, so that the VM guest (busybox)
# can run it too on a device backend:
#   FIO_VERIFY_BACKEND=udmabuf|heap:system|drm:DRIVER (default memfd; the
#     names then get -BACKEND, and the first accessor is the rule table's
#     choice, iomem=auto, not a forced memcpy on device memory)
#   FIO_VERIFY_SIZE (default 8M), FIO_VERIFY_TIMEOUT (s per fio, default 120)
#   FIO_VERIFY_SANITY=corrupt: overwrite 8 bytes in every MiB of the buffer
#     file between the two phases; every fio test must then fail (shows the
#     oracle can fail).
# lib.sh's POSIX part only (dt_mounted, dt_cleanup, dt_info_field, PATH).
# shellcheck disable=SC2034
DMABUFFS_DEVICE_TEST=1
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

backend=${FIO_VERIFY_BACKEND:-memfd}
size=${FIO_VERIFY_SIZE:-8M}
limit=${FIO_VERIFY_TIMEOUT:-120}
n=0

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
command -v fio >/dev/null 2>&1 || skip_all "no fio (Debian: fio)"
command -v dmabuffs >/dev/null 2>&1 || {
	echo "Bail out! dmabuffs not found in PATH"
	exit 1
}

tap() { # ok|not-ok NAME
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
# fio's own verdict first (the mismatch lines), then the end of its log.
diag_fio() { # LOG
	grep -m 5 -i -e 'verify failed' -e 'bad magic' -e 'bad header' -e 'err=' "$1" | sed 's/^/# /'
	tail -n 8 "$1" | sed 's/^/# /'
}

trap dt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# mount_daemon IOMEM: a daemon in a fresh temporary directory (dt_cleanup,
# at the end of each accessor or at exit, stops it, unmounts and removes
# the directory); 0 when the mount is up.
mount_daemon() {
	dt_tmp=$(mktemp -d /tmp/dmabuffs-fio.XXXXXX) || exit 1
	dt_mnt=$dt_tmp/mnt
	mkdir "$dt_mnt"
	dmabuffs -f -o "backend=$backend,iomem=$1,control=$dt_tmp/control" "$dt_mnt" \
		>"$dt_tmp/daemon.log" 2>&1 &
	dt_pid=$!
	i=0
	while [ $i -lt 50 ] && ! dt_mounted "$dt_mnt"; do
		kill -0 "$dt_pid" 2>/dev/null || break
		dt_sleep
		i=$((i + 1))
	done
	dt_mounted "$dt_mnt"
}

# run NAME FILE ENGINE-OPTIONS...: both phases; a TAP line.
run() {
	name=$1 file=$2
	shift 2
	set -- --name="$name" --filename="$file" --size="$size" --rw=randrw \
		--bsrange=4k-64k --verify=crc32c --verify_fatal=1 --verify_state_save=0 "$@"
	log=$dt_tmp/$name.log
	if ! timeout "$limit" fio "$@" >"$log" 2>&1; then
		tap not-ok "$name"
		echo "# fio $* (write and verify) failed:"
		diag_fio "$log"
		return
	fi
	if [ "${FIO_VERIFY_SANITY:-}" = corrupt ]; then
		# randrw writes about half the blocks, and only those are
		# checked: hit one in every MiB.
		off=12345
		while [ "$off" -lt "$(stat -c %s "$file")" ]; do
			printf 'CORRUPT!' | dd of="$file" bs=1 seek=$off conv=notrunc 2>/dev/null
			off=$((off + 1048576))
		done
	fi
	if ! timeout "$limit" fio "$@" --verify_only >"$log.2" 2>&1; then
		tap not-ok "$name"
		echo "# fio $* --verify_only (a second process) failed:"
		diag_fio "$log.2"
		return
	fi
	tap ok "$name"
}

suffix=
[ "$backend" = memfd ] || suffix=-$(echo "$backend" | tr ':' '-')
for accessor in memfd shim; do
	case $accessor in
	memfd) iomem=never ;;
	shim) iomem=always ;;
	esac
	label=$accessor
	if [ "$backend" != memfd ] && [ $accessor = memfd ]; then
		iomem=auto label=policy
	fi
	if ! mount_daemon "$iomem"; then
		for e in psync mmap direct; do
			tap not-ok "fio-verify-$e-$label$suffix"
		done
		echo "# dmabuffs -o backend=$backend,iomem=$iomem did not mount:"
		tail -n 15 "$dt_tmp/daemon.log" | sed "s/^/# /"
		dt_cleanup
		dt_pid=
		continue
	fi
	f=$dt_mnt/fio-$label
	if ! truncate -s "$size" "$f" 2>"$dt_tmp/truncate.err"; then
		echo "# truncate -s $size $f: $(cat "$dt_tmp/truncate.err")"
	fi
	# The accessor the names promise, as the daemon reports it (policy: the
	# rule table's answer for this exporter, whatever it is).
	got=$(dt_info_field "$f" iomem)
	case $iomem in never) want=0 ;; always) want=1 ;; *) want=$got ;; esac
	if [ -n "$got" ] && [ "$got" = "$want" ]; then
		tap ok "fio-verify-accessor-$label$suffix (iomem $got)"
	else
		tap not-ok "fio-verify-accessor-$label$suffix"
		echo "# dmabufctl info $f: iomem '$got', expected '$want'"
	fi
	run "fio-verify-psync-$label$suffix" "$f" --ioengine=psync
	run "fio-verify-mmap-$label$suffix" "$f" --ioengine=mmap
	run "fio-verify-direct-$label$suffix" "$f" --ioengine=libaio --iodepth=8 --direct=1
	dt_cleanup
	dt_pid=
done
echo "1..$n"
