#!/bin/bash
# One oslift command at a time per root: stage, cancel, restore and the
# upgrader take the root's lock before their first write; the loser says
# who holds it and changes nothing. The holder is slowed down by the
# release-8 %post of "scripted", which sleeps.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages)
base=$tmp/base
t_make_release7_root "$base" "$pkgs"

copy() {
	rm -rf "${tmp:?}/$1"
	cp -a "$base" "$tmp/$1"
	echo "$tmp/$1"
}
stage() { "$HOST_PREP" --root "$1" stage --packages "$pkgs/release8" --erase legacy; }

# hold ROOT: starts the upgrader on ROOT in the background (its output in
# $tmp/first.log, its PID in $first) and waits until a scriptlet sleeps.
hold() {
	local i
	setsid "$UPGRADER" --root "$1" >"$tmp/first.log" 2>&1 &
	first=$!
	for ((i = 0; i < 3000; i++)); do
		pgrep -s "$first" -x sleep >/dev/null && return 0
		sleep 0.01
	done
	return 1
}

# Two upgraders on one root: the second refuses at once and changes
# nothing; the first finishes as if alone.
root=$(copy two-upgraders)
stage "$root" >/dev/null 2>&1
reference=$(copy reference)
stage "$reference" >/dev/null 2>&1
"$UPGRADER" --root "$reference" >/dev/null 2>&1
if hold "$root"; then
	t_run timeout 60 "$UPGRADER" --root "$root"
	t_is "$T_RC" 1 "two upgraders: the second refuses (exit 1)"
	t_match "$T_OUT" "another oslift command \(PID $first, upgrader\) is working on $root; try again when it has finished" \
		"two upgraders: the second names the first"
	t_match "$T_OUT" "nothing was changed in $root" "two upgraders: and changes nothing"
	t_is "$(grep -c "removed .* files" <<<"$T_OUT")" 0 "two upgraders: the second removes none of the first's temporary files"
else
	t_fail "two upgraders: the first reaches a scriptlet"
fi
wait "$first"
t_is "$?" 0 "two upgraders: the first applies"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" applied "two upgraders: status.json says applied"
t_is "$(t_rpm "$root" -qa | LC_ALL=C sort)" "$(t_rpm "$reference" -qa | LC_ALL=C sort)" \
	"two upgraders: the packages are those of an upgrade alone"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "two upgraders: a later run finds the journal intact"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "two upgraders: restore runs"

# cancel while the upgrader works: refused, nothing removed.
root=$(copy cancel-during)
stage "$root" >/dev/null 2>&1
if hold "$root"; then
	t_run timeout 60 "$HOST_PREP" --root "$root" cancel
	t_is "$T_RC" 3 "cancel during the upgrader: refused (exit 3)"
	t_match "$T_OUT" "another oslift command \(PID $first, upgrader\) is working on $root" \
		"cancel during the upgrader: names the upgrader"
	t_match "$T_OUT" "nothing was removed" "cancel during the upgrader: and removes nothing"
else
	t_fail "cancel during the upgrader: the upgrader reaches a scriptlet"
fi
wait "$first"
t_is "$?" 0 "cancel during the upgrader: the upgrade applies all the same"
t_ok "cancel during the upgrader: the plan is still there" test -s "$root/var/lib/oslift/plan"

# Two stage runs at once on a fresh root: exactly one stages, the other
# refuses without removing anything, and what is staged is whole.
root=$(copy two-stages)
stage "$root" >"$tmp/stage1.log" 2>&1 &
p1=$!
stage "$root" >"$tmp/stage2.log" 2>&1 &
p2=$!
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
t_is "$(( (rc1 == 0) + (rc2 == 0) ))" 1 "two stages at once: exactly one stages (exit $rc1 and $rc2)"
loser=$tmp/stage1.log; ((rc1 == 0)) && loser=$tmp/stage2.log
t_match "$(cat "$loser")" "another oslift command \(PID [0-9]+, host-prep\) is working on $root|an upgrade is already staged in $root" \
	"two stages at once: the other says why"
t_run "$HOST_PREP" --root "$root" status
t_match "$T_OUT" "state: staged" "two stages at once: status says staged"
n=$(find "$root/var/lib/oslift/packages" -name '*.rpm' | wc -l)
t_is "$n" "$(ls "$pkgs/release8" | wc -l)" "two stages at once: every package is staged"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "two stages at once: the staged plan applies"
