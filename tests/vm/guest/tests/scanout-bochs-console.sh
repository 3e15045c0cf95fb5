#!/bin/sh
# scanout/ shows the bochs console: one plane file under
# scanout/bochs-drm-cardN/crtc-ID/, XR24 at fb0's size, linear, I/O memory
# (VRAM); root only; and its dmabufctl snapshot equals QEMU's screendump
# pixel by pixel (host check host-scanout-bochs-console, check-png.sh).
. /vm/lib.sh
[ -e /sys/class/graphics/fb0 ] || skip "no fbdev console (fb0)"
# A blinking cursor would change pixels between the snapshot and the
# screendump.
echo 0 >/sys/class/graphics/fbcon/cursor_blink 2>/dev/null
start_daemon -o allow_other
S=/run/dmabuf/scanout
ls /run/dmabuf | grep -qx scanout || fail "the root does not list scanout/"
card=$(ls "$S" | grep '^bochs-drm-card[0-9]*$')
[ -n "$card" ] || fail "scanout/ lists no bochs-drm card: $(ls "$S" | tr '\n' ' ')"
set -- "$S/$card"/crtc-*/plane-*
[ $# -eq 1 ] && [ -f "$1" ] || fail "expected one plane on screen, found: $*"
p=$1
echo "# plane file: $p"
info=$(dmabufctl info "$p") || fail "dmabufctl info $p failed"
echo "$info" | sed 's/^/# info: /'
val() { echo "$info" | sed -n "s/^user\.dmabuf\.$1: //p"; }
size=$(cat /sys/class/graphics/fb0/virtual_size) # "W,H"
[ "$(val format)" = XR24 ] || fail "format '$(val format)', expected XR24"
[ "$(val width),$(val height)" = "$size" ] ||
	fail "width,height '$(val width),$(val height)', fb0 is $size"
[ "$(val modifier)" = 0x0 ] || fail "modifier '$(val modifier)', expected 0x0 (linear)"
[ "$(val iomem)" = 1 ] || fail "iomem '$(val iomem)': bochs scans out of VRAM"
[ "$(val pitches)" = "$(cat /sys/class/graphics/fb0/stride)" ] ||
	fail "pitches '$(val pitches)', fb0's stride is $(cat /sys/class/graphics/fb0/stride)"
[ "$(val offsets)" = 0 ] || fail "offsets '$(val offsets)', expected 0"
want=$(($(val pitches) * $(val height)))
[ "$(stat -c %s "$p")" -ge "$want" ] || fail "size $(stat -c %s "$p") < pitch * height $want"

# Root's only: the directory is 0700, and open checks again.
[ "$(stat -c %a "$S")" = 700 ] || fail "scanout/ has mode $(stat -c %a "$S")"
got=$(dmabuf-hold as 1000 open "$p" r)
[ "$got" = EACCES ] || fail "uid 1000 opening $p: $got, expected EACCES"
if dmabuf-hold as 1000 exec ls "$S" >/dev/null 2>&1; then
	fail "uid 1000 can list scanout/"
fi

dmabufctl snapshot "$p" -o "$VMT/console.png" || fail "dmabufctl snapshot $p failed"
echo "# snapshot: $(stat -c %s "$VMT/console.png") bytes of PNG"
base64 "$VMT/console.png" | sed 's/^/VMBLOB scanout-bochs-console.png /'
vmhost screendump scanout-bochs-console png scanout-bochs-console screen ||
	fail "no screendump"
exit 0
