// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel's list of every dma-buf (kbufs.h): the BPF iterator of
 * src/bpf/dmabuf-iter.bpf.c, loaded from the skeleton bpftool made of it
 * (the object is inside dmabufctl; nothing is pinned or left behind: the
 * program and its link go with the process), else
 * debugfs bufinfo (bufinfo.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kbufs.h"
#include "macro.h"

#ifdef HAVE_BPF_ITER
#include <linux/types.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/kbufs-record.h"
#include "shared/dmabuf-iter.skel.h" /* made in the build tree */

/* Bounds a read of a kernel that makes buffers faster than we read them:
 * 80-byte records, a million buffers. */
#define KBUFS_MAX_BYTES (80u << 20)

/* libbpf's own chatter (a kernel without the iterator makes it print a
 * page) goes; the reason comes back as an errno we explain. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* Whether the running kernel has iter/dmabuf: its BTF names the
 * iterator's target function, bpf_iter_dmabuf. */
static int kernel_has_iter(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int r;

	if (!btf)
		return -ENOENT;
	r = btf__find_by_name_kind(btf, "bpf_iter_dmabuf", BTF_KIND_FUNC) > 0 ? 0 : -ESRCH;
	btf__free(btf);
	return r;
}

static int read_records(int fd, struct bufinfo *out)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0, n;
	struct bufinfo b = { .has_name = true };

	for (;;) {
		ssize_t got;

		if (cap - len < 4096) {
			char *nb;

			if (cap >= KBUFS_MAX_BYTES)
				return -EFBIG;
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len % sizeof(struct dmabuf_iter_record))
		return -EBADMSG;
	n = len / sizeof(struct dmabuf_iter_record);
	b.entries = calloc(n ? n : 1, sizeof(*b.entries));
	if (!b.entries)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct dmabuf_iter_record rec;
		struct bufinfo_entry *e = &b.entries[i];

		memcpy(&rec, buf + i * sizeof(rec), sizeof(rec));
		e->ino = rec.ino;
		e->size = rec.size;
		/* The program NUL-terminates; a record must not be trusted
		 * further than its own bounds. */
		snprintf(e->exp_name, sizeof(e->exp_name), "%.*s", (int)sizeof(rec.exp_name),
			 rec.exp_name);
		snprintf(e->name, sizeof(e->name), "%.*s", (int)sizeof(rec.name), rec.name);
		b.total_size += e->size;
	}
	b.n = n;
	*out = b;
	return 0;
}

/*
 * The program and its link are loaded once per dmabufctl and kept for the
 * refreshes of top --interval, watch and metrics: each read is a new
 * iterator fd on the same link. Loading costs what the refresh should not
 * (BTF parsing and the verifier: ~0.3 s here). A failure is kept too, so
 * that a user without CAP_BPF does not parse the kernel's BTF each time.
 * The kernel drops both when the process exits.
 */
static struct dmabuf_iter *skel;
static struct bpf_link *iter_link;
static int load_error;

static int load(void)
{
	int r;

	if (iter_link || load_error)
		return load_error;
	libbpf_set_print(quiet);
	r = kernel_has_iter();
	if (r == 0) {
		skel = dmabuf_iter__open_and_load();
		if (!skel)
			r = errno == EACCES ? -EPERM : -(errno ? errno : EINVAL);
	}
	if (r == 0) {
		iter_link = bpf_program__attach_iter(skel->progs.dmabuffs_list, NULL);
		if (!iter_link)
			r = -(errno ? errno : EINVAL);
	}
	if (r < 0) {
		dmabuf_iter__destroy(skel);
		skel = NULL;
		load_error = r;
	}
	return r;
}

int kbufs_bpf_read(struct bufinfo *out)
{
	_cleanup_close_ int fd = -1;
	int r = load();

	if (r < 0)
		return r;
	fd = bpf_iter_create(bpf_link__fd(iter_link));
	if (fd < 0)
		return -errno;
	return read_records(fd, out);
}
#else
int kbufs_bpf_read(struct bufinfo *out)
{
	return -EOPNOTSUPP;
}
#endif

const char *kbufs_bpf_strerror(int r)
{
	switch (r) {
	case -EOPNOTSUPP:
		return "not in this build (no libbpf, clang or bpftool at build time)";
	case -ENOENT:
		return "the kernel has no BTF";
	case -ESRCH:
		return "the kernel has no dma-buf iterator (6.16+)";
	case -EPERM:
	case -EACCES:
		return "needs CAP_BPF and CAP_PERFMON (root)";
	default:
		return strerror(-r);
	}
}

const char *kbufs_source_name(enum kbufs_source s)
{
	switch (s) {
	case KBUFS_BPF:
		return "bpf";
	case KBUFS_DEBUGFS:
		return "debugfs";
	default:
		return "none";
	}
}

int kbufs_read(const char *bufinfo_path, struct kbufs *out)
{
	char bpf_why[96] = "";
	int r;

	memset(out, 0, sizeof(*out));
	if (!bufinfo_path) {
		r = kbufs_bpf_read(&out->list);
		if (r == 0) {
			out->source = KBUFS_BPF;
			return 0;
		}
		if (r == -ENOMEM)
			return r;
		snprintf(bpf_why, sizeof(bpf_why), "BPF iterator: %s; ", kbufs_bpf_strerror(r));
	}
	r = bufinfo_read(bufinfo_path, &out->list);
	if (r == 0) {
		out->source = KBUFS_DEBUGFS;
		snprintf(out->reason, sizeof(out->reason), "%.*s", (int)strcspn(bpf_why, ";"),
			 bpf_why);
		return 0;
	}
	if (r == -ENOMEM)
		return r;
	snprintf(out->reason, sizeof(out->reason), "%s%s", bpf_why,
		 r == -ENOENT ? "no debugfs" :
		 r == -EACCES ? "bufinfo is for root only" :
				strerror(-r));
	return 0;
}

void kbufs_free(struct kbufs *k)
{
	bufinfo_free(&k->list);
	memset(k, 0, sizeof(*k));
}
