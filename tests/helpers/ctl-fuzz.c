// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ctl-fuzz: send hostile messages to the dmabuffs control socket.
 *
 *   ctl-fuzz [--socket PATH] [--name KNOWN] [--timeout SECONDS]
 *
 * PATH defaults to $DMABUFFS_CONTROL, else /run/dmabuffs/control. Every case
 * runs on a fresh connection (a daemon may drop a connection that sent
 * garbage) and prints one line:
 *
 *	CASE: RESULT[ leaked=N][ (daemon's message)]
 *
 * RESULT is the errno name of the reply's status (EBADMSG, E2BIG...), OK for
 * status 0, "closed" when the daemon closed the connection without a reply,
 * "timeout" when no reply came within the timeout (default 5 s), or
 * "badreply" when the reply itself was malformed. leaked=N appears when the
 * daemon kept N of the pipe fds a case sent it (it must close every fd of a
 * refused request: we see that as EPIPE on the pipe's write end).
 *
 * Cases, in order: garbage, empty, short-header, wrong-magic, wrong-version,
 * unknown-op, name-len-long (name_len larger than sent), name-len-short,
 * name-slash, name-nul, name-dot, name-too-long (256 bytes, over the max
 * message size), oversize (4016 bytes, lengths consistent), publish-no-fd, two-fds, 64-fds, pipe-fd,
 * fd-on-export (an fd where none belongs), export-unknown, then
 * export-known: a valid EXPORT of KNOWN that must succeed with exactly one
 * fd. Without --name, ctl-fuzz first publishes a memfd as
 * "ctl-fuzz-PID" (line "publish-known: OK"; a daemon that refuses memfds
 * needs --name) and unpublishes it at the end.
 *
 * Exit status: 0 when the daemon answered every case (a reply or a closed
 * connection) and served the final export; 1 when it stopped answering (a
 * timeout, a refused connection) or the final export failed; 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "dmabuffs/client.h"
#include "lib/proto.h"
#include "shared/macro.h"
#include "shared/util.h"
#include "../unit/test-common.h"

#define MAX_SEND_FDS 64

static const char *sock_path;
static int timeout_s = 5;
static bool dead; /* the daemon stopped answering */

struct result {
	int status; /* reply status */
	int state;  /* 0 reply, 1 closed, 2 timeout, 3 bad reply, 4 no connection */
	int nfds;   /* fds in the reply */
	int fd;	    /* the first of them, kept for the caller; -1 */
	char msg[PROTO_MSG_MAX + 1];
};

static const char *errname(int err)
{
	const char *s = strerrorname_np(err < 0 ? -err : err);

	return s ? s : "E?";
}

static int connect_ctl(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_s };
	int fd;

	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Send one raw message with fds on a fresh connection; wait for the reply. */
static void exchange(const void *msg, size_t len, const int *fds, int nfds, struct result *res)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * MAX_SEND_FDS)];
	} control;
	unsigned char reply[PROTO_MAX_REPLY + 64];
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct proto_reply rep;
	_cleanup_close_ int c = -1;
	ssize_t n;

	memset(res, 0, sizeof(*res));
	res->fd = -1;
	c = connect_ctl();
	if (c < 0) {
		res->state = 4;
		res->status = c;
		return;
	}
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	if (sendmsg(c, &mh, MSG_NOSIGNAL) < 0) {
		/* A message over the socket's limit can be refused locally;
		 * that is not the daemon's doing. */
		res->state = 3;
		res->status = -errno;
		snprintf(res->msg, sizeof(res->msg), "sendmsg: %s", strerror(errno));
		return;
	}

	iov.iov_base = reply;
	iov.iov_len = sizeof(reply);
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);
	mh.msg_flags = 0;
	n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0) {
		res->state = (errno == EAGAIN || errno == EWOULDBLOCK) ? 2 : 1;
		res->status = -errno;
		return;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (res->fd < 0)
				res->fd = fd;
			else
				close(fd);
			res->nfds++;
		}
	}
	if (n == 0) {
		res->state = 1;
		return;
	}
	if (proto_decode_reply(reply, (size_t)n, &rep) < 0) {
		res->state = 3;
		return;
	}
	res->status = rep.status;
	snprintf(res->msg, sizeof(res->msg), "%s", rep.msg);
}

/* Pipes whose read ends we hand over: afterwards, a write to each write
 * end fails with EPIPE only if the daemon closed its copy. */
struct pipes {
	int n;
	int rd[MAX_SEND_FDS];
	int wr[MAX_SEND_FDS];
};

static int pipes_open(struct pipes *p, int n)
{
	p->n = 0;
	for (int i = 0; i < n; i++) {
		int fds[2];

		if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
			return -errno;
		p->rd[i] = fds[0];
		p->wr[i] = fds[1];
		p->n++;
	}
	return 0;
}

/* Close our read ends and count the pipes still open on the other side. */
static int pipes_leaked(struct pipes *p)
{
	int leaked = 0;

	for (int i = 0; i < p->n; i++)
		close(p->rd[i]);
	/* The daemon may close a little after replying. */
	for (int tries = 0; tries < 50; tries++) {
		leaked = 0;
		for (int i = 0; i < p->n; i++)
			if (write(p->wr[i], "x", 1) == 1 || errno != EPIPE)
				leaked++;
		if (!leaked)
			break;
		usleep(20000);
	}
	for (int i = 0; i < p->n; i++)
		close(p->wr[i]);
	p->n = 0;
	return leaked;
}

static void report(const char *name, const struct result *res, int leaked)
{
	switch (res->state) {
	case 0:
		printf("%s: %s", name, res->status ? errname(res->status) : "OK");
		break;
	case 1:
		printf("%s: closed", name);
		break;
	case 2:
		printf("%s: timeout", name);
		dead = true;
		break;
	case 3:
		printf("%s: badreply", name);
		break;
	default:
		printf("%s: noconnect %s", name, errname(res->status));
		dead = true;
		break;
	}
	if (res->nfds && !(res->state == 0 && res->status == 0))
		printf(" replyfds=%d", res->nfds);
	if (leaked)
		printf(" leaked=%d", leaked);
	if (res->msg[0])
		printf(" (%s)", res->msg);
	putchar('\n');
	fflush(stdout);
}

/* A case that sends pipes and checks the daemon let go of them. */
static void run_with_pipes(const char *name, const void *msg, size_t len, int npipes)
{
	struct pipes p;
	struct result res;

	if (pipes_open(&p, npipes) < 0) {
		printf("%s: setup failed: %s\n", name, strerror(errno));
		dead = true;
		return;
	}
	exchange(msg, len, p.rd, p.n, &res);
	if (res.fd >= 0)
		close(res.fd);
	report(name, &res, pipes_leaked(&p));
}

static void run(const char *name, const void *msg, size_t len)
{
	run_with_pipes(name, msg, len, 0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "socket", required_argument, NULL, 's' },
					      { "name", required_argument, NULL, 'n' },
					      { "timeout", required_argument, NULL, 't' },
					      { "help", no_argument, NULL, 'h' },
					      {} };
	unsigned char msg[8192];
	const char *known = NULL;
	char own_name[64] = "";
	struct result res;
	unsigned int seed = 42;
	uint64_t v;
	size_t len;
	int c;

	while ((c = getopt_long(argc, argv, "s:n:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock_path = optarg;
			break;
		case 'n':
			known = optarg;
			break;
		case 't':
			if (parse_u64(optarg, 10, &v) < 0 || !v || v > 3600)
				return 2;
			timeout_s = (int)v;
			break;
		case 'h':
			puts("Usage: ctl-fuzz [--socket PATH] [--name KNOWN] [--timeout SECONDS]");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc)
		return 2;
	if (!sock_path)
		sock_path = dmabuffs_control_path();
	signal(SIGPIPE, SIG_IGN);

	if (!known) {
		_cleanup_close_ int m = memfd_create("ctl-fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		struct result r2;

		snprintf(own_name, sizeof(own_name), "ctl-fuzz-%d", (int)getpid());
		if (m < 0 || ftruncate(m, 4096) < 0) {
			perror("ctl-fuzz: memfd");
			return 1;
		}
		/* Raw, not via the library: a persistent transient-less
		 * publish that does not depend on the client code. */
		len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_PUBLISH, 0,
				  (uint32_t)strlen(own_name), own_name, strlen(own_name));
		exchange(msg, len, &m, 1, &r2);
		report("publish-known", &r2, 0);
		if (r2.state != 0 || r2.status != 0) {
			fprintf(stderr, "ctl-fuzz: cannot publish a memfd; pass --name\n");
			return 1;
		}
		known = own_name;
	}

	/* garbage */
	for (size_t i = 0; i < 37; i++)
		msg[i] = (unsigned char)rand_r(&seed);
	run("garbage", msg, 37);

	/* A zero-length SEQPACKET message reads as 0 bytes, like EOF: a
	 * daemon may well treat it as a hang-up. */
	run("empty", msg, 0);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 1, "a", 1);
	run("short-header", msg, 10);

	len = raw_request(msg, 0x46534244u, PROTO_VERSION, PROTO_OP_EXPORT, 0, 1, "a", 1);
	run("wrong-magic", msg, len);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION + 1, PROTO_OP_EXPORT, 0, 1, "a", 1);
	run("wrong-version", msg, len);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, 99, 0, 1, "a", 1);
	run("unknown-op", msg, len);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 200, "abcde", 5);
	run("name-len-long", msg, len);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 2, "abcde", 5);
	run("name-len-short", msg, len);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 3, "a/b", 3);
	run("name-slash", msg, len);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 3, "a\0b", 3);
	run("name-nul", msg, len);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 2, "..", 2);
	run("name-dot", msg, len);

	memset(msg + 1024, 'n', 256);
	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 256, msg + 1024,
			  256);
	run("name-too-long", msg, len);

	memset(msg + 4096, 'o', 4096);
	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 4000, msg + 4096,
			  4000);
	run("oversize", msg, len);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_PUBLISH, 0, 9, "fuzz-nofd", 9);
	run("publish-no-fd", msg, len);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_PUBLISH, 0, 9, "fuzz-2fds", 9);
	run_with_pipes("two-fds", msg, len, 2);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_PUBLISH, 0, 10, "fuzz-64fds",
			  10);
	run_with_pipes("64-fds", msg, len, 64);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_PUBLISH, 0, 9, "fuzz-pipe", 9);
	run_with_pipes("pipe-fd", msg, len, 1);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0,
			  (uint32_t)strlen(known), known, strlen(known));
	run_with_pipes("fd-on-export", msg, len, 1);

	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0, 17,
			  "no-such-buffer-xx", 17);
	run("export-unknown", msg, len);

	/* The daemon must still serve a well-formed request. */
	len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_EXPORT, 0,
			  (uint32_t)strlen(known), known, strlen(known));
	exchange(msg, len, NULL, 0, &res);
	report("export-known", &res, 0);
	if (res.state != 0 || res.status != 0 || res.nfds != 1)
		dead = true;
	if (res.fd >= 0)
		close(res.fd);

	if (own_name[0]) {
		len = raw_request(msg, PROTO_MAGIC, PROTO_VERSION, PROTO_OP_UNPUBLISH, 0,
				  (uint32_t)strlen(own_name), own_name, strlen(own_name));
		exchange(msg, len, NULL, 0, &res);
		report("unpublish-known", &res, 0);
	}
	return dead ? 1 : 0;
}
