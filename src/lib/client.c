// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libdmabuffs client: the control-socket half of the library.
 *
 * One SOCK_SEQPACKET connection per process, opened on first use and kept
 * for the life of the process: the daemon ties DMABUFFS_PUBLISH_TRANSIENT
 * buffers to the connection that published them, so closing it early would
 * make them vanish. A mutex makes one request/reply exchange atomic (replies
 * carry no request id, so two threads must not interleave). A forked child
 * gets its own connection: sharing the parent's would mix replies, and the
 * child's exit must not look like the publisher going away.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dmabuffs/client.h"
#include "lib/proto.h"
#include "shared/macro.h"
#include "shared/names.h"

#define DEFAULT_CONTROL_PATH "/run/dmabuffs/control"

/* Room for more fds than any legal reply carries, so that a daemon that sends
 * too many is noticed (and its fds closed) rather than silently truncated. */
#define MAX_REPLY_FDS 8

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static int conn_fd = -1;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static _Thread_local char last_error[PROTO_MSG_MAX + 1];

static void set_error(const char *fmt, ...) _printf_(1, 2);
static void set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

/* fork() runs these with conn_lock held across it, so the child never
 * inherits a connection in the middle of an exchange. */
static void atfork_prepare(void)
{
	pthread_mutex_lock(&conn_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&conn_lock);
}

static void atfork_child(void)
{
	if (conn_fd >= 0) {
		/* Only our descriptor goes: the parent's connection (and its
		 * transient buffers) stay alive through the parent's copy. */
		close(conn_fd);
		conn_fd = -1;
	}
	pthread_mutex_unlock(&conn_lock);
}

static void register_atfork(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

_public_ const char *dmabuffs_control_path(void)
{
	/* secure_getenv: a setuid program must not be pointed at a socket
	 * of its caller's choosing, which would receive its buffers. */
	const char *p = secure_getenv("DMABUFFS_CONTROL");

	return p && *p ? p : DEFAULT_CONTROL_PATH;
}

_public_ const char *dmabuffs_last_error(void)
{
	return last_error;
}

/* Called with conn_lock held. */
static int conn_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = dmabuffs_control_path();
	_cleanup_close_ int fd = -1;
	size_t len = strlen(path);

	if (conn_fd >= 0)
		return 0;
	if (len >= sizeof(sa.sun_path)) {
		set_error("control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, len);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int r = -errno;

		set_error("socket: %s", strerror(-r));
		return r;
	}
	if (RETRY_EINTR(connect(fd, (struct sockaddr *)&sa,
				offsetof(struct sockaddr_un, sun_path) + len + 1)) < 0 &&
	    errno != EISCONN) {
		int r = -errno;

		set_error("cannot connect to %s: %s (is dmabuffs running?)", path, strerror(-r));
		return r;
	}
	conn_fd = TAKE_FD(fd);
	return 0;
}

static void conn_close(void)
{
	if (conn_fd >= 0) {
		close(conn_fd);
		conn_fd = -1;
	}
}

static bool conn_lost(int err)
{
	return err == EPIPE || err == ECONNRESET || err == ENOTCONN;
}

static int send_request(const void *req, size_t len, int send_fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)req, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (send_fd >= 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &send_fd, sizeof(int));
	}
	n = RETRY_EINTR(sendmsg(conn_fd, &mh, MSG_NOSIGNAL));
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EPROTO; /* SEQPACKET is all or nothing; be safe */
	return 0;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/*
 * Receive one reply. Every fd that arrives is collected before anything is
 * judged, so that no error path can leave one open. Returns 0 with *nfds fds
 * in fds[], -EPIPE when the daemon closed the connection, or -errno.
 */
static int recv_reply(struct proto_reply *rep, int *fds, size_t *nfds)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * MAX_REPLY_FDS)];
	} control;
	unsigned char data[PROTO_MAX_REPLY + 1];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n;
	int r;

	*nfds = 0;
	n = RETRY_EINTR(recvmsg(conn_fd, &mh, MSG_CMSG_CLOEXEC));
	if (n < 0)
		return -errno;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && *nfds < MAX_REPLY_FDS; i++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}

	if (n == 0) {
		close_fds(fds, *nfds);
		*nfds = 0;
		return -EPIPE;
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		/* The kernel dropped the fds that did not fit; close ours. */
		close_fds(fds, *nfds);
		*nfds = 0;
		set_error("reply from the daemon carried too many file descriptors");
		return -EPROTO;
	}
	if (mh.msg_flags & MSG_TRUNC) {
		close_fds(fds, *nfds);
		*nfds = 0;
		set_error("reply from the daemon is too long");
		return -EPROTO;
	}
	r = proto_decode_reply(data, (size_t)n, rep);
	if (r < 0) {
		close_fds(fds, *nfds);
		*nfds = 0;
		set_error("malformed reply from the daemon: %s", strerror(-r));
		return -EPROTO;
	}
	return 0;
}

/*
 * One request/reply exchange. send_fd (or -1) rides along in SCM_RIGHTS;
 * ret_fd (or NULL) receives the one fd a successful reply must carry.
 */
static int transact(uint16_t op, uint32_t flags, const char *name,
		    const struct dmabuffs_image_layout *image, int send_fd, int *ret_fd)
{
	unsigned char req[PROTO_MAX_REQUEST_IMAGE];
	struct proto_reply rep;
	int fds[MAX_REPLY_FDS];
	size_t len, nfds = 0;
	int r;

	r = proto_encode_request(req, sizeof(req), op, flags, name, &len);
	if (r < 0) {
		const char *n = name ? name : "";

		set_error("invalid name '%.40s%s': %s", n, strlen(n) > 40 ? "..." : "",
			  strerror(-r));
		return r;
	}
	if (image && proto_encode_image(req, sizeof(req), image, &len) < 0) {
		set_error("invalid image layout (fourcc, size, 1 to %d planes with strides)",
			  DMABUFFS_MAX_PLANES);
		return -EINVAL;
	}

	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&conn_lock);

	/* Two tries: a connection kept from before a daemon restart fails on
	 * first use, and one fresh connection settles it. */
	for (int attempt = 0; attempt < 2; attempt++) {
		bool fresh = conn_fd < 0;

		r = conn_open();
		if (r < 0)
			break;
		r = send_request(req, len, send_fd);
		/* A daemon that refused the connection (too many of this
		 * user's, see dmabuffs(8)) left a reply saying why before it
		 * closed; a closed socket still reads what was queued. */
		if (r == 0 || (fresh && r == -EPIPE))
			r = recv_reply(&rep, fds, &nfds);
		if (r == 0)
			break;
		if (conn_lost(-r)) {
			conn_close();
			if (!fresh)
				continue;
			set_error("the daemon closed the connection");
		} else if (r != -EPROTO) {
			set_error("control socket: %s", strerror(-r));
		}
		/* After a protocol error the stream may be out of step with
		 * our requests: start over next time. */
		conn_close();
		break;
	}

	pthread_mutex_unlock(&conn_lock);
	if (r < 0)
		return r;

	if (rep.status < 0) {
		close_fds(fds, nfds);
		if (rep.msg[0])
			set_error("%s", rep.msg);
		else
			set_error("%s", strerror(-rep.status));
		return rep.status;
	}

	if (!ret_fd) {
		close_fds(fds, nfds);
		return 0;
	}
	if (nfds != 1) {
		close_fds(fds, nfds);
		set_error("the daemon replied with %zu file descriptors, expected 1", nfds);
		return -EPROTO;
	}
	*ret_fd = fds[0];
	return 0;
}

_public_ int dmabuffs_publish(int dmabuf_fd, const char *name, unsigned int flags)
{
	return dmabuffs_publish_image(dmabuf_fd, name, flags, NULL);
}

_public_ int dmabuffs_publish_image(int dmabuf_fd, const char *name, unsigned int flags,
				    const struct dmabuffs_image_layout *layout)
{
	const unsigned int known = DMABUFFS_PUBLISH_TRANSIENT | DMABUFFS_PUBLISH_IOMEM |
				   DMABUFFS_PUBLISH_SYSMEM | DMABUFFS_PUBLISH_IMPORTED;

	if (dmabuf_fd < 0 || fcntl(dmabuf_fd, F_GETFD) < 0) {
		set_error("invalid file descriptor %d", dmabuf_fd);
		return -EBADF;
	}
	if (flags & ~known) {
		set_error("unknown publish flags 0x%x", flags & ~known);
		return -EINVAL;
	}
	if ((flags & DMABUFFS_PUBLISH_IOMEM) && (flags & DMABUFFS_PUBLISH_SYSMEM)) {
		set_error("IOMEM and SYSMEM are exclusive");
		return -EINVAL;
	}
	return transact(PROTO_OP_PUBLISH, flags, name, layout, dmabuf_fd, NULL);
}

_public_ int dmabuffs_unpublish(const char *name)
{
	return transact(PROTO_OP_UNPUBLISH, 0, name, NULL, -1, NULL);
}

/*
 * The daemon knows buffers by name. A path names one by its last component;
 * by-inode/INO and by-exporter/EXP/NAME are symlinks to the real file, so
 * those are resolved first (when they exist) to get the name they point to.
 */
static int name_from_path(const char *path, char *name, size_t namesz)
{
	_cleanup_free_ char *real = NULL;
	const char *p = path, *end, *start;
	size_t len;

	if (strchr(path, '/')) {
		real = realpath(path, NULL);
		if (real)
			p = real;
	}
	end = p + strlen(p);
	while (end > p && end[-1] == '/')
		end--;
	start = end;
	while (start > p && start[-1] != '/')
		start--;
	len = (size_t)(end - start);
	if (len == 0)
		return -EINVAL;
	if (len >= namesz)
		return -ENAMETOOLONG;
	memcpy(name, start, len);
	name[len] = '\0';
	return 0;
}

_public_ int dmabuffs_export(const char *path_or_name)
{
	char name[PROTO_NAME_MAX + 1];
	int fd = -1, r;

	if (!path_or_name) {
		set_error("no name given");
		return -EINVAL;
	}
	r = name_from_path(path_or_name, name, sizeof(name));
	if (r < 0) {
		set_error("no buffer name in '%s'", path_or_name);
		return r;
	}
	r = transact(PROTO_OP_EXPORT, 0, name, NULL, -1, &fd);
	return r < 0 ? r : fd;
}
