/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Boot mode: the upgrader as the payload of the upgrade initramfs. A unit
 * starts it once dracut has mounted the root at /sysroot, before
 * switch-root, when the kernel command line has rd.oslift.upgrade. It
 * mounts what the upgrade needs, applies the staged plan, enables the
 * restoration unit of the new system and reboots; on failure it says why
 * on the console and reboots into the old system. It never starts a shell.
 */
#pragma once

/*
 * Returns an exit status when there is nothing to reboot for: 0 when
 * rd.oslift.upgrade is not on the kernel command line or no plan is
 * staged (the boot goes on), 1 when it failed without rebooting (cannot
 * read /proc/cmdline, reboot() failed), 2 when run outside an initramfs
 * (no /etc/initrd-release: it never mounts or reboots there). Otherwise
 * it does not return: it reboots, or with rd.oslift.break it waits forever.
 */
int boot_main(void);
