#!/bin/bash
# Every shell file of the tree passes shellcheck at warning level, sourced
# helpers followed (-x; .shellcheckrc says where to find them): one test
# point per file. The shell files are the tracked *.sh and the tracked
# files whose first line is a sh or bash #! line or a "# shellcheck
# shell=" directive (completion/host-prep, which bash sources).
. "$(dirname "$0")/../lib.sh"

top=$(cd "$TESTS_DIR/.." && pwd)
command -v shellcheck >/dev/null || t_skip_all "no shellcheck (initrd/bootstrap-debian.sh installs it)"
command -v git >/dev/null && git -C "$top" rev-parse --git-dir >/dev/null 2>&1 ||
	t_skip_all "not a git checkout: the shell files are found with git ls-files"

cd "$top" || exit 1
files=()
while IFS= read -r -d '' f; do
	[[ -f $f && ! -L $f ]] || continue
	if [[ $f == *.sh ]] || head -n 1 "$f" | grep -Eq '^(#! *(/usr)?/bin/(env +)?(ba)?sh( |$)|# shellcheck shell=(ba)?sh)'; then
		files+=("$f")
	fi
done < <(git ls-files -z)

# The finder itself: it sees the kinds named above.
for want in tests/lib.sh .ci/run completion/host-prep tests/e2e/boot-driver/go.cgi; do
	if [[ " ${files[*]} " == *" $want "* ]]; then t_pass "$want is among the ${#files[@]} shell files"
	else t_fail "$want is among the shell files" "found: ${files[*]}"; fi
done

for f in "${files[@]}"; do
	t_run shellcheck -S warning -x "$f"
	if ((T_RC == 0)); then t_pass "shellcheck: $f"; else mapfile -t out <<<"$T_OUT"; t_fail "shellcheck: $f" "${out[@]}"; fi
done
