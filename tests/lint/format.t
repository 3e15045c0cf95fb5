#!/usr/bin/env bash
# format: every C file is as clang-format (.clang-format, kernel style at
# 100 columns) makes it; `./dev format` fixes what this reports.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 99
if ! command -v clang-format >/dev/null; then
	echo "1..0 # SKIP clang-format is not installed (./dev test installs it)"
	exit 0
fi
n=0
for dir in include src tests examples; do
	n=$((n + 1))
	mapfile -t files < <(find "$dir" -name '*.[ch]' | sort)
	if out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1); then
		echo "ok $n - $dir: ${#files[@]} files as clang-format makes them"
	else
		echo "not ok $n - $dir: clang-format would change these (./dev format):"
		echo "$out" | grep -E '^[^ ].*: (error|warning):' | cut -d: -f1 | sort -u | sed 's/^/#   /'
	fi
done
echo "1..$n"
