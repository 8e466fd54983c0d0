#!/bin/bash
# The man pages render without a warning, and cannot drift from the code:
# every option of the option parsers, every command, finding id, exit
# status, kernel argument, file and environment variable the code has is
# in its page, and oslift-plan(5) has every word of the plan's grammar.
. "$(dirname "$0")/../lib.sh"

top=$(cd "$TESTS_DIR/.." && pwd)
tmp=$(t_tmpdir)
version=$(sed -n 's/^VERSION := //p' "$top/Makefile")

# render PAGE: the page as man shows it, 200 columns so that nothing of
# interest is hyphenated across lines.
render() { LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$1" 2>/dev/null; }

for page in host-prep.8 upgrader.8 oslift-plan.5; do
	src=$top/man/$page
	t_run groff -man -ww -z "$src"
	t_is "$T_OUT" "" "$page: groff -man -ww finds nothing to warn about"
	t_is "$T_RC" 0 "$page: groff renders it"
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$src" 2>&1 >/dev/null)
	t_is "$out" "" "$page: man -l renders it without warnings"
	t_match "$(head -n 20 "$src")" "^\.TH [^ ]+ ${page##*.} [0-9]{4}-[0-9]{2}-[0-9]{2} \"oslift ${version//./\\.}\"" \
		"$page: .TH names section ${page##*.} and oslift $version (the Makefile's VERSION)"
	render "$src" >"$tmp/$page.txt"
done

# has PAGE WORD DESCRIPTION: WORD, literally, in the rendered PAGE.
has() {
	if grep -qF -- "$2" "$tmp/$1.txt"; then t_pass "$3"; else t_fail "$3" "'$2' is not in $1"; fi
}

# The long options of the getopt_long() tables in FILES, and the short
# ones of their option strings.
long_options() { grep -ohP '\{ "\K[a-z][a-z-]*(?=", (no|required|optional)_argument)' "$@" | sort -u; }
short_options() { grep -ohP 'getopt_long\([^"]*"\+?\K[a-zA-Z]*(?=")' "$@" | grep -o . | sort -u; }

check_options() { # PAGE FILES...
	local page=$1 o; shift
	local longs shorts
	longs=$(long_options "$@") shorts=$(short_options "$@")
	[[ -n $longs ]] || t_fail "$page: options found in $*"
	for o in $longs; do has "$page" "--$o" "$page names --$o"; done
	for o in $shorts; do has "$page" "-$o" "$page names -$o"; done
}
check_options host-prep.8 "$top"/host-prep/*.c
check_options upgrader.8 "$top"/upgrader/main.c

# host-prep's commands, each a subsection of COMMANDS.
commands=$(grep -oP '^\s+\{ "\K[a-z]+(?=", cmd_)' "$top/host-prep/main.c")
[[ -n $commands ]] || t_fail "commands found in host-prep/main.c"
for c in $commands; do
	t_match "$(cat "$tmp/host-prep.8.txt")" "^   $c\$" "host-prep.8 has a subsection for the command $c"
done

# The stable ids of check's findings: in findings_add() calls, and in the
# tables that hold a finding's severity and id ("{ SEVERITY_..., "id"").
ids=$(grep -ohzP '(findings_add\([^,]+,|\{)\s*SEVERITY_[A-Z]+,\s*"\K[a-z-]+' "$top"/host-prep/*.c | tr '\0' '\n' | sort -u)
[[ -n $ids ]] || t_fail "finding ids found in host-prep/*.c"
for id in $ids; do has host-prep.8 "$id" "host-prep.8 explains the finding $id"; done

# Exit statuses: each a tag of EXIT STATUS.
exit_section() { sed -n '/^EXIT STATUS/,/^[A-Z]/p' "$tmp/$1.txt"; }
for s in $(grep -oP 'EXIT_[A-Z_]+ = \K[0-9]+' "$top/host-prep/host-prep.h"); do
	t_match "$(exit_section host-prep.8)" "^       $s  " "host-prep.8 explains exit status $s"
done
for s in $(grep -oP 'EXIT_[A-Z_]+ = \K[0-9]+' "$top/upgrader/main.c"); do
	t_match "$(exit_section upgrader.8)" "^       $s  " "upgrader.8 explains exit status $s"
done

# Kernel arguments the upgrader reads.
for arg in $(grep -oP 'word_is\(&w, "\K[^"]+' "$top/upgrader/cmdline.c" | sort -u); do
	has upgrader.8 "$arg" "upgrader.8 explains the kernel argument $arg"
done

# Environment variables.
for v in $(grep -ohP 'getenv\("\K[A-Z_]+' "$top"/host-prep/*.c "$top"/liboslift/*.c | sort -u); do
	t_match "$(sed -n '/^ENVIRONMENT/,/^[A-Z]/p' "$tmp/host-prep.8.txt")" "^       $v( |\$)" "host-prep.8 explains the environment variable $v"
done
for v in $(grep -ohP 'getenv\("\K[A-Z_]+' "$top"/upgrader/*.c "$top"/liboslift/*.c | sort -u); do
	t_match "$(sed -n '/^ENVIRONMENT/,/^[A-Z]/p' "$tmp/upgrader.8.txt")" "^       $v( |\$)" "upgrader.8 explains the environment variable $v"
done

# Files: the paths of liboslift/paths.h, string concatenation resolved;
# the install directories as this build has them (make's PREFIX=/usr, which
# the pages name).
paths_h() {
	t_c_defines OSLIFT_ "$top/liboslift/paths.h" "$OSLIFT_BUILD/gen/install-paths.h"
}
paths_h >"$tmp/paths"
[[ -s $tmp/paths ]] || t_fail "paths found in liboslift/paths.h"
while read -r name path; do
	has host-prep.8 "$path" "host-prep.8 names $path ($name)"
	# The upgrader's page: the files the upgrader's code names.
	if grep -qw "$name" "$top"/upgrader/*.c; then
		has upgrader.8 "$path" "upgrader.8 names $path ($name)"
	fi
done <"$tmp/paths"

# oslift-plan(5) against docs/plan-format.md, the format's source of truth:
# every quoted word of the grammar, and the example, byte for byte (its
# end line is right for its text).
grammar=$(sed -n '/^## Grammar/,/^## Records/p' "$top/docs/plan-format.md")
for w in $(grep -oP '"\K[a-z][a-z-]+(?=")' <<<"$grammar" | sort -u); do
	has oslift-plan.5 "$w" "oslift-plan.5 has \"$w\" of the grammar"
done
sed -n '/^## Example/,/^## [^E]/p' "$top/docs/plan-format.md" | sed -n '/^oslift-plan 1$/,/^end /p' >"$tmp/doc-example"
sed -n '/^EXAMPLE/,/^[A-Z]/{/^ *oslift-plan 1$/,/^ *end /p}' "$tmp/oslift-plan.5.txt" | sed 's/^ *//' >"$tmp/man-example"
t_ok "oslift-plan.5's example is docs/plan-format.md's" cmp "$tmp/doc-example" "$tmp/man-example"
t_is "$(head -n -1 "$tmp/man-example" | sha256sum | cut -d' ' -f1)" "$(tail -n 1 "$tmp/man-example" | cut -d' ' -f3)" \
	"the example's end line is right for its text"

# --help stays short and points to the page.
t_match "$("$HOST_PREP" --help)" 'host-prep\(8\)' "host-prep --help points to host-prep(8)"
t_match "$("$HOST_PREP" check --help)" 'host-prep\(8\)' "host-prep check --help points to host-prep(8)"
t_match "$("$UPGRADER" --help)" 'upgrader\(8\)' "upgrader --help points to upgrader(8)"
n=$("$HOST_PREP" --help | wc -l)
if ((n <= 30)); then t_pass "host-prep --help is short ($n lines)"; else t_fail "host-prep --help is short" "$n lines"; fi
