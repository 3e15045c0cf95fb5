# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by fetch-kernel.sh and fetch-systemd.sh (bash): apt with a
# private configuration under one directory, on the mirror the machine's
# own apt sources use for Debian, so that the machine's apt state is left
# alone and no host name is written in this tree.
#
#   private_apt DIR "SUITE..." || skip "..."	sets APT_OPTS, writes
#	DIR/sources.list (one deb line per SUITE, main), makes the lists and
#	cache directories; 1 (with a reason in $private_apt_why) when no
#	mirror or no keyring is found.
#   private_apt_update DIR			apt-get update into DIR/lists; 1
#	when it failed (DIR/update.log says why)
#
# suite_base: the machine's release (bookworm), set here from os-release.

suite_base=bookworm
[ -r /etc/os-release ] && suite_base=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# The Debian archive URI from the machine's apt sources: deb822 *.sources
# (URIs: + Suites:) or one-line *.list entries. Only an entry that serves
# the release itself (not -security) is taken, since backports and the
# other releases live beside it on the same mirror.
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

private_apt() {
	local dir=$1 suites=$2 mirror s
	private_apt_why=
	for s in apt-get apt-cache dpkg-deb; do
		command -v $s >/dev/null || { private_apt_why="$s not found"; return 1; }
	done
	[ -r "$keyring" ] || {
		private_apt_why="$keyring missing (package debian-archive-keyring)"
		return 1
	}
	mirror=$(find_mirror | grep -E '/debian/?$' | head -n1 || true)
	[ -n "$mirror" ] || mirror=$(find_mirror | head -n1 || true)
	[ -n "$mirror" ] || {
		private_apt_why="no Debian $suite_base mirror in /etc/apt/sources.list*"
		return 1
	}
	private_apt_mirror=${mirror%/}
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
	: >"$dir/sources.list.new"
	for s in $suites; do
		echo "deb [signed-by=$keyring] $private_apt_mirror $s main" >>"$dir/sources.list.new"
	done
	mv "$dir/sources.list.new" "$dir/sources.list"
	# An empty dpkg status: apt resolves dependencies as for an empty
	# system (fetch-systemd.sh), and never looks at the machine's.
	: >"$dir/status"
	APT_OPTS=(
		-o "Dir::Etc::SourceList=$dir/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::Etc::Preferences=/dev/null"
		-o "Dir::Etc::PreferencesParts=/dev/null"
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache=$dir/cache"
		-o "Dir::State::status=$dir/status"
		-o "APT::Get::List-Cleanup=0"
		-o "Acquire::Languages=none"
		-o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
		-o "Acquire::Retries=1"
		-o "Acquire::http::Timeout=20"
		-o "APT::Sandbox::User=root"
	)
}

private_apt_update() {
	if ! timeout 120 apt-get -q "${APT_OPTS[@]}" update >"$1/update.log" 2>&1 ||
	   grep -qE '^(W|E): (Failed|Some index)' "$1/update.log"; then
		return 1
	fi
}
