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
undo_line=$(tr -d '\r' <"$serial.boot2" | grep -ao 'undo set taken in .*' | head -n 1 || true)
t_match "$undo_line" '^undo set taken in [0-9.]+ s: [0-9]+ paths of [0-9]+ packages' "boot 2: the upgrader took the undo set"
say "$undo_line"
boot_line=$(tr -d '\r' <"$serial.boot2" | grep -ao 'the undo set holds the boot configuration: .*' | head -n 1 || true)
t_match "$boot_line" '[1-9][0-9]* paths' "boot 2: with the boot configuration"

e2e_rollback_arm "$grub"

# ------------------------------------------------------------------ boot 6
phase "boot 6: the rollback in the upgrade initramfs"
e2e_up_boot boot6 "$MEM_UPGRADE"
rollback_start=$SECONDS
e2e_up_finish boot6
rollback_wall=$((SECONDS - rollback_start))
e2e_rollback_done boot6 "$grub"
rb=$(tr -d '\r' <"$serial.boot6")
rollback_s=$(grep -ao 'rollback done in [0-9.]* s' <<<"$rb" | grep -o '[0-9.]*' | head -n 1 || true)
say "the rollback boot took $rollback_wall s of wall clock (TCG), the rollback itself ${rollback_s:-?} s"
t_match "$(e2e_debugfs_cat "$image" /var/log/oslift/upgrade.log || true)" 'rolled back: the old system is back' \
	"boot 6: the rollback is in upgrade.log on the disk"

# ------------------------------------------------------------------ boot 7
phase "boot 7: release 7 again"
e2e_rollback_old boot7 "$grub"
