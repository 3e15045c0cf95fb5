#!/bin/bash
# 12 processes, each dirtying every page of its own 1 MiB MAP_SHARED buffer
# file and calling DMA_BUF_IOCTL_SYNC START then END in a loop, must not
# deadlock the mount (issue 10, worker exhaustion): the invalidation a SYNC
# does writes dirty pages back through WRITE requests, which need a worker
# of their own. A watchdog stats the mount; if a stat hangs it aborts the
# FUSE connection, so the test fails instead of hanging.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host

# The watchdog's way out: the connection's abort file (fusectl).
if ! [ -d /sys/fs/fuse/connections ] || [ -z "$(ls /sys/fs/fuse/connections)" ]; then
	mount -t fusectl none /sys/fs/fuse/connections 2>/dev/null && FUSECTL_MOUNTED=1
fi
[ -n "$(ls /sys/fs/fuse/connections 2>/dev/null)" ] ||
	[ -n "${FUSECTL_MOUNTED:-}" ] || skip_all "no fusectl (/sys/fs/fuse/connections) to abort a hung mount"

start_daemon || bail_out "dmabuffs did not mount"
for i in $(seq 12); do
	truncate -s 1M "$M/s$i" || bail_out "truncate s$i"
done

export DAEMON_PID
py <<'EOF2'
import errno, mmap, os, subprocess, sys, time
from tap import *

NPROC, SECONDS = 12, 8
dev = os.stat(M).st_dev
abort = "/sys/fs/fuse/connections/%d/abort" % os.minor(dev)

def worker(i):
    fd = os.open(M + "/s%d" % i, os.O_RDWR)
    mm = mmap.mmap(fd, 1 << 20, mmap.MAP_SHARED)
    end = time.monotonic() + SECONDS
    rounds = 0
    while time.monotonic() < end:
        for off in range(0, 1 << 20, mmap.PAGESIZE):
            mm[off] = (rounds + i) & 0xff
        for flags in (SYNC_START | SYNC_RW, SYNC_END | SYNC_RW):
            # As libdrm's drmIoctl: EINTR and EAGAIN mean "again".
            while True:
                try:
                    dma_buf_sync(fd, flags)
                    break
                except OSError as e:
                    if e.errno not in (errno.EINTR, errno.EAGAIN):
                        raise
        rounds += 1
    # What the last round wrote is in the buffer (page 0 and the last).
    mm.close()
    os.close(fd)
    fd = os.open(M + "/s%d" % i, os.O_RDONLY | os.O_DIRECT)
    want = bytes([(rounds - 1 + i) & 0xff])
    m = mmap.mmap(-1, mmap.PAGESIZE)
    good = True
    for off in (0, (1 << 20) - mmap.PAGESIZE):
        os.preadv(fd, [m], off)
        good = good and m[0:1] == want
    os._exit(0 if rounds > 0 and good else 3)

pids = []
for i in range(1, NPROC + 1):
    pid = os.fork()
    if pid == 0:
        try:
            worker(i)
        except BaseException as e:
            sys.stderr.write("worker %d: %r\n" % (i, e))
            os._exit(2)
    pids.append(pid)

# A hung stat sits in D state, where no signal reaches it: never wait
# for it, abort the connection instead.
codes = {}

def reap():
    # True once every worker has exited; their exit codes in codes.
    for p in pids:
        if p not in codes:
            got, st = os.waitpid(p, os.WNOHANG)
            if got:
                codes[p] = os.waitstatus_to_exitcode(st)
    return len(codes) == len(pids)

hung = False
deadline = time.monotonic() + SECONDS + 20
while time.monotonic() < deadline:
    st = subprocess.Popen(["stat", "-c", "%s", M + "/s1"], stdout=subprocess.DEVNULL)
    t0 = time.monotonic()
    while st.poll() is None and time.monotonic() - t0 < 10:
        time.sleep(0.05)
    if st.poll() is None:
        hung = True
        break
    if reap():
        break
    time.sleep(0.5)
waiting = None
if hung:
    try:
        with open("/sys/fs/fuse/connections/%d/waiting" % os.minor(dev)) as f:
            waiting = f.read().strip()
        with open(abort, "w") as f:
            f.write("1")
    except OSError as e:
        diag("abort: %s" % e)
if hung:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not reap():
        time.sleep(0.1)
ok(not hung, "stat of the mount answers while 12 processes SYNC dirty mappings",
   "stat hung for 10 s with %s requests waiting: aborted the connection" % waiting)
if not hung:
    for p in pids:
        if p not in codes:
            codes[p] = os.waitstatus_to_exitcode(os.waitpid(p, 0)[1])
is_([codes.get(p, "hung") for p in pids], [0] * NPROC, "every process finished its SYNC rounds, its last stores in the buffer")
EOF2

stop_daemon
[ -n "${FUSECTL_MOUNTED:-}" ] && umount /sys/fs/fuse/connections
done_testing
