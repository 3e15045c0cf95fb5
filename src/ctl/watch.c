// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dmabufctl watch: one line per change to the buffers the caller may see
 * (appeared, holder-added, holder-gone, renamed, freed). The kernel has no
 * event for any of these, so watch compares snapshots of the tree (top.c)
 * taken at a bounded rate, --interval SECONDS apart (default 1, at least
 * 0.1); SIGINT or SIGTERM ends it with status 0.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "shared/holders.h"
#include "shared/kbufs.h"

struct event {
	const char *what;
	const struct holders_buffer *b;
	const char *name, *from;
	pid_t pid; /* holder events */
	unsigned int kinds;
};

static void print_event(const struct event *e, bool json)
{
	char kinds[16];

	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "event", json_object_new_string(e->what));
		json_object_object_add(o, "inode", json_object_new_int64((int64_t)e->b->ino));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)e->b->size));
		json_object_object_add(o, "exporter", json_object_new_string(e->b->exp_name));
		if (e->name)
			json_object_object_add(o, "name", json_object_new_string(e->name));
		if (e->from)
			json_object_object_add(o, "from", json_object_new_string(e->from));
		if (e->pid) {
			json_object_object_add(o, "pid", json_object_new_int(e->pid));
			json_object_object_add(o, "kinds",
					       json_object_new_string(holders_kinds_str(
						       e->kinds, kinds, sizeof(kinds))));
		}
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("%s inode=%llu size=%llu exporter=", e->what, (unsigned long long)e->b->ino,
		       (unsigned long long)e->b->size);
		fprint_escaped(stdout, e->b->exp_name);
		if (e->pid)
			printf(" pid=%d kinds=%s", (int)e->pid,
			       holders_kinds_str(e->kinds, kinds, sizeof(kinds)));
		if (e->from) {
			fputs(" from=", stdout);
			fprint_escaped(stdout, e->from);
		}
		if (e->name) {
			fputs(e->from ? " to=" : " name=", stdout);
			fprint_escaped(stdout, e->name);
		}
		putchar('\n');
	}
}

static unsigned int kinds_of(const struct holders_buffer *b, pid_t pid)
{
	for (size_t i = 0; b && i < b->nholders; i++)
		if (b->holders[i].pid == pid)
			return b->holders[i].kinds;
	return 0;
}

/* Holders in `now` that `was` lacks (per kind), as `what` events. */
static void holder_diff(const struct holders_buffer *now, const struct holders_buffer *was,
			const char *what, const struct holders_buffer *shown, bool json)
{
	for (size_t i = 0; i < now->nholders; i++) {
		unsigned int k = now->holders[i].kinds & ~kinds_of(was, now->holders[i].pid);
		struct event e = { what, shown, NULL, NULL, now->holders[i].pid, k };

		if (k)
			print_event(&e, json);
	}
}

static void diff(const struct inspect_snapshot *was, const struct inspect_snapshot *now, bool json)
{
	for (size_t i = 0; i < now->model->nbuffers; i++) {
		const struct holders_buffer *b = &now->model->buffers[i];
		const struct holders_buffer *old = holders_find_buffer(was->model, b->ino);
		const char *name = inspect_name(now, b->ino);

		if (!old) {
			struct event e = { .what = "appeared", .b = b, .name = name };

			print_event(&e, json);
			holder_diff(b, NULL, "holder-added", b, json);
			continue;
		}
		const char *oldname = inspect_name(was, b->ino);

		if (name && oldname && strcmp(name, oldname) != 0) {
			struct event e = {
				.what = "renamed", .b = b, .name = name, .from = oldname
			};

			print_event(&e, json);
		}
		holder_diff(b, old, "holder-added", b, json);
		holder_diff(old, b, "holder-gone", b, json);
	}
	for (size_t i = 0; i < was->model->nbuffers; i++) {
		const struct holders_buffer *b = &was->model->buffers[i];

		if (!holders_find_buffer(now->model, b->ino)) {
			struct event e = { .what = "freed",
					   .b = b,
					   .name = inspect_name(was, b->ino) };

			print_event(&e, json);
		}
	}
	fflush(stdout);
}

/* How long watch keeps trying while its looks fail (a daemon restart). */
#define WATCH_GIVE_UP_S 30

int cmd_watch(int argc, char **argv)
{
	struct inspect_snapshot was, now;
	double interval = 1.0, failing = 0;
	bool json = false;
	int r = inspect_options(argc, argv, &json, &interval, NULL);

	if (r >= 0)
		return r;
	r = inspect_snapshot_take(mount_dir(), &was);
	if (r < 0)
		return fail(mount_dir(), r, NULL);
	/* On stderr, so that stdout stays one event per line: from here on,
	 * every change is reported. */
	fprintf(stderr, "dmabufctl: watch: watching %s every %g s; kernel-only buffers: %s%s%s\n",
		mount_dir(), interval, kbufs_source_name(was.kernel_source),
		was.kernel_visible ? "" : ", not visible: ",
		was.kernel_visible ? "" : was.kernel_note);
	while (inspect_sleep(interval)) {
		r = inspect_snapshot_take(mount_dir(), &now);
		/* A daemon that restarts (its connection ends, a call waits)
		 * is a gap, not the end: the next look sees what changed. A
		 * failure that lasts is. */
		if (r < 0 && (failing += interval) < WATCH_GIVE_UP_S) {
			if (failing <= interval)
				fprintf(stderr, "dmabufctl: watch: %s: %s; trying again\n",
					mount_dir(), strerror(-r));
			continue;
		}
		if (r < 0) {
			inspect_snapshot_free(&was);
			return fail(mount_dir(), r, NULL);
		}
		failing = 0;
		diff(&was, &now, json);
		inspect_snapshot_free(&was);
		was = now;
	}
	inspect_snapshot_free(&was);
	return EXIT_SUCCESS;
}
