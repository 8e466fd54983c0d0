/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The storage stack below / and /boot, from PROC/mounts and SYS/class/block
 * (dm/uuid, dm/name, md/, slaves/, partition), and whether the upgrade
 * boot can assemble it: LVM, MD RAID, multipath, LUKS/dm-crypt, iSCSI.
 * storage-unassemblable (a layer whose tool or dracut module is missing),
 * storage-encrypted and storage-multipath (warnings), storage-network-root
 * (iSCSI: an acceptable blocker), storage-stack (info).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strv.h"
#include "syscheck.h"

char *syscheck_mount_source(const struct syscheck_context *c, const char *mountpoint) {
        _cleanup_free_ char *mounts = NULL;
        char *found = NULL;

        if (syscheck_read(c->proc, "mounts", &mounts) < 0)
                return NULL;
        for (char *l = strtok(mounts, "\n"); l; l = strtok(NULL, "\n")) {
                char src[PATH_MAX], dir[PATH_MAX];
                if (sscanf(l, "%4095s %4095s", src, dir) != 2 || strcmp(dir, mountpoint) != 0 ||
                    strcmp(src, "rootfs") == 0)
                        continue;
                free(found);
                found = strdup(src);
                if (!found)
                        abort();
        }
        return found;
}

/* SYS/class/block/name/rel, read as one line. */
static char *block_attr(const struct syscheck_context *c, const char *name, const char *rel) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "class/block/%s/%s", name, rel) < 0)
                abort();
        return syscheck_read_line(c->sys, p);
}

static bool block_has(const struct syscheck_context *c, const char *name, const char *rel) {
        _cleanup_free_ char *p = NULL, *rp = NULL;

        if (asprintf(&rp, "class/block/%s/%s", name, rel) < 0)
                abort();
        p = syscheck_path(c->sys, rp);
        return access(p, F_OK) == 0;
}

/* The block device whose dm/name is dm_name. */
static char *dm_by_name(const struct syscheck_context *c, const char *dm_name) {
        _cleanup_free_ char *dir = syscheck_path(c->sys, "class/block");
        DIR *d = opendir(dir);
        struct dirent *de;
        char *found = NULL;

        while (d && !found && (de = readdir(d))) {
                _cleanup_free_ char *n = NULL;
                if (de->d_name[0] == '.')
                        continue;
                n = block_attr(c, de->d_name, "dm/name");
                if (n && strcmp(n, dm_name) == 0 && !(found = strdup(de->d_name)))
                        abort();
        }
        if (d)
                closedir(d);
        return found;
}

char *syscheck_block_name(const struct syscheck_context *c, const char *device) {
        const char *base;
        char *name;

        if (strncmp(device, "/dev/", 5) != 0)
                return NULL;
        if (strncmp(device, "/dev/mapper/", 12) == 0)
                return dm_by_name(c, device + 12);
        base = device + 5;
        if (strchr(base, '/')) {
                /* /dev/VG/LV: device-mapper names it VG-LV, dashes doubled. */
                _cleanup_free_ char *dm = malloc(strlen(base) * 2 + 1);
                char *o = dm;
                if (!dm)
                        abort();
                for (const char *s = base; *s; s++) {
                        if (*s == '-')
                                *o++ = '-';
                        *o++ = *s == '/' ? '-' : *s;
                }
                *o = '\0';
                return dm_by_name(c, dm);
        }
        name = strdup(base);
        if (!name)
                abort();
        if (!block_has(c, name, "")) {
                free(name);
                return NULL;
        }
        return name;
}

/* The parent disk of a partition: the directory above it in sysfs. */
static char *partition_parent(const struct syscheck_context *c, const char *name) {
        _cleanup_free_ char *rp = NULL, *p = NULL;
        char real[PATH_MAX], *slash;

        if (asprintf(&rp, "class/block/%s", name) < 0)
                abort();
        p = syscheck_path(c->sys, rp);
        if (!realpath(p, real) || !(slash = strrchr(real, '/')))
                return NULL;
        *slash = '\0';
        slash = strrchr(real, '/');
        return slash ? strdup(slash + 1) : NULL;
}

/* The names in SYS/class/block/name/slaves. */
static void block_slaves(const struct syscheck_context *c, const char *name, char ***v, size_t *n) {
        _cleanup_free_ char *rp = NULL, *p = NULL;
        struct dirent *de;
        DIR *d;

        if (asprintf(&rp, "class/block/%s/slaves", name) < 0)
                abort();
        p = syscheck_path(c->sys, rp);
        d = opendir(p);
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        strv_push(v, n, de->d_name);
        if (d)
                closedir(d);
}

/* The kernel module of the driver of every device from dev up to the
 * root of the device tree: the disk's driver, its controller's, ... */
static void device_modules(const struct syscheck_context *c, const char *name, char ***mods, size_t *n) {
        _cleanup_free_ char *rp = NULL, *p = NULL, *top = syscheck_path(c->sys, "devices");
        char real[PATH_MAX], toplevel[PATH_MAX];

        if (asprintf(&rp, "class/block/%s/device", name) < 0)
                abort();
        p = syscheck_path(c->sys, rp);
        if (!realpath(p, real) || !realpath(top, toplevel))
                return;
        while (strlen(real) > strlen(toplevel) && strncmp(real, toplevel, strlen(toplevel)) == 0) {
                char link[PATH_MAX * 2], target[PATH_MAX];
                ssize_t len;

                snprintf(link, sizeof(link), "%s/driver/module", real);
                len = readlink(link, target, sizeof(target) - 1);
                if (len > 0) {
                        target[len] = '\0';
                        const char *m = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
                        if (!strv_contains(*mods, *n, m))
                                strv_push(mods, n, m);
                }
                *strrchr(real, '/') = '\0';
        }
}

void syscheck_block_modules(const struct syscheck_context *c, const char *name, char ***mods, size_t *n) {
        char **slaves = NULL;
        size_t n_slaves = 0;

        if (block_has(c, name, "partition")) {
                _cleanup_free_ char *parent = partition_parent(c, name);
                if (parent)
                        syscheck_block_modules(c, parent, mods, n);
                return;
        }
        block_slaves(c, name, &slaves, &n_slaves);
        for (size_t i = 0; i < n_slaves; i++)
                syscheck_block_modules(c, slaves[i], mods, n);
        if (n_slaves == 0)
                device_modules(c, name, mods, n);
        strv_free(slaves, n_slaves);
}

enum layer { LAYER_LVM, LAYER_MD, LAYER_CRYPT, LAYER_MULTIPATH, LAYER_ISCSI, _LAYER_MAX };

static const struct {
        const char *name;
        const char *tool;   /* what dracut needs on the system to assemble it */
        const char *module; /* dracut's module for it */
        /* What it means for the upgrade boot beyond that, when anything:
         * a finding "MOUNTPOINT is on <on>". */
        struct {
                enum severity severity;
                const char *id, *meaning, *action, *on;
        } finding;
} layers[] = {
        [LAYER_LVM] = { "LVM", "lvm", "90lvm" },
        [LAYER_MD] = { "MD RAID", "mdadm", "90mdraid" },
        [LAYER_CRYPT] = { "LUKS/dm-crypt", "cryptsetup", "90crypt",
                { SEVERITY_WARNING, "storage-encrypted",
                  "the upgrade boot unlocks the encrypted device as every boot does: it waits "
                  "for the passphrase on the console, and an unattended upgrade stops there",
                  "be at the console (or its remote equivalent) for the upgrade boot, or unlock "
                  "with a key file or TPM/clevis binding that dracut includes",
                  "an encrypted (LUKS/dm-crypt) device" } },
        [LAYER_MULTIPATH] = { "multipath", "multipath", "90multipath",
                { SEVERITY_WARNING, "storage-multipath",
                  "the upgrade boot assembles multipath with /etc/multipath.conf and the "
                  "bindings file as dracut copies them; the target's multipath tools may "
                  "name the maps differently",
                  "keep user_friendly_names and /etc/multipath/bindings as they are, and "
                  "mount by UUID or LVM name rather than by map name",
                  "a multipath device" } },
        [LAYER_ISCSI] = { "iSCSI", "iscsiadm", "95iscsi",
                { SEVERITY_BLOCKER, "storage-network-root",
                  "the file system is on iSCSI: the upgrade boot must bring up the network "
                  "and log in to the target before it can mount it, which oslift does not "
                  "test",
                  "make sure the system's initramfs boots from iSCSI today (rd.iscsi.* "
                  "arguments, dracut's 95iscsi), then accept it with --accept "
                  "storage-network-root",
                  "iSCSI" } },
};

static void walk(const struct syscheck_context *c, const char *name, bool found[_LAYER_MAX], FILE *desc, int depth) {
        _cleanup_free_ char *uuid = block_attr(c, name, "dm/uuid");
        char **slaves = NULL;
        size_t n_slaves = 0;

        if (depth > 16)
                return;
        fprintf(desc, "%s%s", depth ? " < " : "", name);
        if (uuid) {
                if (strncmp(uuid, "LVM-", 4) == 0)
                        found[LAYER_LVM] = true, fputs(" (LVM)", desc);
                else if (strncmp(uuid, "CRYPT-", 6) == 0)
                        found[LAYER_CRYPT] = true, fputs(" (dm-crypt)", desc);
                else if (strncmp(uuid, "mpath-", 6) == 0)
                        found[LAYER_MULTIPATH] = true, fputs(" (multipath)", desc);
        }
        if (block_has(c, name, "md"))
                found[LAYER_MD] = true, fputs(" (MD RAID)", desc);
        if (block_has(c, name, "partition")) {
                _cleanup_free_ char *parent = partition_parent(c, name);
                if (parent)
                        walk(c, parent, found, desc, depth + 1);
                return;
        }
        block_slaves(c, name, &slaves, &n_slaves);
        for (size_t i = 0; i < n_slaves; i++)
                walk(c, slaves[i], found, desc, depth + 1);
        strv_free(slaves, n_slaves);
        if (n_slaves == 0 && !uuid) {
                _cleanup_free_ char *rp = NULL, *p = NULL;
                char real[PATH_MAX];
                if (asprintf(&rp, "class/block/%s/device", name) < 0)
                        abort();
                p = syscheck_path(c->sys, rp);
                if (realpath(p, real) && strstr(real, "/session"))
                        found[LAYER_ISCSI] = true, fputs(" (iSCSI)", desc);
        }
}

static bool root_has_tool(const struct syscheck_context *c, const char *tool) {
        static const char *const dirs[] = { "usr/sbin", "sbin", "usr/bin", "bin" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *d = syscheck_path(c->root, dirs[i]);
                _cleanup_free_ char *p = syscheck_path(d, tool);
                if (access(p, F_OK) == 0)
                        return true;
        }
        return false;
}

static void check_mountpoint(struct syscheck_context *c, const char *mountpoint) {
        _cleanup_free_ char *source = syscheck_mount_source(c, mountpoint), *name = NULL, *desc = NULL;
        _cleanup_free_ char *dracut = syscheck_path(c->root, "usr/lib/dracut/modules.d");
        bool found[_LAYER_MAX] = {}, have_dracut = access(dracut, F_OK) == 0;
        size_t desc_len = 0;
        FILE *f;

        if (!source)
                return;
        name = syscheck_block_name(c, source);
        if (!name) {
                if (strncmp(source, "/dev/", 5) == 0)
                        findings_add(c->findings, SEVERITY_INFO, "storage-stack", "", "",
                                     "could not look at the storage below %s (%s is not in %s/class/block)",
                                     mountpoint, source, c->sys);
                return;
        }
        f = open_memstream(&desc, &desc_len);
        if (!f)
                abort();
        walk(c, name, found, f, 0);
        fclose(f);
        findings_add(c->findings, SEVERITY_INFO, "storage-stack", "", "", "%s is on %s", mountpoint, desc);
        findings_set_subject(c->findings, mountpoint);

        for (enum layer l = 0; l < _LAYER_MAX; l++) {
                _cleanup_free_ char *module = syscheck_path(dracut, layers[l].module);
                if (!found[l])
                        continue;
                if (!root_has_tool(c, layers[l].tool) || (have_dracut && access(module, F_OK) != 0)) {
                        findings_add(c->findings, SEVERITY_BLOCKER, "storage-unassemblable",
                                     "the upgrade initramfs is built by the system's dracut, which "
                                     "assembles this layer only with its tool and dracut module; without "
                                     "them the upgrade boot cannot reach the file system",
                                     "install the package with the tool and its dracut module (lvm2, "
                                     "mdadm, cryptsetup, device-mapper-multipath, iscsi-initiator-utils), "
                                     "then check again",
                                     "%s is on %s, but %s or dracut's %s is missing", mountpoint,
                                     layers[l].name, layers[l].tool, layers[l].module);
                        findings_set_subject(c->findings, mountpoint);
                }
        }
        for (enum layer l = 0; l < _LAYER_MAX; l++)
                if (found[l] && layers[l].finding.id) {
                        findings_add(c->findings, layers[l].finding.severity, layers[l].finding.id,
                                     layers[l].finding.meaning, layers[l].finding.action, "%s is on %s", mountpoint,
                                     layers[l].finding.on);
                        findings_set_subject(c->findings, mountpoint);
                }
}

void syscheck_storage(struct syscheck_context *c) {
        _cleanup_free_ char *mounts = syscheck_path(c->proc, "mounts");

        if (access(mounts, F_OK) != 0) {
                findings_add(c->findings, SEVERITY_INFO, "storage-stack", "", "",
                             "could not look at the storage stack (no %s)", mounts);
                return;
        }
        check_mountpoint(c, "/");
        check_mountpoint(c, "/boot");
}
