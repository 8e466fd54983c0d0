#!/bin/bash
# An upgrade cut short anywhere finishes when the upgrader runs again, and
# ends exactly where an uninterrupted one ends: same packages, rpm -Va as
# clean, the same bytes in every file but rpm's own database and oslift's
# logs, the site's data untouched. The cut is a SIGKILL of the upgrader
# and its scriptlets at a given progress line; the power cut itself (lost
# page cache) is the QEMU test's part (tests/e2e/power-cut.sh).
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages fillers 120)
base=$tmp/base
t_make_release7_root "$base" "$pkgs"
if ! "$HOST_PREP" --root "$base" stage --packages "$pkgs/release8" --erase legacy >/dev/null; then
	t_fail "stage the base root"
	exit 1
fi

# What must come out equal. The scriptlet log is compared on its own: a
# package installed again after a cut runs its scriptlets again, as rpm
# --reinstall does (docs/journal.md).
outcome() {
	local root=$1
	t_rpm "$root" -qa --qf '%{NEVRA}\n' | LC_ALL=C sort
	t_rpm "$root" -Va 2>&1 | LC_ALL=C sort
	t_tree_digest "$root" './var/lib/rpm*' './var/lib/oslift*' './var/log/oslift*' \
		./var/lib/scripted/scriptlets.log
}

# What a rollback puts back: all of it but oslift's state and logs, /var/log
# (which the upgrader made for its log) and the scriptlets' own log in a
# directory no package owns (as rollback-root.sh compares).
rolled_back() {
	local root=$1
	t_rpm "$root" -qa --qf '%{NEVRA}\n' | LC_ALL=C sort
	t_rpm "$root" -Va 2>&1 | LC_ALL=C sort
	t_tree_digest "$root" ./var/lib/oslift './var/lib/oslift/*' ./var/log ./var/log/oslift './var/log/oslift/*' \
		./var/lib/scripted/scriptlets.log
}

# What the report will tell (restore reads it from the outcome): how many
# packages were installed and erased, the .rpmnew/.rpmsave files, the
# scriptlets that failed, rpm's errors.
report_of() {
	grep -E '^(installed|erased|config|script-failure|error) ' "$1/var/lib/oslift/outcome" | LC_ALL=C sort
}

# The scriptlets the uninterrupted upgrade ran that did not run in ROOT:
# none may be missing, %posttrans and the file trigger at the
# transaction's end included. How often each ran and its instance-count
# arguments are left out: a package installed again runs its scriptlets
# again, and its triggers fire or not by what is installed at that moment
# (rpm --reinstall's rules). The file trigger's count of files is kept:
# it must see all of them.
scriptlets_run() {
	awk '$1 == "transfiletriggerin" { print; next } $1 == "triggerin" { print $1, $2, $3; next } { print $1, $2 }' \
		"$1/var/lib/scripted/scriptlets.log" | LC_ALL=C sort -u
}
missing_effects() {
	comm -23 <(scriptlets_run "$reference") <(scriptlets_run "$1")
}

# Both checks for a root that a resumed run finished.
same_report_and_effects() {
	local root=$1 what=$2
	t_is "$(report_of "$root")" "$expected_report" "$what: the report tells what the uninterrupted one tells"
	t_is "$(missing_effects "$root")" "" "$what: every scriptlet the uninterrupted upgrade ran has run"
}

copy() {
	rm -rf "${tmp:?}/$1"
	cp -a "$base" "$tmp/$1"
	echo "$tmp/$1"
}

reference=$(copy reference)
t_run "$UPGRADER" --root "$reference"
t_is "$T_RC" 0 "the uninterrupted upgrade applies"
expected=$(outcome "$reference")
expected_report=$(report_of "$reference")
t_match "$expected_report" '^config .*webapp.conf created as .*rpmnew' "the reference's report has a .rpmnew"
t_match "$expected_report" '^script-failure .*failing-post.*exit status 7' "and a failed %post"
t_match "$(cat "$reference/var/lib/scripted/scriptlets.log")" $'\nposttrans 8 2\ntransfiletriggerin 8 [0-9]+$' \
	"the reference ran %posttrans and the file trigger at its end"
total=$(grep -oE '^\[ *[0-9]+/[0-9]+' <<<"$T_OUT" | head -n1 | cut -d/ -f2)

# interrupt ROOT WHEN: runs the upgrader in ROOT in a session of its own and
# kills the whole session when WHEN is met: "line:K" once progress line K
# is out, "scriptlet" once a scriptlet of scripted runs (its release-8
# %post sleeps). Leaves the output in $tmp/cut.log.
interrupt() {
	local root=$1 when=$2 pid i
	setsid "$UPGRADER" --root "$root" --checkpoint-every 8 >"$tmp/cut.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 3000; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		case $when in
		line:*) grep -qE "^\[ *${when#line:}/" "$tmp/cut.log" && break ;;
		scriptlet) pgrep -s "$pid" -x sleep >/dev/null && break ;;
		esac
		sleep 0.01
	done
	kill -9 -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# One cut, then a run that must finish it.
cut_points=(line:1 line:2 line:9 line:17 line:40 line:80 line:130 line:170 line:220 "line:$total" scriptlet)
passed=0
for when in "${cut_points[@]}"; do
	root=$(copy "cut-${when#*:}")
	interrupt "$root" "$when"
	last=$(grep -oE '^\[ *[0-9]+/' "$tmp/cut.log" | tail -n1 | tr -dc 0-9)
	if grep -q "upgrade applied" "$tmp/cut.log"; then
		t_skip "cut at $when: the end state, the report and the scriptlets" "the upgrade finished before the cut"
		continue
	fi
	t_run "$UPGRADER" --root "$root"
	if ((T_RC != 0)); then
		t_fail "cut at $when (after element ${last:-0}): the next run finishes" "exit $T_RC: $T_OUT"
		continue
	fi
	t_match "$T_OUT" "^resuming: [0-9]+ of $total done, last checkpoint at [0-9]+ \(attempt 2 of at most 3\)" \
		"cut at $when (after element ${last:-0}): the next run says it resumes"
	if [[ "$(outcome "$root")" == "$expected" ]]; then
		t_pass "cut at $when: the end state equals the uninterrupted upgrade's"
		passed=$((passed + 1))
	else
		t_fail "cut at $when: the end state equals the uninterrupted upgrade's" \
			"$(outcome "$root" >"$tmp/got"; echo "$expected" >"$tmp/want"; diff "$tmp/want" "$tmp/got" | head -n 20)"
	fi
	same_report_and_effects "$root" "cut at $when"
done
echo "# cut points tried: ${#cut_points[@]}, passed: $passed (of $total transaction elements)"

# The scriptlet cut left its package installed but not on record as done:
# the resumed run installs it again.
t_match "$(cat "$tmp/cut-scriptlet/var/log/oslift/upgrade.log")" \
	'installing [0-9]+ again \(after the last checkpoint\)|to install again \(after the last checkpoint\)' \
	"after the scriptlet cut, packages after the last checkpoint are installed again"

# Two cuts in a row, then the end. The second cut is in scripted's %post:
# a resumed attempt always installs scripted again (its %posttrans is
# owed), and its 1-second sleep is a window no load on the machine misses.
root=$(copy twice)
interrupt "$root" line:30
interrupt "$root" scriptlet
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "after two cuts the third run finishes"
t_match "$T_OUT" "attempt 3 of at most 3" "and says it is the third attempt"
t_is "$(outcome "$root")" "$expected" "two cuts: the end state equals the uninterrupted upgrade's"
same_report_and_effects "$root" "two cuts"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" applied "status.json says applied"

# The attempt limit: after N attempts that did not finish, no more.
# Giving up leaves a partly upgraded root: the undo set taken before the
# first attempt puts the old system back, in the same run.
root=$(copy limit)
interrupt "$root" line:20
interrupt "$root" scriptlet
t_run "$UPGRADER" --root "$root" --max-attempts 2
t_is "$T_RC" 0 "with --max-attempts 2 the third run gives up and rolls back (exit 0)"
t_match "$T_OUT" "attempted 2 times and did not finish \(at most 2 attempts\): giving up" "and says why"
t_match "$T_OUT" "putting the old system back from the undo set" "and that it puts the old system back"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" rolled-back "status.json says rolled-back"
t_match "$(t_json "$root/var/lib/oslift/status.json" 'd["message"]')" \
	"rolled back \(the upgrade gave up after 2 attempts that did not finish\)" "with the reason"
t_is "$(rolled_back "$root")" "$(rolled_back "$base")" \
	"the old system is back: its packages, rpm -Va, every file as before the first attempt"
t_ok "the rollback request is done with" test ! -e "$root/var/lib/oslift/rollback"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "a run after the rollback changes nothing (refused, exit 1)"
t_match "$T_OUT" "was rolled back: nothing is done" "and says why"

# Without an undo set (--rollback=none) giving up leaves the root as it is,
# for the default entry to boot, and says so.
root=$(copy limit-none)
"$HOST_PREP" --root "$root" cancel >/dev/null
"$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy --rollback=none >/dev/null
interrupt "$root" line:20
interrupt "$root" scriptlet
t_run "$UPGRADER" --root "$root" --max-attempts 2
t_is "$T_RC" 4 "--rollback=none: the third run gives up (exit 4)"
t_match "$T_OUT" "there is no undo set \(staged with --rollback=none\)" "--rollback=none: and says there is no way back"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" failed "--rollback=none: status.json says failed"
t_match "$(t_json "$root/var/lib/oslift/status.json" 'd["message"]')" "gave up after 2 attempts" \
	"--rollback=none: with the reason"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 4 "--rollback=none: a run after giving up changes nothing (exit 4)"

# A finished upgrade is not applied twice (a cut between its end and the reboot).
t_run "$UPGRADER" --root "$reference"
t_is "$T_RC" 0 "running again after the end succeeds"
t_match "$T_OUT" "applied by an earlier attempt" "without applying anything again"
t_is "$(outcome "$reference")" "$expected" "and changes nothing"

# The journal is checksummed: damage in its middle stops the upgrader.
root=$(copy damaged)
interrupt "$root" line:20
sed -i '3s/^\(.\)/x/' "$root/var/lib/oslift/journal"
before=$(t_tree_digest "$root" ./var/lib/oslift/status.json)
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "a damaged journal is refused"
t_match "$T_OUT" "journal .* is damaged" "with a message naming the journal"
t_is "$(t_tree_digest "$root" ./var/lib/oslift/status.json)" "$before" "and nothing changes"

# A torn last line (a cut in the middle of a write) is not damage.
root=$(copy torn)
interrupt "$root" line:20
printf 'deadbeef done half-writ' >>"$root/var/lib/oslift/journal"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "a torn last journal line is dropped and the upgrade resumes"
t_is "$(outcome "$root")" "$expected" "torn journal: the end state equals the uninterrupted upgrade's"
same_report_and_effects "$root" "torn journal"

