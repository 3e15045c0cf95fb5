// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control socket server. One thread polls the listening socket and
 * every client; each message is one request and gets one reply. A bad
 * message is answered with an error and costs the daemon nothing: every
 * received fd is closed on every path.
 *
 * One poll() loop rather than a thread per client: a request is a few
 * system calls on fds the kernel has vouched for (dma-bufs, memfds; see
 * dmabuf_fd_identify), so nothing in it may block, and one thread with a
 * table of connections makes the limits (per uid, idle time) a plain count
 * with no locking. What could block -- the close() of a file some other
 * FUSE server holds, whose FLUSH may never be answered, or of a socket
 * lingering on unsent data -- is handed to the closer threads
 * (control/closer.c), so that it wedges nobody: nothing a client sent is
 * ever closed on this thread.
 *
 * Here: the socket and the poll loop, and the requests but one. The table
 * of connections, their limits and the reply are control/conn.c, the closer
 * threads control/closer.c, LIST (the one reply built as JSON)
 * control/list.c; what they share, control-internal.h.
 *
 * No caller can lock the others out: each non-root uid has a connection
 * limit, a connection that sends no complete request within the idle
 * timeout is closed, and root has slots of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <libgen.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dmabuffs/client.h>

#include "backend/backend.h"
#include "buffer.h"
#include "control/control.h"
#include "control/control-internal.h"
#include "conf.h"
#include "tree/tree.h"
#include "lib/proto.h"
#include "shared/fdinfo.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/util.h"

/* Room for as many fds as one message can carry (the kernel's SCM_MAX_FD):
 * fds that do not fit are released by the kernel inside our recvmsg(), on
 * the control thread, and such a release may block (control/closer.c).
 * Also room for more than allowed, to tell "too many" from a truncation. */
#define MAX_RECV_FDS 253
/* How long to stop accepting when the daemon is out of fds. */
#define ACCEPT_BACKOFF_MS 100

static int listen_fd = -1;
static int stop_fd = -1;
static char *sock_path;
/* The listening socket is in the service manager's fd store: a stop
 * leaves its path, so that the next daemon serves the same socket and the
 * clients that connect meanwhile wait in its backlog. */
static bool keep_path;
static pthread_t thread;
static bool running;
/* The daemon's options (the map-flag mode of received buffers). */
static const struct config *cfg;
/* poll()'s array: the stop eventfd, the listening socket, each connection. */
static struct pollfd *pfds;
int control_bind(const char *path, bool group_set, gid_t group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;
	int probe;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST) {
		log_err("cannot create %s: %m", dir);
		return -errno;
	}
	/* A socket that answers belongs to a running daemon; one that refuses
	 * is left over from a crash and can go. */
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		log_err("another dmabuffs is running: %s answers", path);
		return -EADDRINUSE;
	}
	if (probe >= 0)
		close(probe);
	if (unlink(path) == 0)
		log_info("removed stale control socket %s", path);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_err("bind %s: %m", path);
		return -errno;
	}
	if (chmod(path, 0660) < 0 || (group_set && chown(path, (uid_t)-1, group) < 0)) {
		log_err("cannot set the mode/group of %s: %m", path);
		unlink(path);
		return -errno;
	}
	if (listen(fd, 64) < 0) {
		unlink(path);
		return -errno;
	}
	sock_path = strdup(path);
	listen_fd = TAKE_FD(fd);
	return 0;
}

int control_adopt(int fd, const char *path)
{
	struct sockaddr_un sa = { 0 };
	socklen_t len = sizeof(sa);
	int type = 0, acc = 0;
	socklen_t ilen = sizeof(int);
	struct stat st;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ilen) < 0 || type != SOCK_SEQPACKET ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &ilen) < 0 || !acc ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) ||
	    strncmp(sa.sun_path, path, sizeof(sa.sun_path)) != 0) {
		log_info("control: the stored socket is not a listening socket on %s; binding anew",
			 path);
		close(fd);
		return -ENOTSOCK;
	}
	/* Its path went (a RuntimeDirectory= removed at the stop): nobody can
	 * reach it, and a bound socket cannot be bound again. */
	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		log_info("control: %s is gone; binding anew", path);
		close(fd);
		return -ENOENT;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || !(sock_path = strdup(path))) {
		close(fd);
		return -ENOMEM;
	}
	listen_fd = fd;
	keep_path = true;
	return 0;
}

int control_listen_fd(void)
{
	return listen_fd;
}

void control_keep_path(void)
{
	keep_path = true;
}

static void do_publish(struct conn *c, const struct proto_request *rq, int fd)
{
	char meta[META_COUNT][META_VALUE_MAX + 1] = { { 0 } };
	struct dmabuf_fdinfo info;
	struct buffer *buf = NULL;
	bool is_memfd = false;
	const char *why;
	int explicit = -1, r;

	if (fd < 0) {
		control_reply(c, -EBADF, -1, "publish %s: no fd attached", rq->name);
		return;
	}
	if (rq->flags & ~(DMABUFFS_PUBLISH_TRANSIENT | DMABUFFS_PUBLISH_IOMEM |
			  DMABUFFS_PUBLISH_SYSMEM | DMABUFFS_PUBLISH_IMPORTED) ||
	    (rq->flags & DMABUFFS_PUBLISH_IOMEM && rq->flags & DMABUFFS_PUBLISH_SYSMEM)) {
		control_close_received(fd, c->cred.uid);
		control_reply(c, -EINVAL, -1, "publish %s: bad flags 0x%x", rq->name, rq->flags);
		return;
	}
	if (rq->flags & DMABUFFS_PUBLISH_IOMEM)
		explicit = 1;
	else if (rq->flags & DMABUFFS_PUBLISH_SYSMEM)
		explicit = 0;
	r = dmabuf_fd_identify(fd, &info, &is_memfd);
	if (r < 0) {
		control_close_received(fd, c->cred.uid);
		control_reply(c, -EINVAL, -1, "publish %s: the fd is not a dma-buf", rq->name);
		return;
	}
	if (is_memfd && !registry_memfd_only()) {
		control_close_received(fd, c->cred.uid);
		control_reply(c, -EINVAL, -1,
			      "publish %s: the fd is a memfd, not a dma-buf (memfds are accepted "
			      "only when the daemon runs the memfd backend)",
			      rq->name);
		return;
	}
	/* The quota charges the size seen now: it must stay that size. */
	if (is_memfd && (r = memfd_fix_size(fd, &why)) < 0) {
		close(fd);
		control_reply(c, r, -1,
			      "publish %s: a published memfd must keep its size, but %s (create it "
			      "with MFD_ALLOW_SEALING and send it writable, or add "
			      "F_SEAL_GROW|F_SEAL_SHRINK first)",
			      rq->name, why);
		return;
	}
	r = buffer_new(fd, NULL, cfg->iomem_mode, &buf);
	if (r < 0) {
		control_reply(c, r, -1, "publish %s: cannot map the buffer", rq->name);
		return;
	}
	if (rq->has_image)
		control_image_meta(&rq->image, meta);
	r = tree_publish_meta(buf, rq->name, c->cred.uid, c->cred.gid, explicit,
			      rq->flags & DMABUFFS_PUBLISH_TRANSIENT ? c->id : 0,
			      rq->flags & DMABUFFS_PUBLISH_IMPORTED ? ORIGIN_IMPORTED :
								      ORIGIN_PUBLISHED,
			      rq->has_image ? meta : NULL);
	if (r == 0)
		buffer_set_dmabuf_name(buf, rq->name);
	buffer_unref(buf);
	if (r < 0) {
		control_reply(c, r, -1, "publish %s: %s", rq->name,
			      r == -EEXIST ? "name already in use" : "cannot add the buffer");
		return;
	}
	log_info("%s: published by pid %d uid %u (%s, %s)", rq->name, (int)c->cred.pid,
		 (unsigned)c->cred.uid, info.exp_name,
		 rq->flags & DMABUFFS_PUBLISH_TRANSIENT ? "transient" : "persistent");
	control_reply(c, 0, -1, "published %s", rq->name);
}

static const char *op_name(uint16_t op)
{
	switch (op) {
	case PROTO_OP_PUBLISH:
		return "publish";
	case PROTO_OP_UNPUBLISH:
		return "unpublish";
	case PROTO_OP_EXPORT:
		return "export";
	}
	return "request";
}

static void handle_request(struct conn *c, const void *msg, size_t len, int *fds, int nfds,
			   bool truncated, bool fds_lost)
{
	struct proto_request rq;
	int r, fd = -1;

	if (fds_lost) {
		/* Room was left for MAX_RECV_FDS: fewer arrived, so the kernel
		 * could not install them in the daemon. */
		log_warn("control: the daemon is out of file descriptors "
			 "(fds from pid %d dropped)",
			 (int)c->cred.pid);
		control_reply(c, -EMFILE, -1,
			      "the daemon could not receive the fd: it is out of "
			      "file descriptors");
		return;
	}
	if (truncated) {
		control_reply(c, nfds > 1 ? -E2BIG : -EBADMSG, -1,
			      nfds > 1 ? "too many fds" : "message too long");
		return;
	}
	if (nfds > 1) {
		control_reply(c, -E2BIG, -1, "%d fds in one message, at most 1 allowed", nfds);
		return;
	}
	r = proto_decode_request(msg, len, &rq);
	if (r == -EINVAL || r == -ENAMETOOLONG) {
		char dirs[64];

		/* The header was fine: the name is what was refused. */
		name_root_dirs_join(dirs, sizeof(dirs));
		if (r == -ENAMETOOLONG)
			control_reply(c, r, -1, "%s: invalid name (longer than 255 bytes)",
				      op_name(rq.op));
		else
			control_reply(
				c, r, -1,
				"%s: invalid name (empty, \".\", \"..\", with a '/' "
				"or a control character, or one of the root's directories %s)",
				op_name(rq.op), dirs);
		return;
	}
	if (r < 0) {
		control_reply(c, r, -1, "malformed request (%zu bytes)", len);
		return;
	}
	if (nfds == 1) {
		fd = fds[0];
		fds[0] = -1;
	}
	/* Only PUBLISH takes an fd; a stray one is closed and the request
	 * served as if it were not there. */
	if (rq.op != PROTO_OP_PUBLISH && fd >= 0) {
		control_close_received(fd, c->cred.uid);
		fd = -1;
	}
	switch (rq.op) {
	case PROTO_OP_PUBLISH:
		do_publish(c, &rq, fd);
		return;
	case PROTO_OP_LIST:
		control_list(c, rq.name, rq.flags);
		return;
	case PROTO_OP_UNPUBLISH:
		r = tree_unpublish(rq.name, c->cred.uid);
		if (r == 0)
			log_info("%s: unpublished by pid %d", rq.name, (int)c->cred.pid);
		control_reply(c, r, -1, "unpublish %s%s", rq.name,
			      r == -ENOENT ? ": no such buffer" :
			      r == -EPERM  ? ": not the owner" :
					     "");
		return;
	case PROTO_OP_EXPORT: {
		_cleanup_free_ gid_t *groups = NULL;
		size_t ngroups = 0;

		/* The kernel's rule includes supplementary groups: the ones the
		 * peer had when it connected (SO_PEERGROUPS). */
		r = control_peer_groups(c->fd, &groups, &ngroups);
		if (r == 0)
			r = tree_export_groups(rq.name, c->cred.uid, c->cred.gid, groups, ngroups,
					       &fd);
		control_reply(c, r, r == 0 ? fd : -1, "export %s%s", rq.name,
			      r == -ENOENT  ? ": no such buffer" :
			      r == -EACCES  ? ": permission denied" :
			      r == -ENODATA ? ": not allocated yet" :
					      "");
		if (r == 0)
			close(fd);
		return;
	}
	}
	control_reply(c, -EOPNOTSUPP, -1, "unknown op %u", rq.op);
}

/* recvmsg() returns 0 both for a 0-byte message and at the end of the
 * connection; only the latter leaves the socket shut down for reading. */
static bool peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Receive one message: its length or -errno; the fds that came with it in
 * fds[]. MSG_CTRUNC: the kernel dropped fds that did not fit or that it
 * could not install. */
static ssize_t recv_request(int sock, uid_t uid, void *buf, size_t size, int *fds, int *nfds,
			    int *flags)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_RECV_FDS)];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	ssize_t n;

	*nfds = 0;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*nfds < MAX_RECV_FDS)
				fds[(*nfds)++] = fd;
			else
				control_close_received(fd, uid);
		}
	}
	*flags = mh.msg_flags;
	return n;
}

/* Read one message; false when the connection is finished. */
static bool serve_one(struct conn *c)
{
	char buf[PROTO_MAX_REQUEST_IMAGE + 1];
	int fds[MAX_RECV_FDS];
	int nfds, flags = 0;
	bool ctrunc;
	ssize_t n;

	/* A uid whose fds wait for their close gets nothing more read (each
	 * message may bring more): its connections go, new ones are refused,
	 * until the closes end. */
	if (control_closer_over_limit(c->cred.uid)) {
		log_warn("control: pid %d uid %u has %d fds waiting for a close, closing its "
			 "connection",
			 (int)c->cred.pid, (unsigned)c->cred.uid, CLOSER_MAX_PER_UID);
		control_reply(c, -EUSERS, -1, "too many of this user's fds are still being closed");
		return false;
	}
	n = recv_request(c->fd, c->cred.uid, buf, sizeof(buf), fds, &nfds, &flags);
	if (n < 0)
		return n == -EAGAIN || n == -EINTR;
	if (n == 0 && nfds == 0 && peer_gone(c->fd))
		return false; /* orderly shutdown */
	c->served = true;
	ctrunc = flags & MSG_CTRUNC;
	/* The count passed on only decides the reply; fds[] holds nfds real
	 * fds. A 0-byte message is malformed like any short one (EBADMSG). */
	handle_request(c, buf, (size_t)n, fds, ctrunc ? MAX(nfds, 2) : nfds,
		       (flags & (MSG_TRUNC | MSG_CTRUNC)) != 0, ctrunc && nfds < MAX_RECV_FDS);
	for (int i = 0; i < nfds; i++)
		control_close_received(fds[i], c->cred.uid);
	return true;
}

/* Tell a refused client why, so that it does not see only a closed
 * connection: a request it has sent already is read first (closing on
 * unread data would turn our reply into ECONNRESET). */
static void refuse(struct conn *c, const char *why)
{
	char buf[PROTO_MAX_REQUEST_IMAGE + 1];
	int fds[MAX_RECV_FDS], nfds, flags;

	if (!control_closer_over_limit(c->cred.uid) &&
	    recv_request(c->fd, c->cred.uid, buf, sizeof(buf), fds, &nfds, &flags) >= 0)
		for (int i = 0; i < nfds; i++)
			control_close_received(fds[i], c->cred.uid);
	control_reply(c, -EUSERS, -1, "%s (uid %u)", why, (unsigned)c->cred.uid);
	control_close_received(c->fd, c->cred.uid);
}

/* Accept every pending connection; false when accepting must pause. */
static bool accept_all(void)
{
	socklen_t len = sizeof(struct ucred);
	struct conn nc;
	const char *why;
	int fd;

	for (;;) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_warn("control: cannot accept a client: %m");
				return false;
			}
			return true;
		}
		nc = (struct conn){ .fd = fd };
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &nc.cred, &len) < 0) {
			control_close_received(fd, (uid_t)-1);
			continue;
		}
		why = control_conn_refusal(nc.cred.uid);
		if (why) {
			log_warn("control: refusing a client (pid %d uid %u): %s", (int)nc.cred.pid,
				 (unsigned)nc.cred.uid, why);
			refuse(&nc, why);
			continue;
		}
		control_conn_add(&nc);
	}
}

static void *control_thread(void *arg)
{
	int64_t accept_paused_until = 0;

	for (;;) {
		int n = 0, timeout = control_conns_expire_idle(), nconns = control_conns_count();
		bool listening = now_ms() >= accept_paused_until;

		pfds[n++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		/* fd -1: poll ignores it, while accepting is paused */
		pfds[n++] = (struct pollfd){ .fd = listening ? listen_fd : -1, .events = POLLIN };
		for (int i = 0; i < nconns; i++)
			pfds[n++] =
				(struct pollfd){ .fd = control_conn_at(i)->fd, .events = POLLIN };
		if (!listening && (timeout < 0 || timeout > ACCEPT_BACKOFF_MS))
			timeout = ACCEPT_BACKOFF_MS;
		if (poll(pfds, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_err("control: poll: %m");
			break;
		}
		if (pfds[0].revents)
			break;
		/* Clients first, from the end, so that control_conn_drop()'s swap
		 * is safe. */
		for (int i = nconns - 1; i >= 0; i--) {
			short rev = pfds[2 + i].revents;

			if (!rev)
				continue;
			if ((rev & POLLIN) && serve_one(control_conn_at(i)))
				continue;
			if (rev & (POLLIN | POLLHUP | POLLERR))
				control_conn_drop(i);
		}
		if ((pfds[1].revents & POLLIN) && !accept_all())
			accept_paused_until = now_ms() + ACCEPT_BACKOFF_MS;
	}
	return NULL;
}

int control_start(const struct config *config)
{
	return control_start_limits(config, NULL);
}

int control_start_limits(const struct config *config, const struct control_limits *lim)
{
	int r;

	cfg = config;
	control_list_init(cfg->mountpoint);
	r = control_conns_init(lim);
	if (r < 0)
		return r;
	pfds = calloc((size_t)control_conns_max() + 2, sizeof(*pfds));
	if (!pfds)
		return -ENOMEM;
	r = control_closer_start();
	if (r < 0)
		return r;
	stop_fd = eventfd(0, EFD_CLOEXEC);
	if (stop_fd < 0)
		return -errno;
	r = -pthread_create(&thread, NULL, control_thread, NULL);
	if (r == 0)
		running = true;
	return r;
}

void control_stop(void)
{
	uint64_t one = 1;

	if (running) {
		if (write(stop_fd, &one, sizeof(one)) < 0)
			log_warn("control: cannot stop the thread: %m");
		pthread_join(thread, NULL);
		running = false;
	}
	control_conns_free();
	if (listen_fd >= 0) {
		/* Connections not accepted yet may carry fds. */
		control_close_received(listen_fd, (uid_t)-1);
		listen_fd = -1;
	}
	if (sock_path) {
		if (!keep_path)
			unlink(sock_path);
		free(sock_path);
		sock_path = NULL;
	}
	if (stop_fd >= 0)
		close(stop_fd);
	stop_fd = -1;
	control_closer_stop();
	free(pfds);
	pfds = NULL;
}
