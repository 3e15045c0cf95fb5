#!/bin/bash
# The bash completion of dmabufctl (src/ctl/dmabufctl.bash-completion),
# driven the way bash drives it (COMP_WORDS/COMP_CWORD, then the function
# `complete -p` names): subcommands, each one's options and values, and
# buffer names read from the mount given by --mount or $DMABUFFS_MOUNT.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
require_host
bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || skip_all "bash-completion is not installed ($bc)"

start_daemon || bail_out "dmabuffs did not mount"
truncate -s 4096 "$M/frame0" "$M/frame1" "$M/other"

# complete WORDS...: the completions bash would offer for the last word.
complete_words() {
	bash --norc --noprofile -c '
		. "$1"; . "$2"; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		fn=$(complete -p dmabufctl | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		"$fn" dmabufctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' \
		bash "$bc" "$top_srcdir/src/ctl/dmabufctl.bash-completion" "$@"
}

got=$(complete_words dmabufctl "" | tr '\n' ' ')
is "$got" "alloc export import info list metrics publish set-iomem snapshot top unpublish watch " \
	"the subcommands"
is "$(complete_words dmabufctl sn | tr '\n' ' ')" "snapshot " "a prefix completes to its subcommand"
is "$(complete_words dmabufctl info fr | tr '\n' ' ')" "frame0 frame1 " \
	"info completes buffer names from \$DMABUFFS_MOUNT"
is "$(DMABUFFS_MOUNT=/nonexistent complete_words dmabufctl --mount "$M" snapshot o | tr '\n' ' ')" \
	"other " "--mount DIR decides where the names come from"
is "$(complete_words dmabufctl list --j | tr '\n' ' ')" "--json " "list offers --json"
is "$(complete_words dmabufctl top --i | tr '\n' ' ')" "--interval " "top offers --interval"
is "$(complete_words dmabufctl top --by c | tr '\n' ' ')" "cgroup " "top --by completes cgroup"
is "$(complete_words dmabufctl watch --j | tr '\n' ' ')" "--json " "watch offers --json"
like "$(complete_words dmabufctl snapshot frame0 --ma)" "--matrix" "snapshot offers --matrix"
is "$(complete_words dmabufctl snapshot frame0 --matrix "" | tr '\n' ' ')" "bt601 bt709 " \
	"--matrix takes bt601 or bt709"
is "$(complete_words dmabufctl snapshot frame0 --range "" | tr '\n' ' ')" "full limited " \
	"--range takes limited or full"
like "$(complete_words dmabufctl snapshot frame0 --format NV | tr '\n' ' ')" "NV12 NV16 NV21" \
	"--format offers the YUV fourccs"
is "$(complete_words dmabufctl set-iomem frame0 "" | tr '\n' ' ')" "0 1 " \
	"set-iomem's second argument is 0 or 1"
is "$(complete_words dmabufctl alloc --backend "" | tr '\n' ' ')" \
	"$(ls "$M/new" | sort | tr '\n' ' ')" "alloc --backend offers the mount's backends"

stop_daemon
done_testing
