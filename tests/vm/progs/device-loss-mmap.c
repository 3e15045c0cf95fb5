/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * device-loss-mmap FILE OTHER BACKEND PCIDEV
 *
 * Hot-unplug under a MAP_SHARED mapping that is being read. FILE is a
 * buffer of BACKEND (a DRM card on the PCI device PCIDEV), OTHER a buffer
 * of another backend. A child maps FILE and reads the whole mapping in a
 * loop, dropping the cached pages between passes (fadvise + madvise
 * DONTNEED) so that every pass faults through the daemon; meanwhile the
 * device is removed (/sys/bus/pci/devices/PCIDEV/remove). The child must
 * then either get SIGBUS or keep reading the buffer's last contents; any
 * other byte, a crash of another kind, or a pass that does not finish
 * within 20 s (a hang) fails. The daemon must drop BACKEND from new/
 * within 10 s, and OTHER must still read and write correctly.
 * Whether the daemon is still alive is checked by the calling script.
 * Exit: 0 pass, 1 failure.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "vmtest.h"

#define SALT 0x51
#define CHILD_SIGBUS 10
#define CHILD_MISMATCH 11

/* What the parent sees of the reader. */
struct shared {
	volatile unsigned long passes;
	volatile int stop;
	volatile size_t bad_at;
	volatile uint8_t bad_val;
	volatile double bad_time, removed_time;
};

static struct shared *sh;
static sigjmp_buf on_bus;
static volatile size_t reading_at;

static void bus(int sig)
{
	(void)sig;
	siglongjmp(on_bus, 1);
}

static void fill_file(const char *path, size_t size, uint32_t salt)
{
	uint8_t *p = malloc(size);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (!p || fd < 0)
		vm_fail("open %s: %s", path, strerror(errno));
	vm_fill_bytes(p, size, salt);
	if (pwrite(fd, p, size, 0) != (ssize_t)size)
		vm_fail("pwrite %s: %s", path, strerror(errno));
	close(fd);
	free(p);
}

static void check_file(const char *path, size_t size, uint32_t salt, const char *what)
{
	uint8_t *p = malloc(size);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!p || fd < 0)
		vm_fail("%s: open %s: %s", what, path, strerror(errno));
	if (pread(fd, p, size, 0) != (ssize_t)size)
		vm_fail("%s: pread %s: %s", what, path, strerror(errno));
	for (size_t i = 0; i < size; i++)
		if (p[i] != vm_byte(i, salt))
			vm_fail("%s: %s: byte %zu differs", what, path, i);
	close(fd);
	free(p);
}

/* The reader: exits CHILD_SIGBUS, CHILD_MISMATCH, or 0 when told to stop. */
static void reader(int fd, size_t size)
{
	struct sigaction sa = { .sa_handler = bus };
	const volatile uint8_t *m;

	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "# reader: mmap: %s\n", strerror(errno));
		_exit(1);
	}
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(on_bus, 1)) {
		sh->bad_at = reading_at;
		_exit(CHILD_SIGBUS);
	}
	while (!sh->stop) {
		for (size_t i = 0; i < size; i++) {
			reading_at = i;
			if (m[i] != vm_byte(i, SALT)) {
				sh->bad_at = i;
				sh->bad_val = m[i];
				sh->bad_time = vm_now();
				_exit(CHILD_MISMATCH);
			}
		}
		sh->passes++;
		/* The next pass faults every page in again, through the
		 * daemon. */
		madvise((void *)m, size, MADV_DONTNEED);
		posix_fadvise(fd, 0, (off_t)size, POSIX_FADV_DONTNEED);
	}
	_exit(0);
}

/* Wait for the reader to finish `more` passes or to exit; 1 when it
 * exited (status in *st), 0 when it did the passes; fails on a hang. */
static int wait_passes(pid_t pid, unsigned long more, int *st, const char *what)
{
	unsigned long target = sh->passes + more, last = sh->passes;
	double t = vm_now();

	for (;;) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return 1;
		if (sh->passes >= target)
			return 0;
		if (sh->passes != last) {
			last = sh->passes;
			t = vm_now();
		}
		if (vm_now() - t > 20) {
			kill(pid, SIGKILL);
			vm_fail("%s: the reader of the mapping hung (no pass in 20 s, at byte %zu)",
				what, reading_at);
		}
		usleep(20 * 1000);
	}
}

int main(int argc, char **argv)
{
	struct vm_unplug u;
	double t0;
	int fd, status = 0, exited;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	vm_unplug_args(argc, argv, "device-loss-mmap", &u);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		vm_fail("mmap: %s", strerror(errno));

	fill_file(u.file, u.size, SALT);
	fill_file(u.other, u.osize, 0x22);
	fd = open(u.file, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		vm_fail("open %s: %s", u.file, strerror(errno));
	pid = fork();
	if (pid < 0)
		vm_fail("fork: %s", strerror(errno));
	if (pid == 0)
		reader(fd, u.size);
	if (wait_passes(pid, 2, &status, "before the removal"))
		vm_fail("the reader exited before the removal (status 0x%x, byte %zu)", status,
			sh->bad_at);
	vm_log("%lu passes over the mapping before the removal", sh->passes);

	/* removed_time is read once the reader has exited. */
	t0 = sh->removed_time = vm_unplug(&u);
	vm_unplug_noticed(&u, t0);

	/* Once the daemon knows: SIGBUS, or more passes of the last contents. */
	exited = wait_passes(pid, 3, &status, "after the removal");
	if (!exited) {
		sh->stop = 1;
		if (wait_passes(pid, 1000000, &status, "stopping") != 1)
			vm_fail("the reader did not stop");
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_SIGBUS)
		vm_log("the reader got SIGBUS at byte %zu after %lu passes", sh->bad_at,
		       sh->passes);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_MISMATCH)
		vm_fail("the mapping read a byte that is not the last contents (byte %zu is "
			"0x%02x, was 0x%02x), %.2f s after the removal, after %lu passes",
			sh->bad_at, sh->bad_val, vm_byte(sh->bad_at, SALT),
			sh->bad_time - sh->removed_time, sh->passes);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		vm_log("the reader kept reading the last contents (%lu passes in all)", sh->passes);
	else
		vm_fail("the reader ended with status 0x%x", status);
	close(fd);

	/* The rest of the daemon does not care. */
	check_file(u.other, u.osize, 0x22, "the other buffer after the removal");
	fill_file(u.other, u.osize, 0x44);
	check_file(u.other, u.osize, 0x44, "the other buffer, rewritten after the removal");
	vm_log("%s still reads and writes", u.other);
	return 0;
}
