// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The accounting model: one inode is one buffer whatever holds it; a
 * process counts a buffer once however many fds and mappings it has; a
 * buffer held by k processes is size/k of each one's Pss; kernel-only
 * buffers belong to no process; totals count every buffer once.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/holders.h"
#include "shared/macro.h"
#include "testsuite.h"

#define REC(i, s, e, p, k)                                                      \
	{                                                                       \
		.ino = (i), .size = (s), .pid = (p), .kind = (k), .exp_name = e \
	}

static struct holders_model *build(const struct holder_record *r, size_t n)
{
	struct holders_model *m = NULL;

	ck_assert_int_eq(holders_build(r, n, &m), 0);
	ck_assert_ptr_nonnull(m);
	return m;
}

START_TEST(holders_three_processes_a_third_each)
{
	static const struct holder_record r[] = {
		REC(10, 3 * 4096, "system", 100, HOLDER_FD),
		REC(10, 3 * 4096, "system", 200, HOLDER_FD),
		REC(10, 3 * 4096, "system", 300, HOLDER_MAP),
	};
	_cleanup_holders_model_ struct holders_model *m = build(r, ARRAY_SIZE(r));
	const struct holders_buffer *b;

	ck_assert_uint_eq(m->nbuffers, 1);
	b = holders_find_buffer(m, 10);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->nholders, 3);
	ck_assert_int_eq(b->holders[0].pid, 100);
	ck_assert_int_eq(b->holders[2].pid, 300);
	ck_assert_uint_eq(b->holders[2].kinds, HOLDER_MAP);
	ck_assert(!b->kernel_only);
	ck_assert_uint_eq(m->nprocs, 3);
	for (size_t i = 0; i < m->nprocs; i++) {
		ck_assert_uint_eq(m->procs[i].size, 3 * 4096);
		ck_assert_double_eq_tol(m->procs[i].pss, 4096.0, 1e-9);
	}
	ck_assert_uint_eq(m->total_size, 3 * 4096);
}
END_TEST

START_TEST(holders_fd_and_map_count_once)
{
	/* Two fds and two mappings of one buffer, in no particular order. */
	static const struct holder_record r[] = {
		REC(7, 8192, "udmabuf", 42, HOLDER_MAP),
		REC(7, 8192, "udmabuf", 42, HOLDER_FD),
		REC(7, 8192, "udmabuf", 42, HOLDER_MAP),
		REC(7, 8192, "udmabuf", 42, HOLDER_FD),
	};
	_cleanup_holders_model_ struct holders_model *m = build(r, ARRAY_SIZE(r));
	const struct holders_process *p;

	ck_assert_uint_eq(m->nbuffers, 1);
	ck_assert_uint_eq(m->buffers[0].nholders, 1);
	ck_assert_uint_eq(m->buffers[0].holders[0].kinds, HOLDER_FD | HOLDER_MAP);
	ck_assert_uint_eq(m->buffers[0].holders[0].nrefs, 4);
	p = holders_find_process(m, 42);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->nbufs, 1);
	ck_assert_uint_eq(p->nfd, 1);
	ck_assert_uint_eq(p->nmap, 1);
	ck_assert_uint_eq(p->size, 8192);
	ck_assert_double_eq_tol(p->pss, 8192.0, 1e-9);
}
END_TEST

START_TEST(holders_mixed_system)
{
	/*
	 * pid 1: A (fd), B (fd+map)    pid 2: B (map), C (fd)
	 * pid 3: C (fd)                kernel: A, B, C, D (D held by none)
	 */
	static const struct holder_record r[] = {
		REC(4, 1000, "drm", 0, HOLDER_KERNEL),
		REC(3, 600, "system", 3, HOLDER_FD),
		REC(1, 300, "system", 1, HOLDER_FD),
		REC(2, 400, "udmabuf", 1, HOLDER_FD),
		REC(2, 400, "udmabuf", 1, HOLDER_MAP),
		REC(2, 400, "udmabuf", 2, HOLDER_MAP),
		REC(3, 600, "system", 2, HOLDER_FD),
		REC(1, 300, "system", 99999, HOLDER_KERNEL), /* pid ignored */
		REC(2, 400, "udmabuf", 0, HOLDER_KERNEL),
		REC(3, 600, "system", 0, HOLDER_KERNEL),
	};
	_cleanup_holders_model_ struct holders_model *m = build(r, ARRAY_SIZE(r));
	const struct holders_process *p1, *p2, *p3;
	const struct holders_buffer *d;
	uint64_t sum_size = 0;
	double sum_pss = 0;
	char kinds[16];

	ck_assert_uint_eq(m->nbuffers, 4);
	ck_assert_uint_eq(m->total_size, 300 + 400 + 600 + 1000);
	d = holders_find_buffer(m, 4);
	ck_assert(d->kernel_only);
	ck_assert_uint_eq(d->nholders, 0);
	ck_assert_uint_eq(m->kernel_only_nbufs, 1);
	ck_assert_uint_eq(m->kernel_only_size, 1000);
	ck_assert(!holders_find_buffer(m, 1)->kernel_only);
	ck_assert_uint_eq(holders_find_buffer(m, 1)->nholders, 1);
	ck_assert_str_eq(holders_kinds_str(holders_find_buffer(m, 2)->kinds, kinds, sizeof(kinds)),
			 "fd,map,kernel");

	ck_assert_uint_eq(m->nprocs, 3);
	p1 = holders_find_process(m, 1);
	p2 = holders_find_process(m, 2);
	p3 = holders_find_process(m, 3);
	ck_assert_uint_eq(p1->size, 700);
	ck_assert_double_eq_tol(p1->pss, 300 + 200, 1e-9);
	ck_assert_uint_eq(p1->nfd, 2);
	ck_assert_uint_eq(p1->nmap, 1);
	ck_assert_uint_eq(p2->size, 1000);
	ck_assert_double_eq_tol(p2->pss, 200 + 300, 1e-9);
	ck_assert_uint_eq(p3->size, 600);
	ck_assert_double_eq_tol(p3->pss, 300, 1e-9);
	ck_assert_ptr_null(holders_find_process(m, 99999));
	ck_assert_ptr_null(holders_find_process(m, 0));

	/* Pss adds up to the memory processes hold, each buffer once. */
	for (size_t i = 0; i < m->nprocs; i++) {
		sum_pss += m->procs[i].pss;
		sum_size += m->procs[i].size;
	}
	ck_assert_double_eq_tol(sum_pss, m->total_size - m->kernel_only_size, 1e-6);
	ck_assert_uint_eq(sum_size, 700 + 1000 + 600);

	ck_assert_uint_eq(m->nexporters, 3);
	ck_assert_str_eq(m->exporters[0].exp_name, "drm");
	ck_assert_uint_eq(m->exporters[0].size, 1000);
	ck_assert_uint_eq(m->exporters[0].kernel_only_size, 1000);
	ck_assert_str_eq(m->exporters[1].exp_name, "system");
	ck_assert_uint_eq(m->exporters[1].nbufs, 2);
	ck_assert_uint_eq(m->exporters[1].size, 900);
	ck_assert_uint_eq(m->exporters[1].kernel_only_nbufs, 0);
	ck_assert_str_eq(m->exporters[2].exp_name, "udmabuf");
	ck_assert_uint_eq(m->exporters[2].size, 400);

	holders_sort_procs_by_size(m);
	ck_assert_int_eq(m->procs[0].pid, 2);
	ck_assert_int_eq(m->procs[1].pid, 1);
	ck_assert_int_eq(m->procs[2].pid, 3);
	holders_sort_procs_by_pid(m);
	ck_assert_int_eq(holders_find_process(m, 3)->pid, 3);
}
END_TEST

START_TEST(holders_conflicting_records_flagged)
{
	static const struct holder_record r[] = {
		REC(5, 4096, "system", 2, HOLDER_FD),
		REC(5, 8192, "system", 1, HOLDER_FD),
		REC(6, 4096, "system", 1, HOLDER_FD),
	};
	_cleanup_holders_model_ struct holders_model *m = build(r, ARRAY_SIZE(r));

	/* The lowest pid's record wins, and the buffer says it was unsure. */
	ck_assert(holders_find_buffer(m, 5)->conflict);
	ck_assert_uint_eq(holders_find_buffer(m, 5)->size, 8192);
	ck_assert(!holders_find_buffer(m, 6)->conflict);
}
END_TEST

START_TEST(holders_invalid_records)
{
	struct holders_model *m = NULL;
	struct holder_record r[] = { REC(5, 4096, "system", 1, HOLDER_FD) };

	r[0].ino = 0;
	ck_assert_int_eq(holders_build(r, 1, &m), -EINVAL);
	r[0].ino = 5;
	r[0].pid = 0;
	ck_assert_int_eq(holders_build(r, 1, &m), -EINVAL);
	r[0].pid = -3;
	ck_assert_int_eq(holders_build(r, 1, &m), -EINVAL);
	r[0].pid = 3;
	r[0].kind = HOLDER_FD | HOLDER_MAP;
	ck_assert_int_eq(holders_build(r, 1, &m), -EINVAL);
	ck_assert_int_eq(holders_build(NULL, 1, &m), -EINVAL);
	ck_assert_ptr_null(m);
	/* An unterminated exp_name is cut, not read past. */
	r[0].kind = HOLDER_FD;
	memset(r[0].exp_name, 'x', sizeof(r[0].exp_name));
	ck_assert_int_eq(holders_build(r, 1, &m), 0);
	ck_assert_uint_eq(strlen(m->buffers[0].exp_name), HOLDERS_EXP_NAME_MAX - 1);
	holders_model_free(m);
}
END_TEST

START_TEST(holders_empty)
{
	_cleanup_holders_model_ struct holders_model *m = build(NULL, 0);

	ck_assert_uint_eq(m->nbuffers, 0);
	ck_assert_uint_eq(m->nprocs, 0);
	ck_assert_uint_eq(m->nexporters, 0);
	ck_assert_uint_eq(m->total_size, 0);
	ck_assert_ptr_null(holders_find_buffer(m, 1));
}
END_TEST

/* Many processes and buffers in a scrambled order against a brute-force
 * count: the sorted walk must agree with the obvious quadratic one. */
START_TEST(holders_matches_brute_force)
{
	enum {
		NBUF = 97,
		NPID = 31,
		NREC = 3000
	};
	_cleanup_free_ struct holder_record *r = calloc(NREC, sizeof(*r));
	_cleanup_holders_model_ struct holders_model *m = NULL;
	static bool held[NBUF + 1][NPID + 1];
	uint32_t seed = 12345;

	ck_assert_ptr_nonnull(r);
	memset(held, 0, sizeof(held));
	for (size_t i = 0; i < NREC; i++) {
		unsigned int b, p;

		seed = seed * 1103515245u + 12345u;
		b = 1 + (seed >> 8) % NBUF;
		seed = seed * 1103515245u + 12345u;
		p = 1 + (seed >> 8) % NPID;
		r[i] = (struct holder_record){ .ino = b,
					       .size = b * 4096u,
					       .pid = (pid_t)p,
					       .kind = (seed & 1) ? HOLDER_FD : HOLDER_MAP };
		snprintf(r[i].exp_name, sizeof(r[i].exp_name), "exp%u", b % 5);
		held[b][p] = true;
	}
	ck_assert_int_eq(holders_build(r, NREC, &m), 0);
	for (unsigned int p = 1; p <= NPID; p++) {
		const struct holders_process *proc = holders_find_process(m, (pid_t)p);
		uint64_t size = 0;
		double pss = 0;
		size_t nbufs = 0;

		for (unsigned int b = 1; b <= NBUF; b++) {
			unsigned int k = 0;

			if (!held[b][p])
				continue;
			for (unsigned int q = 1; q <= NPID; q++)
				k += held[b][q];
			nbufs++;
			size += b * 4096u;
			pss += (double)(b * 4096u) / k;
		}
		if (!nbufs) {
			ck_assert_ptr_null(proc);
			continue;
		}
		ck_assert_ptr_nonnull(proc);
		ck_assert_uint_eq(proc->nbufs, nbufs);
		ck_assert_uint_eq(proc->size, size);
		ck_assert_double_eq_tol(proc->pss, pss, 1e-6);
	}
}
END_TEST

static Suite *holders_suite(void)
{
	Suite *s = suite_create("holders");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, holders_three_processes_a_third_each);
	tcase_add_test(tc, holders_fd_and_map_count_once);
	tcase_add_test(tc, holders_mixed_system);
	tcase_add_test(tc, holders_conflicting_records_flagged);
	tcase_add_test(tc, holders_invalid_records);
	tcase_add_test(tc, holders_empty);
	tcase_add_test(tc, holders_matches_brute_force);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(holders_suite);
