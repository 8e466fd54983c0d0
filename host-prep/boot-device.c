/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file system holding /boot; see boot-device.h. */
#include <blkid.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "boot-common.h"
#include "boot-device.h"
#include "fsutil.h"

/* The file system holding /boot on the running system, by UUID. */
int boot_probe_fs_uuid(char **ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *devname = NULL;
        struct dirent *de;
        struct stat st;

        if (stat("/boot", &st) < 0)
                return negative_errno();
        /* Anonymous devices (btrfs subvolumes, tmpfs, overlay) have no
         * block device behind them. */
        if (major(st.st_dev) == 0)
                return -ENODEV;
        devname = blkid_devno_to_devname(st.st_dev);
        if (devname) {
                blkid_probe pr = blkid_new_probe_from_filename(devname);
                const char *v = NULL;
                int r = -ENODATA;

                if (pr) {
                        blkid_probe_enable_superblocks(pr, 1);
                        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_UUID);
                        if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0 &&
                            boot_uuid_valid(v)) {
                                *ret = strdup(v);
                                r = *ret ? 0 : -ENOMEM;
                        }
                        blkid_free_probe(pr);
                        if (r != -ENODATA)
                                return r;
                }
        }
        /* udev's links, when the device itself cannot be read. */
        d = opendir("/dev/disk/by-uuid");
        if (!d)
                return -ENODATA;
        while ((de = readdir(d))) {
                struct stat dst;
                if (de->d_name[0] == '.' || !boot_uuid_valid(de->d_name))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &dst, 0) == 0 && S_ISBLK(dst.st_mode) && dst.st_rdev == st.st_dev) {
                        *ret = strdup(de->d_name);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return -ENODATA;
}

/* path (in root, below /boot) as GRUB reads it from the file system
 * holding /boot: without "/boot" when that is a file system of its own. */
int boot_grub_path(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *boot = root_path_join(root, "/boot");
        struct stat st_root, st_boot;

        if (!boot)
                return -ENOMEM;
        if (stat(root, &st_root) < 0 || stat(boot, &st_boot) < 0)
                return negative_errno();
        *ret = strdup(st_boot.st_dev != st_root.st_dev ? path + 5 : path);
        return *ret ? 0 : -ENOMEM;
}
