// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Every dma-buf in the kernel, through the dma-buf BPF iterator
 * (`iter/dmabuf`, kernel 6.16+): one fixed-size record per buffer
 * (struct dmabuf_iter_record, src/shared/kbufs.h), written with
 * bpf_seq_write() so that a name holding newlines or tabs (DMA_BUF_SET_NAME
 * takes any bytes) cannot forge a record the way it can forge a line of
 * debugfs bufinfo.
 *
 * CO-RE: the few kernel structures read here are declared below with only
 * the members used, marked preserve_access_index; libbpf relocates each
 * access against the running kernel's BTF (/sys/kernel/btf/vmlinux), so the
 * object does not depend on the build machine's kernel (no vmlinux.h).
 *
 * Licence: the kernel lets only GPL-compatible programs call
 * bpf_probe_read_kernel_str() and bpf_seq_write(); "Dual BSD/GPL" is, and
 * BSD keeps the object linkable into the LGPL dmabufctl.
 */
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef unsigned long size_t;

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "kbufs-record.h"

struct inode {
	unsigned long i_ino;
} __attribute__((preserve_access_index));

struct file {
	struct inode *f_inode;
} __attribute__((preserve_access_index));

struct dma_buf {
	size_t size;
	struct file *file;
	const char *exp_name;
	const char *name;
} __attribute__((preserve_access_index));

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__dmabuf {
	struct bpf_iter_meta *meta;
	struct dma_buf *dmabuf;
} __attribute__((preserve_access_index));

SEC("iter/dmabuf")
int dmabuffs_list(struct bpf_iter__dmabuf *ctx)
{
	struct dma_buf *d = ctx->dmabuf;
	struct seq_file *seq = ctx->meta->seq;
	struct dmabuf_iter_record rec = {};
	const char *p;

	if (!d)
		return 0; /* the end of the list */
	rec.ino = BPF_CORE_READ(d, file, f_inode, i_ino);
	rec.size = BPF_CORE_READ(d, size);
	p = BPF_CORE_READ(d, exp_name);
	if (p)
		bpf_probe_read_kernel_str(rec.exp_name, sizeof(rec.exp_name), p);
	/* The name may change under us (DMA_BUF_SET_NAME frees the old one
	 * under name_lock, which a program cannot take): the read is a probe
	 * read, which fails cleanly rather than faults, and a torn name is at
	 * worst a wrong name. */
	p = BPF_CORE_READ(d, name);
	if (p)
		bpf_probe_read_kernel_str(rec.name, sizeof(rec.name), p);
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
