/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file system holding /boot, as the upgrade entry names it to GRUB.
 * Internal to host-prep. */
#pragma once

/* Its UUID on the running system: blkid, else udev's /dev/disk/by-uuid.
 * -ENODEV for an anonymous device, -ENODATA when unknown. */
int boot_probe_fs_uuid(char **ret);

/* path (in root, below /boot) as GRUB reads it from the file system
 * holding /boot: without "/boot" when that is a file system of its own. */
int boot_grub_path(const char *root, const char *path, char **ret);
