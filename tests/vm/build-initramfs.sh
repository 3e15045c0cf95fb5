#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# build-initramfs.sh BUILDDIR KERNELTREE
#
# Build the VM tier's initramfs for one kernel,
# BUILDDIR/vm/initramfs-RELEASE.cpio.gz, from:
#  - busybox (static) and a link per applet,
#  - the guest side of the tier: tests/vm/guest/ (init, runner, lib.sh,
#    tests/*.sh) and the test programs of tests/vm/progs/, compiled here
#    with the host gcc (static, libdrm.a),
#  - a static fio (build-fio.sh) and tests/integration/fio-verify.t,
#  - the project's own programs from `make install DESTDIR=...` of BUILDDIR
#    when that works (best effort: a half-written tree must not stop the
#    tier; the guest tests that need them skip), with every shared library
#    ldd names and the dynamic loader (there is no static libudev),
#  - the shell device tests of tests/integration/ (see README.md) and the
#    test helpers they call (tests/helpers/NAME, built here by name:
#    they are check_PROGRAMS, which a plain `make` does not build),
#  - the kernel modules the tests need plus their dependencies, from
#    KERNELTREE (fetch-kernel.sh), decompressed since plain .ko loads faster.
# The tree is staged in BUILDDIR/vm/root; the archive is only rewritten when
# the staged content changed (sha256 over names, modes, links, contents).
# Prints the archive's path.
# VM_BENCH=1 (run.sh --bench): also the benchmark, BUILDDIR's
# tests/bench/dmabuffs-bench (built by the caller), in /vm/bin; the archive
# is then BUILDDIR/vm/initramfs-bench-RELEASE.cpio.gz, so that the tests'
# archive stays as it is. Not safe to run twice at once on one BUILDDIR
# (one staging tree): run.sh builds the kernels' archives one by one.
# VM_SYSROOT=TREE (run.sh's systemd boot): the archive is a whole root file
# system, TREE (fetch-systemd.sh: Debian's systemd and its libraries, glibc
# included) with the project's programs, unit and libraries, busybox for
# what TREE lacks, the modules, and the guest side of guest/systemd/ (its
# /init starts systemd as PID 1; its tests instead of guest/tests/; no
# integration tests; fio, for kill9-cycles-under-load):
# BUILDDIR/vm/initramfs-systemd-RELEASE.cpio.gz,
# staged in BUILDDIR/vm/root-systemd. Libraries TREE has are not taken from
# the build machine.
set -euo pipefail

die() { echo "build-initramfs: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 BUILDDIR KERNELTREE"
builddir=$(cd "$1" && pwd)
ktree=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
vm=$builddir/vm
root=$vm/root
release=$(basename "$(ls -d "$ktree"/lib/modules/*/ | head -n1)")
[ -n "$release" ] || die "no lib/modules/* in $ktree"
out=$vm/initramfs-$release.cpio.gz
[ "${VM_BENCH:-0}" = 1 ] && out=$vm/initramfs-bench-$release.cpio.gz
sysroot=${VM_SYSROOT:-}
if [ -n "$sysroot" ]; then
	sysroot=$(cd "$sysroot" && pwd)
	[ -x "$sysroot/usr/lib/systemd/systemd" ] || die "$sysroot has no usr/lib/systemd/systemd"
	out=$vm/initramfs-systemd-$release.cpio.gz
	root=$vm/root-systemd
fi
CC=${CC:-gcc}

# Loaded by /init at boot, in this order (pvpanic-pci first, so that a panic
# ends QEMU with a failure instead of a reboot).
BOOT_MODULES="pvpanic-pci vgem bochs qxl virtio-gpu"
# Shipped, loaded by the tests that need them (with their parameters).
EXTRA_MODULES="vivid"

t0=$(date +%s.%N)
mkdir -p "$vm/progs" "$vm/modules"

# ---------------------------------------------------------------- programs
# Rebuilt when a source or the shared header is newer than the binary.
drm_cflags=$(pkg-config --cflags libdrm 2>/dev/null || echo -I/usr/include/libdrm)
libdmabuffs=$builddir/src/.libs/libdmabuffs.so
publish_flags=()
if [ -e "$libdmabuffs" ] &&
   nm -D --defined-only "$libdmabuffs" 2>/dev/null | grep -qw dmabuffs_publish; then
	# Dynamic: the library is shipped with the project's programs below.
	# shellcheck disable=SC2054 # -Wl, takes commas
	publish_flags=(-DHAVE_DMABUFFS_PUBLISH -I"$srcdir/include"
		       -L"$builddir/src/.libs" -Wl,-rpath,/usr/local/lib -ldmabuffs)
fi
build_prog() {
	local name=$1; shift
	local src=$here/progs/$name.c bin=$vm/progs/$name stamp=$vm/progs/.$name.flags
	local flags="$*" h fresh=1
	for h in "$src" "$here"/progs/*.h; do
		[ "$bin" -nt "$h" ] || fresh=
	done
	if [ -x "$bin" ] && [ -n "$fresh" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$flags" ]; then
		return 0
	fi
	# shellcheck disable=SC2086
	$CC -std=gnu11 -O2 -g -Wall -Wextra -o "$bin.tmp" "$src" $flags ||
		die "cannot compile $src"
	mv "$bin.tmp" "$bin"
	echo "$flags" >"$stamp"
}
# Static with libdrm.a, except the programs that talk to the daemon
# (#ifdef HAVE_DMABUFFS_PUBLISH): those link libdmabuffs (and libdrm)
# dynamically when the build has the library, the libraries are shipped.
for src in "$here"/progs/*.c; do
	name=$(basename "$src" .c)
	if [ ${#publish_flags[@]} -gt 0 ] && grep -q HAVE_DMABUFFS_PUBLISH "$src"; then
		# shellcheck disable=SC2086 # pkg-config output is a word list
		build_prog "$name" "${publish_flags[*]}" $drm_cflags -ldrm
	else
		# shellcheck disable=SC2086
		build_prog "$name" -static $drm_cflags -ldrm
	fi
done

# ---------------------------------------------------------------- project
# A fresh DESTDIR each time, so that removed files do not linger.
install_dir=$vm/install
rm -rf "$install_dir"
project=no
if [ "${VM_PROJECT:-auto}" != no ] && [ -f "$builddir/Makefile" ]; then
	if make -C "$builddir" -j"$(nproc)" install DESTDIR="$install_dir" \
		>"$vm/install.log" 2>&1; then
		project=yes
	else
		echo "build-initramfs: warning: 'make install' in $builddir failed" \
		     "(see $vm/install.log); the guest gets no dmabuffs programs" >&2
		rm -rf "$install_dir"
	fi
fi

# The test helpers the shipped integration tests call (publish-memfd):
# check_PROGRAMS, so `make` alone leaves them out; build them by name.
helpers=()
for c in "$srcdir"/tests/helpers/*.c; do
	[ -e "$c" ] || continue
	n=$(basename "$c" .c)
	grep -qw -- "$n" "$srcdir"/tests/integration/*.sh 2>/dev/null && helpers+=("tests/helpers/$n")
done
if [ $project = yes ] && [ ${#helpers[@]} -gt 0 ]; then
	make -C "$builddir" -s --no-print-directory -j"$(nproc)" "${helpers[@]}" \
		>>"$vm/install.log" 2>&1 ||
		echo "build-initramfs: warning: cannot build ${helpers[*]} in $builddir" \
		     "(see $vm/install.log); the integration tests using them fail" >&2
fi

# ---------------------------------------------------------------- modules
kmods=$ktree/lib/modules/$release
# depmod over the whole tree takes ~10 s: once per unpacked kernel.
if [ ! -s "$kmods/modules.dep" ] || [ "$kmods/modules.order" -nt "$kmods/modules.dep" ]; then
	depmod -b "$ktree" "$release" || die "depmod -b $ktree $release failed"
fi
modcache=$vm/modules/$release
mods=()
for m in $BOOT_MODULES $EXTRA_MODULES; do
	deps=$(modprobe -d "$ktree" -S "$release" --show-depends "$m") ||
		die "module $m not found in $release"
	while read -r verb path _; do
		[ "$verb" = insmod ] || continue
		rel=${path#"$kmods"/}
		case " ${mods[*]-} " in *" $rel "*) ;; *) mods+=("$rel") ;; esac
	done <<<"$deps"
done

# ---------------------------------------------------------------- stage
rm -rf "$root"
if [ -n "$sysroot" ]; then
	# Merged /usr (bin, lib, ... are links into usr/), as on the system
	# the packages come from.
	mkdir -p "$root"
	cp -a "$sysroot/." "$root/"
	rm -f "$root/.complete" "$root/.packages"
	mkdir -p "$root"/{dev,etc,proc,sys,run,tmp,root,vm/bin,vm/tests}
else
	mkdir -p "$root"/{bin,dev,etc,proc,sys,run,tmp,root,lib64,usr/lib,vm/bin,vm/tests,vm/integration}
	ln -s bin "$root/sbin"
	ln -s ../bin "$root/usr/bin"
	ln -s ../bin "$root/usr/sbin"
fi
chmod 1777 "$root/tmp"

busybox=$(command -v busybox) || die "busybox not found (package busybox-static)"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	! ldd "$busybox" >/dev/null 2>&1 ||
	die "$busybox is not static (install busybox-static)"
cp "$busybox" "$root/bin/busybox"
# --list names busybox itself: a link by that name would replace the binary.
# In a sysroot the packages' own programs (systemctl, mount, ...) win, and
# there is no busybox init.
for applet in $("$root/bin/busybox" --list | grep -vxF -e '[' -e '[[') '[' '[['; do
	case $applet in busybox) continue ;; esac
	if [ -n "$sysroot" ]; then
		[ "$applet" = init ] && continue
		{ [ -e "$root/usr/bin/$applet" ] || [ -e "$root/usr/sbin/$applet" ]; } && continue
	fi
	ln -s busybox "$root/bin/$applet"
done

# Modules keep their relative paths so that the guest's modprobe (busybox)
# works from a modules.dep made for exactly this subset.
for rel in "${mods[@]}"; do
	src=$kmods/$rel
	plain=${rel%.xz}
	plain=${plain%.zst}
	cached=$modcache/$plain
	if [ ! -f "$cached" ] || [ "$src" -nt "$cached" ]; then
		mkdir -p "$(dirname "$cached")"
		case $rel in
		*.xz) xz -dc "$src" >"$cached.tmp" ;;
		*.zst) zstd -qdc "$src" >"$cached.tmp" ;;
		*) cp "$src" "$cached.tmp" ;;
		esac
		mv "$cached.tmp" "$cached"
	fi
	mkdir -p "$root/lib/modules/$release/$(dirname "$plain")"
	cp "$cached" "$root/lib/modules/$release/$plain"
done
cp "$kmods/modules.builtin" "$kmods/modules.builtin.modinfo" "$root/lib/modules/$release/" \
	2>/dev/null || true
(cd "$root/lib/modules/$release" && find kernel -name '*.ko' | LC_ALL=C sort) \
	>"$root/lib/modules/$release/modules.order"
depmod -b "$root" "$release" || die "depmod for the initramfs failed"
# Only modules.dep is read by busybox modprobe; the binary indexes are
# dead weight.
rm -f "$root/lib/modules/$release"/modules.*.bin
echo "$BOOT_MODULES" >"$root/vm/boot-modules"

# Guest scripts and programs.
install -m 0755 "$here/guest/runner.sh" "$root/vm/runner.sh"
install -m 0644 "$here/guest/lib.sh" "$root/vm/lib.sh"
if [ -n "$sysroot" ]; then
	sd=$here/guest/systemd
	install -m 0755 "$sd/init" "$root/init"
	install -m 0644 "$sd/lib.sh" "$root/vm/systemd-lib.sh"
	install -m 0644 "$sd/crash.sh" "$root/vm/systemd-crash.sh"
	for t in "$sd"/tests/*.sh; do
		install -m 0755 "$t" "$root/vm/tests/"
	done
	for f in passwd group os-release machine-id; do
		install -m 0644 "$sd/etc/$f" "$root/etc/$f"
	done
	mkdir -p "$root/etc/systemd/system"
	install -m 0644 "$sd/vmtest.target" "$sd/vmtest.service" "$root/etc/systemd/system/"
	ln -sfn vmtest.target "$root/etc/systemd/system/default.target"
	# What a TCG boot cannot afford (each unit or generator costs seconds):
	# the units guest/systemd/masked lists, and every generator (no fstab,
	# no gettys, no GPT partitions here).
	grep -v '^#' "$sd/masked" | while read -r u; do
		[ -n "$u" ] && ln -sfn /dev/null "$root/etc/systemd/system/$u"
	done
	rm -f "$root"/usr/lib/systemd/system-generators/*
else
	install -m 0755 "$here/guest/init" "$root/init"
	install -m 0755 "$here/guest/bench.sh" "$root/vm/bench.sh"
	install -m 0755 "$here/guest/uring-mount.sh" "$root/vm/uring-mount.sh"
	for t in "$here"/guest/tests/*.sh; do
		[ -e "$t" ] && install -m 0755 "$t" "$root/vm/tests/"
	done
fi
for p in "$vm"/progs/*; do
	[ -x "$p" ] && install -m 0755 "$p" "$root/vm/bin/"
done
# The shell device tests of the host suite and what they source; the
# runner only runs them when asked (vmintegration=1, README.md).
for t in "$srcdir"/tests/integration/*.sh; do
	[ -z "$sysroot" ] || break
	case $t in */lib.sh | */daemon-lib.sh) continue ;; esac # sourced, not tests
	[ -e "$t" ] && install -m 0755 "$t" "$root/vm/integration/"
done
# The test helpers they drive, as built by `make check` (not installed):
# the real ELF file, not libtool's wrapper script.
mkdir -p "$root/vm/build/tests/helpers"
for w in "$builddir"/tests/helpers/*; do
	[ -f "$w" ] && [ -x "$w" ] || continue
	n=$(basename "$w")
	for cand in "$builddir/tests/helpers/.libs/$n" "$builddir/tests/helpers/.libs/lt-$n" "$w"; do
		if [ -f "$cand" ] && head -c 4 "$cand" | grep -q ELF; then
			install -m 0755 "$cand" "$root/vm/build/tests/helpers/$n"
			break
		fi
	done
done
# The benchmark: the real ELF file, not libtool's wrapper; its libdmabuffs
# comes with the project's programs below.
if [ "${VM_BENCH:-0}" = 1 ]; then
	bench=
	for cand in "$builddir/tests/bench/.libs/dmabuffs-bench" \
		    "$builddir/tests/bench/.libs/lt-dmabuffs-bench" \
		    "$builddir/tests/bench/dmabuffs-bench"; do
		if [ -f "$cand" ] && head -c 4 "$cand" | grep -q ELF; then
			bench=$cand
			break
		fi
	done
	[ -n "$bench" ] || die "no dmabuffs-bench in $builddir/tests/bench (make tests/bench/dmabuffs-bench)"
	install -m 0755 "$bench" "$root/vm/bin/dmabuffs-bench"
fi
mkdir -p "$root/vm/src/tests/integration"
[ -e "$srcdir/tests/integration/lib.sh" ] &&
	install -m 0644 "$srcdir/tests/integration/lib.sh" "$root/vm/src/tests/integration/"
# fio's verify oracle for the guest's fio-verify-* tests (guest/fio-verify.sh
# runs tests/integration/fio-verify.t): a static fio (build-fio.sh, built
# once into BUILDDIR/vm-cache/fio); without it those tests skip.
install -m 0755 "$here/guest/fio-verify.sh" "$root/vm/fio-verify.sh"
install -m 0755 "$srcdir/tests/integration/fio-verify.t" "$root/vm/src/tests/integration/"
# The systemd boot's kill9-cycles-under-load runs it too.
if fio=$("$here/build-fio.sh" "$builddir/vm-cache/fio"); then
	install -m 0755 "$fio" "$root/vm/bin/fio"
else
	echo "build-initramfs: warning: no static fio (build-fio.sh); the fio-verify-* tests skip" >&2
fi

if [ $project = yes ]; then
	# Programs and libraries only; man pages, docs and units stay out.
	for d in bin sbin lib; do
		[ -d "$install_dir/usr/local/$d" ] || continue
		mkdir -p "$root/usr/local/$d"
		cp -a "$install_dir/usr/local/$d/." "$root/usr/local/$d/"
	done
	rm -rf "$root/usr/local/lib/pkgconfig"
	# The unit, as `make install` put it, is the systemd boot's subject.
	[ -n "$sysroot" ] || rm -rf "$root/usr/local/lib/systemd"
	find "$root/usr/local/lib" -name '*.la' -delete 2>/dev/null || true
fi
if [ ${#publish_flags[@]} -gt 0 ] && [ ! -e "$root/usr/local/lib/libdmabuffs.so.0" ]; then
	mkdir -p "$root/usr/local/lib"
	cp -L "$builddir/src/.libs/libdmabuffs.so.0" "$root/usr/local/lib/"
fi

# Shared libraries of every dynamic ELF file, at the paths ldd names, and the
# loader; then an ld.so.cache so that /usr/local/lib is searched too.
printf '%s\n' /usr/local/lib /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu \
	>"$root/etc/ld.so.conf"
[ -z "$sysroot" ] || echo 'include /etc/ld.so.conf.d/*.conf' >>"$root/etc/ld.so.conf"
while IFS= read -r -d '' f; do
	head -c 4 "$f" 2>/dev/null | grep -q 'ELF' || continue
	case $f in */lib/modules/*) continue ;; esac
	# ldd fails on static binaries: that is fine.
	{ LD_LIBRARY_PATH=$root/usr/local/lib ldd "$f" 2>/dev/null || true; } |
	while read -r a b c _; do
		lib=
		case $b in
		'=>') [ "$c" = "not found" ] && { echo "build-initramfs: warning: $f: $a not found" >&2; continue; }
		      lib=$c ;;
		*) case $a in /*) lib=$a ;; esac ;;
		esac
		[ -n "$lib" ] && [ -e "$lib" ] || continue
		case $lib in "$root"/*) continue ;; esac
		if [ ! -e "$root$lib" ]; then
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		fi
	done
done < <(if [ -n "$sysroot" ]; then
		# The packages' own files need nothing from the build machine.
		find "$root/usr/local" "$root/vm" -type f \( -perm -u+x -o -name '*.so*' \) -print0
	 else
		find "$root" -type f -perm -u+x ! -path "$root/bin/busybox" -print0
		find "$root" -type f -name '*.so*' -print0
	 fi)
# glibc dlopen()s libgcc_s.so.1 for pthread_cancel() and unwinding (libfuse
# cancels its worker threads at unmount): ldd does not name it, a real
# system always has it. Without it the daemon aborts on SIGTERM.
if [ -e "$root/lib/x86_64-linux-gnu/libc.so.6" ] &&
   [ ! -e "$root/lib/x86_64-linux-gnu/libgcc_s.so.1" ]; then
	gcc_s=$(readlink -f "$($CC -print-file-name=libgcc_s.so.1)")
	[ -e "$gcc_s" ] || die "libgcc_s.so.1 not found (gcc -print-file-name)"
	cp -L "$gcc_s" "$root/lib/x86_64-linux-gnu/libgcc_s.so.1"
fi
if [ -e "$root/lib/x86_64-linux-gnu" ] || [ -e "$root/usr/local/lib" ]; then
	ldconfig -r "$root" 2>/dev/null ||
		echo "build-initramfs: warning: ldconfig -r failed" >&2
fi

# A console for /init's first breath (init also reopens it after devtmpfs).
mknod -m 0600 "$root/dev/console" c 5 1 2>/dev/null || true

# ---------------------------------------------------------------- archive
sum=$(cd "$root" && {
	find . -printf '%p %y %m %l\n' | LC_ALL=C sort
	find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
} | sha256sum | cut -d' ' -f1)
if [ -s "$out" ] && [ "$(cat "$out.sha256" 2>/dev/null)" = "$sum" ]; then
	state="up to date"
else
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -6 >"$out.tmp"
	mv "$out.tmp" "$out"
	echo "$sum" >"$out.sha256"
	state="rebuilt"
fi
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v s="$state" -v n="${#mods[@]}" -v p="$project" \
	-v z="$(stat -c %s "$out")" \
	'BEGIN { printf "build-initramfs: %s, %.1f MB, %d modules, project programs: %s (%.1f s)\n", s, z / 1e6, n, p, b - a }' >&2
echo "$out"
