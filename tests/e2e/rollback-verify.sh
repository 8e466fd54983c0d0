#!/bin/bash
# The automatic rollback, for real: stage --verify with a health check the
# new release fails (a page of the site that is not there), then
#
#   boot 1  release 7 stages the upgrade with --verify and reboots
#   boot 2  the upgrade boot applies release 8
#   boot 3  release 8: restore queues oslift-verify.service; once the
#           system is up the check fails until its time is up, the
#           rollback boot is armed and the machine reboots by itself
#   boot 4  the rollback boot puts release 7 back and reboots
#   boot 5  release 7 again, its site served; its status says why
#
# Judged from the serial logs and the disk image.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

e2e_require "automatic rollback (stage --verify)"
tmp=$(t_tmpdir)
image=$tmp/disk.img
serial=$tmp/serial.log
check='busybox wget -q -O /dev/null http://127.0.0.1/health.html'
# shellcheck disable=SC2034 # read by e2e_staged_image
E2E_STAGE_ARGS="--verify '$check' --verify-timeout 30"
if e2e_staged_image "$image" 0; then
	t_pass "boot 1: release 7 staged the upgrade with --verify"
else
	t_fail "boot 1: release 7 staged the upgrade with --verify" "$(tail -n 20 "$image.stage.log" "$image.err" 2>/dev/null)"
fi
t_match "$(e2e_debugfs_cat "$image" /var/lib/oslift/plan || true)" '^verify 30 busybox%20wget%20' "the plan holds the check"
port=$(e2e_free_port)

phase "boot 2: the upgrade"
"$E2E_TOOLS/qemu.sh" "$image" "$serial.boot2" --mem 256 --timeout 900 2>"$tmp/qemu.boot2.err" || true
t_match "$(tr -d '\r' <"$serial.boot2")" 'upgrade applied in [0-9.]+ s' "boot 2: the upgrade is applied"

phase "boot 3: release 8, the check fails, the system rolls back by itself"
start=$SECONDS
"$E2E_TOOLS/qemu.sh" "$image" "$serial.boot3" --mem 512 --timeout 900 --hostfwd "$port" 2>"$tmp/qemu.boot3.err" &
pid=$!
page=$(e2e_wait_http "http://127.0.0.1:$port/" 300 "$pid" || true)
t_match "$page" 'release 8' "boot 3: release 8 serves its site"
rc=0
wait "$pid" || rc=$?
t_is "$rc" 0 "boot 3: QEMU ended by itself: the machine rebooted ($(cat "$tmp/qemu.boot3.err"))"
say "boot 3 took $((SECONDS - start)) s (wall clock, TCG)"
b3=$(tr -d '\r' <"$serial.boot3")
t_match "$b3" "the verify command '$check' did not succeed within 30 s" "boot 3: the console says the check failed in its time"
log=$(e2e_debugfs_cat "$image" /var/log/oslift/verify.log || true)
t_match "$log" '^--- attempt 2 failed after' "boot 3: verify.log has the attempts"
status=$(e2e_debugfs_cat "$image" /var/lib/oslift/status.json || true)
t_match "$status" '"state": "rolling-back"' "boot 3: status.json says rolling-back"
t_match "$status" 'rollback armed: .*because the verify command' "boot 3: because of the check"
t_match "$(e2e_debugfs_cat "$image" /boot/grub/grubenv || true)" '^next_entry=oslift-upgrade$' "boot 3: the rollback boot is armed"

phase "boot 4: the rollback"
start=$SECONDS
"$E2E_TOOLS/qemu.sh" "$image" "$serial.boot4" --mem 256 --timeout 900 2>"$tmp/qemu.boot4.err" || true
say "boot 4 took $((SECONDS - start)) s (wall clock, TCG)"
b4=$(tr -d '\r' <"$serial.boot4")
t_match "$b4" 'the rollback was asked for because the verify command' "boot 4: the upgrader says why it rolls back"
t_match "$b4" 'rollback done in [0-9.]+ s: 0 problems' "boot 4: every file verified"
t_match "$b4" 'rebooting into the old system, rolled back and verified' "boot 4: reboots into the old system"

e2e_image_put "$image" /root/e2e/queue/3-old.sh <<'EOS'
set -e
mkdir -p /root/e2e/out
rpm -qa --qf '%{NEVRA}\n' | sort >/root/e2e/out/qa-rolled-back
e2e-wait-go 300
sync
systemctl poweroff
EOS
phase "boot 5: release 7 again"
"$E2E_TOOLS/qemu.sh" "$image" "$serial.boot5" --mem 512 --timeout 600 --hostfwd "$port" 2>"$tmp/qemu.boot5.err" &
pid=$!
page=$(e2e_wait_http "http://127.0.0.1:$port/" 300 "$pid" || true)
t_match "$page" 'release 7' "boot 5: the site is release 7's again"
e2e_http "http://127.0.0.1:$port/cgi-bin/go" >/dev/null || true
rc=0
wait "$pid" || rc=$?
t_is "$rc" 0 "boot 5: QEMU ended by itself (the guest powered off)"
t_is "$(e2e_debugfs_cat "$image" /root/e2e/out/qa-rolled-back || true)" "base-release-7.0-1.noarch
debian-sh-1.0-7.noarch
website-7.0-1.noarch" "rpm -qa is release 7's"
t_match "$(e2e_debugfs_cat "$image" /var/lib/oslift/status.json || true)" \
	'"message": "rolled back \(the verify command .* did not succeed within 30 s' "status.json says why it was rolled back"
