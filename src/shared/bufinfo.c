// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dma_buf_debug_show() (drivers/dma-buf/dma-buf.c, same shape from 5.10 to
 * 7.x) prints
 *
 *   <empty line>
 *   Dma-buf Objects:
 *   size    \tflags   \tmode    \tcount   \texp_name\tino     \tname
 *   %08zu\t%08x\t%08x\t%08ld\t%s\t%08lu\t%s            one per buffer
 *   \t<usage> fence: <driver> <timeline> seq N [un]signalled   0..n
 *   \tAttached Devices:
 *   \t<device>                                            0..n
 *   Total %d devices attached
 *   <empty line>
 *   ...
 *   <empty line>
 *   Total %d objects, %zu bytes
 *
 * name is "<none>" until DMA_BUF_SET_NAME, which takes any bytes up to 31:
 * tabs, and newlines that make the rest of a name look like lines of its
 * own. So: a buffer line is only taken where one can start (after a
 * block), numbers need the kernel's 8 digits (a whole forged buffer line
 * does not fit in 31 bytes), the closing totals must be the last line and
 * agree, and lines out of place mark the entry before them as suspect
 * instead of failing the whole list.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Relative to this file, so that the VM tier can build it into a single
 * static test program (tests/vm/progs/inspect-parse.c). */
#include "bufinfo.h"
#include "macro.h"

#define BUFINFO_MAX_BYTES (64u << 20)

enum state {
	ST_START,    /* before "Dma-buf Objects:" */
	ST_HEADER,   /* the column names come next */
	ST_BETWEEN,  /* a buffer line, the totals, or blank */
	ST_FENCES,   /* after a buffer line: fences, then "Attached Devices:" */
	ST_ATTACHED, /* devices, then "Total N devices attached" */
};

/* A number of at least min_digits digits, ending the field. */
static int field_number(const char *s, size_t len, int base, size_t min_digits, uint64_t *out)
{
	uint64_t v = 0;

	if (len < min_digits || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned int)(s[i] - '0');
		else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
			d = (unsigned int)(s[i] - 'a' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return -EINVAL;
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return 0;
}

static size_t trimmed_len(const char *s, size_t len)
{
	while (len > 0 && s[len - 1] == ' ')
		len--;
	return len;
}

/* "size\tflags\tmode\tcount\texp_name\tino[\tname]", blank-padded. */
static int parse_header(const char *line, size_t len, struct bufinfo *b)
{
	static const char *const cols[] = { "size",	"flags", "mode", "count",
					    "exp_name", "ino",	 "name" };
	size_t ncol = 0;

	for (const char *p = line, *end = line + len; p <= end; ncol++) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		size_t flen = trimmed_len(p, (size_t)((tab ? tab : end) - p));

		if (ncol >= ARRAY_SIZE(cols) || strlen(cols[ncol]) != flen ||
		    memcmp(cols[ncol], p, flen) != 0)
			return -EINVAL;
		if (!tab)
			break;
		p = tab + 1;
	}
	ncol++;
	if (ncol < 6)
		return ncol == 5 ? -EOPNOTSUPP : -EINVAL;
	b->has_name = ncol == 7;
	return 0;
}

static int parse_buffer(const char *line, size_t len, struct bufinfo_entry *e)
{
	const char *f[7];
	size_t flen[7], nf = 0;
	const char *p = line, *end = line + len;
	uint64_t v;

	memset(e, 0, sizeof(*e));
	/* Six tab-ended fields; the name is the rest, tabs and all. */
	while (nf < 6) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));

		if (!tab) {
			if (nf != 5)
				return -EINVAL;
			break; /* no name column */
		}
		f[nf] = p;
		flen[nf++] = (size_t)(tab - p);
		p = tab + 1;
	}
	f[nf] = p;
	flen[nf++] = (size_t)(end - p);

	if (field_number(f[0], flen[0], 10, 8, &e->size) < 0 ||
	    field_number(f[1], flen[1], 16, 8, &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	e->flags = (uint32_t)v;
	if (field_number(f[2], flen[2], 16, 8, &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	e->mode = (uint32_t)v;
	if (field_number(f[3], flen[3], 10, 8, &e->count) < 0)
		return -EINVAL;
	if (flen[4] == 0 || flen[4] >= sizeof(e->exp_name) || memchr(f[4], '\0', flen[4]))
		return -EINVAL;
	memcpy(e->exp_name, f[4], flen[4]);
	if (field_number(f[5], flen[5], 10, 8, &e->ino) < 0 || e->ino == 0)
		return -EINVAL;
	if (nf == 7 && !(flen[6] == 6 && memcmp(f[6], "<none>", 6) == 0)) {
		if (flen[6] >= sizeof(e->name))
			return -EINVAL;
		memcpy(e->name, f[6], flen[6]);
	}
	return 0;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

/* "Total %d <what>" with what = "devices attached" or "objects, %zu bytes". */
static bool parse_total(const char *s, size_t len, const char *what, uint64_t *count,
			uint64_t *bytes)
{
	char tmp[96], tail[32];
	unsigned long long c, b = 0;
	int used = 0;

	if (len >= sizeof(tmp) || !starts_with(s, len, "Total "))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (bytes) {
		if (sscanf(tmp, "Total %llu objects, %llu bytes%n", &c, &b, &used) != 2 ||
		    (size_t)used != len)
			return false;
		*bytes = b;
	} else {
		if (sscanf(tmp, "Total %llu %31[a-z ]%n", &c, tail, &used) != 2 ||
		    (size_t)used != len || strcmp(tail, what) != 0)
			return false;
	}
	*count = c;
	return true;
}

/* "\t<usage> fence: <driver> <timeline> seq N [un]signalled", usage as in
 * dma_resv_describe(). */
static bool is_fence_line(const char *line, size_t len)
{
	static const char *const usages[] = { "\tkernel fence:", "\twrite fence:", "\tread fence:",
					      "\tbookkeep fence:" };
	bool known = false;

	for (size_t i = 0; i < ARRAY_SIZE(usages); i++)
		known = known || starts_with(line, len, usages[i]);
	return known && len > 9 && memcmp(line + len - 9, "signalled", 9) == 0 &&
	       memmem(line, len, " seq ", 5);
}

struct parser {
	struct bufinfo *b;
	size_t cap;
	enum state st;
	bool have_totals; /* the last non-empty line was the totals */
	uint64_t tot_count, tot_bytes;
};

static void mark_suspect(struct parser *ps)
{
	if (ps->b->n > 0)
		ps->b->entries[ps->b->n - 1].suspect = true;
}

static int parse_line(struct parser *ps, const char *line, size_t len)
{
	struct bufinfo *b = ps->b;
	uint64_t c, bytes;

	if (len == 0) {
		/* The kernel ends a block with one; inside one, it was a name. */
		if (ps->st == ST_FENCES || ps->st == ST_ATTACHED)
			mark_suspect(ps);
		return 0;
	}
	if (ps->st >= ST_BETWEEN && ps->have_totals) {
		/* A totals line that is not the last one was in a name. */
		ps->have_totals = false;
		mark_suspect(ps);
	}
	switch (ps->st) {
	case ST_START:
		if (len == 16 && memcmp(line, "Dma-buf Objects:", 16) == 0)
			ps->st = ST_HEADER;
		else
			return -EINVAL;
		return 0;
	case ST_HEADER:
		ps->st = ST_BETWEEN;
		return parse_header(line, len, b);
	case ST_BETWEEN:
		if (line[0] >= '0' && line[0] <= '9') {
			struct bufinfo_entry e;

			if (parse_buffer(line, len, &e) < 0) {
				/* Only a name can put text here. */
				mark_suspect(ps);
				return 0;
			}
			if (b->n == ps->cap) {
				size_t ncap = ps->cap ? ps->cap * 2 : 16;
				struct bufinfo_entry *nv =
					reallocarray(b->entries, ncap, sizeof(*nv));

				if (!nv)
					return -ENOMEM;
				b->entries = nv;
				ps->cap = ncap;
			}
			b->entries[b->n++] = e;
			ps->st = ST_FENCES;
			return 0;
		}
		if (parse_total(line, len, NULL, &c, &bytes)) {
			ps->have_totals = true;
			ps->tot_count = c;
			ps->tot_bytes = bytes;
			return 0;
		}
		mark_suspect(ps);
		return 0;
	case ST_FENCES:
		if (len == 18 && memcmp(line, "\tAttached Devices:", 18) == 0)
			ps->st = ST_ATTACHED;
		else if (is_fence_line(line, len))
			b->entries[b->n - 1].nfences++;
		else
			mark_suspect(ps);
		return 0;
	case ST_ATTACHED:
		if (line[0] == '\t') {
			if (len == 18 && memcmp(line, "\tAttached Devices:", 18) == 0) {
				/* The first one was in the name. */
				b->entries[b->n - 1].nattached = 0;
				mark_suspect(ps);
			} else {
				b->entries[b->n - 1].nattached++;
			}
			return 0;
		}
		if (parse_total(line, len, "devices attached", &c, NULL)) {
			if (c != b->entries[b->n - 1].nattached)
				mark_suspect(ps);
			ps->st = ST_BETWEEN;
			return 0;
		}
		mark_suspect(ps);
		return 0;
	}
	return -EINVAL;
}

static int parse_finish(struct parser *ps)
{
	uint64_t sum = 0;

	if (!ps->have_totals || ps->st != ST_BETWEEN)
		return -EINVAL;
	for (size_t i = 0; i < ps->b->n; i++)
		sum += ps->b->entries[i].size;
	if (ps->tot_count != ps->b->n || ps->tot_bytes != sum)
		return -EBADMSG;
	ps->b->total_size = sum;
	return 0;
}

void bufinfo_free(struct bufinfo *b)
{
	if (!b)
		return;
	free(b->entries);
	*b = (struct bufinfo){ 0 };
}

int bufinfo_parse(const char *text, struct bufinfo *out)
{
	struct bufinfo b = { 0 };
	struct parser ps = { .b = &b, .st = ST_START };
	int r = 0;

	if (!text || !out)
		return -EINVAL;
	while (*text && r == 0) {
		size_t len = strcspn(text, "\n");

		r = parse_line(&ps, text, len);
		text += len;
		if (*text == '\n')
			text++;
	}
	if (r == 0)
		r = parse_finish(&ps);
	if (r < 0) {
		bufinfo_free(&b);
		return r;
	}
	*out = b;
	return 0;
}

int bufinfo_read(const char *path, struct bufinfo *out)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!out)
		return -EINVAL;
	fd = open(path ? path : BUFINFO_PATH, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* debugfs reports size 0: read until EOF. A seq_file gives one
	 * snapshot per read() sequence, so the list is consistent only if
	 * read in one go; a list that changed under us fails the totals. */
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb;

			if (cap >= BUFINFO_MAX_BYTES)
				return -EFBIG;
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (memchr(buf, '\0', len))
		return -EINVAL;
	buf[len] = '\0';
	return bufinfo_parse(buf, out);
}

void bufinfo_entry_record(const struct bufinfo_entry *e, struct holder_record *out)
{
	*out = (struct holder_record){
		.ino = e->ino,
		.size = e->size,
		.pid = 0,
		.kind = HOLDER_KERNEL,
	};
	memcpy(out->exp_name, e->exp_name, sizeof(out->exp_name));
}
