#!/usr/bin/env bash
# layout: the rooms of src/ stay apart and small, as HACKING.md's layout
# and include rule say. Each check prints the offending files when it fails.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top/src" || exit 99
n=0 failed=0

check() { # check DESCRIPTION OFFENDERS...
	local what=$1
	shift
	n=$((n + 1))
	if [ $# -eq 0 ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		printf '#   %s\n' "$@"
		failed=1
	fi
}

lines() { grep -rn --include='*.[ch]' -E "$1" "${@:2}" 2>/dev/null; }

# The buffer model has no FUSE in it: it names nothing of fs/ (not even in
# a comment: `grep -rl 'fs/' src/tree` is empty) and includes no FUSE header.
mapfile -t bad < <(grep -rl 'fs/' tree)
check "the model (src/tree) names nothing of src/fs" "${bad[@]}"
mapfile -t bad < <(lines '#include [<"](fuse|fs/|control/|daemon/)' tree)
check "the model includes no FUSE header, nothing of fs/, control/ or daemon/" "${bad[@]}"
# The control socket sees the tree through tree/tree.h, and of the FUSE
# side only the holders walk (fs/holders-scan.h).
mapfile -t bad < <(lines '#include "(tree/|fs/)' control | grep -vE '"(tree/tree\.h|fs/holders-scan\.h)"')
check "src/control includes tree/tree.h and fs/holders-scan.h only of tree/ and fs/" "${bad[@]}"
# Includes point down: nothing below the daemon includes it.
mapfile -t bad < <(lines '#include "daemon/' fs tree control backend shared lib ctl policy.c buffer.c)
check "nothing but src/daemon includes daemon/" "${bad[@]}"
mapfile -t bad < <(lines '#include "(fs|tree|control|backend|daemon)/|#include "buffer\.h"' shared lib)
check "src/shared and src/lib include only each other" "${bad[@]}"
# Locks are static, each taken only inside its own file.
mapfile -t bad < <(lines '^pthread_(mutex|rwlock|spinlock)_t' .)
check "no lock is global (every pthread lock at file scope is static)" "${bad[@]}"
# No file grows past what one reading takes.
mapfile -t bad < <(find . -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 700 { print $2 ": " $1 " lines" }')
check "no file in src/ is over 700 lines" "${bad[@]}"

echo "1..$n"
exit 0
