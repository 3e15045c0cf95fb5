#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# build-fio.sh CACHEDIR
#
# A static fio for the VM guest (tests/integration/fio-verify.t), built from
# the source of the fio package the machine's own apt offers (Debian's
# /usr/bin/fio pulls ~60 shared libraries, ~80 MB: too much for the
# initramfs). The source (deb-src) and libaio-dev's libaio.a (for the
# libaio engine, statically) come through a private apt configuration under
# CACHEDIR, from the Debian mirror the machine's apt sources already use, as
# tests/vm/fetch-kernel.sh does; the machine's apt state is left alone.
# configure gets --build-static and every optional engine or library off.
#
# Prints the binary's path (CACHEDIR/fio-VERSION/fio) on stdout. A second
# run finds it and downloads and builds nothing. Exit 0; 77 when it cannot
# be had (no network, no mirror, no apt); 1 on other errors.
set -euo pipefail

SKIP=77
die() { echo "build-fio: $*" >&2; exit 1; }
skip() { echo "build-fio: SKIP: $*" >&2; exit $SKIP; }

[ $# -eq 1 ] || die "usage: $0 CACHEDIR"
mkdir -p "$1"
cache=$(cd "$1" && pwd)

# Done before: no network needed.
for f in "$cache"/fio-*/.complete; do
	if [ -e "$f" ] && [ -x "${f%/.complete}/fio" ]; then
		echo "${f%/.complete}/fio"
		exit 0
	fi
done

for t in apt-get dpkg-source dpkg-deb make; do
	command -v $t >/dev/null || skip "$t not found"
done
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || skip "$keyring missing (package debian-archive-keyring)"

# The mirror and suite that serve the machine's fio package: apt's own
# answer (the Packages index of the installed or candidate version).
mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' 2>/dev/null |
	grep -E '/debian/?$' | head -n1 || true)
[ -n "$mirror" ] || skip "no Debian mirror in apt's sources"
mirror=${mirror%/}
suite=bookworm
[ -r /etc/os-release ] && suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")

apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$cache/src"
{
	echo "deb [signed-by=$keyring] $mirror $suite main"
	echo "deb-src [signed-by=$keyring] $mirror $suite main"
} >"$apt_dir/sources.list"
APT_OPTS=(
	-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "Dir::State::status=/dev/null"
	-o "Acquire::Languages=none"
	-o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
	-o "Acquire::Retries=1"
	-o "Acquire::http::Timeout=20"
	-o "APT::Sandbox::User=root"
)

t0=$(date +%s)
dsc=$(ls "$cache"/src/fio_*.dsc 2>/dev/null | head -n1 || true)
aio=$(ls "$cache"/src/libaio-dev_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$dsc" ] || [ -z "$aio" ]; then
	echo "build-fio: fetching fio's source and libaio-dev from $mirror $suite" >&2
	timeout 120 apt-get -q "${APT_OPTS[@]}" update >"$apt_dir/update.log" 2>&1 || {
		sed 's/^/  /' "$apt_dir/update.log" >&2
		skip "apt-get update failed (no network?)"
	}
	(cd "$cache/src" &&
	 timeout 300 apt-get -q "${APT_OPTS[@]}" source --download-only fio &&
	 timeout 120 apt-get -q "${APT_OPTS[@]}" download libaio-dev) \
		>"$apt_dir/download.log" 2>&1 || {
		sed 's/^/  /' "$apt_dir/download.log" >&2
		skip "apt-get source fio / download libaio-dev failed (no network?)"
	}
	dsc=$(ls "$cache"/src/fio_*.dsc | head -n1)
	aio=$(ls "$cache"/src/libaio-dev_*.deb | head -n1)
fi
ver=$(basename "$dsc" .dsc)
ver=${ver#fio_}
out=$cache/fio-$ver

rm -rf "$cache/work"
mkdir -p "$cache/work"
dpkg-source -q -x "$dsc" "$cache/work/src" >"$cache/work/unpack.log" 2>&1 ||
	{ cat "$cache/work/unpack.log" >&2; die "dpkg-source -x $dsc failed"; }
# libaio.a and its header, not installed: found through CFLAGS/LDFLAGS.
dpkg-deb -x "$aio" "$cache/work/aio"
aio_inc=$cache/work/aio/usr/include
aio_lib=$cache/work/aio/usr/lib/x86_64-linux-gnu
[ -e "$aio_lib/libaio.a" ] || die "$aio has no libaio.a"

echo "build-fio: building fio $ver (static, psync/mmap/libaio)" >&2
cd "$cache/work/src"
# Every optional dependency off: the guest only needs the sync, mmap and
# libaio engines and crc32c verification.
LDFLAGS="-L$aio_lib" ./configure --build-static --disable-native --disable-numa --disable-rdma \
	--disable-rados --disable-rbd --disable-http --disable-gfapi \
	--disable-libnfs --disable-pmem --disable-xnvme \
	--disable-dfs --disable-tcmalloc --disable-libzbc \
	--extra-cflags="-I$aio_inc" \
	>"$cache/work/configure.log" 2>&1 || {
	tail -n 5 "$cache/work/configure.log" >&2
	die "configure failed (see $cache/work/configure.log)"
}
grep -q '^CONFIG_LIBAIO=y' config-host.mak ||
	die "configure did not find libaio ($aio_inc): no libaio engine"
make -j2 fio >"$cache/work/make.log" 2>&1 || {
	tail -n 20 "$cache/work/make.log" >&2
	die "make fio failed (see $cache/work/make.log)"
}
file fio 2>/dev/null | grep -q 'statically linked' || ! ldd fio >/dev/null 2>&1 ||
	die "the fio built is not static"
strip fio
rm -rf "$out"
mkdir -p "$out"
cp fio "$out/fio"
touch "$out/.complete"
cd "$cache"
rm -rf "$cache/work"
echo "build-fio: fio $ver: $(stat -c %s "$out/fio") bytes, $(($(date +%s) - t0)) s" >&2
echo "$out/fio"
