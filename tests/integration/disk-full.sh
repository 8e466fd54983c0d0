#!/bin/bash
# A disk that filled up after staging: the upgrader's read-only checks
# include rpm's test run, which sees the space missing, so it refuses with
# rpm's words before writing anything (no rpmdb touched, the old system
# boots as it was). Once space is freed, the same plan applies.
. "$(dirname "$0")/../lib.sh"

if ((EUID != 0)); then
	t_skip "disk full" "needs root to mount a small tmpfs"
	exit 0
fi
tmp=$(t_tmpdir)
pkgs=$(t_packages)
small=$tmp/small
mkdir -p "$small"
mount -t tmpfs -o size=64m oslift-test "$small"
unmount_and_finish() { local rc=$?; umount "$small" 2>/dev/null; _t_finish "$rc"; }
trap unmount_and_finish EXIT
root=$small/root
t_make_release7_root "$root" "$pkgs"
t_run "$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy
t_is "$T_RC" 0 "stage succeeds while there is room"

# Leave 16 KiB free: far less than the release-8 packages need.
free=$(($(stat -f -c '%a * %S' "$small")))
head -c $((free - 16384)) /dev/zero >"$root/var/filler" 2>/dev/null || true
before=$(t_tree_digest "$root" ./var/lib/oslift/status.json)
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "with the disk full the upgrader refuses (exit 1)"
t_match "$T_OUT" "needs [0-9.]+[KMG]?B more space on the .* filesystem" "rpm's words say how much space is missing, and where"
t_match "$T_OUT" "nothing was changed in $root" "and that nothing was changed"
t_is "$(t_tree_digest "$root" ./var/lib/oslift/status.json)" "$before" "the root is unchanged (no rpmdb written)"
t_match "$(t_json "$root/var/lib/oslift/status.json" 'd["state"] + " " + d["message"]')" \
	"^refused .*more space" "status.json says refused, and why"
t_ok "no journal: no attempt was made" test ! -e "$root/var/lib/oslift/journal"

rm "$root/var/filler"
t_run "$HOST_PREP" --root "$root" cancel
t_is "$T_RC" 0 "after a refusal, cancel clears the plan"
t_run "$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy
t_is "$T_RC" 0 "and stage stages it again"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "with space freed the upgrade applies"
t_is "$(t_rpm "$root" -q webapp)" "webapp-8.0-1.noarch" "release 8 is installed"
