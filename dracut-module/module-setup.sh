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

# called by dracut
depends() {
	# The upgrader needs the root's block device and filesystem drivers;
	# rootfs-block brings what dracut uses to mount the root.
	echo rootfs-block
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
