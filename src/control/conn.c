// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control socket's connections: the table the poll loop serves (each
 * with its peer's credentials, its id for transient publications and its
 * idle deadline), the limits that keep one user from locking the others
 * out, and the reply every request gets. Only the control thread changes
 * the table; LIST's threads read the count (control_figures()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control/control.h"
#include "control/control-internal.h"
#include "lib/proto.h"
#include "shared/log.h"
#include "shared/util.h"

static struct control_limits limits;
static struct conn *conns;
static int nconns, max_conns;
static uint64_t next_conn_id = 1;

int control_conns_init(const struct control_limits *lim)
{
	limits = lim ? *lim : (struct control_limits){ 0 };
	if (!limits.max_conns)
		limits.max_conns = CONTROL_MAX_CONNS;
	if (!limits.max_conns_per_uid)
		limits.max_conns_per_uid = CONTROL_MAX_CONNS_PER_UID;
	if (!limits.root_reserve)
		limits.root_reserve = CONTROL_ROOT_RESERVE;
	if (!limits.idle_timeout_ms)
		limits.idle_timeout_ms = CONTROL_IDLE_TIMEOUT_MS;
	max_conns = (int)(limits.max_conns + limits.root_reserve);
	conns = calloc((size_t)max_conns, sizeof(*conns));
	return conns ? 0 : -ENOMEM;
}

void control_conns_free(void)
{
	while (nconns > 0)
		control_conn_drop(nconns - 1);
	free(conns);
	conns = NULL;
}

int control_conns_max(void)
{
	return max_conns;
}

int control_conns_count(void)
{
	return nconns;
}

struct conn *control_conn_at(int i)
{
	return &conns[i];
}

void control_conn_add(struct conn *nc)
{
	nc->id = next_conn_id++;
	nc->deadline_ms = now_ms() + limits.idle_timeout_ms;
	conns[nconns++] = *nc;
}

/* Whether a client of this uid may have one more connection, and if not
 * why (for the reply and the log). */
const char *control_conn_refusal(uid_t uid)
{
	unsigned int nonroot = 0, mine = 0;

	for (int i = 0; i < nconns; i++) {
		if (conns[i].cred.uid != 0)
			nonroot++;
		if (conns[i].cred.uid == uid)
			mine++;
	}
	if (nconns >= max_conns)
		return "the daemon's connection table is full";
	if (uid == 0)
		return NULL;
	if (mine >= limits.max_conns_per_uid)
		return "too many connections of this user";
	if (control_closer_over_limit(uid))
		return "too many of this user's fds are still being closed";
	if (nonroot >= limits.max_conns)
		return "too many connections of non-root users";
	return NULL;
}

void control_conn_drop(int i)
{
	uint64_t id = conns[i].id;

	/* Fds sent and not yet read are released with the socket. */
	control_close_received(conns[i].fd, conns[i].cred.uid);
	conns[i] = conns[--nconns];
	/* Transient publications end with their publisher's connection. */
	tree_drop_conn(id);
}

/* Close the connections that sent no request in time; the poll timeout
 * until the next such deadline (-1: none). */
int control_conns_expire_idle(void)
{
	int64_t now = now_ms(), next = -1;

	for (int i = nconns - 1; i >= 0; i--) {
		struct conn *c = &conns[i];

		if (c->served)
			continue;
		if (c->deadline_ms <= now) {
			log_info("control: pid %d uid %u sent no request within %u ms, "
				 "closing its connection",
				 (int)c->cred.pid, (unsigned)c->cred.uid, limits.idle_timeout_ms);
			control_conn_drop(i);
		} else if (next < 0 || c->deadline_ms - now < next) {
			next = c->deadline_ms - now;
		}
	}
	return (int)next;
}

static unsigned restarts; /* atomic: set at start, read by LIST's threads */

void control_set_restarts(unsigned n)
{
	__atomic_store_n(&restarts, n, __ATOMIC_RELEASE);
}

void control_figures(int *nconn, unsigned *nrestarts)
{
	*nconn = nconns; /* the control thread's own count */
	*nrestarts = __atomic_load_n(&restarts, __ATOMIC_ACQUIRE);
}

/* The supplementary groups of the peer (as at connect), malloc'ed. */
int control_peer_groups(int fd, gid_t **out, size_t *n)
{
	socklen_t len = 16 * sizeof(gid_t);

	for (;;) {
		gid_t *v = malloc(len);

		if (!v)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len) == 0) {
			*out = v;
			*n = len / sizeof(gid_t);
			return 0;
		}
		free(v);
		if (errno != ERANGE)
			return -errno;
	}
}

void control_reply(struct conn *c, int status, int fd, const char *fmt, ...)
{
	char msg[PROTO_MSG_MAX + 1], buf[PROTO_MAX_REPLY];
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (status < 0)
		log_info("control: pid %d uid %u: %s (%s)", (int)c->cred.pid, (unsigned)c->cred.uid,
			 msg, strerror(-status));
	if (proto_encode_reply(buf, sizeof(buf), status, msg, &len) < 0)
		return;
	iov.iov_base = buf;
	iov.iov_len = len;
	if (fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	/* Never block on a client that does not read its replies. */
	if (sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_info("control: reply to pid %d lost: %m", (int)c->cred.pid);
}
