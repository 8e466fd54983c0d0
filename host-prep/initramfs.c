/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The upgrade initramfs, built with the system's own dracut; see
 * boot-entry.h (boot_space_check(), boot_entry_build_initramfs()). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "boot-common.h"
#include "boot-entry.h"
#include "fsutil.h"
#include "initramfs.h"
#include "log.h"
#include "paths.h"
#include "run.h"

static const char *const dracut_paths[] = { "/usr/bin/dracut", "/usr/sbin/dracut", "/sbin/dracut" };
/* dracut's modules that configure and bring up the network (EL 7-9,
 * Debian): left out of the upgrade initramfs. */
#define DRACUT_OMIT_NETWORK "network network-legacy network-manager network-wicked systemd-networkd ifcfg " \
                            "nfs iscsi nbd fcoe fcoe-uefi"

const char *boot_find_dracut(void) {
        for (size_t i = 0; i < ELEMENTSOF(dracut_paths); i++)
                if (access(dracut_paths[i], X_OK) == 0)
                        return dracut_paths[i];
        return NULL;
}

/* What boot_entry_build_initramfs() needs on the running system. */
int boot_check_dracut(char **ret_reason) {
        if (!boot_find_dracut())
                return boot_format_reason(ret_reason, -ENOENT, "dracut is not installed (/usr/bin/dracut or "
                                          "/sbin/dracut); it builds the upgrade initramfs");
        if (access(OSLIFT_DRACUT_MODULE_SETUP, R_OK) < 0)
                return boot_format_reason(ret_reason, -ENOENT, "oslift's dracut module is not installed (%s)",
                                          OSLIFT_DRACUT_MODULE_SETUP);
        if (access(OSLIFT_UPGRADER_PATH, X_OK) < 0)
                return boot_format_reason(ret_reason, -ENOENT, "the oslift upgrader is not installed (%s)",
                                          OSLIFT_UPGRADER_PATH);
        return 0;
}


int boot_space_check(const char *root, const char *kver, uint64_t *needed, uint64_t *available) {
        /* EL's name, Debian's. */
        static const char *const current[][2] = { { "/boot/initramfs-", ".img" }, { "/boot/initrd.img-", "" } };
        _cleanup_free_ char *k = NULL, *boot = NULL;
        uint64_t size = BOOT_INITRAMFS_UNKNOWN;
        struct statvfs sv;
        int r;

        r = kver ? ((k = strdup(kver)) ? 0 : -ENOMEM) : boot_entry_default_kver(root, &k);
        if (r < 0)
                return r;
        if (!boot_kver_valid(k))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(current); i++) {
                _cleanup_free_ char *path = NULL, *full = NULL;
                struct stat st;

                if (asprintf(&path, "%s%s%s", current[i][0], k, current[i][1]) < 0)
                        return -ENOMEM;
                full = root_path_join(root, path);
                if (!full)
                        return -ENOMEM;
                if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
                        size = (uint64_t) st.st_size;
                        break;
                }
        }
        boot = root_path_join(root, "/boot");
        if (!boot)
                return -ENOMEM;
        if (statvfs(boot, &sv) < 0)
                return negative_errno();
        *needed = size + BOOT_INITRAMFS_SLACK;
        *available = (uint64_t) sv.f_bavail * sv.f_frsize;
        return *available < *needed ? -ENOSPC : 0;
}


int boot_entry_build_initramfs(const char *root, const char *kver, char **ret_path) {
        _cleanup_free_ char *k = NULL, *image = NULL;
        uint64_t needed, available;
        const char *dracut;
        struct stat st;
        int r;

        /* dracut builds for the system it runs on: its modules, its config. */
        if (strcmp(root, "/") != 0)
                return -EOPNOTSUPP;
        r = boot_resolve_kver(root, kver, &k);
        if (r < 0)
                return r;
        r = boot_space_check(root, k, &needed, &available);
        if (r == -ENOSPC) {
                log_error("/boot has %llu MiB free; the upgrade initramfs needs about %llu MiB there",
                          (unsigned long long) (available >> 20),
                          (unsigned long long) ((needed + (1 << 20) - 1) >> 20));
                log_error("free space in /boot (remove kernels no longer needed) and stage again");
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "cannot tell how much space /boot has");
        dracut = boot_find_dracut();
        if (!dracut) {
                log_error("dracut is not installed (looked for /usr/bin/dracut and /sbin/dracut); "
                          "it builds the upgrade initramfs");
                return -ENOENT;
        }
        if (asprintf(&image, "/boot/" IMAGE_PREFIX "%s" IMAGE_SUFFIX, k) < 0)
                return -ENOMEM;

        log_debug("building %s with %s", image, dracut);
        /* No network in the upgrade environment: nothing there needs it
         * (the upgrader supports local roots only), and a service that
         * brings up interfaces from the old system's configuration is
         * one more thing that can hang or reach out while the system is
         * half-upgraded. */
        r = run_logged((char *const[]) { (char *) dracut, (char *) "--force", (char *) "--add",
                              (char *) "oslift", (char *) "--omit", (char *) DRACUT_OMIT_NETWORK,
                              (char *) "--kver", k, image, NULL });
        if (r == 0 && (stat(image, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)) {
                log_error("%s succeeded but left no %s", dracut, image);
                r = -EIO;
        }
        if (r < 0) {
                (void) unlink(image); /* a partial image must not be booted */
                return r;
        }
        *ret_path = TAKE_PTR(image);
        return 0;
}
