#!/bin/sh
# scanout/ follows page flips: page-flip (progs/page-flip.c) shows
# framebuffer A, then B, then A; after each flip a fresh open of
# scanout/CARD/crtc-ID/plane-ID reads the pattern on screen (scanout-verify),
# which the host confirms for B (host-scanout-flip-b, QEMU screendump); an
# open kept from before the flip still reads the buffer it opened.
# vmtest: last
. /vm/lib.sh

command -v page-flip >/dev/null || fail "no page-flip program in /vm/bin"
# The daemon first: it opens the card and drops DRM master, which the
# program's SetCrtc needs.
start_daemon
mkfifo "$VMT/in" || fail "mkfifo"
page-flip <"$VMT/in" >"$VMT/out" 2>&1 &
bg=$!
exec 3>"$VMT/in"
quit() {
	exec 3>&-
	wait "$bg"
}

# wait_for N: the Nth SHOWING line within 10 s.
wait_for() {
	wait_output "$bg" "$VMT/out" '^SHOWING' "$1" && return
	exec 3>&- # at EOF page-flip ends
	not_up "$bg" "$VMT/out" page-flip page-flip "page-flip: no SHOWING line $1"
}
wait_for 1
info=$(sed -n 's/^VMINFO page-flip //p' "$VMT/out")
field() { echo "$info" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
crtc=$(field crtc) plane=$(field plane) w=$(field width) h=$(field height) pitch=$(field pitch)
seed_a=$(sed -n 's/^FB name=A .*seed=\([0-9]*\).*/\1/p' "$VMT/out")
seed_b=$(sed -n 's/^FB name=B .*seed=\([0-9]*\).*/\1/p' "$VMT/out")
[ -n "$plane" ] && [ "$plane" != 0 ] || fail "page-flip found no primary plane: $info"
card=$(ls /run/dmabuf/scanout | grep '^bochs-drm-card[0-9]*$')
P=/run/dmabuf/scanout/$card/crtc-$crtc/plane-$plane
[ -f "$P" ] || fail "no $P: $(ls -R /run/dmabuf/scanout | tr '\n' ' ')"
echo "# $P: ${w}x$h pitch $pitch, A seed $seed_a, B seed $seed_b"

# verify SEED OTHER [FILE]: the picture read from FILE (default $P, a fresh
# open), else from fd 4.
verify() {
	if [ -n "${3:-}" ]; then
		scanout-verify "$3" "$1" "$w" "$h" "$pitch" "$2"
	else
		scanout-verify - "$1" "$w" "$h" "$pitch" "$2" <&4
	fi
}

verify "$seed_a" "$seed_b" "$P" || fail "showing A: a fresh open does not read A"
exec 4<"$P" # opened while A is on screen
echo flip >&3
wait_for 2
verify "$seed_b" "$seed_a" "$P" || fail "showing B: a fresh open does not read B"
vmhost screendump scanout-flip-b pattern "$seed_b" "$w" "$h" || fail "no screendump"
verify "$seed_a" "$seed_b" || fail "the open made while A was shown no longer reads A"
exec 4<&-
exec 4<"$P" # opened while B is on screen
kill -USR1 "$bg"
wait_for 3
verify "$seed_a" "$seed_b" "$P" || fail "showing A again: a fresh open does not read A"
verify "$seed_b" "$seed_a" || fail "the open made while B was shown no longer reads B"
exec 4<&-
quit || { sed 's/^/# page-flip: /' "$VMT/out"; fail "page-flip exited with $?"; }
exit 0
