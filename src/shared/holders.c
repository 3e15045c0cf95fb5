// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Who holds which dma-buf, and how much memory that makes per process and
 * per exporter. Pure functions over records: discovery gathers them, the
 * xattrs and `dmabufctl top` print what comes out. Pss follows dmabuf_dump:
 * a buffer shared by k processes counts size/k to each, however many fds
 * and mappings each one has of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Relative to this file, so that the VM tier can build it into a single
 * static test program (tests/vm/progs/inspect-parse.c). */
#include "holders.h"
#include "macro.h"

static int cmp_record(const void *a, const void *b)
{
	const struct holder_record *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

struct proc_ref {
	pid_t pid;
	size_t buf;
	unsigned int kinds;
};

static int cmp_proc_ref(const void *a, const void *b)
{
	const struct proc_ref *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->buf < y->buf ? -1 : x->buf > y->buf;
}

static int valid_record(const struct holder_record *r)
{
	if (r->ino == 0)
		return -EINVAL;
	switch (r->kind) {
	case HOLDER_FD:
	case HOLDER_MAP:
		return r->pid > 0 ? 0 : -EINVAL;
	case HOLDER_KERNEL:
		return 0;
	}
	return -EINVAL;
}

void holders_model_free(struct holders_model *m)
{
	if (!m)
		return;
	free(m->buffers);
	free(m->procs);
	free(m->exporters);
	free(m->pid_storage_);
	free(m);
}

static int build_buffers(struct holders_model *m, struct holder_record *r, size_t n)
{
	size_t nbuf = 0, nhold = 0, b = (size_t)-1, h = 0;

	/* Sorted by (ino, pid): count buffers and distinct (ino, pid). */
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || r[i].ino != r[i - 1].ino)
			nbuf++;
		if (r[i].kind != HOLDER_KERNEL &&
		    (i == 0 || r[i].ino != r[i - 1].ino || r[i].pid != r[i - 1].pid ||
		     r[i - 1].kind == HOLDER_KERNEL))
			nhold++;
	}
	m->buffers = calloc(nbuf ? nbuf : 1, sizeof(*m->buffers));
	m->pid_storage_ = calloc(nhold ? nhold : 1, sizeof(*m->pid_storage_));
	if (!m->buffers || !m->pid_storage_)
		return -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		struct holders_buffer *buf;

		if (i == 0 || r[i].ino != r[i - 1].ino) {
			buf = &m->buffers[++b];
			buf->ino = r[i].ino;
			buf->size = r[i].size;
			memcpy(buf->exp_name, r[i].exp_name, sizeof(buf->exp_name));
			buf->holders = &m->pid_storage_[h];
		}
		buf = &m->buffers[b];
		if (r[i].size != buf->size ||
		    strncmp(r[i].exp_name, buf->exp_name, sizeof(buf->exp_name)))
			buf->conflict = true;
		buf->kinds |= r[i].kind;
		if (r[i].kind == HOLDER_KERNEL)
			continue;
		if (buf->nholders == 0 || buf->holders[buf->nholders - 1].pid != r[i].pid) {
			buf->holders[buf->nholders++] = (struct holders_pid){ .pid = r[i].pid };
			h++;
		}
		buf->holders[buf->nholders - 1].kinds |= r[i].kind;
		buf->holders[buf->nholders - 1].nrefs++;
	}
	m->nbuffers = nbuf;
	for (size_t i = 0; i < nbuf; i++) {
		struct holders_buffer *buf = &m->buffers[i];

		buf->kernel_only = buf->nholders == 0;
		m->total_size += buf->size;
		if (buf->kernel_only) {
			m->kernel_only_nbufs++;
			m->kernel_only_size += buf->size;
		}
	}
	return 0;
}

static int build_procs(struct holders_model *m)
{
	_cleanup_free_ struct proc_ref *refs = NULL;
	size_t nrefs = 0, k = 0, np = 0;

	for (size_t i = 0; i < m->nbuffers; i++)
		nrefs += m->buffers[i].nholders;
	refs = calloc(nrefs ? nrefs : 1, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < m->nbuffers; i++)
		for (size_t j = 0; j < m->buffers[i].nholders; j++)
			refs[k++] = (struct proc_ref){
				.pid = m->buffers[i].holders[j].pid,
				.buf = i,
				.kinds = m->buffers[i].holders[j].kinds,
			};
	qsort(refs, nrefs, sizeof(*refs), cmp_proc_ref);
	for (size_t i = 0; i < nrefs; i++)
		if (i == 0 || refs[i].pid != refs[i - 1].pid)
			np++;
	m->procs = calloc(np ? np : 1, sizeof(*m->procs));
	if (!m->procs)
		return -ENOMEM;
	for (size_t i = 0, p = (size_t)-1; i < nrefs; i++) {
		const struct holders_buffer *buf = &m->buffers[refs[i].buf];
		struct holders_process *proc;

		if (i == 0 || refs[i].pid != refs[i - 1].pid) {
			proc = &m->procs[++p];
			proc->pid = refs[i].pid;
		}
		proc = &m->procs[p];
		/* (pid, buffer) pairs are unique: one hold, one share. */
		proc->nbufs++;
		proc->nfd += !!(refs[i].kinds & HOLDER_FD);
		proc->nmap += !!(refs[i].kinds & HOLDER_MAP);
		proc->size += buf->size;
		proc->pss += (double)buf->size / (double)buf->nholders;
	}
	m->nprocs = np;
	return 0;
}

static int cmp_buffer_exp(const void *a, const void *b)
{
	const struct holders_buffer *const *x = a, *const *y = b;

	return strcmp((*x)->exp_name, (*y)->exp_name);
}

static int build_exporters(struct holders_model *m)
{
	_cleanup_free_ const struct holders_buffer **v = NULL;
	size_t ne = 0;

	v = calloc(m->nbuffers ? m->nbuffers : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->nbuffers; i++)
		v[i] = &m->buffers[i];
	qsort(v, m->nbuffers, sizeof(*v), cmp_buffer_exp);
	for (size_t i = 0; i < m->nbuffers; i++)
		if (i == 0 || strcmp(v[i]->exp_name, v[i - 1]->exp_name))
			ne++;
	m->exporters = calloc(ne ? ne : 1, sizeof(*m->exporters));
	if (!m->exporters)
		return -ENOMEM;
	for (size_t i = 0, e = (size_t)-1; i < m->nbuffers; i++) {
		struct holders_exporter *exp;

		if (i == 0 || strcmp(v[i]->exp_name, v[i - 1]->exp_name)) {
			exp = &m->exporters[++e];
			memcpy(exp->exp_name, v[i]->exp_name, sizeof(exp->exp_name));
		}
		exp = &m->exporters[e];
		exp->nbufs++;
		exp->size += v[i]->size;
		if (v[i]->kernel_only) {
			exp->kernel_only_nbufs++;
			exp->kernel_only_size += v[i]->size;
		}
	}
	m->nexporters = ne;
	return 0;
}

int holders_build(const struct holder_record *recs, size_t n, struct holders_model **out)
{
	_cleanup_free_ struct holder_record *r = NULL;
	struct holders_model *m;
	int ret;

	if ((!recs && n) || !out)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (valid_record(&recs[i]) < 0)
			return -EINVAL;
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r[i] = recs[i];
		/* Kernel records sort first and are one per buffer. */
		if (r[i].kind == HOLDER_KERNEL)
			r[i].pid = 0;
		r[i].exp_name[sizeof(r[i].exp_name) - 1] = '\0';
	}
	qsort(r, n, sizeof(*r), cmp_record);

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	ret = build_buffers(m, r, n);
	if (ret == 0)
		ret = build_procs(m);
	if (ret == 0)
		ret = build_exporters(m);
	if (ret < 0) {
		holders_model_free(m);
		return ret;
	}
	*out = m;
	return 0;
}

static int cmp_buffer_ino(const void *key, const void *elem)
{
	uint64_t ino = *(const uint64_t *)key;
	const struct holders_buffer *b = elem;

	return ino < b->ino ? -1 : ino > b->ino;
}

static int cmp_process_pid(const void *key, const void *elem)
{
	pid_t pid = *(const pid_t *)key;
	const struct holders_process *p = elem;

	return pid < p->pid ? -1 : pid > p->pid;
}

const struct holders_buffer *holders_find_buffer(const struct holders_model *m, uint64_t ino)
{
	if (!m || m->nbuffers == 0)
		return NULL;
	return bsearch(&ino, m->buffers, m->nbuffers, sizeof(*m->buffers), cmp_buffer_ino);
}

const struct holders_process *holders_find_process(const struct holders_model *m, pid_t pid)
{
	if (!m || m->nprocs == 0)
		return NULL;
	return bsearch(&pid, m->procs, m->nprocs, sizeof(*m->procs), cmp_process_pid);
}

static int cmp_proc_pid(const void *a, const void *b)
{
	const struct holders_process *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int cmp_proc_size(const void *a, const void *b)
{
	const struct holders_process *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return cmp_proc_pid(a, b);
}

void holders_sort_procs_by_size(struct holders_model *m)
{
	qsort(m->procs, m->nprocs, sizeof(*m->procs), cmp_proc_size);
}

void holders_sort_procs_by_pid(struct holders_model *m)
{
	qsort(m->procs, m->nprocs, sizeof(*m->procs), cmp_proc_pid);
}

const char *holders_kinds_str(unsigned int kinds, char *buf, size_t len)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = { { HOLDER_FD, "fd" }, { HOLDER_MAP, "map" }, { HOLDER_KERNEL, "kernel" } };
	size_t used = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int w;

		if (!(kinds & names[i].bit))
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? "," : "", names[i].name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	return buf;
}
