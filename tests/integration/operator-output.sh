#!/bin/bash
# What host-prep shows an operator and a program: --json (one document on
# stdout for check, stage, status, log, restore, cancel), --quiet, colour
# on terminals only and never with NO_COLOR, stage's progress bar on a
# terminal and plain lines on a pipe, and the exit statuses.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages)
root=$tmp/root
t_make_release7_root "$root" "$pkgs"
rel8=$pkgs/release8

# json_ok FILE DESCRIPTION: FILE is exactly one JSON document, as a strict
# reader (UTF-8, no trailing data) takes it.
json_ok() {
	if python3 -c 'import json,sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))' "$1" 2>"$tmp/json.err"; then
		t_pass "$2"
	else
		t_fail "$2" "$(cat "$tmp/json.err")" "$(head -c 600 "$1")"
	fi
}
# hp ARGS...: host-prep on the root, stdout to $tmp/out, stderr to
# $tmp/err, the exit status in RC.
hp() { RC=0; "$HOST_PREP" --root "$root" "$@" >"$tmp/out" 2>"$tmp/err" || RC=$?; }
# on_pty CMD...: CMD with stdout and stderr on a terminal (script(1)),
# TERM=xterm; the exit status in RC, the terminal's output in $tmp/pty.
on_pty() {
	RC=0
	TERM=xterm script -qefc "$(printf '%q ' "$@")" /dev/null </dev/null >"$tmp/pty" 2>&1 || RC=$?
}
ESC=$'\033'
CR=$'\r'

# --- check --json, and the blocked stage --json ---
hp --json check --packages "$rel8"
t_is "$RC" 1 "check --json: exit status 1 when something blocks"
json_ok "$tmp/out" "check --json: stdout is one JSON document"
t_is "$(t_json "$tmp/out" '[d["blockers"], d["target_packages"], sorted(d["findings"][0].keys())]')" \
	"[1, 11, ['acceptable', 'accepted', 'action', 'details', 'id', 'meaning', 'severity', 'subject', 'title']]" "check --json: counts and findings"
t_is "$(t_json "$tmp/out" '"staged" in d')" False "check --json has no stage keys"

hp --json stage --packages "$rel8"
t_is "$RC" 1 "stage --json: exit status 1 when something blocks"
json_ok "$tmp/out" "stage --json, blocked: stdout is one JSON document"
t_is "$(t_json "$tmp/out" '[d["staged"], d["state_dir"], d["boot_armed"], d["initramfs"], d["blockers"]]')" \
	"[False, None, False, None, 1]" "stage --json, blocked: staged false, and check's findings"
t_match "$(cat "$tmp/err")" 'not staged' "the reason is on stderr"

# --- --quiet ---
hp --quiet check --packages "$rel8"
t_is "$RC" 1 "check --quiet: the same exit status"
t_match "$(cat "$tmp/out")" '^BLOCKER +unresolved-dependency:' "check --quiet: the blocker"
t_match "$(cat "$tmp/out")" '^WARNING +no-signature-check:' "check --quiet: the warning"
t_is "$(grep -cE '^(info|oslift pre-upgrade check|[0-9]+ blocker)' "$tmp/out")" 0 \
	"check --quiet: no heading, no info findings, no count"
hp -q check --packages "$rel8" --erase legacy
t_is "$RC:$(grep -c '^BLOCKER' "$tmp/out")" "0:0" "check -q: nothing blocks, no blocker shown"

# --- stage: progress on a pipe, then the JSON document ---
cp -a "$root" "$tmp/root-pipe"
RC=0
"$HOST_PREP" --root "$tmp/root-pipe" stage --packages "$rel8" --erase legacy >"$tmp/out" 2>&1 || RC=$?
t_is "$RC" 0 "stage on a pipe succeeds"
t_match "$(cat "$tmp/out")" '^verifying: [0-9]+% \([0-9]+/11 packages, [0-9.]+/[0-9.]+ MiB\)' \
	"on a pipe: plain progress lines while verifying"
t_match "$(cat "$tmp/out")" '^verified 11 packages \([0-9.]+ [KM]iB\) in [0-9.]+ s' "and a line when verified"
t_match "$(cat "$tmp/out")" '^copied 11 packages \([0-9.]+ [KM]iB\) in [0-9.]+ s' "and when copied"
t_is "$(grep -c "[$CR$ESC]" "$tmp/out")" 0 "on a pipe: no carriage returns, no escape codes"

hp --json stage --packages "$rel8" --erase legacy
t_is "$RC" 0 "stage --json succeeds"
json_ok "$tmp/out" "stage --json: stdout is one JSON document, no progress in it"
t_is "$(t_json "$tmp/out" '[d["staged"], d["state_dir"], d["boot_armed"], d["initramfs"], d["reboot"], d["target_packages"]]')" \
	"[True, '$root/var/lib/oslift', False, None, False, 11]" "stage --json: what was staged, and where"

hp --json stage --packages "$rel8" --erase legacy
t_is "$RC" 3 "staging again: exit status 3"
t_is "$(cat "$tmp/out")" "" "staging again: nothing on stdout (it did not get to assess)"

# --- status --json ---
hp --json status
json_ok "$tmp/out" "status --json: stdout is one JSON document"
t_is "$(t_json "$tmp/out" '[d["state"], d["packages_total"]]')" "['staged', 11]" "status --json: staged, 11 packages"
hp --quiet status
t_match "$(cat "$tmp/out")" '^state: staged ' "status --quiet still shows the status"
RC=0; "$HOST_PREP" --root "$tmp" --json status >"$tmp/out" 2>&1 || RC=$?
t_is "$RC:$(cat "$tmp/out")" '0:{"state":"none"}' "status --json with nothing staged"

# --- log --json before and after the upgrade ---
hp --json log
t_is "$RC:$(cat "$tmp/out")" "3:" "log --json before any upgrade: exit status 3, nothing on stdout"
t_match "$(cat "$tmp/err")" 'no upgrade log or report' "and says why on stderr"

t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "the upgrader applies the plan"
hp --json log
t_is "$RC" 0 "log --json with the upgrade log only"
json_ok "$tmp/out" "log --json: stdout is one JSON document"
t_is "$(t_json "$tmp/out" '[d["root"], d["upgrade_log"]["path"], d["upgrade_log"]["truncated"], d["report"]]')" \
	"['$root', '$root/var/log/oslift/upgrade.log', False, None]" "log --json: the log, no report yet"
t_is "$(t_json "$tmp/out" 'd["upgrade_log"]["text"]')" "$(cat "$root/var/log/oslift/upgrade.log")" \
	"log --json: the log's text, whole"
t_is "$(t_json "$tmp/out" 'd["boot_log"]')" "None" "log --json: no boot log after a --root run"
# What an upgrade boot leaves beside upgrade.log (upgrader/boot.c).
printf '[    3.104] mounted / (ext4, UUID=1234) in 0.2 s\n' >"$root/var/log/oslift/boot.log"
hp --json log
t_is "$(t_json "$tmp/out" '[d["boot_log"]["path"], d["boot_log"]["text"], d["boot_log"]["truncated"]]')" \
	"['$root/var/log/oslift/boot.log', '[    3.104] mounted / (ext4, UUID=1234) in 0.2 s\\n', False]" \
	"log --json: the boot log too"
hp log
t_is "$(grep '^==> ' "$tmp/out" | cut -d' ' -f2-3)" $'upgrade boot\nupgrade log' \
	"log: the boot log first, then the upgrade log"
rm "$root/var/log/oslift/boot.log"

hp --json restore
t_is "$RC" 0 "restore --json succeeds"
json_ok "$tmp/out" "restore --json: stdout is one JSON document"
t_ok "restore --json prints report.json" cmp "$tmp/out" "$root/var/log/oslift/report.json"

hp --json log
json_ok "$tmp/out" "log --json after restore: one JSON document"
t_is "$(t_json "$tmp/out" '[d["report"]["result"], d["report"]["installed"]]')" "['applied', 11]" \
	"log --json: report.json's object as it is"

# Bytes that are not UTF-8 in the log (scriptlets print anything), and a
# damaged report.json.
cp "$root/var/log/oslift/report.json" "$tmp/report.json"
printf 'scriptlet said \xff\xfe and \x01\n' >>"$root/var/log/oslift/upgrade.log"
printf '{"version":1,' >"$root/var/log/oslift/report.json"
hp --json log
t_is "$RC" 0 "log --json with a damaged report.json still shows the log"
json_ok "$tmp/out" "log --json: still one JSON document, with bytes that are not UTF-8 in the log"
t_match "$(t_json "$tmp/out" 'd["upgrade_log"]["text"].splitlines()[-1]')" $'^scriptlet said \xef\xbf\xbd\xef\xbf\xbd and \x01$' \
	"the bytes become U+FFFD, the control character stays"
t_is "$(t_json "$tmp/out" 'd["report"]')" None "the damaged report is left out"
t_match "$(cat "$tmp/err")" 'report.json is not a JSON document' "with a warning naming it"
cp "$tmp/report.json" "$root/var/log/oslift/report.json"

# --- commit --json: the undo set goes (cancel keeps a restored root's) ---
hp --json commit
t_is "$RC" 0 "commit --json after restore"
t_match "$(cat "$tmp/out")" '^\{"removed":true,"bytes":[0-9]+\}$' "commit --json: one JSON document, the bytes it freed"

# --- cancel --json ---
hp --json cancel
t_is "$RC" 0 "cancel --json after restore removes what is left"
t_is "$(cat "$tmp/out")" '{"removed":true,"packages":0,"plan":true}' "cancel --json: what it removed"
mkdir -p "$tmp/empty"
RC=0; "$HOST_PREP" --root "$tmp/empty" --json cancel >"$tmp/out" 2>&1 || RC=$?
t_is "$RC:$(cat "$tmp/out")" '0:{"removed":false}' "cancel --json with nothing staged"
RC=0; "$HOST_PREP" --root "$tmp/root-pipe" -q cancel >"$tmp/out" 2>"$tmp/err" || RC=$?
t_is "$RC:$(cat "$tmp/out")" "0:" "cancel --quiet: done, nothing on stdout"
t_ok "and it did cancel" test ! -e "$tmp/root-pipe/var/lib/oslift"

# --- a terminal: the progress bar and colour ---
cp -a "$tmp/root-pipe" "$tmp/root-pty"
on_pty env -u NO_COLOR "$HOST_PREP" --root "$tmp/root-pty" stage --packages "$rel8" --erase legacy
t_is "$RC" 0 "stage on a terminal succeeds"
pty=$(cat "$tmp/pty")
t_match "$pty" "${CR}verifying \[[=> ]+\] +[0-9]+% +[0-9]+/11 +[0-9.]+/[0-9.]+ MiB +[^ ]+ +ETA [-:0-9]+" \
	"on a terminal: a progress bar while verifying (bar, %, packages, bytes, rate, ETA)"
t_match "$pty" "${CR}copying \[[=> ]+\] " "and while copying"
t_match "$pty" "${CR}verified 11 packages \([0-9.]+ [KM]iB\) in [0-9.]+ s" "the bar ends in the line saying what was done"
t_is "$(grep -c '^verifying: ' <<<"$pty")" 0 "no plain progress lines on a terminal"
t_match "$pty" "^${ESC}\[1;33mWARNING${ESC}\[0m +no-signature-check" "on a terminal: the warning in colour"
t_is "$(tr '\r' '\n' <<<"$pty" | grep -E '^(verifying|copying) \[' | awk 'length($0) > 79' | wc -l)" 0 \
	"the bar fits 80 columns (the width when the terminal does not say)"

on_pty env -u NO_COLOR "$HOST_PREP" --root "$tmp/root-pty" check --packages "$rel8"
t_match "$(cat "$tmp/pty")" "^${ESC}\[1;31mBLOCKER${ESC}\[0m +unresolved-dependency" "a blocker in red"
on_pty env -u NO_COLOR "$HOST_PREP" --root "$tmp/root-pty" status
t_match "$(cat "$tmp/pty")" "^state: ${ESC}\[1mstaged${ESC}\[0m " "the state in status in colour"
on_pty env -u NO_COLOR "$HOST_PREP" --root "$tmp/root-pty" cancel extra
t_match "$(cat "$tmp/pty")" "^host-prep: ${ESC}\[1;31merror:${ESC}\[0m cancel takes no arguments" "errors in colour on a terminal"
t_is "$RC" 2 "an extra argument: exit status 2"

for how in NO_COLOR=1 TERM=dumb; do
	on_pty env -u NO_COLOR "$how" "$HOST_PREP" --root "$tmp/root-pty" check --packages "$rel8"
	t_is "$RC:$(grep -c "$ESC" "$tmp/pty")" "1:0" "$how: no colour on a terminal"
	on_pty env -u NO_COLOR "$how" "$HOST_PREP" --root "$tmp/root-pty" cancel extra
	t_is "$(grep -c "$ESC" "$tmp/pty")" 0 "$how: no colour in errors either"
done
on_pty env NO_COLOR= "$HOST_PREP" --root "$tmp/root-pty" status
t_match "$(cat "$tmp/pty")" "${ESC}\[" "an empty NO_COLOR is unset (no-color.org)"
on_pty env -u NO_COLOR "$HOST_PREP" --root "$tmp/root-pty" --json status
json_ok <(tr -d '\r' <"$tmp/pty") "--json on a terminal: plain JSON, no colour"

cp -a "$tmp/root-pipe" "$tmp/root-quiet"
on_pty env -u NO_COLOR "$HOST_PREP" --root "$tmp/root-quiet" -q stage --packages "$rel8" --erase legacy
t_is "$RC" 0 "stage --quiet on a terminal succeeds"
t_is "$(grep -cE 'verif|copy|staged' "$tmp/pty")" 0 "--quiet: no progress and no summary on a terminal either"
t_match "$(cat "$tmp/pty")" "^${ESC}\[1;33mWARNING${ESC}\[0m +no-signature-check" "only the warning"
on_pty env -u NO_COLOR "$HOST_PREP" --root "$tmp/root-quiet" -q stage --packages "$rel8" --erase legacy
t_is "$RC" 3 "staged already: exit status 3"
