// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmabufctl top: who holds which dma-buf and how much memory that pins, per
 * process and per exporter, like Android's dmabuf_dump, from the snapshot
 * of inspect.c (shared with `dmabufctl watch`, watch.c): the refresh loop
 * and the output, a table or JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "shared/holders.h"
#include "shared/kbufs.h"

/* ---- the refresh loop ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int inspect_parse_interval(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	/* A bounded rate: polling the whole of /proc more than ten times a
	 * second costs more than anyone can read. */
	if (errno || end == arg || *end || !isfinite(v) || v < 0.1 || v > 86400)
		return -EINVAL;
	*out = v;
	return 0;
}

void inspect_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Sleep for seconds; false once SIGINT/SIGTERM came. */
bool inspect_sleep(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };

	if (stop)
		return false;
	nanosleep(&ts, NULL);
	return !stop;
}

bool inspect_stopped(void)
{
	return stop;
}

/* ---- output ---- */

static void comm_of(pid_t pid, char *buf, size_t bufsz)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)bufsz, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static json_object *json_u64(uint64_t v)
{
	return json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static json_object *top_json(const struct inspect_snapshot *s)
{
	const struct holders_model *m = s->model;
	json_object *doc = json_object_new_object(), *a, *k;

	json_object_object_add(doc, "total_size", json_u64(m->total_size));
	json_object_object_add(doc, "nbuffers", json_u64(m->nbuffers));
	a = json_object_new_array();
	for (size_t i = 0; i < m->nbuffers; i++) {
		const struct holders_buffer *b = &m->buffers[i];
		json_object *o = json_object_new_object(), *h = json_object_new_array();
		const char *name = inspect_name(s, b->ino);
		char kinds[16];

		json_object_object_add(o, "inode", json_u64(b->ino));
		json_object_object_add(o, "size", json_u64(b->size));
		json_object_object_add(o, "exporter", json_object_new_string(b->exp_name));
		json_object_object_add(o, "name", name ? json_object_new_string(name) : NULL);
		json_object_object_add(o, "kernel_only", json_object_new_boolean(b->kernel_only));
		json_object_object_add(o, "nholders", json_u64(b->nholders));
		/* What each holding process is charged (Pss-like). */
		json_object_object_add(
			o, "shared_size",
			json_object_new_double(b->nholders ? (double)b->size / (double)b->nholders :
							     0.0));
		for (size_t j = 0; j < b->nholders; j++) {
			json_object *p = json_object_new_object();

			json_object_object_add(p, "pid", json_object_new_int(b->holders[j].pid));
			json_object_object_add(p, "kinds",
					       json_object_new_string(holders_kinds_str(
						       b->holders[j].kinds, kinds, sizeof(kinds))));
			json_object_array_add(h, p);
		}
		json_object_object_add(o, "holders", h);
		json_object_array_add(a, o);
	}
	json_object_object_add(doc, "buffers", a);
	a = json_object_new_array();
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct holders_process *p = &m->procs[i];
		json_object *o = json_object_new_object();
		char comm[64];

		comm_of(p->pid, comm, sizeof(comm));
		json_object_object_add(o, "pid", json_object_new_int(p->pid));
		json_object_object_add(o, "comm", json_object_new_string(comm));
		json_object_object_add(
			o, "cgroup",
			s->proc_cgroup[i][0] ? json_object_new_string(s->proc_cgroup[i]) : NULL);
		json_object_object_add(o, "buffers", json_u64(p->nbufs));
		json_object_object_add(o, "by_fd", json_u64(p->nfd));
		json_object_object_add(o, "by_map", json_u64(p->nmap));
		json_object_object_add(o, "size", json_u64(p->size));
		json_object_object_add(o, "shared_size", json_object_new_double(p->pss));
		json_object_array_add(a, o);
	}
	json_object_object_add(doc, "processes", a);
	a = json_object_new_array();
	for (size_t i = 0; i < m->nexporters; i++) {
		const struct holders_exporter *e = &m->exporters[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "exporter", json_object_new_string(e->exp_name));
		json_object_object_add(o, "buffers", json_u64(e->nbufs));
		json_object_object_add(o, "size", json_u64(e->size));
		json_object_object_add(o, "kernel_only_buffers", json_u64(e->kernel_only_nbufs));
		json_object_object_add(o, "kernel_only_size", json_u64(e->kernel_only_size));
		json_object_array_add(a, o);
	}
	json_object_object_add(doc, "exporters", a);
	a = json_object_new_array();
	for (size_t i = 0; i < s->ncgroups; i++) {
		const struct cgroup_total *c = &s->cgroups[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "cgroup", json_object_new_string(c->path));
		json_object_object_add(o, "processes", json_u64(c->nprocs));
		json_object_object_add(o, "buffers", json_u64(c->nbufs));
		json_object_object_add(o, "size", json_u64(c->size));
		json_object_object_add(o, "shared_size", json_object_new_double(c->pss));
		json_object_array_add(a, o);
	}
	json_object_object_add(doc, "cgroups", a);
	k = json_object_new_object();
	json_object_object_add(k, "source",
			       json_object_new_string(s->files_source ? s->files_source : "mount"));
	a = json_object_new_array();
	for (size_t i = 0; i < s->nuids; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "uid", json_u64(s->uids[i].uid));
		json_object_object_add(o, "buffers", json_u64(s->uids[i].nbufs));
		json_object_object_add(o, "size", json_u64(s->uids[i].size));
		json_object_array_add(a, o);
	}
	json_object_object_add(k, "uids", a);
	json_object_object_add(k, "connections",
			       s->daemon_known ? json_object_new_int64(s->daemon_connections) :
						 NULL);
	json_object_object_add(k, "restarts",
			       s->daemon_known ? json_object_new_int64(s->daemon_restarts) : NULL);
	json_object_object_add(doc, "daemon", k);
	k = json_object_new_object();
	json_object_object_add(k, "visible", json_object_new_boolean(s->kernel_visible));
	json_object_object_add(k, "source",
			       json_object_new_string(kbufs_source_name(s->kernel_source)));
	if (s->kernel_visible) {
		json_object_object_add(k, "kernel_only_buffers", json_u64(m->kernel_only_nbufs));
		json_object_object_add(k, "kernel_only_size", json_u64(m->kernel_only_size));
	} else {
		json_object_object_add(k, "reason", json_object_new_string(s->kernel_note));
	}
	json_object_object_add(doc, "kernel", k);
	k = json_object_new_object();
	json_object_object_add(k, "discovery", json_object_new_boolean(s->discovery));
	json_object_object_add(k, "files", json_u64(s->hidden_files));
	json_object_object_add(k, "processes", json_u64(s->hidden_procs));
	json_object_object_add(doc, "hidden", k);
	return doc;
}

static void table_procs(struct inspect_snapshot *s)
{
	struct holders_model *m = s->model;

	holders_sort_procs_by_size(m);
	printf("%-8s %-16s %5s %4s %4s %12s %14s\n", "PID", "COMM", "BUFS", "FD", "MAP", "SIZE",
	       "SHARED");
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct holders_process *p = &m->procs[i];
		char comm[64];

		comm_of(p->pid, comm, sizeof(comm));
		printf("%-8d ", (int)p->pid);
		fprint_escaped(stdout, comm);
		printf("%*s %5zu %4zu %4zu %12llu %14.1f\n",
		       (int)(strlen(comm) < 16 ? 16 - strlen(comm) : 0), "", p->nbufs, p->nfd,
		       p->nmap, (unsigned long long)p->size, p->pss);
	}
	holders_sort_procs_by_pid(m);
}

/* Like the process table: a cgroup's size counts each buffer once, SHARED
 * sums its processes' shares. */
static int by_size_desc(const void *a, const void *b)
{
	const struct cgroup_total *x = a, *y = b;

	return x->size < y->size ? 1 : x->size > y->size ? -1 : strcmp(x->path, y->path);
}

static void table_cgroups(struct inspect_snapshot *s)
{
	qsort(s->cgroups, s->ncgroups, sizeof(*s->cgroups), by_size_desc);
	printf("%5s %5s %12s %14s %s\n", "PROCS", "BUFS", "SIZE", "SHARED", "CGROUP");
	for (size_t i = 0; i < s->ncgroups; i++) {
		const struct cgroup_total *c = &s->cgroups[i];

		printf("%5zu %5zu %12llu %14.1f ", c->nprocs, c->nbufs, (unsigned long long)c->size,
		       c->pss);
		fprint_escaped(stdout, c->path);
		putchar('\n');
	}
}

static void table_exporters(struct inspect_snapshot *s)
{
	const struct holders_model *m = s->model;

	printf("%-24s %5s %12s %8s %12s\n", "EXPORTER", "BUFS", "SIZE", "KBUFS", "KSIZE");
	for (size_t i = 0; i < m->nexporters; i++) {
		const struct holders_exporter *e = &m->exporters[i];

		fprint_escaped(stdout, e->exp_name);
		printf("%*s %5zu %12llu %8zu %12llu\n",
		       (int)(strlen(e->exp_name) < 24 ? 24 - strlen(e->exp_name) : 0), "", e->nbufs,
		       (unsigned long long)e->size, e->kernel_only_nbufs,
		       (unsigned long long)e->kernel_only_size);
	}
}

static void table_buffers(struct inspect_snapshot *s)
{
	const struct holders_model *m = s->model;
	char kinds[16];

	printf("%-10s %12s %-16s %-24s %s\n", "INODE", "SIZE", "EXPORTER", "HOLDERS", "NAME");
	for (size_t i = 0; i < m->nbuffers; i++) {
		const struct holders_buffer *b = &m->buffers[i];
		const char *name = inspect_name(s, b->ino);
		char hold[256] = "";
		size_t used = 0;

		for (size_t j = 0; j < b->nholders && used < sizeof(hold); j++)
			used += (size_t)snprintf(hold + used, sizeof(hold) - used, "%s%d:%s",
						 j ? "," : "", (int)b->holders[j].pid,
						 holders_kinds_str(b->holders[j].kinds, kinds,
								   sizeof(kinds)));
		printf("%-10llu %12llu ", (unsigned long long)b->ino, (unsigned long long)b->size);
		fprint_escaped(stdout, b->exp_name);
		printf("%*s %-24s ", (int)(strlen(b->exp_name) < 16 ? 16 - strlen(b->exp_name) : 0),
		       "", b->kernel_only ? "kernel" : hold);
		fprint_escaped(stdout, name ? name : "-");
		putchar('\n');
	}
}

static void table_totals(const struct inspect_snapshot *s)
{
	const struct holders_model *m = s->model;

	printf("total: %zu buffers, %llu bytes\n", m->nbuffers, (unsigned long long)m->total_size);
	if (s->kernel_visible)
		printf("kernel-only buffers: %zu, %llu bytes (source: %s)\n", m->kernel_only_nbufs,
		       (unsigned long long)m->kernel_only_size,
		       kbufs_source_name(s->kernel_source));
	else
		printf("kernel-only buffers: not visible (%s)\n", s->kernel_note);
	if (!s->discovery)
		printf("other processes: not visible (the mount has no proc/: nodiscover)\n");
	if (s->hidden_files || s->hidden_procs)
		printf("hidden from this user: %zu buffer files, %zu processes\n", s->hidden_files,
		       s->hidden_procs);
}

/* Every section, or only the one --by names; the totals always. */
static void top_table(struct inspect_snapshot *s, const char *by)
{
	static const struct {
		const char *name;
		void (*print)(struct inspect_snapshot *s);
	} sections[] = {
		{ "process", table_procs },
		{ "cgroup", table_cgroups },
		{ "exporter", table_exporters },
		{ "buffer", table_buffers },
	};

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		if (by && strcmp(by, sections[i].name))
			continue;
		sections[i].print(s);
		putchar('\n');
	}
	table_totals(s);
}

/* The options top and watch share; -1 to go on, else an exit status. */
int inspect_options(int argc, char **argv, bool *json, double *interval, const char **by)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "by", required_argument, NULL, OPT_BY },
		COMMON_OPTS,
		{ 0 },
	};
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == OPT_JSON) {
			*json = true;
		} else if (c == OPT_BY && by) {
			if (strcmp(optarg, "process") && strcmp(optarg, "cgroup") &&
			    strcmp(optarg, "exporter") && strcmp(optarg, "buffer"))
				return usage_error(
					"--by: '%s' is not process, cgroup, exporter or buffer",
					optarg);
			*by = optarg;
		} else if (c == OPT_BY) {
			return usage_error("%s takes no --by", cmd_name);
		} else if (c == OPT_INTERVAL) {
			if (inspect_parse_interval(optarg, interval) < 0)
				return usage_error("--interval: '%s' is not a number of seconds "
						   "from 0.1 to 86400",
						   optarg);
		} else if ((r = common_opt(c)) >= 0) {
			return r;
		}
	}
	if (optind != argc)
		return usage_error("%s takes no arguments", cmd_name);
	inspect_signals();
	return -1;
}

int cmd_top(int argc, char **argv)
{
	double interval = 0;
	bool json = false;
	const char *by = NULL;
	int r = inspect_options(argc, argv, &json, &interval, &by);

	if (r >= 0)
		return r;
	do {
		struct inspect_snapshot s;

		r = inspect_snapshot_take(mount_dir(), &s);
		if (r < 0)
			return fail(mount_dir(), r, NULL);
		if (interval && !json && isatty(STDOUT_FILENO))
			fputs("\033[H\033[2J", stdout);
		if (json) {
			json_object *doc = top_json(&s);
			const char *text = json_object_to_json_string_ext(
				doc, (interval ? JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_PRETTY) |
					     JSON_C_TO_STRING_NOSLASHESCAPE);

			puts(text ? text : "null");
			json_object_put(doc);
		} else {
			top_table(&s, by);
		}
		inspect_snapshot_free(&s);
		fflush(stdout);
	} while (interval && inspect_sleep(interval));
	return EXIT_SUCCESS;
}
