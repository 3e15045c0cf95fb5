#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fetch-systemd.sh CACHEDIR [SUITE]
#
# The root file system of the VM tier's systemd boot: Debian's systemd
# (>= 254: FDPOLL=, FileDescriptorStorePreserve=, systemd-analyze fdstore)
# and the packages it depends on, glibc included, from SUITE (default
# trixie: systemd 257 today), downloaded with a private apt configuration
# on the mirror the machine's apt uses (private-apt.sh) and unpacked with
# dpkg-deb -x, never installed. Dependencies are resolved by apt for an
# empty system (no Recommends); debconf (perl scripts, no perl here) is
# left out. The tree is made merged-/usr (bin, sbin, lib, lib64 are links
# into usr/, as on trixie) and loses its docs, man pages and locales.
#
# On success prints the tree (CACHEDIR/root/<systemd version>) on stdout. A
# second run finds it and downloads nothing (VM_SYSTEMD_REFRESH=1 looks
# again). Exit status: 0; 77 when it cannot be had (no network, no mirror,
# no systemd >= 254 in SUITE); 1 on other errors.
set -euo pipefail

SKIP=77
die() { echo "fetch-systemd: $*" >&2; exit 1; }
skip() {
	if [ -n "${current:-}" ] && [ -f "$current/.complete" ]; then
		echo "fetch-systemd: $*; keeping $(readlink "$current")" >&2
		readlink -f "$current"
		exit 0
	fi
	echo "fetch-systemd: SKIP: $*" >&2
	exit $SKIP
}

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 CACHEDIR [SUITE]"
mkdir -p "$1"
cache=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=private-apt.sh
. "$here/private-apt.sh"
suite=${2:-trixie}
# Left out of the closure: not needed to boot, and nothing could run them.
EXCLUDE="debconf"

current=$cache/root/current
if [ -z "${VM_SYSTEMD_REFRESH:-}" ] && [ -L "$current" ] && [ -f "$current/.complete" ]; then
	readlink -f "$current"
	exit 0
fi

apt_dir=$cache/apt
mkdir -p "$cache/root"
private_apt "$apt_dir" "$suite" || skip "$private_apt_why"
t0=$(date +%s.%N)
echo "fetch-systemd: updating private lists for $suite from $private_apt_mirror" >&2
if ! private_apt_update "$apt_dir"; then
	sed 's/^/  /' "$apt_dir/update.log" >&2
	skip "apt-get update for $suite failed (no network?)"
fi

ver=$(apt-cache "${APT_OPTS[@]}" show systemd 2>/dev/null | awk '/^Version:/ { print $2; exit }')
[ -n "$ver" ] || skip "no systemd in $suite"
dpkg --compare-versions "$ver" ge 254 || skip "systemd $ver in $suite is older than 254"

# The closure, as apt would install it on an empty system: "Inst PKG (VER ...".
plan=$(apt-get -s "${APT_OPTS[@]}" install --no-install-recommends systemd 2>&1) ||
	{ echo "$plan" | sed 's/^/  /' >&2; die "apt-get cannot resolve systemd's dependencies"; }
pkgs=()
while read -r _ p v _; do
	case " $EXCLUDE " in *" $p "*) continue ;; esac
	pkgs+=("$p=${v#(}")
done < <(echo "$plan" | grep '^Inst ')
[ ${#pkgs[@]} -gt 0 ] || die "apt-get planned nothing for systemd"

tree=$cache/root/systemd_$ver
if [ ! -f "$tree/.complete" ]; then
	debs=()
	for pv in "${pkgs[@]}"; do
		p=${pv%%=*} v=${pv#*=}
		deb=
		for f in "$apt_dir/debs/${p}_${v/:/%3a}_"*.deb; do [ -e "$f" ] && deb=$f; done
		if [ -z "$deb" ]; then
			(cd "$apt_dir/debs" && timeout 300 apt-get -q "${APT_OPTS[@]}" download "$pv") \
				>"$apt_dir/download.log" 2>&1 || {
				sed 's/^/  /' "$apt_dir/download.log" >&2
				skip "apt-get download $pv failed (no network?)"
			}
			for f in "$apt_dir/debs/${p}_${v/:/%3a}_"*.deb; do [ -e "$f" ] && deb=$f; done
			[ -n "$deb" ] || die "apt-get download left no ${p}_*.deb"
		fi
		debs+=("$deb")
	done
	echo "fetch-systemd: unpacking ${#debs[@]} packages: ${pkgs[*]}" >&2
	rm -rf "$tree.tmp"
	mkdir -p "$tree.tmp"
	for deb in "${debs[@]}"; do
		dpkg-deb -x "$deb" "$tree.tmp"
	done
	# Merged /usr: what a package put in /bin, /lib, ... moves under usr/.
	for d in bin sbin lib lib64; do
		mkdir -p "$tree.tmp/usr/$d"
		if [ -d "$tree.tmp/$d" ] && [ ! -L "$tree.tmp/$d" ]; then
			cp -a "$tree.tmp/$d/." "$tree.tmp/usr/$d/"
			rm -rf "$tree.tmp/$d"
		fi
		ln -sfn "usr/$d" "$tree.tmp/$d"
	done
	rm -rf "$tree.tmp"/usr/share/{doc,man,info,locale,lintian,bug,bash-completion,zsh} \
		"$tree.tmp"/usr/lib/x86_64-linux-gnu/gconv
	[ -x "$tree.tmp/usr/lib/systemd/systemd" ] || die "no usr/lib/systemd/systemd in the packages"
	[ -e "$tree.tmp/usr/lib64/ld-linux-x86-64.so.2" ] ||
		[ -e "$tree.tmp/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ] ||
		die "no dynamic loader in the packages"
	printf '%s\n' "${pkgs[@]}" >"$tree.tmp/.packages"
	touch "$tree.tmp/.complete"
	rm -rf "$tree"
	mv "$tree.tmp" "$tree"
	keep=()
	for deb in "${debs[@]}"; do keep+=(! -samefile "$deb"); done
	find "$apt_dir/debs" -name '*.deb' "${keep[@]}" -delete
	find "$cache/root" -mindepth 1 -maxdepth 1 ! -name "$(basename "$tree")" \
		! -name current -exec rm -rf {} +
fi
ln -sfn "$(basename "$tree")" "$current.new"
mv -T "$current.new" "$current"
awk -v a="$t0" -v b="$(date +%s.%N)" -v v="$ver" -v n="${#pkgs[@]}" \
	'BEGIN { printf "fetch-systemd: systemd %s (%d packages) ready in %.1f s\n", v, n, b - a }' >&2
echo "$tree"
