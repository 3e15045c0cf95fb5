# shellcheck shell=bash disable=SC2154,SC2034 # ($build, $jobs are dev's; dev reads fuse_pc)
# Sourced by ./dev (which gives it say, install_pkgs, $build and $jobs):
# ensure_libfuse, a libfuse >= $libfuse_min for the build.
#
# What building libfuse from Debian's source package needs (io_uring
# through liburing and libnuma).
libfuse_build_deps=(meson ninja-build liburing-dev libnuma-dev dpkg-dev
	debian-archive-keyring)
# The libfuse built when the system's is older than configure's minimum:
# the one place its version is pinned. sid serves it as a source package.
libfuse_min=3.17
libfuse_pkg=fuse3=3.18.3-1
libfuse_suite=sid

# libfuse: the system's when pkg-config finds $libfuse_min or later (a
# distribution that has it never fetches anything); otherwise Debian's
# source package, fetched with a private apt configuration (own sources
# list, lists and cache under BUILD/libfuse/apt; the machine's apt state is
# left alone; the mirror is the one the machine's apt already uses), built
# with meson as a static library and installed in BUILD/libfuse/prefix.
# Done once: a tree that has the stamp downloads and builds nothing.
#   BUILD/libfuse/apt/       private sources.list, lists, cache
#   BUILD/libfuse/src/       the .dsc, tarballs and the unpacked source
#   BUILD/libfuse/build/     the meson tree (ninja -C it example/passthrough_hp)
#   BUILD/libfuse/prefix/    include/fuse3, lib/libfuse3.a, lib/pkgconfig
# Sets fuse_pc to the pkg-config directory to use (empty: the system's).
fuse_pc=
ensure_libfuse() {
	local lf=$build/libfuse ver=${libfuse_pkg#*=} mirror src
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	local stamp=$lf/prefix/.complete-$ver
	if [ ! -f "$stamp" ] && pkg-config --atleast-version="$libfuse_min" fuse3 2>/dev/null; then
		return 0
	fi
	fuse_pc=$lf/prefix/lib/pkgconfig
	[ -f "$stamp" ] && return 0
	install_pkgs "${libfuse_build_deps[@]}"
	local apt_opts=(
		-o "Dir::Etc::SourceList=$lf/apt/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$lf/apt/lists"
		-o "Dir::Cache=$lf/apt/cache"
		-o "Dir::State::status=/dev/null"
		-o "Acquire::Languages=none"
		-o "Acquire::Retries=1"
		-o "Acquire::http::Timeout=20"
		-o "APT::Sandbox::User=root")
	mkdir -p "$lf/apt/lists/partial" "$lf/apt/cache/archives/partial" "$lf/src"
	if [ ! -f "$lf/src/${libfuse_pkg/=/_}.dsc" ]; then
		mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' |
			grep -E '/debian/?$' | head -n1 || true)
		[ -n "$mirror" ] || { say "no Debian mirror in apt's sources"; return 1; }
		echo "deb-src [signed-by=$keyring] ${mirror%/} $libfuse_suite main" \
			>"$lf/apt/sources.list"
		say "libfuse $libfuse_min+ not found: fetching Debian's $libfuse_pkg ($libfuse_suite, ${mirror%/})"
		apt-get -qq "${apt_opts[@]}" update >"$lf/apt/update.log" 2>&1 || {
			cat "$lf/apt/update.log" >&2; return 1; }
		(cd "$lf/src" && apt-get -qq "${apt_opts[@]}" source --download-only \
			"$libfuse_pkg") >"$lf/apt/source.log" 2>&1 || {
			cat "$lf/apt/source.log" >&2; return 1; }
	fi
	src=$lf/src/fuse3-${ver%-*}
	if [ ! -f "$src/meson.build" ]; then
		rm -rf "$src"
		dpkg-source -q -x "$lf/src/${libfuse_pkg/=/_}.dsc" "$src" \
			>"$lf/apt/unpack.log" 2>&1 || { cat "$lf/apt/unpack.log" >&2; return 1; }
	fi
	say "building libfuse $ver (static, in $lf)"
	rm -rf "$lf/build" "$lf/prefix"
	# Examples are configured, not built: the benchmark builds
	# example/passthrough_hp on demand.
	meson setup "$lf/build" "$src" --prefix="$lf/prefix" --libdir=lib \
		--buildtype=release -Ddefault_library=static -Dutils=false \
		-Dtests=false -Duseroot=false -Dexamples=true \
		-Denable-io-uring=true >"$lf/meson.log" 2>&1 || {
		tail -n 30 "$lf/meson.log" >&2; return 1; }
	ninja -C "$lf/build" -j"$jobs" lib/libfuse3.a >>"$lf/meson.log" 2>&1 &&
		meson install -C "$lf/build" --no-rebuild >>"$lf/meson.log" 2>&1 || {
		tail -n 30 "$lf/meson.log" >&2; return 1; }
	touch "$stamp"
}
