#!/bin/bash
# The upgrade of upgrade.sh (e2e_upgrade, tools/e2e-lib.sh) on a
# UEFI machine laid out the EL 7 way (make-image.sh --layout uefi-el7,
# booted with OVMF: qemu.sh --uefi): GRUB's grub.cfg, custom.cfg and
# grubenv on the EFI system partition (/boot/efi/EFI/centos, vfat), /boot
# and /var file systems of their own, fstab by UUID=. Besides what
# upgrade.sh asserts:
#   - host-prep stage found GRUB on the ESP: custom.cfg beside its
#     grub.cfg, with linuxefi/initrdefi as grub.cfg's own entries use them
#     (Debian's x86_64-efi GRUB has these commands, as EL 7's has: the
#     guest boots exactly what host-prep writes), the paths on the /boot
#     file system, found by its UUID
#   - the upgrade boot mounted every file system of fstab (its console
#     lines), and found the plan on the separate /var
#   - GRUB took the one-time entry from the ESP's grubenv and save_env
#     cleared it there without an error; the upgrader's and restore's
#     writes (and release 8's grub2-set-default's) kept the file in place
#     (1024 bytes, the same FAT clusters
#     from the image build to the end: never replaced by a new file)
#   - every file system is clean afterwards (e2fsck -fn, fsck.vfat -n)
# The kernel switch (e2e_upgrade): release 8's kernel-core writes a Boot
# Loader Specification snippet on /boot; Debian's GRUB has no blscfg, so
# release 8's grub2-tools is a stand-in whose grub2-mkconfig turns the
# snippets into menu entries of the ESP's grub.cfg (packages/kernel/).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

e2e_require "upgrade on UEFI (EL 7 layout)"
for tool in mkfs.vfat mcopy mtype mshowfat fsck.vfat; do
	command -v $tool >/dev/null || { t_skip "upgrade on UEFI" "$tool not found (initrd/bootstrap-debian.sh)"; exit 0; }
done
[[ -f /usr/share/OVMF/OVMF_CODE_4M.fd && -f /usr/lib/grub/x86_64-efi/linuxefi.mod ]] || {
	t_skip "upgrade on UEFI" "OVMF or GRUB for x86_64-efi missing (ovmf, grub-efi-amd64-bin: initrd/bootstrap-debian.sh)"
	exit 0
}

# With -m 256 (upgrade.sh's upgrade boot) the kernel's EFI stub fails here
# before Linux starts ("Decompression failed: XZ-compressed data is
# corrupt", under OVMF with Debian's linuxefi; the default entry as well,
# so not oslift's: both boot with 512), so the upgrade boot gets 512 MiB
# like the normal ones.
MEM_UPGRADE=${MEM_UPGRADE:-512}

esp_env=/boot/efi/EFI/centos/grubenv
# The grubenv's FAT clusters and size at each point (e2e_upgrade_hook).
declare -A clusters sizes envs

e2e_upgrade_hook() {
	clusters[$1]=$(e2e_esp_clusters "$E2E_UP_IMAGE" "$esp_env" || echo "(unreadable)")
	sizes[$1]=$(e2e_esp_size "$E2E_UP_IMAGE" "$esp_env" || echo "(unreadable)")
	envs[$1]=$(e2e_debugfs_cat "$E2E_UP_IMAGE" "$esp_env" || true)
	if [[ $1 == boot1 ]]; then
		custom=$(e2e_debugfs_cat "$E2E_UP_IMAGE" /boot/efi/EFI/centos/custom.cfg || true)
	fi
}

tmp=$(t_tmpdir)
e2e_upgrade uefi-el7 "$tmp"
image=$tmp/disk.img

# ------------------------------------------------------- the UEFI layout
phase "the UEFI layout"
fstab=$(e2e_debugfs_cat "$image" /etc/fstab || true)
uuid_of() { awk -v m="$1" '$1 ~ /^UUID=/ && $2 == m {sub(/^UUID=/, "", $1); print $1}' <<<"$fstab"; }
root_uuid=$(uuid_of /) boot_uuid=$(uuid_of /boot) esp_uuid=$(uuid_of /boot/efi) var_uuid=$(uuid_of /var)
t_match "$root_uuid $boot_uuid $esp_uuid $var_uuid" '^[-0-9a-f]{36} [-0-9a-f]{36} [0-9A-F]{4}-[0-9A-F]{4} [-0-9a-f]{36}$' \
	"(fstab mounts /, /boot, /boot/efi and /var by UUID)"

# Boot 1: what stage wrote on the ESP.
t_match "${envs[boot1]}" '^next_entry=oslift-upgrade$' "boot 1: stage armed next_entry in the ESP's grubenv"
t_match "$custom" "^	search --no-floppy --fs-uuid --set=root $boot_uuid\$" \
	"boot 1: custom.cfg on the ESP finds the /boot file system by its UUID"
t_match "$custom" '^	linuxefi /vmlinuz-[^ ]+ .*'"'rd\.oslift\.upgrade'" \
	"boot 1: and boots its kernel with linuxefi, the path on /boot's file system"
t_match "$custom" '^	initrdefi /oslift-upgrade-[^ ]+\.img$' "boot 1: and the upgrade initramfs with initrdefi"

# Boot 2: GRUB on the ESP, the upgrader's mounts.
up=$(tr -d '\r' <"$tmp/serial.log.boot2")
grub_part=$(sed -n '1,/Linux version/p' <<<"$up")
t_match "$grub_part" "Booting .oslift upgrade" "boot 2: GRUB on the ESP took the one-time entry"
t_is "$(grep -ci 'error' <<<"$grub_part" || true)" 0 \
	"boot 2: GRUB's load_env and save_env on the ESP reported no error"
t_match "$up" "/var/lib/oslift is on /var \(UUID=$var_uuid\): mounting the file systems of /etc/fstab to look for a plan there" \
	"boot 2: the upgrader looked for the plan on the separate /var"
t_match "$up" "mounted /boot \(UUID=$boot_uuid\) read-write" "boot 2: the upgrader mounted /boot"
t_match "$up" "mounted /boot/efi \(UUID=$esp_uuid\) read-write" "boot 2: the upgrader mounted the ESP on /boot/efi"
t_match "$up" "mounted /var \(UUID=$var_uuid\) read-write" "boot 2: the upgrader mounted /var"
t_match "$up" "(re)?mounted / \(.*\) read-write|/ \(.*\) is mounted read-write at .* already" \
	"boot 2: / is read-write"
t_is "$(grep -c 'cannot turn the one-time upgrade boot' <<<"$up" || true)" 0 \
	"boot 2: the upgrader turned the one-time boot on and off in the ESP's grubenv without a warning"

t_match "$(e2e_debugfs_cat "$image" /var/log/oslift/upgrade.log || true)" 'debug: one-time upgrade boot off$' \
	"boot 2: the upgrader's log on /var: the one-time boot turned off once applied"

# The ESP's grubenv: cleared, and never replaced.
t_is "$(grep -c '^next_entry=.' <<<"${envs[boot2]}" || true)" 0 "after boot 2: the ESP's grubenv has no next_entry left"
t_match "${envs[boot1]}" '^saved_entry=CentOS Linux' "boot 1: grubenv's saved_entry is release 7's entry"
t_match "${envs[boot3]}" '^saved_entry=gnulinux-[^ ]+-advanced-' \
	"after boot 3: saved_entry is the old kernel's entry (release 8's grub2-set-default, run by restore: the default during the trial)"
t_match "${envs[boot3]}" '^next_entry=0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e-' \
	"after boot 3: next_entry is the new kernel's BLS entry (its trial boot)"
t_match "${envs[boot4]}" '^saved_entry=0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e-' \
	"after boot 4: saved_entry is the new kernel's BLS entry (made the default once it came up)"
t_is "${sizes[image]} ${sizes[boot1]} ${sizes[boot2]} ${sizes[boot3]} ${sizes[boot4]}" "1024 1024 1024 1024 1024" \
	"the ESP's grubenv stayed 1024 bytes through the four boots"
t_is "${clusters[boot1]} ${clusters[boot2]} ${clusters[boot3]} ${clusters[boot4]}" \
	"${clusters[image]} ${clusters[image]} ${clusters[image]} ${clusters[image]}" \
	"the ESP's grubenv kept its FAT clusters (${clusters[image]}): written in place, never replaced"
t_is "$(e2e_debugfs_cat "$image" /boot/efi/EFI/centos/custom.cfg 2>/dev/null | grep -c oslift || true)" 0 \
	"custom.cfg on the ESP has no oslift entry left"

# The disk, afterwards.
t_is "$(e2e_fsck_all "$image")" "esp: clean
boot: clean
root: clean
var: clean" "every file system of the disk is clean afterwards (e2fsck -fn, fsck.vfat -n)"
