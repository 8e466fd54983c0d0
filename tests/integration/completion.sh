#!/bin/bash
# Bash completion for host-prep (completion/host-prep) offers every
# command and every option of host-prep's own parsers, command by command,
# and completes their arguments: directories, files, installed packages.
. "$(dirname "$0")/../lib.sh"

top=$(cd "$TESTS_DIR/.." && pwd)
completion=$top/completion/host-prep
tmp=$(t_tmpdir)

t_ok "completion/host-prep is valid bash" bash -n "$completion"

# complete WORDS...: what the completion offers for the last word, sorted,
# one line; as bash calls it (COMP_WORDS, COMP_CWORD), in a fresh shell.
complete_words() {
	bash -c '. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
		_host_prep
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | tr "\n" " "' _ "$completion" "$@"
}
t_is "$(bash -c '. "$1"; complete -p host-prep' _ "$completion")" "complete -F _host_prep host-prep" \
	"it registers itself for host-prep"

# The long options of a getopt_long() table, sorted, one line.
options_of() { grep -ohP '\{ "\K[a-z][a-z-]*(?=", (no|required|optional)_argument)' "$@" | sed 's/^/--/' |
	LC_ALL=C sort -u | tr '\n' ' '; }

t_is "$(complete_words host-prep "")" \
	"$(grep -oP '^\s+\{ "\K[a-z]+(?=", cmd_)' "$top/host-prep/main.c" | LC_ALL=C sort | tr '\n' ' ')" \
	"the commands of host-prep/main.c"
t_is "$(complete_words host-prep --)" "$(options_of "$top/host-prep/main.c")" \
	"the options before the command, of host-prep/main.c"
t_is "$(complete_words host-prep --root /tmp --json -q "")" "$(complete_words host-prep "")" \
	"the commands after options (and --root's argument)"

assess=$(options_of "$top/host-prep/options.c")
t_is "$(complete_words host-prep stage --)" "$assess" "stage: every option of options.c's parser"
t_is "$(complete_words host-prep check --)" "$(tr ' ' '\n' <<<"$assess" | grep -vxE -- '--(no-boot|reboot|upgrade-arg|rollback|verify|verify-timeout)|' | tr '\n' ' ')" \
	"check: the same, without stage's --no-boot, --reboot, --upgrade-arg, --rollback, --verify and --verify-timeout"
t_is "$(complete_words host-prep stage --rollback '')" "links none " "stage --rollback: its modes"
t_is "$(complete_words host-prep stage --upgrade-arg rd.oslift.w)" "rd.oslift.watchdog= " \
	"stage --upgrade-arg: the upgrader's words"
t_is "$(complete_words host-prep --json check --packages /srv --)" "$(complete_words host-prep check --)" \
	"check: after other options"
for cmd in log status cancel inventory; do
	t_is "$(complete_words host-prep "$cmd" --)" "$(options_of "$top/host-prep/$cmd.c")" \
		"$cmd: every option of $cmd.c's parser"
done
t_is "$(complete_words host-prep restore --)" "--help " "restore: --help"
t_is "$(complete_words host-prep stage --al)" "--allow-downgrade --allow-erasing " "a prefix narrows it"

# Arguments.
mkdir -p "$tmp/dirs/alpha" "$tmp/dirs/beta"
touch "$tmp/dirs/afile" "$tmp/dirs/key.asc"
t_is "$(complete_words host-prep --root "$tmp/dirs/")" "$tmp/dirs/alpha $tmp/dirs/beta " "--root: directories"
t_is "$(complete_words host-prep check --packages "$tmp/dirs/a")" "$tmp/dirs/alpha " "--packages: directories"
t_is "$(complete_words host-prep check --key "$tmp/dirs/k")" "$tmp/dirs/key.asc " "--key: files"
t_is "$(complete_words host-prep log --from-serial "$tmp/dirs/a")" "$tmp/dirs/afile $tmp/dirs/alpha " "--from-serial: files"

pkgs=$(t_packages)
t_make_release7_root "$tmp/root" "$pkgs"
t_is "$(complete_words host-prep --root "$tmp/root" check --erase web)" "webapp " \
	"--erase: the installed packages of --root's system"
t_is "$(complete_words host-prep --root="$tmp/root" stage --install-only kernel)" "kernel-core " \
	"--install-only: likewise, with --root=DIR"
