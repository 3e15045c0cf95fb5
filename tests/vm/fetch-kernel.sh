#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fetch-kernel.sh CACHEDIR
#
# Fetch Debian's 6.12 backports kernel (linux-image-6.12*-amd64-unsigned)
# and unpack it under CACHEDIR, never installing it. apt runs with a private
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

[ $# -eq 1 ] || die "usage: $0 CACHEDIR"
mkdir -p "$1"
cache=$(cd "$1" && pwd)
suite_base=bookworm
[ -r /etc/os-release ] && suite_base=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
suite=$suite_base-backports
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# A tree unpacked by an earlier run: done, no network needed.
current=$cache/kernel/current
if [ -z "${VM_KERNEL_REFRESH:-}" ] && [ -L "$current" ] &&
   [ -f "$current/.complete" ]; then
	readlink -f "$current"
	exit 0
fi

for t in apt-get apt-cache dpkg-deb; do
	command -v $t >/dev/null || skip "$t not found"
done
[ -r "$keyring" ] || skip "$keyring missing (package debian-archive-keyring)"

# The Debian archive URI from the machine's apt sources: deb822 *.sources
# (URIs: + Suites:) or one-line *.list entries. Only an entry that serves
# the release itself (not -security) is taken, since backports live beside
# it on the same mirror.
find_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v rel="$suite_base" '
			function flush() {
				if (uri != "" && types ~ /(^|[ \t])deb([ \t]|$)/ &&
				    (" " suites " ") ~ (" " rel "[ /]") &&
				    enabled != "no")
					print uri
				uri = ""; suites = ""; types = ""; enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "types:" { $1 = ""; types = $0 }
			tolower($1) == "enabled:" { enabled = tolower($2) }
			END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		# deb [opts] URI SUITE COMPONENTS...
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
		awk -v rel="$suite_base" '$1 == "deb" && $3 == rel { print $2 }'
	done
}
mirror=$(find_mirror | grep -E '/debian/?$' | head -n1 || true)
[ -n "$mirror" ] || mirror=$(find_mirror | head -n1 || true)
[ -n "$mirror" ] || skip "no Debian $suite_base mirror in /etc/apt/sources.list*"
mirror=${mirror%/}

apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
	"$apt_dir/debs" "$cache/kernel"
sources=$apt_dir/sources.list
echo "deb [signed-by=$keyring] $mirror $suite main" >"$sources.new"
mv "$sources.new" "$sources"

APT_OPTS=(
	-o "Dir::Etc::SourceList=$sources"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "Dir::State::status=/dev/null"
	-o "APT::Get::List-Cleanup=0"
	-o "Acquire::Languages=none"
	-o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
	-o "Acquire::Retries=1"
	-o "Acquire::http::Timeout=20"
	-o "APT::Sandbox::User=root"
)

t0=$(date +%s.%N)
echo "fetch-kernel: updating private lists for $suite from $mirror" >&2
if ! timeout 120 apt-get -q "${APT_OPTS[@]}" update >"$apt_dir/update.log" 2>&1 ||
   grep -qE '^(W|E): (Failed|Some index)' "$apt_dir/update.log"; then
	sed 's/^/  /' "$apt_dir/update.log" >&2
	skip "apt-get update for $suite failed (no network?)"
fi

# The generic flavour only: not -rt-amd64 or -cloud-amd64 (no DRM drivers).
pkg=$(apt-cache "${APT_OPTS[@]}" pkgnames linux-image-6.12 2>/dev/null |
	grep -E '^linux-image-6\.12[.0-9]*(\+[^-]*)?-amd64-unsigned$' | sort -V | tail -n1 || true)
[ -n "$pkg" ] || skip "no linux-image-6.12*-amd64-unsigned in $suite"
ver=$(apt-cache "${APT_OPTS[@]}" show "$pkg" 2>/dev/null |
	awk '/^Version:/ { print $2; exit }')
[ -n "$ver" ] || die "no version for $pkg"

tree=$cache/kernel/${pkg}_$ver
if [ ! -f "$tree/.complete" ]; then
	deb=
	for f in "$apt_dir/debs/${pkg}_${ver/:/%3a}_"*.deb; do
		[ -e "$f" ] && deb=$f
	done
	if [ -z "$deb" ]; then
		echo "fetch-kernel: downloading $pkg $ver" >&2
		(cd "$apt_dir/debs" &&
		 timeout 300 apt-get -q "${APT_OPTS[@]}" download "$pkg=$ver") \
			>"$apt_dir/download.log" 2>&1 || {
			sed 's/^/  /' "$apt_dir/download.log" >&2
			skip "apt-get download $pkg failed (no network?)"
		}
		for f in "$apt_dir/debs/${pkg}_"*.deb; do
			[ -e "$f" ] && deb=$f
		done
		[ -n "$deb" ] || die "apt-get download left no ${pkg}_*.deb"
	fi
	rm -rf "$tree.tmp"
	dpkg-deb -x "$deb" "$tree.tmp"
	ls "$tree.tmp"/boot/vmlinuz-* >/dev/null 2>&1 || die "$deb has no boot/vmlinuz-*"
	touch "$tree.tmp/.complete"
	rm -rf "$tree"
	mv "$tree.tmp" "$tree"
	# Older downloads and trees of other versions are no longer needed.
	find "$apt_dir/debs" -name '*.deb' ! -samefile "$deb" -delete
	find "$cache/kernel" -mindepth 1 -maxdepth 1 ! -name "$(basename "$tree")" \
		! -name current -exec rm -rf {} +
fi
ln -sfn "$(basename "$tree")" "$current.new"
mv -T "$current.new" "$current"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v p="$pkg" -v v="$ver" \
	'BEGIN { printf "fetch-kernel: %s %s ready in %.1f s\n", p, v, b - a }' >&2
echo "$tree"
