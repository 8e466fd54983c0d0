#!/bin/bash
# The new kernel's trial boot, when the new kernel cannot boot: boots 1 to
# 3 of the upgrade (e2e_upgrade_to_trial, BIOS layout: restore keeps the old
# kernel the default and makes the new one GRUB's one-time entry), then the
# new kernel's initramfs on the disk is made garbage, as a broken kernel
# package or a full /boot would leave it:
#
#   boot 4  GRUB boots the new kernel once (next_entry, cleared by GRUB's
#           save_env); it finds no root file system and panics, and the
#           kernel command line's panic=5 resets the machine (qemu.sh ends
#           the run on the panic: the reset is the next QEMU run)
#   boot 5  GRUB boots the default, the old kernel, by itself: restore,
#           once more, sees that the trial did not come up, leaves the old
#           kernel the default and says so (console, report.json,
#           status.json, host-prep status); the site comes up on release 8
#
# Judged from the serial logs and the disk image.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

MEM_NORMAL=${MEM_NORMAL:-512}
MEM_UPGRADE=${MEM_UPGRADE:-256}

e2e_require "the new kernel's trial boot fails"

trial_fails() {
	local layout=bios tmp=$1 size grub grub_kpath
	local root=$tmp/root image=$tmp/disk.img serial=$tmp/serial.log rc=0
	e2e_upgrade_to_trial || return 1

	phase "between boot 3 and boot 4: the new kernel's initramfs is garbage"
	e2e_image_put "$image" "/boot/initramfs-$new_kver.img" <<<"not an initramfs"
	t_is "$(e2e_debugfs_cat "$image" "/boot/initramfs-$new_kver.img" || true)" "not an initramfs" \
		"the new kernel's initramfs on the disk is garbage now"
	# What the next normal boot (the driver's second) runs: no site check
	# of the upgrade's, what the system says about itself instead.
	e2e_image_put "$image" /root/e2e/queue/2-verify.sh <<-'EOF'
	set -e
	echo "uname -r: $(uname -r)"
	e2e-wait-go 300
	mkdir -p /root/e2e/out
	uname -r >/root/e2e/out/uname
	host-prep status >/root/e2e/out/status 2>&1 || true
	systemctl show -p ActiveState,Result,UnitFileState oslift-restore.service >/root/e2e/out/restore-unit
	sync
	systemctl poweroff
	EOF

	# ------------------------------------------------------------------ boot 4
	phase "boot 4: the new kernel's trial boot, which cannot come up"
	e2e_up_boot boot4 "$MEM_NORMAL"
	wait "$E2E_UP_PID" || rc=$?
	say "boot4 took $((SECONDS - BOOT_START)) s (wall clock, TCG)"
	boot4_log=$(tr -d '\r' <"$serial.boot4")
	t_match "$boot4_log" "Linux version $new_kver " "boot 4: GRUB booted the new kernel once (next_entry)"
	t_match "$boot4_log" 'Kernel panic - not syncing' "boot 4: which panicked (no initramfs, no root file system)"
	t_is "$rc" 125 "boot 4: qemu.sh ended the run on the panic (the reset: panic=5)"
	t_is "$(grep -c '^e2e: driver: boot' <<<"$boot4_log" || true)" 0 "boot 4: never reached multi-user"
	grubenv=$(e2e_debugfs_cat "$image" "$grub/grubenv" || true)
	t_is "$(grep -c '^next_entry=.' <<<"$grubenv" || true)" 0 "boot 4: GRUB consumed next_entry before booting it (save_env)"

	# ------------------------------------------------------------------ boot 5
	phase "boot 5: after the reset, GRUB's default: the old kernel"
	e2e_up_boot boot5 "$MEM_NORMAL"
	e2e_up_reach_site boot5 2
	e2e_http "http://127.0.0.1:$E2E_UP_PORT/cgi-bin/go" >/dev/null || true
	e2e_wait_log "$serial.boot5" '^e2e: driver: 2-verify.sh exited' 300 "$E2E_UP_PID" || true
	e2e_up_finish boot5
	boot5_log=$(tr -d '\r' <"$serial.boot5")
	t_match "$boot5_log" "Linux version $old_kver " "boot 5: GRUB booted the old kernel by itself (the default)"
	t_match "$boot5_log" "^e2e: uname -r: $old_kver\$" "boot 5: runs the old kernel (uname -r on the serial console)"
	t_match "$boot5_log" "the new kernel $new_kver DID NOT COME UP on its trial boot: GRUB booted it once and the machine came back on $old_kver" \
		"boot 5: restore said on the console that the new kernel did not come up"
	t_match "$boot5_log" "What to do: .*'grub2-reboot $new_id'" "boot 5: and what to do"
	t_is "$(grep -c 'came up on its trial boot: making it the default' <<<"$boot5_log" || true)" 0 \
		"boot 5: the new kernel was not made the default"
	t_match "$PAGE" 'release 8' "boot 5: the site answers, release 8 (on the old kernel)"

	phase "the disk afterwards"
	grubenv=$(e2e_debugfs_cat "$image" "$grub/grubenv" || true)
	t_match "$grubenv" "^saved_entry=gnulinux-$old_kver-advanced-" "grubenv's saved_entry is still the old kernel's entry"
	t_is "$(grep -c '^next_entry=.' <<<"$grubenv" || true)" 0 "grubenv has no next_entry: nothing boots the new kernel again"
	cfg=$(e2e_debugfs_cat "$image" "$grub/grub.cfg" || true)
	t_match "$cfg" "set default=\"\\\$\{saved_entry\}\"" "grub.cfg's default is saved_entry: the old kernel, every boot"
	report=$(e2e_debugfs_cat "$image" /var/log/oslift/report.json || true)
	t_match "$report" "\"kernel_trial\":\\{\"kernel\":\"$new_kver\",[^}]*\"result\":\"failed\"" "report.json: kernel_trial: failed"
	t_match "$report" "\"boot_problem\":\"the new kernel $new_kver DID NOT COME UP on its trial boot" "report.json: boot_problem says so"
	t_match "$(e2e_debugfs_cat "$image" /var/log/oslift/report.txt || true)" \
		"^PROBLEM: the new kernel is not the default boot entry: the new kernel $new_kver DID NOT COME UP" "report.txt: a PROBLEM section"
	status=$(e2e_debugfs_cat "$image" /var/lib/oslift/status.json || true)
	t_match "$status" '"state": "restored-with-problems"' "status.json: restored-with-problems"
	t_match "$(e2e_debugfs_cat "$image" /root/e2e/out/status || true)" \
		"^kernel trial: FAILED: the new kernel $new_kver did not come up on its trial boot \(GRUB booted it once, the machine came back on $old_kver" \
		"host-prep status in the guest explains it"
	t_is "$(e2e_debugfs_cat "$image" /var/lib/oslift/kernel-trial | grep -E '^(result|booted)=' || true)" "result=failed
booted=$old_kver" "the trial record: failed, the machine came back on the old kernel"
	unit=$(e2e_debugfs_cat "$image" /root/e2e/out/restore-unit || true)
	t_match "$unit" '^UnitFileState=disabled$' "oslift-restore.service disabled itself after the failed trial"
	t_is "$(e2e_debugfs_cat "$image" /root/e2e/out/uname || true)" "$old_kver" "boot 5 ran $old_kver (uname -r, on the disk)"
}

trial_fails "$(t_tmpdir)"
