#!/bin/bash
# Kernel-only buffers without debugfs (issue 18): on a kernel with the
# dma-buf BPF iterator (iter/dmabuf, 6.16+) and a build with libbpf,
# `dmabufctl top` as root loads the iterator, reads the kernel's whole list
# and says it took source "bpf" (no debugfs is read: DMABUFCTL_BUFINFO is
# unset and debugfs need not be mounted). This host has no dma-buf
# exporter, so the list is empty here: what is proven is the load and read
# path and the source; the VM tier's kernel-bpf-iter finds a real buffer
# only the kernel holds. Without CAP_BPF (nobody) the iterator is refused
# and top says why, and DMABUFCTL_BUFINFO (a list in debugfs's format)
# takes the debugfs path with the kernel-only buffer it names.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
grep -q '^#define HAVE_BPF_ITER 1' "$top_builddir/config.h" ||
	skip_all "built without the BPF iterator (configure found no libbpf, clang or bpftool)"
grep -q ' bpf_iter_dmabuf$' /proc/kallsyms ||
	skip_all "this kernel ($(uname -r)) has no dma-buf BPF iterator (6.16+)"

start_daemon nodiscover || bail_out "dmabuffs did not mount"
unset DMABUFCTL_BUFINFO
check "a 64 KiB buffer file" -- truncate -s 65536 "$M/held"

dmabufctl top --json >"$T/top.json" 2>"$T/top.err"
ok $? "dmabufctl top --json as root"
dmabufctl top >"$T/top.txt" 2>"$T/top.err"
ok $? "dmabufctl top as root"
py "$T/top.json" "$T/top.txt" <<'PYEOF'
import json, sys
from tap import *
doc = json.load(open(sys.argv[1]))
txt = open(sys.argv[2]).read()
k = doc["kernel"]
is_(k.get("source"), "bpf", "the kernel's list came from the BPF iterator")
is_(k.get("visible"), True, "kernel-only buffers are visible")
kernel = [b for b in doc["buffers"] if b["kernel_only"]]
is_(k.get("kernel_only_buffers"), len(kernel), "the count matches the buffers listed as kernel-only")
is_(k.get("kernel_only_size"), sum(b["size"] for b in kernel), "and so does the size")
ok("(source: bpf)" in txt, "the table names the source", txt)
b = [b for b in doc["buffers"] if b["name"] == "held"]
ok(b and not b[0]["kernel_only"], "the daemon's buffer file is not kernel-only", repr(b))
PYEOF

# Root without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (dropped from the
# bounding set, so the exec'd dmabufctl has none of them): the iterator is
# refused, and top says why.
setpriv --bounding-set=-bpf,-perfmon,-sys_admin dmabufctl top --json >"$T/nobody.json" 2>"$T/nobody.err"
ok $? "dmabufctl top --json without CAP_BPF"
py "$T/nobody.json" <<'PYEOF'
import json, sys
from tap import *
k = json.load(open(sys.argv[1]))["kernel"]
ok(k.get("source") != "bpf", "without CAP_BPF the iterator is not the source", repr(k))
ok("BPF iterator: needs CAP_BPF" in (k.get("reason") or ""), "and top says why", repr(k))
PYEOF

# The fallback: a list in bufinfo's format instead of the iterator.
printf '\nDma-buf Objects:\nsize    \tflags   \tmode    \tcount   \texp_name\tino     \tname\n%08d\t00000002\t000a001f\t00000001\tdrm\t%08d\t<none>\n\tAttached Devices:\nTotal 0 devices attached\n\n\nTotal 1 objects, %d bytes\n' \
	131072 99999999 131072 >"$T/bufinfo"
DMABUFCTL_BUFINFO=$T/bufinfo dmabufctl top --json >"$T/topk.json" 2>"$T/topk.err"
ok $? "dmabufctl top --json with a bufinfo"
py "$T/topk.json" <<'PYEOF'
import json, sys
from tap import *
k = json.load(open(sys.argv[1]))["kernel"]
is_(k.get("source"), "debugfs", "with a bufinfo the source is debugfs")
is_(k.get("kernel_only_size"), 131072, "its kernel-only buffer is counted")
PYEOF

done_testing
