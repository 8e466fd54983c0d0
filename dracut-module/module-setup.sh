#!/bin/bash
# dracut module "oslift": puts the static upgrader and librpm's run-time
# configuration into the upgrade initramfs and runs it once the real root is
# mounted, before switch-root. host-prep stage builds that image with
# "--add oslift"; the module never joins ordinary images by itself.

# called by dracut
check() {
	require_binaries /usr/lib/oslift/upgrader || return 1
	return 255
}

# oslift_uses_dm PREFIX: whether a device-mapper device of the running
# system has a dm UUID starting with PREFIX ("LVM-": a logical volume,
# "CRYPT-": dm-crypt, as lvm and cryptsetup name them).
oslift_uses_dm() {
	local uuid
	for uuid in /sys/block/dm-*/dm/uuid; do
		[[ -r $uuid && $(<"$uuid") == "$1"* ]] && return 0
	done
	return 1
}

# oslift_fstab_fs_types: the local block file systems of /etc/fstab, by
# the kernel module that mounts them (ext2 and ext3 are ext4's).
oslift_fstab_fs_types() {
	local types t
	types=$(awk '$1 !~ /^#/ && NF >= 3 { print $3 }' /etc/fstab 2>/dev/null)
	for t in $types; do
		case $t in
		ext2 | ext3 | ext4) echo ext4 ;;
		xfs | btrfs | vfat) echo "$t" ;;
		esac
	done | sort -u
}

# called by dracut
depends() {
	# The upgrader needs the root's block device and filesystem drivers;
	# rootfs-block brings what dracut uses to mount the root. It also
	# mounts every local file system of fstab (/var, /home, ...), which
	# host-only dracut does not look at: LVM and dm-crypt when the system
	# has them, even where the image's configuration leaves them out
	# (dracutmodules=); the upgrader activates the volume groups that
	# rd.lvm.lv= leaves inactive (upgrader/lvm.h).
	local deps=rootfs-block
	oslift_uses_dm LVM- && deps+=" lvm"
	oslift_uses_dm CRYPT- && deps+=" crypt"
	echo "$deps"
	return 0
}

# called by dracut
installkernel() {
	# The software watchdog, for machines without a hardware one: a hung
	# upgrade must reboot (upgrader/watchdog.h).
	hostonly='' instmods softdog
	# On UEFI the boot switch (grubenv) is on the EFI system partition,
	# which the upgrader mounts from fstab to turn it on and off: FAT,
	# with the code page and character sets its mount may ask for.
	# (dracut's host-only image has vfat when the ESP is mounted at build
	# time; the NLS modules are loaded only on a mount, so they are named.)
	if [[ -d /sys/firmware/efi ]] || grep -qs '^[^#]*[[:space:]]/boot/efi[[:space:]]' /etc/fstab; then
		hostonly='' instmods vfat nls_cp437 nls_iso8859-1 nls_ascii nls_utf8
	fi
	# The drivers of every local file system of fstab (host-only images
	# have the root's and the mounted /boot's), and device-mapper's when
	# the system has LVM or dm-crypt.
	local types
	types=$(oslift_fstab_fs_types)
	# shellcheck disable=SC2086 # one word per module
	[[ -z $types ]] || hostonly='' instmods $types
	if oslift_uses_dm LVM- || oslift_uses_dm CRYPT-; then
		hostonly='' instmods dm_mod
	fi
	return 0
}

# called by dracut
# shellcheck disable=SC2154 # moddir, initdir, systemdsystemunitdir: dracut sets them
install() {
	# Static: no libraries to resolve. Its rpm/ configuration is found
	# beside it.
	inst_simple /usr/lib/oslift/upgrader
	inst_simple /usr/lib/oslift/rpm/rpmrc
	inst_simple /usr/lib/oslift/rpm/macros
	inst_simple /usr/lib/oslift/rpm/platform/x86_64-linux/macros

	if dracut_module_included "systemd"; then
		inst_simple "$moddir/oslift-upgrade.service" "$systemdsystemunitdir/oslift-upgrade.service"
		$SYSTEMCTL -q --root "$initdir" add-wants initrd.target oslift-upgrade.service
	else
		# The shell-only initramfs: after the root is mounted.
		inst_hook pre-pivot 90 "$moddir/oslift-upgrade.sh"
	fi
}
