// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmabufctl metrics: the snapshot of top (inspect.c) in the Prometheus
 * text exposition format (version 0.0.4, which node_exporter's textfile
 * collector reads), for a fleet to graph and alert on dma-buf memory.
 * Every figure is a gauge (buffers come and go); names follow Prometheus'
 * conventions: dmabuf_* for the machine's dma-bufs, dmabuffs_* for the
 * daemon's own, bytes in *_bytes. Cardinality is bounded where it can
 * grow with the machine: the --top N processes by size get a series each,
 * the rest one pid="other" series. The values are top --json's, from the
 * same snapshot code.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/escape.h"
#include "shared/kbufs.h"
#include "shared/macro.h"
#include "shared/util.h"

#define METRICS_TOP_DEFAULT 10
#define METRICS_TOP_MAX 1000

static FILE *out; /* stdout, or the memory stream of --output */

/* A label value: name_escape() makes it valid UTF-8 without control bytes,
 * then the format's own escapes (backslash, double quote). */
static void label(const char *key, const char *v, bool last)
{
	_cleanup_free_ char *esc = name_escape(v, strlen(v));

	fprintf(out, "%s=\"", key);
	for (const char *p = esc ? esc : "?"; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', out);
		fputc(*p, out);
	}
	fprintf(out, "\"%s", last ? "" : ",");
}

static void header(const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void comm_of_pid(pid_t pid, char *buf, size_t bufsz)
{
	char path[64];
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_file(path, buf, bufsz, &len) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void print_sources(const struct inspect_snapshot *s)
{
	header("dmabuf_source_info",
	       "Where the figures come from: the kernel's list of buffers (kernel: bpf, debugfs "
	       "or none), the daemon's buffer files (files: control or mount), other processes' "
	       "buffers (processes: proc or none).");
	fprintf(out, "dmabuf_source_info{");
	label("kernel", kbufs_source_name(s->kernel_source), false);
	label("files", s->files_source ? s->files_source : "mount", false);
	label("processes", s->discovery ? "proc" : "none", true);
	fprintf(out, "} 1\n");
}

static void print_totals(const struct inspect_snapshot *s)
{
	const struct holders_model *m = s->model;

	header("dmabuf_buffers", "Distinct dma-bufs seen, each once.");
	fprintf(out, "dmabuf_buffers %zu\n", m->nbuffers);
	header("dmabuf_bytes", "Bytes of the distinct dma-bufs seen, each once.");
	fprintf(out, "dmabuf_bytes %llu\n", (unsigned long long)m->total_size);
	header("dmabuf_kernel_visible",
	       "1 when the kernel's list of buffers was read (source: bpf or debugfs), 0 when "
	       "not (reason).");
	fprintf(out, "dmabuf_kernel_visible{");
	label("source", kbufs_source_name(s->kernel_source), s->kernel_visible);
	if (!s->kernel_visible)
		label("reason", s->kernel_note, true);
	fprintf(out, "} %d\n", s->kernel_visible);
	if (!s->kernel_visible)
		return;
	header("dmabuf_kernel_only_buffers", "Dma-bufs no process holds (drivers' or leaked).");
	fprintf(out, "dmabuf_kernel_only_buffers{");
	label("source", kbufs_source_name(s->kernel_source), true);
	fprintf(out, "} %zu\n", m->kernel_only_nbufs);
	header("dmabuf_kernel_only_bytes", "Bytes of the dma-bufs no process holds.");
	fprintf(out, "dmabuf_kernel_only_bytes{");
	label("source", kbufs_source_name(s->kernel_source), true);
	fprintf(out, "} %llu\n", (unsigned long long)m->kernel_only_size);
}

static void print_exporters(const struct inspect_snapshot *s)
{
	const struct holders_model *m = s->model;
	static const char *const names[] = { "dmabuf_exporter_buffers", "dmabuf_exporter_bytes" };
	static const char *const help[] = { "Dma-bufs per exporter (the kernel's exp_name).",
					    "Bytes of dma-bufs per exporter." };

	for (size_t k = 0; k < 2; k++) {
		header(names[k], help[k]);
		for (size_t i = 0; i < m->nexporters; i++) {
			const struct holders_exporter *e = &m->exporters[i];

			fprintf(out, "%s{", names[k]);
			label("exporter", e->exp_name, true);
			if (k == 0)
				fprintf(out, "} %zu\n", e->nbufs);
			else
				fprintf(out, "} %llu\n", (unsigned long long)e->size);
		}
	}
}

static void print_cgroups(const struct inspect_snapshot *s)
{
	static const char *const names[] = { "dmabuf_cgroup_buffers", "dmabuf_cgroup_bytes",
					     "dmabuf_cgroup_shared_bytes" };
	static const char *const help[] = {
		"Distinct dma-bufs held by the processes of a cgroup (v1 memory hierarchy where "
		"mounted, else v2; \"?\" when unreadable).",
		"Bytes of the distinct dma-bufs held by the processes of a cgroup.",
		"Pss-like bytes of a cgroup: each buffer's size divided by its holding processes, "
		"summed over the cgroup's processes.",
	};

	for (size_t k = 0; k < 3; k++) {
		header(names[k], help[k]);
		for (size_t i = 0; i < s->ncgroups; i++) {
			const struct cgroup_total *c = &s->cgroups[i];

			fprintf(out, "%s{", names[k]);
			label("cgroup", c->path, true);
			if (k == 0)
				fprintf(out, "} %zu\n", c->nbufs);
			else if (k == 1)
				fprintf(out, "} %llu\n", (unsigned long long)c->size);
			else
				fprintf(out, "} %.17g\n", c->pss);
		}
	}
}

/* The top processes by size (then by pid), the rest summed as "other". */
static void print_processes(struct inspect_snapshot *s, size_t top)
{
	struct holders_model *m = s->model;
	static const char *const names[] = { "dmabuf_process_buffers", "dmabuf_process_bytes",
					     "dmabuf_process_shared_bytes" };
	static const char *const help[] = {
		"Distinct dma-bufs a process holds (by fd or mapping); pid=\"other\" sums the "
		"processes past the top ones.",
		"Bytes of the distinct dma-bufs a process holds (Rss-like).",
		"Pss-like bytes of a process: each buffer's size divided by its holding processes.",
	};

	holders_sort_procs_by_size(m);
	for (size_t k = 0; k < 3; k++) {
		size_t on = 0;
		uint64_t osize = 0;
		double opss = 0;

		header(names[k], help[k]);
		for (size_t i = 0; i < m->nprocs; i++) {
			const struct holders_process *p = &m->procs[i];
			char comm[64], pid[16];

			if (i >= top) {
				on += p->nbufs;
				osize += p->size;
				opss += p->pss;
				continue;
			}
			comm_of_pid(p->pid, comm, sizeof(comm));
			snprintf(pid, sizeof(pid), "%d", (int)p->pid);
			fprintf(out, "%s{", names[k]);
			label("pid", pid, false);
			label("comm", comm, true);
			if (k == 0)
				fprintf(out, "} %zu\n", p->nbufs);
			else if (k == 1)
				fprintf(out, "} %llu\n", (unsigned long long)p->size);
			else
				fprintf(out, "} %.17g\n", p->pss);
		}
		fprintf(out, "%s{pid=\"other\",comm=\"other\"} ", names[k]);
		if (k == 0)
			fprintf(out, "%zu\n", on);
		else if (k == 1)
			fprintf(out, "%llu\n", (unsigned long long)osize);
		else
			fprintf(out, "%.17g\n", opss);
	}
	holders_sort_procs_by_pid(m);
}

static void print_daemon(const struct inspect_snapshot *s)
{
	size_t n = 0;
	uint64_t bytes = 0;

	for (size_t i = 0; i < s->nuids; i++) {
		n += s->uids[i].nbufs;
		bytes += s->uids[i].size;
	}
	header("dmabuffs_buffers", "The daemon's buffer files that have a buffer.");
	fprintf(out, "dmabuffs_buffers %zu\n", n);
	header("dmabuffs_bytes", "Bytes of the daemon's buffer files.");
	fprintf(out, "dmabuffs_bytes %llu\n", (unsigned long long)bytes);
	if (s->daemon_known) {
		header("dmabuffs_control_connections",
		       "The daemon's open control-socket connections (this one included).");
		fprintf(out, "dmabuffs_control_connections %lld\n",
			(long long)s->daemon_connections);
		header("dmabuffs_restarts",
		       "The daemon's clean restarts: runs before it that handed their buffers to "
		       "the service manager's fd store.");
		fprintf(out, "dmabuffs_restarts %lld\n", (long long)s->daemon_restarts);
		if (s->daemon_backing_ids >= 0) {
			header("dmabuffs_backing_ids",
			       "FUSE passthrough backing ids the daemon has registered with the "
			       "kernel (one per buffer file opened in passthrough mode, kept "
			       "while the file exists).");
			fprintf(out, "dmabuffs_backing_ids %lld\n",
				(long long)s->daemon_backing_ids);
		}
	}
	header("dmabuffs_uid_buffers",
	       "The daemon's buffer files per owner uid (what its per-user quota counts).");
	for (size_t i = 0; i < s->nuids; i++)
		fprintf(out, "dmabuffs_uid_buffers{uid=\"%u\"} %zu\n", (unsigned)s->uids[i].uid,
			s->uids[i].nbufs);
	header("dmabuffs_uid_bytes", "Bytes of the daemon's buffer files per owner uid.");
	for (size_t i = 0; i < s->nuids; i++)
		fprintf(out, "dmabuffs_uid_bytes{uid=\"%u\"} %llu\n", (unsigned)s->uids[i].uid,
			(unsigned long long)s->uids[i].size);
}

/*
 * path replaced in one step: the text goes to a hidden temporary file in
 * the same directory (".NAME.XXXXXX": node_exporter's textfile collector
 * reads only *.prom), is flushed, made 0644 and renamed over path, so that
 * a scrape sees the old file or the new one, never half of one.
 */
static int write_atomic(const char *path, const char *text, size_t len)
{
	_cleanup_free_ char *dir = strdup(path), *tmp = NULL;
	_cleanup_close_ int fd = -1;
	char *slash;
	int r = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (asprintf(&tmp, "%s/.%s.XXXXXX", slash ? (dir[0] ? dir : "/") : ".", basename_of(path)) <
	    0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (size_t done = 0; done < len && r == 0;) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0)
			done += (size_t)n;
	}
	if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "top", required_argument, NULL, OPT_TOP },
		{ "output", required_argument, NULL, 'o' },
		COMMON_OPTS,
		{ 0 },
	};
	struct inspect_snapshot s;
	uint64_t top = METRICS_TOP_DEFAULT;
	const char *output = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (c == 'o') {
			output = optarg;
		} else if (c == OPT_TOP) {
			if (parse_u64(optarg, 10, &top) < 0 || top > METRICS_TOP_MAX)
				return usage_error("--top: '%s' is not a number from 0 to %d",
						   optarg, METRICS_TOP_MAX);
		} else if ((r = common_opt(c)) >= 0) {
			return r;
		}
	}
	if (optind != argc)
		return usage_error("%s takes no arguments", cmd_name);
	r = inspect_snapshot_take(mount_dir(), &s);
	if (r < 0)
		return fail(mount_dir(), r, NULL);
	out = output ? open_memstream(&text, &len) : stdout;
	if (!out) {
		inspect_snapshot_free(&s);
		return fail("open_memstream", errno, NULL);
	}
	print_sources(&s);
	print_totals(&s);
	print_exporters(&s);
	print_cgroups(&s);
	print_processes(&s, (size_t)top);
	print_daemon(&s);
	inspect_snapshot_free(&s);
	if (output) {
		if (fclose(out) != 0)
			return fail("open_memstream", errno, NULL);
		r = write_atomic(output, text, len);
		return r < 0 ? fail(output, r, NULL) : EXIT_SUCCESS;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		return fail("stdout", errno ? errno : EIO, NULL);
	return EXIT_SUCCESS;
}
