#!/bin/sh
# A dma-buf held by another unit's process (a transient service, uid 1000)
# is visible: `dmabufctl top --json` lists the buffer with that process as
# its holder, and `dmabufctl import` brings it into the tree with the
# holder named. The holder's cgroup path is printed (VMINFO) for the
# per-cgroup view to come.
. /vm/lib.sh
. /vm/systemd-lib.sh
unit_start
h=vmtest-holder
out=/tmp/$h.out
rm -f "$out"
# Its stdin is a pipe that stays open (sleep): dmabuf-hold exits at EOF.
systemd-run --unit="$h" --quiet -p StandardOutput="file:$out" \
	-p StandardError="file:$out" \
	/bin/sh -c 'sleep 600 | exec /vm/bin/dmabuf-hold as 1000 hold udmabuf 131072 7' ||
	fail "systemd-run --unit=$h failed"
trap 'rc=$?; systemctl stop "$h" 2>/dev/null; unit_reset; exit $rc' EXIT
i=0
while ! grep -q '^hold ' "$out" 2>/dev/null; do
	[ $i -lt 100 ] || { cat "$out" 2>/dev/null | sed 's/^/# holder: /'; fail "dmabuf-hold in $h did not report"; }
	sleep 0.1
	i=$((i + 1))
done
for kv in $(sed -n 's/^hold //p' "$out"); do
	case $kv in pid=* | fd=* | ino=*) eval "h_${kv%%=*}=\${kv#*=}" ;; esac
done
cg=$(sed -n 's/^0:://p' "/proc/$h_pid/cgroup")
echo "# holder pid $h_pid fd $h_fd ino $h_ino, uid $(stat -c %u "/proc/$h_pid")"
echo "VMINFO holder-cgroup unit=$h.service pid=$h_pid cgroup=$cg"
case $cg in
*/"$h".service) ;;
*) fail "the holder's cgroup is '$cg', not its unit's ($h.service)" ;;
esac
top=$(dmabufctl top --json 2>&1) || { echo "$top" | sed 's/^/# top: /'; fail "dmabufctl top --json failed"; }
echo "$top" | tr -d '\n' | grep -q "\"pid\": *$h_pid[^0-9]" ||
	{ echo "$top" | sed 's/^/# top: /' | head -40; fail "dmabufctl top --json does not name the holder (pid $h_pid)"; }
echo "$top" | tr -d '\n' | grep -q "\"inode\": *$h_ino[^0-9]" ||
	{ echo "$top" | sed 's/^/# top: /' | head -40; fail "dmabufctl top --json does not list the held buffer (inode $h_ino)"; }
echo "# dmabufctl top --json: the buffer (inode $h_ino) held by pid $h_pid"
dmabufctl import --pid "$h_pid" --fd "$h_fd" held-by-unit >/dev/null ||
	fail "dmabufctl import --pid $h_pid --fd $h_fd failed"
holders=$(info_field "$M/held-by-unit" holders)
echo "# user.dmabuf.holders of the imported buffer: $holders"
echo "$holders" | grep -qw "$h_pid" || fail "the imported buffer's holders ($holders) do not name pid $h_pid"
