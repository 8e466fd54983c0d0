#!/bin/bash
# host-prep rollback on the running system, for real: the four-boot
# upgrade of the demo system with its kernel switch (e2e_upgrade, BIOS),
# then
#
#   boot 5  release 8; the guest runs host-prep rollback (dracut builds the
#           upgrade initramfs, the one-time boot is armed) and reboots
#   boot 6  GRUB's one-time entry boots the upgrade initramfs; the upgrader
#           finds the rollback request, puts release 7 back from the undo
#           set, verifies it, puts the old boot configuration back, reboots
#   boot 7  the default entry boots release 7 again: its packages, its
#           site with the same data, its kernel
#
# Judged from the serial logs and the disk image.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

MEM_NORMAL=${MEM_NORMAL:-512}
MEM_UPGRADE=${MEM_UPGRADE:-256}

e2e_require "rollback boot"
tmp=$(t_tmpdir)
e2e_upgrade bios "$tmp"
image=$tmp/disk.img
serial=$tmp/serial.log
grub=/boot/grub
kernel_before=$(tr -d '\r' <"$serial.boot1" | grep -ao 'Linux version [^ ]*' | head -n 1 || true)
t_match "$kernel_before" '^Linux version ' "boot 1: the serial log names the kernel of release 7"
undo_line=$(tr -d '\r' <"$serial.boot2" | grep -ao 'undo set taken in .*' | head -n 1 || true)
t_match "$undo_line" '^undo set taken in [0-9.]+ s: [0-9]+ paths of [0-9]+ packages' "boot 2: the upgrader took the undo set"
say "$undo_line"
boot_line=$(tr -d '\r' <"$serial.boot2" | grep -ao 'the undo set holds the boot configuration: .*' | head -n 1 || true)
t_match "$boot_line" '[1-9][0-9]* paths' "boot 2: with the boot configuration"

# Boot 5's part: the rollback asked for on the running release 8.
e2e_image_put "$image" /root/e2e/queue/3-rollback.sh <<'EOS'
set -e
e2e-wait-go 300
mkdir -p /root/e2e/out
host-prep status >/root/e2e/out/status-before-rollback 2>&1 || true
host-prep rollback
sync
systemctl reboot
EOS
# Boot 7's part: what the old system says about itself.
e2e_image_put "$image" /root/e2e/queue/4-old.sh <<'EOS'
set -e
e2e-wait-go 300
mkdir -p /root/e2e/out
rpm -qa --qf '%{NEVRA}\n' | sort >/root/e2e/out/qa-rolled-back
rpm -Va >/root/e2e/out/va-rolled-back 2>&1 || true
uname -r >/root/e2e/out/uname-rolled-back
host-prep status >/root/e2e/out/status-rolled-back 2>&1 || true
systemctl is-active website.service
sync
systemctl poweroff
EOS
t_pass "the rollback and the look at the old system are queued in the image"

# ------------------------------------------------------------------ boot 5
phase "boot 5: release 8, host-prep rollback"
e2e_up_boot boot5 "$MEM_NORMAL"
e2e_up_reach_site boot5 3
t_match "$PAGE" 'release 8' "boot 5: the site is release 8's"
e2e_http "http://127.0.0.1:$E2E_UP_PORT/cgi-bin/go" >/dev/null || true
e2e_up_finish boot5
undo_status=$(e2e_debugfs_cat "$image" /root/e2e/out/status-before-rollback || true)
t_match "$undo_status" '^undo set: [0-9]+ bytes in /var/lib/oslift/undo' "boot 5: host-prep status showed the undo set's size"
say "$(grep '^undo set:' <<<"$undo_status" || true)"
t_match "$(e2e_debugfs_cat "$image" "$grub/grubenv" || true)" '^next_entry=oslift-upgrade$' \
	"boot 5: host-prep rollback armed the one-time boot (next_entry in grubenv)"
t_match "$(e2e_debugfs_cat "$image" /var/lib/oslift/status.json || true)" '"state": "rolling-back"' \
	"boot 5: status.json says rolling-back"
t_match "$(e2e_debugfs "$image" ls /boot || true)" 'oslift-upgrade-.*\.img' "boot 5: and built the upgrade initramfs"

# ------------------------------------------------------------------ boot 6
phase "boot 6: the rollback in the upgrade initramfs"
e2e_up_boot boot6 "$MEM_UPGRADE"
rollback_start=$SECONDS
e2e_up_finish boot6
rollback_wall=$((SECONDS - rollback_start))
rb=$(tr -d '\r' <"$serial.boot6")
t_match "$rb" "Booting .oslift upgrade" "boot 6: GRUB booted the one-time entry"
t_match "$rb" 'rolling back to the old system: [0-9]+ paths in the undo set.s manifest' "boot 6: the upgrader rolls back"
t_match "$rb" 'the old rpmdb is back' "boot 6: the old rpmdb is back"
t_match "$rb" 'rollback done in [0-9.]+ s: 0 problems' "boot 6: every file verified against the old rpmdb"
t_match "$rb" 'put back the old boot configuration: [1-9][0-9]* paths' "boot 6: the old boot configuration is back"
t_match "$rb" "put $grub/grubenv back as it was before the upgrade" "boot 6: grubenv last"
t_match "$rb" 'rolled back: the old system is back' "boot 6: says the old system is back"
t_match "$rb" 'rebooting into the old system, rolled back and verified' "boot 6: and reboots into it"
t_match "$rb" 'reboot: Restarting system' "boot 6: the kernel's reboot line"
rollback_s=$(grep -ao 'rollback done in [0-9.]* s' <<<"$rb" | grep -o '[0-9.]*' | head -n 1 || true)
say "the rollback boot took $rollback_wall s of wall clock (TCG), the rollback itself ${rollback_s:-?} s"
t_match "$(e2e_debugfs_cat "$image" /var/log/oslift/upgrade.log || true)" 'rolled back: the old system is back' \
	"boot 6: the rollback is in upgrade.log on the disk"

# ------------------------------------------------------------------ boot 7
phase "boot 7: release 7 again"
e2e_up_boot boot7 "$MEM_NORMAL"
e2e_up_reach_site boot7 4
t_match "$PAGE" 'release 7' "boot 7: the site answers, release 7 again"
t_is "$DATA" "$data_before" "boot 7: with the same site data"
e2e_http "http://127.0.0.1:$E2E_UP_PORT/cgi-bin/go" >/dev/null || true
e2e_up_finish boot7
kernel_after=$(tr -d '\r' <"$serial.boot7" | grep -ao 'Linux version [^ ]*' | head -n 1 || true)
t_is "$kernel_after" "$kernel_before" "boot 7: the old kernel runs"
t_is "$(e2e_debugfs_cat "$image" /root/e2e/out/qa-rolled-back || true)" "$before_qa" \
	"rpm -qa is the one of before the upgrade"
va=$(e2e_debugfs_cat "$image" /root/e2e/out/va-rolled-back) || va="(rpm -Va output missing from the image)"
t_is "$(grep -vE '^[S.][.][5.][.]{4}[T.][.]  c /' <<<"$va" || true)" "" \
	"rpm -Va is clean apart from config files whose content changed"
t_match "$(e2e_debugfs_cat "$image" /root/e2e/out/status-rolled-back || true)" 'rolled-back' \
	"host-prep status on release 7 says rolled-back"
t_match "$(e2e_debugfs_cat "$image" /var/lib/oslift/status.json || true)" '"state": "rolled-back"' "status.json: rolled-back"
grubenv=$(e2e_debugfs_cat "$image" "$grub/grubenv" || true)
t_match "$grubenv" '^# GRUB Environment Block' "grubenv is still GRUB's environment block"
t_is "$(grep -c '^next_entry=.' <<<"$grubenv" || true)" 0 "grubenv has no next_entry left"
t_is "$(e2e_debugfs_cat "$image" "$grub/custom.cfg" 2>/dev/null | grep -c oslift || true)" 0 "custom.cfg has no oslift entry"
t_is "$(e2e_debugfs "$image" ls /boot | grep -c oslift-upgrade || true)" 0 "the rollback boot's initramfs is gone from /boot"
rc=0
e2e_fsck_all "$image" >"$tmp/fsck.log" 2>&1 || rc=$?
t_is "$rc" 0 "the disk's file systems are clean"
