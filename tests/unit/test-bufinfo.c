// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bufinfo parsing: text in the exact shape of dma_buf_debug_show() (6.12,
 * and the 5.x shape without the name header), names that try to pass for
 * lines of their own, truncated and inconsistent lists, and the records the
 * entries give the accounting model.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/bufinfo.h"
#include "shared/macro.h"
#include "testsuite.h"

#define HEAD \
	"\nDma-buf Objects:\nsize    \tflags   \tmode    \tcount   \texp_name\tino     \tname\n"

/* Made in the same shape, with what the capture lacks: a name (with a
 * tab), a fence line and an attached device. */
static const char sample_612[] = HEAD
	"00065536\t00000002\t000a001f\t00000002\tudmabuf\t00001033\t<none>\n"
	"\tAttached Devices:\n"
	"Total 0 devices attached\n"
	"\n"
	"01048576\t00000002\t000a001f\t00000001\tsystem\t00001040\tcam 0:\tleft\n"
	"\tAttached Devices:\n"
	"Total 0 devices attached\n"
	"\n"
	"04096000\t00080002\t000e001f\t00000003\tdrm\t00001051\t<none>\n"
	"\twrite fence: vgem vgem seq 1 unsignalled\n"
	"\tAttached Devices:\n"
	"\t0000:00:02.0\n"
	"Total 1 devices attached\n"
	"\n"
	"\nTotal 3 objects, 5210112 bytes\n";

/* Captured in the VM tier (tests/vm/guest/tests/bufinfo-sample.sh) on
 * Debian's 6.12.95 kernel while progs/holders.c ran: udmabuf, vivid
 * (dma-contig), vgem, two system-heap buffers, newest first. */
static const char sample_real_612[] =
	"\n"
	"Dma-buf Objects:\n"
	"size    \tflags   \tmode    \tcount   \texp_name\tino     \tname\n"
	"00012288\t00000002\t00080007\t00000003\tudmabuf\t00000006\t<none>\n"
	"\tAttached Devices:\n"
	"Total 0 devices attached\n"
	"\n"
	"00462848\t00000000\t00080005\t00000001\tvideobuf2_dma_contig\t00000005\t<none>\n"
	"\tAttached Devices:\n"
	"Total 0 devices attached\n"
	"\n"
	"00262144\t00000002\t00080007\t00000003\tdrm\t00000004\t<none>\n"
	"\tAttached Devices:\n"
	"Total 0 devices attached\n"
	"\n"
	"00196608\t00000002\t00080007\t00000001\tsystem\t00000003\t<none>\n"
	"\tAttached Devices:\n"
	"Total 0 devices attached\n"
	"\n"
	"00131072\t00000002\t00080007\t00000001\tsystem\t00000002\t<none>\n"
	"\tAttached Devices:\n"
	"Total 0 devices attached\n"
	"\n"
	"00065536\t00000002\t00080007\t00000001\tudmabuf\t00000001\t<none>\n"
	"\tAttached Devices:\n"
	"Total 0 devices attached\n"
	"\n"
	"\n"
	"Total 6 objects, 1130496 bytes\n";

START_TEST(bufinfo_real_612_capture)
{
	static const struct {
		uint64_t ino, size, count;
		const char *exp_name;
	} want[] = {
		{ 6, 12288, 3, "udmabuf" }, { 5, 462848, 1, "videobuf2_dma_contig" },
		{ 4, 262144, 3, "drm" },    { 3, 196608, 1, "system" },
		{ 2, 131072, 1, "system" }, { 1, 65536, 1, "udmabuf" },
	};
	struct bufinfo b;

	ck_assert_int_eq(bufinfo_parse(sample_real_612, &b), 0);
	ck_assert(b.has_name);
	ck_assert_uint_eq(b.n, ARRAY_SIZE(want));
	ck_assert_uint_eq(b.total_size, 1130496);
	for (size_t i = 0; i < b.n; i++) {
		ck_assert_uint_eq(b.entries[i].ino, want[i].ino);
		ck_assert_uint_eq(b.entries[i].size, want[i].size);
		ck_assert_uint_eq(b.entries[i].count, want[i].count);
		ck_assert_str_eq(b.entries[i].exp_name, want[i].exp_name);
		ck_assert_str_eq(b.entries[i].name, "");
		ck_assert_uint_eq(b.entries[i].nattached, 0);
		ck_assert(!b.entries[i].suspect);
	}
	ck_assert_uint_eq(b.entries[1].flags, 0);
	ck_assert_uint_eq(b.entries[1].mode, 0x80005);
	ck_assert_uint_eq(b.entries[0].mode, 0x80007);
	bufinfo_free(&b);
}
END_TEST

START_TEST(bufinfo_612_sample)
{
	struct bufinfo b;

	ck_assert_int_eq(bufinfo_parse(sample_612, &b), 0);
	ck_assert(b.has_name);
	ck_assert_uint_eq(b.n, 3);
	ck_assert_uint_eq(b.total_size, 65536 + 1048576 + 4096000);
	ck_assert_uint_eq(b.entries[0].size, 65536);
	ck_assert_uint_eq(b.entries[0].flags, 2);
	ck_assert_uint_eq(b.entries[0].mode, 0xa001f);
	ck_assert_uint_eq(b.entries[0].count, 2);
	ck_assert_str_eq(b.entries[0].exp_name, "udmabuf");
	ck_assert_uint_eq(b.entries[0].ino, 1033);
	ck_assert_str_eq(b.entries[0].name, "");
	ck_assert(!b.entries[0].suspect);
	/* A tab in a name stays in the name. */
	ck_assert_str_eq(b.entries[1].name, "cam 0:\tleft");
	ck_assert_str_eq(b.entries[1].exp_name, "system");
	ck_assert_uint_eq(b.entries[2].flags, 0x80002);
	ck_assert_uint_eq(b.entries[2].nfences, 1);
	ck_assert_uint_eq(b.entries[2].nattached, 1);
	ck_assert(!b.entries[2].suspect);
	bufinfo_free(&b);
}
END_TEST

START_TEST(bufinfo_empty_list)
{
	struct bufinfo b;

	ck_assert_int_eq(bufinfo_parse(HEAD "\nTotal 0 objects, 0 bytes\n", &b), 0);
	ck_assert_uint_eq(b.n, 0);
	ck_assert_uint_eq(b.total_size, 0);
	bufinfo_free(&b);
}
END_TEST

/* 5.10 to 5.18 print the name but not its header. */
START_TEST(bufinfo_5x_no_name_header)
{
	struct bufinfo b;

	ck_assert_int_eq(
		bufinfo_parse("\nDma-buf Objects:\n"
			      "size    \tflags   \tmode    \tcount   \texp_name\tino     \n"
			      "00004096\t00000002\t00080005\t00000001\tion\t00000012\tgralloc\n"
			      "\tAttached Devices:\nTotal 0 devices attached\n\n"
			      "\nTotal 1 objects, 4096 bytes\n",
			      &b),
		0);
	ck_assert(!b.has_name);
	ck_assert_uint_eq(b.n, 1);
	ck_assert_str_eq(b.entries[0].name, "gralloc");
	ck_assert_uint_eq(b.entries[0].ino, 12);
	bufinfo_free(&b);
}
END_TEST

START_TEST(bufinfo_no_ino_unsupported)
{
	struct bufinfo b;

	ck_assert_int_eq(bufinfo_parse("\nDma-buf Objects:\n"
				       "size    \tflags   \tmode    \tcount   \texp_name\n"
				       "00004096\t00000002\t00080005\t00000001\tion\n"
				       "\tAttached Devices:\nTotal 0 devices attached\n\n"
				       "\nTotal 1 objects, 4096 bytes\n",
				       &b),
			 -EOPNOTSUPP);
}
END_TEST

START_TEST(bufinfo_truncated_or_foreign)
{
	static const char *const bad[] = {
		"",
		"\n",
		"hello\n",
		HEAD, /* no totals: a short read */
		HEAD "00004096\t00000002\t000a001f\t00000001\tsystem\t00000005\t<none>\n"
		     "\tAttached Devices:\n",
		"\nDma-buf Objects:\nsize\tflags\tmode\tcount\texp_name\tinode\tname\n"
		"\nTotal 0 objects, 0 bytes\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct bufinfo b;

		ck_assert_msg(bufinfo_parse(bad[i], &b) == -EINVAL, "sample %zu", i);
	}
}
END_TEST

START_TEST(bufinfo_totals_disagree)
{
	struct bufinfo b;
	char text[512];

	snprintf(text, sizeof(text), "%s%s", HEAD,
		 "00004096\t00000002\t000a001f\t00000001\tsystem\t00000005\t<none>\n"
		 "\tAttached Devices:\nTotal 0 devices attached\n\n"
		 "\nTotal 2 objects, 4096 bytes\n");
	ck_assert_int_eq(bufinfo_parse(text, &b), -EBADMSG);
	snprintf(text, sizeof(text), "%s%s", HEAD,
		 "00004096\t00000002\t000a001f\t00000001\tsystem\t00000005\t<none>\n"
		 "\tAttached Devices:\nTotal 0 devices attached\n\n"
		 "\nTotal 1 objects, 8192 bytes\n");
	ck_assert_int_eq(bufinfo_parse(text, &b), -EBADMSG);
}
END_TEST

/*
 * DMA_BUF_SET_NAME takes any 31 bytes, newlines too. Each of these names
 * ends its line early and puts a line of the kernel's shape into the text;
 * none may fail the list, add or drop a buffer, or end it early; each
 * marks its buffer as suspect.
 */
START_TEST(bufinfo_hostile_names)
{
	static const char *const names[] = {
		"x\n\tAttached Devices:",
		"x\nTotal 0 devices attached\n",
		"\nTotal 1 objects, 4096 bytes",
		"\n00004096\t00000002\t0000",
		"\n\n\n",
		"a\n\twrite fence: x",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char text[1024];
		struct bufinfo b;

		ck_assert_uint_lt(strlen(names[i]), 32);
		snprintf(text, sizeof(text),
			 HEAD "00004096\t00000002\t000a001f\t00000001\tsystem\t00000005\t%s\n"
			      "\tAttached Devices:\n\t0000:00:03.0\nTotal 1 devices attached\n\n"
			      "00008192\t00000002\t000a001f\t00000001\tsystem\t00000006\t<none>\n"
			      "\tAttached Devices:\nTotal 0 devices attached\n\n"
			      "\nTotal 2 objects, 12288 bytes\n",
			 names[i]);
		ck_assert_msg(bufinfo_parse(text, &b) == 0, "name %zu", i);
		ck_assert_uint_eq(b.n, 2);
		ck_assert_uint_eq(b.entries[0].ino, 5);
		ck_assert_uint_eq(b.entries[1].ino, 6);
		ck_assert_uint_eq(b.total_size, 12288);
		ck_assert_msg(b.entries[0].suspect, "name %zu", i);
		ck_assert(!b.entries[1].suspect);
		bufinfo_free(&b);
	}
}
END_TEST

START_TEST(bufinfo_bad_fields)
{
	static const char *const lines[] = {
		"4096\t00000002\t000a001f\t00000001\tsystem\t00000005\t<none>", /* short */
		"00004096\t0000000g\t000a001f\t00000001\tsystem\t00000005\t<none>",
		"00004096\t00000002\t000a001f\t00000001\t\t00000005\t<none>",
		"00004096\t00000002\t000a001f\t00000001\tsystem\t00000000\t<none>",
		"00004096\t00000002\t000a001f\t00000001\tsystem\t123456789012345678901\t<none>",
		"00004096\t00000002\t000a001f\t00000001\tsystem\t00000005\t"
		"0123456789012345678901234567890123456789012345678901234567890123456789",
		"00004096\t100000000\t000a001f\t00000001\tsystem\t00000005\t<none>",
	};

	/* A line that is not a buffer where one belongs is not taken as one;
	 * the totals then disagree. */
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		char text[1024];
		struct bufinfo b;

		snprintf(text, sizeof(text),
			 HEAD "%s\n\tAttached Devices:\nTotal 0 devices attached\n\n"
			      "\nTotal 1 objects, 4096 bytes\n",
			 lines[i]);
		ck_assert_msg(bufinfo_parse(text, &b) == -EBADMSG, "line %zu", i);
	}
}
END_TEST

START_TEST(bufinfo_read_file_and_records)
{
	char path[] = "/tmp/test-bufinfo-XXXXXX";
	_cleanup_close_ int fd = mkstemp(path);
	struct holders_model *m = NULL;
	struct holder_record r[4];
	struct bufinfo b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, sample_612, strlen(sample_612)), (ssize_t)strlen(sample_612));
	ck_assert_int_eq(bufinfo_read(path, &b), 0);
	ck_assert_uint_eq(b.n, 3);
	for (size_t i = 0; i < b.n; i++)
		bufinfo_entry_record(&b.entries[i], &r[i]);
	/* One process holds the udmabuf: the other two are kernel-only. */
	r[3] = (struct holder_record){
		.ino = 1033, .size = 65536, .pid = 77, .kind = HOLDER_FD, .exp_name = "udmabuf"
	};
	ck_assert_int_eq(holders_build(r, 4, &m), 0);
	ck_assert_uint_eq(m->nbuffers, 3);
	ck_assert_uint_eq(m->kernel_only_nbufs, 2);
	ck_assert_uint_eq(m->kernel_only_size, 1048576 + 4096000);
	ck_assert(!holders_find_buffer(m, 1033)->kernel_only);
	ck_assert(!holders_find_buffer(m, 1033)->conflict);
	holders_model_free(m);
	bufinfo_free(&b);
	unlink(path);
	ck_assert_int_eq(bufinfo_read(path, &b), -ENOENT);
}
END_TEST

static Suite *bufinfo_suite(void)
{
	Suite *s = suite_create("bufinfo");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, bufinfo_real_612_capture);
	tcase_add_test(tc, bufinfo_612_sample);
	tcase_add_test(tc, bufinfo_empty_list);
	tcase_add_test(tc, bufinfo_5x_no_name_header);
	tcase_add_test(tc, bufinfo_no_ino_unsupported);
	tcase_add_test(tc, bufinfo_truncated_or_foreign);
	tcase_add_test(tc, bufinfo_totals_disagree);
	tcase_add_test(tc, bufinfo_hostile_names);
	tcase_add_test(tc, bufinfo_bad_fields);
	tcase_add_test(tc, bufinfo_read_file_and_records);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(bufinfo_suite);
