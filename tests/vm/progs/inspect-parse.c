/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inspect-parse: the daemon's inspection parsers (src/shared/maps.c,
 * bufinfo.c, holders.c, built in here whole so that the guest program stays
 * one static binary) run on the guest's live /proc and debugfs, so that the
 * VM tier checks them against the real kernel text, not only against the
 * unit tests' samples.
 *
 *   inspect-parse maps PID...     MAP pid=PID ino=INO dev=MAJ:MIN size=LEN perms=P name=NAME
 *                                 (one per mapping; size is the mapping's length)
 *   inspect-parse bufinfo [PATH]  BUF ino=INO size=SIZE exp_name=NAME count=N attached=N
 *                                 suspect=0|1 name=NAME, then TOTAL n=N bytes=B
 *   inspect-parse model [PATH]    reads "HOLD pid= ino= size= exp_name= kind=" lines
 *                                 (holders.c) on stdin, adds bufinfo's buffers as
 *                                 kernel records, prints
 *                                 BUFFER ino= size= exp_name= holders=N kernel_only=0|1
 *                                 PROC pid= nbufs= size= pss=
 *                                 EXPORTER exp_name= nbufs= size= kernel_only_size=
 *                                 TOTALS nbufs= size= kernel_only_nbufs= kernel_only_size=
 * Exit: 0, 1 on an error (the errno name on stderr), 77 when bufinfo is
 * not there.
 */
#define _GNU_SOURCE
#include <inttypes.h>

#include "../../../src/shared/maps.c"
#include "../../../src/shared/bufinfo.c"
#include "../../../src/shared/holders.c"

static int fail(const char *what, int r)
{
	fprintf(stderr, "inspect-parse: %s: %s\n", what, strerror(-r));
	return r == -ENOENT ? 77 : 1;
}

static int cmd_maps(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		struct dmabuf_mapping *v = NULL;
		pid_t pid = (pid_t)atoi(argv[i]);
		size_t n = 0;
		int r = maps_read_pid(pid, &v, &n);

		if (r < 0)
			return fail(argv[i], r);
		for (size_t k = 0; k < n; k++)
			printf("MAP pid=%d ino=%" PRIu64 " dev=%x:%x size=%" PRIu64
			       " perms=%s name=%s\n",
			       (int)pid, v[k].ino, v[k].dev_major, v[k].dev_minor,
			       v[k].end - v[k].start, v[k].perms, v[k].name);
		free(v);
	}
	return 0;
}

static int cmd_bufinfo(const char *path)
{
	struct bufinfo b;
	int r = bufinfo_read(path, &b);

	if (r < 0)
		return fail(path ? path : BUFINFO_PATH, r);
	for (size_t i = 0; i < b.n; i++) {
		const struct bufinfo_entry *e = &b.entries[i];

		printf("BUF ino=%" PRIu64 " size=%" PRIu64 " exp_name=%s count=%" PRIu64
		       " attached=%u suspect=%d name=%s\n",
		       e->ino, e->size, e->exp_name, e->count, e->nattached, e->suspect, e->name);
	}
	printf("TOTAL n=%zu bytes=%" PRIu64 "\n", b.n, b.total_size);
	bufinfo_free(&b);
	return 0;
}

static int cmd_model(const char *path)
{
	struct holder_record *recs = NULL;
	size_t n = 0, cap = 0;
	struct holders_model *m = NULL;
	struct bufinfo b;
	char line[512];
	int r;

	r = bufinfo_read(path, &b);
	if (r < 0)
		return fail(path ? path : BUFINFO_PATH, r);
	cap = b.n + 64;
	recs = calloc(cap, sizeof(*recs));
	if (!recs)
		return fail("calloc", -ENOMEM);
	for (size_t i = 0; i < b.n; i++)
		bufinfo_entry_record(&b.entries[i], &recs[n++]);
	while (fgets(line, sizeof(line), stdin)) {
		struct holder_record *h;
		unsigned long long ino, size;
		char exp[64], kind[8];
		int pid;

		if (sscanf(line, "HOLD pid=%d ino=%llu size=%llu exp_name=%63s kind=%7s", &pid,
			   &ino, &size, exp, kind) != 5)
			continue;
		if (n == cap) {
			h = reallocarray(recs, cap * 2, sizeof(*recs));
			if (!h)
				return fail("realloc", -ENOMEM);
			recs = h;
			cap *= 2;
		}
		h = &recs[n++];
		*h = (struct holder_record){ .ino = ino,
					     .size = size,
					     .pid = pid,
					     .kind = strcmp(kind, "map") ? HOLDER_FD : HOLDER_MAP };
		snprintf(h->exp_name, sizeof(h->exp_name), "%s", exp);
	}
	r = holders_build(recs, n, &m);
	if (r < 0)
		return fail("holders_build", r);
	for (size_t i = 0; i < m->nbuffers; i++) {
		const struct holders_buffer *buf = &m->buffers[i];
		char kinds[32];

		printf("BUFFER ino=%" PRIu64 " size=%" PRIu64 " exp_name=%s holders=%zu"
		       " kinds=%s kernel_only=%d conflict=%d\n",
		       buf->ino, buf->size, buf->exp_name, buf->nholders,
		       holders_kinds_str(buf->kinds, kinds, sizeof(kinds)), buf->kernel_only,
		       buf->conflict);
	}
	for (size_t i = 0; i < m->nprocs; i++)
		printf("PROC pid=%d nbufs=%zu nfd=%zu nmap=%zu size=%" PRIu64 " pss=%.0f\n",
		       (int)m->procs[i].pid, m->procs[i].nbufs, m->procs[i].nfd, m->procs[i].nmap,
		       m->procs[i].size, m->procs[i].pss);
	for (size_t i = 0; i < m->nexporters; i++)
		printf("EXPORTER exp_name=%s nbufs=%zu size=%" PRIu64 " kernel_only_size=%" PRIu64
		       "\n",
		       m->exporters[i].exp_name, m->exporters[i].nbufs, m->exporters[i].size,
		       m->exporters[i].kernel_only_size);
	printf("TOTALS nbufs=%zu size=%" PRIu64 " kernel_only_nbufs=%zu kernel_only_size=%" PRIu64
	       "\n",
	       m->nbuffers, m->total_size, m->kernel_only_nbufs, m->kernel_only_size);
	holders_model_free(m);
	free(recs);
	bufinfo_free(&b);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "maps"))
		return cmd_maps(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "bufinfo"))
		return cmd_bufinfo(argc > 2 ? argv[2] : NULL);
	if (argc >= 2 && !strcmp(argv[1], "model"))
		return cmd_model(argc > 2 ? argv[2] : NULL);
	fprintf(stderr, "usage: inspect-parse maps PID... | bufinfo [PATH] | model [PATH]\n");
	return 2;
}
