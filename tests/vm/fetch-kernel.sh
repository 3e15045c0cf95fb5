#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fetch-kernel.sh CACHEDIR [SUITE [SERIES]]
#
# Fetch a Debian kernel package, linux-image-SERIES*-amd64-unsigned from
# SUITE (default: Debian's 6.12 of <release>-backports, the machine's own
# release), and unpack it under CACHEDIR, never installing it. SERIES
# "newest" takes the newest generic linux-image-*-amd64-unsigned SUITE has
# (run.sh: trixie-backports). apt runs with a private
# configuration (own sources list, lists and cache dirs under CACHEDIR), so
# the machine's apt state is left alone; the mirror is the one the machine's
# own apt sources already use for Debian.
#
# On success prints the unpacked tree (CACHEDIR/kernel/<pkg>_<ver>) on
# stdout; it holds boot/vmlinuz-* and lib/modules/<release>/. A second run
# finds the tree and downloads nothing (VM_KERNEL_REFRESH=1 looks again).
#
# Exit status: 0, 77 when the kernel cannot be had (no network, no mirror
# configured, no apt), 1 on other errors.
set -euo pipefail

SKIP=77
die() { echo "fetch-kernel: $*" >&2; exit 1; }
skip() {
	# A refresh that cannot reach the mirror keeps the tree it has.
	if [ -n "${current:-}" ] && [ -f "$current/.complete" ]; then
		echo "fetch-kernel: $*; keeping $(readlink "$current")" >&2
		readlink -f "$current"
		exit 0
	fi
	echo "fetch-kernel: SKIP: $*" >&2
	exit $SKIP
}

[ $# -ge 1 ] && [ $# -le 3 ] || die "usage: $0 CACHEDIR [SUITE [SERIES]]"
mkdir -p "$1"
cache=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=private-apt.sh
. "$here/private-apt.sh"
suite=${2:-$suite_base-backports}
series=${3:-6.12}

# A tree unpacked by an earlier run: done, no network needed.
current=$cache/kernel/current
if [ -z "${VM_KERNEL_REFRESH:-}" ] && [ -L "$current" ] &&
   [ -f "$current/.complete" ]; then
	readlink -f "$current"
	exit 0
fi

apt_dir=$cache/apt
mkdir -p "$cache/kernel"
private_apt "$apt_dir" "$suite" || skip "$private_apt_why"

t0=$(date +%s.%N)
echo "fetch-kernel: updating private lists for $suite from $private_apt_mirror" >&2
if ! private_apt_update "$apt_dir"; then
	sed 's/^/  /' "$apt_dir/update.log" >&2
	skip "apt-get update for $suite failed (no network?)"
fi

# The generic flavour only: not -rt-amd64 or -cloud-amd64 (no DRM drivers).
# Two layouts: one package, linux-image-KVER-amd64-unsigned (bookworm and
# trixie's own 6.x), or, since the 7.x backports, the image and the modules
# apart: linux-binary-unsigned-KVER-amd64 + linux-modules-KVER-amd64 (and
# linux-base-KVER-amd64, with the config), linux-image-KVER-amd64 being
# only a signed metapackage.
if [ "$series" = newest ]; then
	vre='[0-9]+\.[0-9]+[.0-9]*(\+[^-]*)?'
else
	vre="${series//./\\.}[.0-9]*(\\+[^-]*)?"
fi
names=$(apt-cache "${APT_OPTS[@]}" pkgnames linux- 2>/dev/null || true)
kver=$(echo "$names" | sed -nE \
	-e "s/^linux-image-($vre)-amd64-unsigned\$/\1/p" \
	-e "s/^linux-binary-unsigned-($vre)-amd64\$/\1/p" | sort -uV | tail -n1)
[ -n "$kver" ] || skip "no linux-image-${series/newest/}*-amd64-unsigned (or linux-binary-unsigned-*) in $suite"
if echo "$names" | grep -qxF "linux-image-$kver-amd64-unsigned"; then
	pkgs=("linux-image-$kver-amd64-unsigned")
else
	pkgs=("linux-binary-unsigned-$kver-amd64" "linux-modules-$kver-amd64"
	      "linux-base-$kver-amd64")
fi
pkg=${pkgs[0]}
ver=$(apt-cache "${APT_OPTS[@]}" show "$pkg" 2>/dev/null |
	awk '/^Version:/ { print $2; exit }')
[ -n "$ver" ] || die "no version for $pkg"

tree=$cache/kernel/${pkg}_$ver
if [ ! -f "$tree/.complete" ]; then
	debs=()
	for p in "${pkgs[@]}"; do
		deb=
		for f in "$apt_dir/debs/${p}_${ver/:/%3a}_"*.deb; do
			[ -e "$f" ] && deb=$f
		done
		if [ -z "$deb" ]; then
			echo "fetch-kernel: downloading $p $ver" >&2
			(cd "$apt_dir/debs" &&
			 timeout 300 apt-get -q "${APT_OPTS[@]}" download "$p=$ver") \
				>"$apt_dir/download.log" 2>&1 || {
				sed 's/^/  /' "$apt_dir/download.log" >&2
				skip "apt-get download $p failed (no network?)"
			}
			for f in "$apt_dir/debs/${p}_${ver/:/%3a}_"*.deb; do
				[ -e "$f" ] && deb=$f
			done
			[ -n "$deb" ] || die "apt-get download left no ${p}_*.deb"
		fi
		debs+=("$deb")
	done
	rm -rf "$tree.tmp"
	for deb in "${debs[@]}"; do
		dpkg-deb -x "$deb" "$tree.tmp"
	done
	# The split packages keep everything in usr/lib/modules/REL/
	# (vmlinuz.unsigned, config): give the tree the classic layout,
	# boot/vmlinuz-REL and lib/modules/REL, that the callers expect.
	if [ ! -e "$tree.tmp/lib" ] && [ -d "$tree.tmp/usr/lib/modules" ]; then
		ln -s usr/lib "$tree.tmp/lib"
	fi
	for d in "$tree.tmp"/lib/modules/*/; do
		rel=$(basename "$d")
		for f in vmlinuz vmlinuz.unsigned; do
			[ -e "$d$f" ] && [ ! -e "$tree.tmp/boot/vmlinuz-$rel" ] || continue
			mkdir -p "$tree.tmp/boot"
			ln -s "../lib/modules/$rel/$f" "$tree.tmp/boot/vmlinuz-$rel"
		done
		if [ -e "${d}config" ] && [ ! -e "$tree.tmp/boot/config-$rel" ]; then
			ln -s "../lib/modules/$rel/config" "$tree.tmp/boot/config-$rel"
		fi
	done
	ls "$tree.tmp"/boot/vmlinuz-* >/dev/null 2>&1 || die "${debs[*]}: no boot/vmlinuz-*"
	ls -d "$tree.tmp"/lib/modules/*/kernel >/dev/null 2>&1 ||
		die "${debs[*]}: no lib/modules/*/kernel"
	touch "$tree.tmp/.complete"
	rm -rf "$tree"
	mv "$tree.tmp" "$tree"
	# Older downloads and trees of other versions are no longer needed.
	keep=()
	for deb in "${debs[@]}"; do keep+=(! -samefile "$deb"); done
	find "$apt_dir/debs" -name '*.deb' "${keep[@]}" -delete
	find "$cache/kernel" -mindepth 1 -maxdepth 1 ! -name "$(basename "$tree")" \
		! -name current -exec rm -rf {} +
fi
ln -sfn "$(basename "$tree")" "$current.new"
mv -T "$current.new" "$current"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v p="$pkg" -v v="$ver" \
	'BEGIN { printf "fetch-kernel: %s %s ready in %.1f s\n", p, v, b - a }' >&2
echo "$tree"
