#!/bin/bash
# A root that fights back: symlinks, FIFOs and a state directory that a
# package changes, where oslift writes inside the root. Every write stays
# inside --root (a canary beside the root must stay untouched), nothing
# follows a symlink out of it, no special file hangs a program, and a
# refusal leaves the root as it was and never replaces a state that says
# the root was changed.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages)
base=$tmp/base
t_make_release7_root "$base" "$pkgs"
"$HOST_PREP" --root "$base" stage --packages "$pkgs/release8" --erase legacy >/dev/null 2>&1 ||
	t_fail "stage the base root"

# Outside every root: must never change.
outside=$tmp/outside
mkdir -p "$outside"
echo canary >"$outside/canary"
echo "root:*:1::::::" >"$outside/shadow"
echo leftover >"$outside/rpm-tmp.canary"
outside_digest=$(t_tree_digest "$outside")
outside_untouched() {
	t_is "$(t_tree_digest "$outside")" "$outside_digest" "$1: nothing outside the root changed"
}

copy() {
	rm -rf "${tmp:?}/$1"
	cp -a "$base" "$tmp/$1"
	echo "$tmp/$1"
}

status_state() { t_json "$1/var/lib/oslift/status.json" 'd["state"]'; }

# upgrade.log a symlink to the root's /etc/shadow (relative, climbing):
# neither followed nor written through.
root=$(copy log-link)
mkdir -p "$root/var/log/oslift" "$root/etc"
echo "root:*:1::::::" >"$root/etc/shadow"
ln -s ../../../etc/shadow "$root/var/log/oslift/upgrade.log"
shadow=$(sha256sum <"$root/etc/shadow")
t_run timeout 300 "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "upgrade.log a symlink: the upgrade still applies"
t_match "$T_OUT" "upgrade.log in $root is not a regular file .*remove it" "upgrade.log a symlink: named, with what to do"
t_is "$(sha256sum <"$root/etc/shadow")" "$shadow" "upgrade.log a symlink: the root's /etc/shadow is untouched"
t_ok "upgrade.log a symlink: the symlink is left as it was" test -L "$root/var/log/oslift/upgrade.log"
outside_untouched "upgrade.log a symlink"

# /var/log/oslift an absolute symlink to a directory outside the root:
# resolved inside the root, so the log and the reports land there.
root=$(copy logdir-link)
mkdir -p "$root/var/log"
ln -s "$outside" "$root/var/log/oslift"
t_run timeout 300 "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "/var/log/oslift -> outside: the upgrade applies"
t_ok "/var/log/oslift -> outside: the log is inside the root" test -s "$root$outside/upgrade.log"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "/var/log/oslift -> outside: restore runs"
t_ok "/var/log/oslift -> outside: the reports are inside the root" \
	test -s "$root$outside/report.txt" -a -s "$root$outside/report.json"
outside_untouched "/var/log/oslift -> outside"

# A FIFO at upgrade.log: refused at once, never waited on.
root=$(copy log-fifo)
mkdir -p "$root/var/log/oslift"
mkfifo "$root/var/log/oslift/upgrade.log"
t_run timeout 300 "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "a FIFO at upgrade.log: no hang, the upgrade applies"
t_match "$T_OUT" "upgrade.log in $root is not a regular file" "a FIFO at upgrade.log: named"

# A FIFO at the journal: refused before anything changes.
root=$(copy journal-fifo)
mkfifo "$root/var/lib/oslift/journal"
before=$(t_tree_digest "$root" ./var/lib/oslift/status.json)
t_run timeout 60 "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "a FIFO at the journal: refused, no hang"
t_match "$T_OUT" "journal .* is not a regular file" "a FIFO at the journal: named"
t_match "$T_OUT" "nothing was changed in $root" "a FIFO at the journal: and nothing changed"
t_is "$(t_tree_digest "$root" ./var/lib/oslift/status.json)" "$before" "a FIFO at the journal: the root is unchanged"
outside_untouched "a FIFO at the journal"

# The rpm-tmp.* cleanup of a resumed run, with /var/tmp an absolute
# symlink to a directory outside the root: the cleanup stays inside the
# root, where rpm (chrooted) left the file.
# cut_short ROOT: kills the upgrader on ROOT while a scriptlet runs (the
# release-8 %post of scripted sleeps), as a power cut would stop it.
cut_short() {
	local pid i
	setsid "$UPGRADER" --root "$1" >"$tmp/cut.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 3000; i++)); do
		pgrep -s "$pid" -x sleep >/dev/null && break
		sleep 0.01
	done
	kill -9 -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
root=$(copy tmp-link)
cut_short "$root"
rm -rf "$root/var/tmp"
ln -s "$outside" "$root/var/tmp"
mkdir -p "$root$outside"
echo leftover >"$root$outside/rpm-tmp.leftover"
t_run timeout 300 "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "/var/tmp -> outside: the resumed run finishes"
t_ok "/var/tmp -> outside: the leftover inside the root is removed" test ! -e "$root$outside/rpm-tmp.leftover"
outside_untouched "/var/tmp -> outside"

# The give-up path opens the log first: a FIFO there must not hang it (at
# boot the watchdog would reboot into the same hang every time).
root=$(copy giveup-fifo)
cut_short "$root"
rm -f "$root/var/log/oslift/upgrade.log"
mkfifo "$root/var/log/oslift/upgrade.log"
t_run timeout 120 "$UPGRADER" --root "$root" --max-attempts 1
t_is "$T_RC" 0 "a FIFO at upgrade.log when giving up: gives up and rolls back (exit 0), no hang"
t_match "$T_OUT" "giving up" "a FIFO at upgrade.log when giving up: says so"
t_is "$(status_state "$root")" rolled-back "a FIFO at upgrade.log when giving up: status.json says rolled-back"

# An applied root whose state directory a package made group-writable:
# the refusal keeps "applied", and restore can still run.
root=$(copy applied-gw)
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "group-writable after applied: the upgrade applies"
chmod g+w "$root/var/lib/oslift"
before=$(t_tree_digest "$root")
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "group-writable after applied: a rerun refuses"
t_match "$T_OUT" "keeps saying \"applied\"" "group-writable after applied: and says the state stays"
t_is "$(status_state "$root")" applied "group-writable after applied: status.json still says applied"
t_is "$(t_tree_digest "$root")" "$before" "group-writable after applied: the root is unchanged"
chmod g-w "$root/var/lib/oslift"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "group-writable after applied: restore still runs"
t_is "$(status_state "$root")" restored "group-writable after applied: and the state is restored"

# stage into a root whose /var/lib/oslift is a symlink (../../etc).
root=$tmp/stage-link
rm -rf "$root"; cp -a "$base" "$root"; rm -rf "$root/var/lib/oslift"
ln -s ../../etc "$root/var/lib/oslift"
before=$(t_tree_digest "$root")
t_run "$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy
t_is "$T_RC" 3 "stage, /var/lib/oslift a symlink: refused (exit 3)"
t_match "$T_OUT" "/var/lib/oslift is a symbolic link.*remove the link" \
	"stage, /var/lib/oslift a symlink: named, with what to do"
t_is "$(t_tree_digest "$root")" "$before" "stage, /var/lib/oslift a symlink: the root is unchanged (its /etc too)"
outside_untouched "stage, /var/lib/oslift a symlink"

# /var/lib itself an absolute symlink out of the root.
root=$tmp/stage-parent-link
rm -rf "$root"; mkdir -p "$root/var"; ln -s "$outside" "$root/var/lib"
t_run "$HOST_PREP" --root "$root" cancel
t_is "$T_RC" 3 "cancel, /var/lib a symlink out of the root: refused (exit 3)"
t_match "$T_OUT" "a parent of .* is a symlink" "cancel, /var/lib a symlink: named"
outside_untouched "cancel, /var/lib a symlink"

# A %post that removes /var/lib/oslift (plan and packages with it) during
# the transaction: the state directory is made again with what is known;
# status.json says failed, never "nothing staged", and a rerun never says
# "nothing was changed".
wiper=$OSLIFT_BUILD/test-packages/hostile-cases
"$TESTS_DIR/packages/build.sh" "$wiper" --extra "$TESTS_DIR/packages/hostile-cases" >/dev/null
root=$tmp/state-wiped
rm -rf "$root"; mkdir -p "$root"
t_make_release7_root "$root" "$wiper"
"$HOST_PREP" --root "$root" stage --packages "$wiper/release8" --erase legacy >/dev/null 2>&1 ||
	t_fail "stage with state-wiper"
t_run timeout 300 "$UPGRADER" --root "$root"
t_is "$T_RC" 4 "state directory removed by a %post: the upgrader gives up (exit 4), no resume without a plan"
t_match "$T_OUT" "a package's scriptlet removed $root/var/lib/oslift during the transaction; making it again" \
	"state directory removed by a %post: said so"
t_is "$(status_state "$root")" failed "state directory removed by a %post: status.json says failed"
t_run "$HOST_PREP" --root "$root" status
t_match "$T_OUT" "state: failed" "state directory removed by a %post: host-prep status says failed, not nothing staged"
t_match "$T_OUT" "removed /var/lib/oslift during the upgrade: [0-9]+ of [0-9]+ done; it cannot be resumed" \
	"state directory removed by a %post: and why"
t_run "$UPGRADER" --root "$root"
t_ok "state directory removed by a %post: a rerun does not apply" test "$T_RC" -ne 0
t_unlike() { [[ ! $1 =~ $2 ]] && t_pass "$3" || t_fail "$3" "matched /$2/ in: $1"; }
t_unlike "$T_OUT" "nothing was changed in $root" "state directory removed by a %post: a rerun does not claim nothing was changed"
t_is "$(status_state "$root")" failed "state directory removed by a %post: the rerun keeps failed"
# No state directory at all, but the log of an earlier upgrade.
rm -rf "$root/var/lib/oslift"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "state directory gone, log kept: refused"
t_match "$T_OUT" "an earlier upgrade of $root wrote /var/log/oslift/upgrade.log, so the root may be partly upgraded" \
	"state directory gone, log kept: does not claim nothing was changed"
outside_untouched "state directory removed by a %post"
