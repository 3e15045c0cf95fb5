// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The control socket server. One thread polls the listening socket and up
 * to MAX_CONNS clients; each message is one request and gets one reply.
 * A bad message is answered with an error and costs the daemon nothing:
 * every received fd is closed on every path.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dmabuffs/client.h>

#include "backend/backend.h"
#include "buffer.h"
#include "control.h"
#include "conf.h"
#include "fs/tree.h"
#include "lib/proto.h"
#include "shared/fdinfo.h"
#include "shared/log.h"
#include "shared/macro.h"

#define MAX_CONNS 256
/* Room for more fds than allowed, to tell "too many" from a truncation. */
#define MAX_RECV_FDS 8

struct conn {
	int fd;
	uint64_t id;
	struct ucred cred;
};

static int listen_fd = -1;
static int stop_fd = -1;
static char *sock_path;
static pthread_t thread;
static bool running;
static struct conn conns[MAX_CONNS];
static int nconns;
static uint64_t next_conn_id = 1;

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

static void send_reply(struct conn *c, int status, int fd, const char *fmt, ...)
	_printf_(4, 5);

static void send_reply(struct conn *c, int status, int fd, const char *fmt, ...)
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
		log_info("control: pid %d uid %u: %s (%s)", (int)c->cred.pid,
			 (unsigned)c->cred.uid, msg, strerror(-status));
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

static void do_publish(struct conn *c, const struct proto_request *rq, int fd)
{
	struct dmabuf_fdinfo info;
	struct buffer *buf = NULL;
	bool is_memfd = false;
	int explicit = -1, r;

	if (fd < 0) {
		send_reply(c, -EBADF, -1, "publish %s: no fd attached", rq->name);
		return;
	}
	if (rq->flags & ~(DMABUFFS_PUBLISH_TRANSIENT | DMABUFFS_PUBLISH_IOMEM |
			  DMABUFFS_PUBLISH_SYSMEM | DMABUFFS_PUBLISH_IMPORTED) ||
	    (rq->flags & DMABUFFS_PUBLISH_IOMEM && rq->flags & DMABUFFS_PUBLISH_SYSMEM)) {
		close(fd);
		send_reply(c, -EINVAL, -1, "publish %s: bad flags 0x%x", rq->name, rq->flags);
		return;
	}
	if (rq->flags & DMABUFFS_PUBLISH_IOMEM)
		explicit = 1;
	else if (rq->flags & DMABUFFS_PUBLISH_SYSMEM)
		explicit = 0;
	r = dmabuf_fd_identify(fd, &info, &is_memfd);
	if (r < 0) {
		close(fd);
		send_reply(c, -EINVAL, -1, "publish %s: the fd is not a dma-buf", rq->name);
		return;
	}
	if (is_memfd && !registry_memfd_only()) {
		close(fd);
		send_reply(c, -EINVAL, -1,
			   "publish %s: the fd is a memfd, not a dma-buf (memfds are accepted "
			   "only when the daemon runs the memfd backend)",
			   rq->name);
		return;
	}
	r = buffer_new(fd, NULL, tree_config()->iomem_mode, &buf);
	if (r < 0) {
		send_reply(c, r, -1, "publish %s: cannot map the buffer", rq->name);
		return;
	}
	r = tree_publish(buf, rq->name, c->cred.uid, c->cred.gid, explicit,
			 rq->flags & DMABUFFS_PUBLISH_TRANSIENT ? c->id : 0,
			 rq->flags & DMABUFFS_PUBLISH_IMPORTED ? ORIGIN_IMPORTED : ORIGIN_PUBLISHED);
	if (r == 0)
		buffer_set_dmabuf_name(buf, rq->name);
	buffer_unref(buf);
	if (r < 0) {
		send_reply(c, r, -1, "publish %s: %s", rq->name,
			   r == -EEXIST ? "name already in use" : "cannot add the buffer");
		return;
	}
	log_info("%s: published by pid %d uid %u (%s, %s)", rq->name, (int)c->cred.pid,
		 (unsigned)c->cred.uid, info.exp_name,
		 rq->flags & DMABUFFS_PUBLISH_TRANSIENT ? "transient" : "persistent");
	send_reply(c, 0, -1, "published %s", rq->name);
}

static void handle_request(struct conn *c, const void *msg, size_t len, int *fds, int nfds,
			   bool truncated)
{
	struct proto_request rq;
	int r, fd = -1;

	if (truncated) {
		send_reply(c, nfds > 1 ? -E2BIG : -EBADMSG, -1,
			   nfds > 1 ? "too many fds" : "message too long");
		return;
	}
	if (nfds > 1) {
		send_reply(c, -E2BIG, -1, "%d fds in one message, at most 1 allowed", nfds);
		return;
	}
	r = proto_decode_request(msg, len, &rq);
	if (r < 0) {
		send_reply(c, r, -1, "malformed request (%zu bytes)", len);
		return;
	}
	if (nfds == 1) {
		fd = fds[0];
		fds[0] = -1;
	}
	/* Only PUBLISH takes an fd; a stray one is closed and the request
	 * served as if it were not there. */
	if (rq.op != PROTO_OP_PUBLISH && fd >= 0) {
		close(fd);
		fd = -1;
	}
	switch (rq.op) {
	case PROTO_OP_PUBLISH:
		do_publish(c, &rq, fd);
		return;
	case PROTO_OP_UNPUBLISH:
		r = tree_unpublish(rq.name, c->cred.uid);
		if (r == 0)
			log_info("%s: unpublished by pid %d", rq.name, (int)c->cred.pid);
		send_reply(c, r, -1, "unpublish %s%s", rq.name,
			   r == -ENOENT ? ": no such buffer" : r == -EPERM ? ": not the owner" : "");
		return;
	case PROTO_OP_EXPORT:
		r = tree_export(rq.name, c->cred.uid, c->cred.gid, &fd);
		send_reply(c, r, r == 0 ? fd : -1, "export %s%s", rq.name,
			   r == -ENOENT ? ": no such buffer" :
			   r == -EACCES ? ": permission denied" :
			   r == -ENODATA ? ": not allocated yet" : "");
		if (r == 0)
			close(fd);
		return;
	}
	send_reply(c, -EOPNOTSUPP, -1, "unknown op %u", rq.op);
}

/* Read one message; false when the connection is finished. */
static bool serve_one(struct conn *c)
{
	char buf[PROTO_MAX_REQUEST + 1];
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_RECV_FDS)];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	int fds[MAX_RECV_FDS];
	int nfds = 0;
	ssize_t n;

	n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (nfds < MAX_RECV_FDS)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0 && nfds == 0)
		return false; /* orderly shutdown */
	/* MSG_CTRUNC: the kernel dropped fds that did not fit: too many. The
	 * count passed on only decides the reply; fds[] holds nfds real fds. */
	handle_request(c, buf, (size_t)n, fds, mh.msg_flags & MSG_CTRUNC ? MAX(nfds, 2) : nfds,
		       (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0);
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return true;
}

static void accept_one(void)
{
	socklen_t len = sizeof(struct ucred);
	struct conn *c;
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (nconns >= MAX_CONNS) {
		log_warn("control: too many clients (%d), refusing one", MAX_CONNS);
		close(fd);
		return;
	}
	c = &conns[nconns];
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->id = next_conn_id++;
	nconns++;
}

static void drop_conn(int i)
{
	uint64_t id = conns[i].id;

	close(conns[i].fd);
	conns[i] = conns[--nconns];
	/* Transient publications end with their publisher's connection. */
	tree_drop_conn(id);
}

static void *control_thread(void *arg)
{
	struct pollfd pfd[MAX_CONNS + 2];

	for (;;) {
		int n = 0;

		pfd[n++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		for (int i = 0; i < nconns; i++)
			pfd[n++] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("control: poll: %m");
			break;
		}
		if (pfd[0].revents)
			break;
		/* Clients first, from the end, so that drop_conn's swap is safe. */
		for (int i = nconns - 1; i >= 0; i--) {
			short rev = pfd[2 + i].revents;

			if (!rev)
				continue;
			if ((rev & POLLIN) && serve_one(&conns[i]))
				continue;
			if (rev & (POLLIN | POLLHUP | POLLERR))
				drop_conn(i);
		}
		if (pfd[1].revents & POLLIN)
			accept_one();
	}
	return NULL;
}

int control_start(void)
{
	int r;

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
	while (nconns > 0)
		drop_conn(nconns - 1);
	if (listen_fd >= 0) {
		close(listen_fd);
		listen_fd = -1;
	}
	if (sock_path) {
		unlink(sock_path);
		free(sock_path);
		sock_path = NULL;
	}
	if (stop_fd >= 0)
		close(stop_fd);
	stop_fd = -1;
}
