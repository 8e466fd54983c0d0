#!/bin/bash
# A hung upgrade boot, for real: a package whose release-8 %post never
# returns (tests/packages/hang-cases) is staged with the demo site (boot 1),
# and the one-time entry gets rd.oslift.watchdog=30 (edited in custom.cfg,
# as an operator would). From that staged disk:
#
#   hang once   the %post hangs; the upgrader armed softdog, nothing pets it
#               any more, and 30 s later the kernel reboots the machine. The
#               next boot goes back into the upgrade by itself, resumes
#               ("attempt 2 of at most 3"), the %post returns this time, and
#               the upgrade finishes: the rpmdb on the disk holds what the
#               plan says, every package-owned file as the rpmdb records it.
#   give up     the %post hangs every time: three attempts end in the
#               watchdog's reboot, the fourth upgrade boot gives up and puts
#               the old system back from the undo set (rpmdb and every
#               package-owned file as before the upgrade, switch off, status
#               rolled-back and why), and the default entry boots release 7;
#               there `host-prep status` says rolled back and why.
#
# Judged from the serial logs and the disk images (debugfs), never from a
# line the test printed. HANG_GIVE_UP=0 leaves out the second part.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

GIVE_UP=${HANG_GIVE_UP:-1}
WATCHDOG=30

e2e_require "a hung %post ended by the watchdog"
tmp=$(t_tmpdir)
staged=$tmp/staged.img

hang=$OSLIFT_BUILD/test-packages/hang-cases
"$TESTS_DIR/packages/build.sh" "$hang" --extra "$TESTS_DIR/packages/hang-cases" >/dev/null

# The next normal boot's part: what the system says about itself.
cat >"$tmp/after.sh" <<'EOF'
echo "release $(cat /etc/oslift-release)"
host-prep status
mkdir -p /root/e2e/out
host-prep status >/root/e2e/out/status 2>&1 || true
sync
systemctl poweroff
EOF
start=$SECONDS
if ! e2e_staged_image "$staged" 0 "$tmp/after.sh" "$hang" hanging-post; then
	t_fail "boot 1 staged the upgrade" "$(tail -n 30 "$staged.stage.log" 2>/dev/null)"
	exit 1
fi
t_pass "boot 1 staged the upgrade with hanging-post 8 and armed the one-time boot ($((SECONDS - start)) s)"
plan=$(e2e_debugfs_cat "$staged" /var/lib/oslift/plan || true)
qa_before=$(e2e_rpmdb_qa "$staged")
t_match "$plan" ' hanging-post-8\.0-1\.noarch$' "the plan upgrades hanging-post to 8"

# prepare NAME HANGS: a copy of the staged disk whose entry has
# rd.oslift.watchdog=$WATCHDOG and whose %post hangs in its first HANGS runs.
prepare() {
	local image=$tmp/$1.img
	cp --sparse=always "$staged" "$image"
	e2e_image_edit "$image" /boot/grub/custom.cfg "s/'rd.oslift.upgrade'/& 'rd.oslift.watchdog=$WATCHDOG'/"
	echo "$2" >"$tmp/hangs"
	debugfs -w -f - "$image?offset=1048576" >/dev/null 2>&1 <<EOC
mkdir /var/lib/hanging-post
write $tmp/hangs /var/lib/hanging-post/hangs
EOC
	[[ $(e2e_debugfs_cat "$image" /var/lib/hanging-post/hangs) == "$2" ]]
}

# boot NAME LOG MEM: one boot of $tmp/NAME.img to its end; LOG holds its
# serial log (\r dropped), SECS its wall-clock duration.
boot() {
	local rc=0 t=$SECONDS
	"$E2E_TOOLS/qemu.sh" "$tmp/$1.img" "$tmp/serial.$2" --mem "$3" --timeout 900 2>"$tmp/qemu.$2.err" || rc=$?
	SECS=$((SECONDS - t))
	LOG=$(tr -d '\r' <"$tmp/serial.$2")
	t_is "$rc" 0 "$2: QEMU ended by itself in $SECS s ($(tr '\n' ' ' <"$tmp/qemu.$2.err"))"
}

# watchdog_fired WHAT: the boot in LOG armed the watchdog with WATCHDOG s,
# hung in hanging-post's %post, and softdog rebooted the machine no sooner
# than WATCHDOG s after the upgrader's line for that package (its last pet).
watchdog_fired() {
	local what=$1 t_last t_fire
	t_match "$LOG" "watchdog armed: the machine reboots after $WATCHDOG s without progress" \
		"$what: the upgrader armed the watchdog with rd.oslift.watchdog=$WATCHDOG"
	t_match "$LOG" '\] upgrading hanging-post-8\.0-1\.noarch' "$what: the transaction reached hanging-post 8"
	t_is "$(grep -cE 'upgrade applied in|giving up|rebooting into' <<<"$LOG" || true)" 0 \
		"$what: the upgrader never got to its end"
	t_match "$LOG" 'softdog: Initiating system reboot' "$what: softdog rebooted the machine"
	# The console's timestamps: the upgrader's and the kernel's count from boot.
	t_last=$(grep -aE '^\[ *[0-9]+\.[0-9]+\] .*\] upgrading hanging-post-8' <<<"$LOG" | tail -n1 |
		sed -E 's/^\[ *([0-9]+)\..*/\1/')
	t_fire=$(grep -a 'softdog: Initiating system reboot' <<<"$LOG" | head -n1 | sed -E 's/^\[ *([0-9]+)\..*/\1/')
	if [[ $t_last =~ ^[0-9]+$ && $t_fire =~ ^[0-9]+$ ]] && ((t_fire - t_last >= WATCHDOG - 1 && t_fire - t_last < 3 * WATCHDOG)); then
		t_pass "$what: it fired $((t_fire - t_last)) s after the upgrader's line for hanging-post 8"
	else
		t_fail "$what: it fired about $WATCHDOG s after the upgrader's line for hanging-post 8" \
			"that line at ${t_last:-?} s, softdog at ${t_fire:-?} s"
	fi
}

# runs IMAGE: how often hanging-post 8's %post ran (its log on the disk).
runs() { { e2e_debugfs_cat "$1" /var/lib/hanging-post/runs || true; } | grep -c '^post 8 ' || true; }
next_entry() { e2e_debugfs_cat "$1" /boot/grub/grubenv | grep -a '^next_entry=.' || true; }

# ------------------------------------------------------------- hang once
prepare once 1 || t_fail "once: the disk prepared (custom.cfg, hangs)"
boot once once.1 256
watchdog_fired "once, attempt 1"
t_is "$(runs "$tmp/once.img")" 1 "once, attempt 1: hanging-post's %post ran once (its log on the disk)"
t_is "$(next_entry "$tmp/once.img")" "next_entry=oslift-upgrade" "once, attempt 1: the switch is on for the next boot"
echo "# once: attempt 1 took $SECS s"

boot once once.2 256
t_match "$LOG" 'Booting .oslift upgrade' "once, attempt 2: the next boot goes back into the upgrade"
t_match "$LOG" "watchdog armed: the machine reboots after $WATCHDOG s" "once, attempt 2: armed again"
t_match "$LOG" 'resuming: [0-9]+ of [0-9]+ done, last checkpoint at [0-9]+ \(attempt 2 of at most 3\)' \
	"once, attempt 2: resumes as attempt 2 of at most 3"
t_match "$LOG" 'upgrade applied in [0-9.]+ s' "once, attempt 2: and finishes"
t_is "$(grep -c 'softdog: Initiating' <<<"$LOG" || true)" 0 "once, attempt 2: the watchdog did not fire"
t_is "$(runs "$tmp/once.img")" 2 "once, attempt 2: the %post ran again, and returned"
echo "# once: attempt 2 took $SECS s"

# The disk as the plan says: every plan line's target NEVRA installed.
want=$(awk '$1 ~ /^(upgrade|install|install-only)$/ {print $NF}' <<<"$plan" | LC_ALL=C sort)
qa=$(e2e_rpmdb_qa "$tmp/once.img")
t_is "$qa" "$want" "once: the rpmdb holds exactly the packages the plan installs (no release 7 left)"
t_match "$qa" '^hanging-post-8\.0-1\.noarch$' "once: hanging-post 8 among them"
t_match "$(e2e_owned_files "$tmp/once.img")" '^owned files: [1-9][0-9]*, differing: 0$' \
	"once: every package-owned file on the disk is as the rpmdb records it"
t_match "$(e2e_debugfs_cat "$tmp/once.img" /var/lib/oslift/outcome || true)" '^result applied$' "once: the outcome says applied"
t_is "$(next_entry "$tmp/once.img")" "" "once: no next_entry left in grubenv"
rm -f "$tmp/once.img"

if ((GIVE_UP == 0)); then
	echo "# HANG_GIVE_UP=0: the give-up part left out"
	exit 0
fi

# ---------------------------------------------------------------- give up
prepare giveup 9 || t_fail "giveup: the disk prepared (custom.cfg, hangs)"
for i in 1 2 3; do
	boot giveup "giveup.$i" 256
	watchdog_fired "giveup, attempt $i"
	((i == 1)) || t_match "$LOG" "resuming: .*\\(attempt $i of at most 3\\)" "giveup, attempt $i: resumes as attempt $i of at most 3"
	echo "# giveup: attempt $i took $SECS s"
done
t_is "$(runs "$tmp/giveup.img")" 3 "giveup: the %post ran (and hung) three times"
t_is "$(next_entry "$tmp/giveup.img")" "next_entry=oslift-upgrade" "giveup: the switch is still on after the third hang"

boot giveup giveup.4 256
t_match "$LOG" 'Booting .oslift upgrade' "giveup, boot 4: goes into the upgrade once more"
t_match "$LOG" 'the upgrade was attempted 3 times and did not finish \(at most 3 attempts\): giving up' \
	"giveup, boot 4: the upgrader gives up after 3 attempts"
t_match "$LOG" 'putting the old system back from the undo set taken before the upgrade' \
	"giveup, boot 4: and puts the old system back"
t_match "$LOG" 'rebooting into the old system, rolled back and verified' "giveup, boot 4: and reboots into it, verified"
t_is "$(runs "$tmp/giveup.img")" 3 "giveup, boot 4: no fourth run of the transaction"
t_is "$(next_entry "$tmp/giveup.img")" "" "giveup, boot 4: the switch is off"
t_match "$(e2e_debugfs_cat "$tmp/giveup.img" /var/lib/oslift/journal || true)" '^[0-9a-f]{8} gave-up 3$' "giveup: the journal records gave-up 3"
status=$(e2e_debugfs_cat "$tmp/giveup.img" /var/lib/oslift/status.json || true)
t_match "$status" '"state": "rolled-back"' "giveup: status.json says rolled-back"
t_match "$status" 'rolled back \(the upgrade gave up after 3 attempts that did not finish\)' "giveup: with the reason"
t_is "$(e2e_rpmdb_qa "$tmp/giveup.img")" "$qa_before" \
	"giveup: the rpmdb is release 7's again, as staged (no doubled hanging-post instances)"
t_match "$(e2e_owned_files "$tmp/giveup.img")" '^owned files: [1-9][0-9]*, differing: 0$' \
	"giveup: every package-owned file on the disk is as the old rpmdb records it"
echo "# giveup: boot 4 took $SECS s"

boot giveup giveup.5 512
t_is "$(grep -c 'Booting .oslift upgrade' <<<"$LOG" || true)" 0 "giveup, boot 5: the default entry boots, not the upgrade"
t_match "$LOG" 'e2e: driver: boot 2 reached multi-user' "giveup, boot 5: the system reaches multi-user"
st=$(e2e_debugfs_cat "$tmp/giveup.img" /root/e2e/out/status || true)
t_match "$st" '^state: rolled-back' "giveup, boot 5: host-prep status says rolled back"
t_match "$st" 'the upgrade gave up after 3 attempts that did not finish' "giveup, boot 5: and why"
t_is "$(grep -ciE '^state: (restored|applied)' <<<"$st" || true)" 0 "giveup, boot 5: and never that it is upgraded"
echo "# giveup: boot 5 took $SECS s"
