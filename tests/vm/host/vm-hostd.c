/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm-hostd SERIAL_LOG QMP_SOCKET ACK_SOCKET OUTDIR [QEMU_PID]
 *
 * The host half of the VM tier's host hook. Follows the guest's serial log
 * as QEMU writes it, and for every line
 *
 *	VMHOST VERB TAG CHECKER [ARGS...]
 *
 * does VERB through QEMU's QMP socket, records "CHECKER ARGS..." in
 * OUTDIR/TAG.req (and a failure in OUTDIR/TAG.err) for run.sh to check
 * after the run, and answers the waiting guest on its second serial port
 * (ACK_SOCKET, /dev/ttyS1 in the guest): "ack TAG" or "nak TAG REASON".
 *
 * Verbs: screendump (QMP screendump to OUTDIR/TAG.ppm). Exits when the
 * log shows the guest's VMRESULT line, when QEMU_PID is gone, or on
 * SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *qmp_path, *ack_path, *outdir;
static int qmp_fd = -1, ack_fd = -1;

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vm-hostd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	/* QEMU may still be setting up: retry for a while. */
	for (int i = 0; i < 50; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		usleep(100000);
	}
	return -ECONNREFUSED;
}

/* One line of QMP output (QEMU sends one JSON object per line). */
static int qmp_line(char *buf, size_t len, int timeout_ms)
{
	size_t have = 0;

	while (have < len - 1) {
		struct pollfd p = { .fd = qmp_fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = read(qmp_fd, buf + have, 1); /* small, rare: no buffering */
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		if (buf[have] == '\n') {
			buf[have] = '\0';
			return 0;
		}
		have++;
	}
	buf[have] = '\0';
	return 0;
}

/* Send one command; 0 on "return", -EIO with the error text in err. */
static int qmp_command(const char *cmd, char *err, size_t errlen)
{
	char line[4096];
	int r;

	if (write(qmp_fd, cmd, strlen(cmd)) < 0)
		return -errno;
	for (;;) {
		r = qmp_line(line, sizeof(line), 15000);
		if (r < 0)
			return r;
		if (strstr(line, "\"return\""))
			return 0;
		if (strstr(line, "\"error\"")) {
			snprintf(err, errlen, "%.400s", line);
			return -EIO;
		}
		/* events and the greeting: skip */
	}
}

static int qmp_open(char *err, size_t errlen)
{
	int r;

	if (qmp_fd >= 0)
		return 0;
	qmp_fd = connect_unix(qmp_path);
	if (qmp_fd < 0) {
		r = qmp_fd;
		qmp_fd = -1;
		snprintf(err, errlen, "QMP connect %s: %s", qmp_path, strerror(-r));
		return r;
	}
	r = qmp_command("{\"execute\":\"qmp_capabilities\"}\n", err, errlen);
	if (r < 0) {
		close(qmp_fd);
		qmp_fd = -1;
	}
	return r;
}

static void answer(const char *fmt, const char *tag, const char *why)
{
	char line[512];
	int n;

	if (ack_fd < 0) {
		ack_fd = connect_unix(ack_path);
		if (ack_fd < 0) {
			logmsg("cannot reach the guest's answer port %s: %s", ack_path,
			       strerror(-ack_fd));
			ack_fd = -1;
			return;
		}
	}
	n = snprintf(line, sizeof(line), fmt, tag, why ? why : "");
	if (write(ack_fd, line, (size_t)n) != n)
		logmsg("answer to the guest: %s", strerror(errno));
}

static void write_file(const char *tag, const char *ext, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", outdir, tag, ext);
	f = fopen(path, "we");
	if (!f) {
		logmsg("%s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%s\n", text);
	fclose(f);
}

static int valid_tag(const char *t)
{
	return *t &&
	       strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") == strlen(t) &&
	       t[0] != '.';
}

static void screendump(const char *tag, char *err, size_t errlen)
{
	char cmd[4400], file[4096];
	struct stat st;
	int r;

	snprintf(file, sizeof(file), "%s/%s.ppm", outdir, tag);
	unlink(file);
	r = qmp_open(err, errlen);
	if (r < 0)
		return;
	/* outdir is an absolute path run.sh made: no quotes to escape. */
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"%s\"}}\n", file);
	r = qmp_command(cmd, err, errlen);
	if (r < 0) {
		if (r != -EIO)
			snprintf(err, errlen, "QMP screendump: %s", strerror(-r));
		return;
	}
	if (stat(file, &st) < 0 || !st.st_size)
		snprintf(err, errlen, "screendump wrote no %.400s", file);
}

static void request(char *req)
{
	char *verb, *tag, *rest, err[512] = "";

	verb = strtok_r(req, " ", &rest);
	tag = strtok_r(NULL, " ", &rest);
	rest += strspn(rest, " ");
	if (!verb || !tag || !valid_tag(tag)) {
		logmsg("malformed request '%s'", req);
		if (tag)
			answer("nak %s %s\n", tag, "malformed request");
		return;
	}
	logmsg("%s %s (%s)", verb, tag, rest);
	if (!strcmp(verb, "screendump"))
		screendump(tag, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "unknown verb %s", verb);
	write_file(tag, "req", rest);
	if (err[0]) {
		logmsg("%s %s failed: %s", verb, tag, err);
		write_file(tag, "err", err);
		answer("nak %s %s\n", tag, err);
	} else {
		answer("ack %s%s\n", tag, "");
	}
}

/* Drop \r and ANSI/VT escape sequences (SeaBIOS writes some). */
static void clean(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r == '\r')
			continue;
		if (*r == '\033') {
			if (r[1] == '[') {
				r += 2;
				while (*r && !(*r >= '@' && *r <= '~'))
					r++;
				if (!*r)
					break;
			} else if (r[1]) {
				r++;
			}
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	size_t have = 0;
	pid_t qemu = 0;
	int log = -1;

	if (argc < 5) {
		fprintf(stderr,
			"usage: vm-hostd SERIAL_LOG QMP_SOCKET ACK_SOCKET OUTDIR [QEMU_PID]\n");
		return 2;
	}
	qmp_path = argv[2];
	ack_path = argv[3];
	outdir = argv[4];
	if (argc > 5)
		qemu = (pid_t)atoi(argv[5]);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);

	for (;;) {
		ssize_t n;
		char *nl;

		if (log < 0)
			log = open(argv[1], O_RDONLY | O_CLOEXEC);
		n = log >= 0 ? read(log, buf + have, sizeof(buf) - 1 - have) : 0;
		if (n > 0) {
			have += (size_t)n;
			buf[have] = '\0';
			while ((nl = memchr(buf, '\n', have))) {
				char *v;

				*nl = '\0';
				clean(buf);
				v = strstr(buf, "VMHOST ");
				if (v)
					request(v + 7);
				else if (strstr(buf, "VMRESULT "))
					return 0;
				have -= (size_t)(nl + 1 - buf);
				memmove(buf, nl + 1, have);
			}
			if (have == sizeof(buf) - 1)
				have = 0;
			continue;
		}
		if (qemu > 0 && kill(qemu, 0) < 0 && errno == ESRCH)
			return 0;
		usleep(50000);
	}
}
