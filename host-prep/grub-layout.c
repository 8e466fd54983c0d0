/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where GRUB reads its configuration and environment block (boot_grub_find()
 * of boot-entry.h): /boot's grub.cfg on BIOS, the EFI system partition's or
 * the one it hands over to on UEFI; and whether the ESP is mounted and has
 * room for what arming writes there.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "boot-common.h"
#include "boot-entry.h"
#include "boot-entry-internal.h"
#include "boot-record.h"
#include "chase.h"
#include "fsutil.h"
#include "grubenv.h"
#include "grub-layout.h"
#include "strv.h"

/* ---- where GRUB reads its configuration ----------------------------------- */

/* $VAR, else ROOT/dir: where /proc and /sys are read (syscheck.h's rule). */
char *boot_proc_or_sys(const char *root, const char *var, const char *dir) {
        const char *e = getenv(var);

        return e && *e ? strdup(e) : root_path_join(root, dir);
}

/* The firmware booted the machine through UEFI: SYS/firmware/efi exists. */
bool boot_firmware_is_uefi(const char *root) {
        _cleanup_free_ char *sys = boot_proc_or_sys(root, "OSLIFT_SYSFS", "/sys"), *efi = NULL;
        struct stat st;

        if (!sys || asprintf(&efi, "%s/firmware/efi", sys) < 0)
                return false;
        return stat(efi, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A grub.cfg that only hands over to another one (EL 9 and Debian on UEFI:
 * "configfile $prefix/grub.cfg" on the ESP): no entries, no BLS, no
 * custom.cfg, and a configfile or source command. */
bool boot_entry_grub_cfg_is_stub(const char *cfg) {
        if (strstr(cfg, "menuentry") || strstr(cfg, "blscfg") || strstr(cfg, "custom.cfg"))
                return false;
        for (const char *l = cfg; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                l += strspn(l, " \t");
                if ((strncmp(l, "configfile", 10) == 0 && strchr(" \t", l[10])) ||
                    (strncmp(l, "source", 6) == 0 && strchr(" \t", l[6])))
                        return true;
        }
        return false;
}

/* What /etc/os-release's ID names its directory on the ESP. */
static bool vendor_matches(const char *vendor, const char *id) {
        static const char *const aliases[][2] = { { "rhel", "redhat" }, { "ol", "redhat" } };

        if (strcasecmp(vendor, id) == 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(aliases); i++)
                if (strcmp(id, aliases[i][0]) == 0 && strcasecmp(vendor, aliases[i][1]) == 0)
                        return true;
        return false;
}

static char *os_release_id(const char *root) {
        static const char *const files[] = { "/etc/os-release", "/usr/lib/os-release" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *text = NULL;
                if (boot_read_file(root, files[i], 65536, &text, NULL, NULL) < 0)
                        continue;
                for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                        size_t n;
                        if (strncmp(l, "ID=", 3) != 0)
                                continue;
                        l += 3;
                        l += *l == '"' || *l == '\'';
                        n = strcspn(l, "\"'\n");
                        return strndup(l, n);
                }
        }
        return NULL;
}

/* BOOT_ESP_GRUB_PARENT/VENDOR holding grub.cfg, VENDOR not BOOT (the
 * firmware's fallback loader): *ret NULL when there is none; -EEXIST with
 * a reason when there are several and os-release does not say which. */
static int find_esp_grub_dir(const char *root, char **ret, char **ret_reason) {
        _cleanup_free_ char *parent = root_path_join(root, BOOT_ESP_GRUB_PARENT), *id = NULL, *names = NULL;
        _cleanup_(strv_freep) char **found = calloc(1, sizeof(char *));
        _cleanup_(closedirp) DIR *d = NULL;
        size_t n = 0, names_size = 0;
        struct dirent *de;
        FILE *out;

        *ret = NULL;
        if (!parent || !found)
                return -ENOMEM;
        d = opendir(parent);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                _cleanup_free_ char *dir = NULL, *cfg = NULL;
                char **grown;

                if (strcasecmp(de->d_name, "BOOT") == 0 || asprintf(&dir, BOOT_ESP_GRUB_PARENT "/%s", de->d_name) < 0 ||
                    !boot_grub_dir_valid(dir) || asprintf(&cfg, "%s/grub.cfg", dir) < 0 ||
                    !boot_exists_in_root(root, cfg, S_IFREG))
                        continue;
                grown = reallocarray(found, n + 2, sizeof(char *));
                if (!grown)
                        return -ENOMEM;
                found = grown;
                found[n++] = TAKE_PTR(dir);
                found[n] = NULL;
        }
        if (n == 0)
                return 0;
        if (n == 1) {
                *ret = strdup(found[0]);
                return *ret ? 0 : -ENOMEM;
        }
        id = os_release_id(root);
        for (size_t i = 0; id && i < n; i++)
                if (vendor_matches(found[i] + strlen(BOOT_ESP_GRUB_PARENT "/"), id)) {
                        /* Not taken out: strv_freep() stops at a NULL. */
                        *ret = strdup(found[i]);
                        return *ret ? 0 : -ENOMEM;
                }
        out = open_memstream(&names, &names_size);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                fprintf(out, "%s%s%s/grub.cfg", i ? ", " : "", root_prefix(root), found[i]);
        if (fclose(out) != 0)
                return -ENOMEM;
        return boot_format_reason(ret_reason, -EEXIST,
                                  "the EFI system partition holds more than one GRUB configuration (%s) and "
                                  "/etc/os-release's ID (%s) names none of them, so it is unclear which one the "
                                  "firmware boots; remove the ones no boot entry uses (efibootmgr -v lists them)",
                                  names, id ?: "none");
}

/* The /boot directory a stub hands over to: the one of boot_grub_dirs it
 * names ("($dev)/grub2", "'/boot/grub'"), holding a grub.cfg. */
static const char *stub_target(const char *root, const char *stub) {
        /* "grub2" first: "/grub" is in "/grub2" too. */
        const char *dir = strstr(stub, "grub2") ? "/boot/grub2" : strstr(stub, "/grub") ? "/boot/grub" : NULL;
        char cfg[64];

        if (!dir)
                return NULL;
        snprintf(cfg, sizeof(cfg), "%s/grub.cfg", dir);
        return boot_exists_in_root(root, cfg, S_IFREG) ? dir : NULL;
}

/* The first of boot_grub_dirs holding grub.cfg. */
static const char *find_boot_grub_dir(const char *root) {
        for (size_t i = 0; boot_grub_dirs[i]; i++) {
                char cfg[64];
                snprintf(cfg, sizeof(cfg), "%s/grub.cfg", boot_grub_dirs[i]);
                if (boot_exists_in_root(root, cfg, S_IFREG))
                        return boot_grub_dirs[i];
        }
        return NULL;
}

void boot_grub_done(struct boot_grub *g) {
        free(g->grub_dir);
        free(g->grubenv);
        *g = (struct boot_grub) {};
}

/* dir/grub.cfg's environment block: dir/grubenv with symlinks followed
 * inside root; it must stay below /boot, where GRUB can read it. */
static int resolve_grubenv(const char *root, const char *dir, char **ret, char **ret_reason) {
        _cleanup_free_ char *path = NULL, *resolved = NULL;
        int r;

        if (asprintf(&path, "%s/grubenv", dir) < 0)
                return -ENOMEM;
        r = chase_in_root(root, path, &resolved);
        if (r < 0)
                return boot_format_reason(ret_reason, r, "%s%s cannot be resolved: %s", root_prefix(root), path,
                                          strerror(-r));
        if (!boot_grubenv_path_valid(resolved))
                return boot_format_reason(ret_reason, -EXDEV,
                                          "%s%s is a symlink to %s%s, outside /boot, where GRUB cannot read it; "
                                          "replace it with the environment block itself ('grub2-editenv %s create', "
                                          "grub-editenv on Debian)",
                                          root_prefix(root), path, root_prefix(root), resolved, path);
        *ret = TAKE_PTR(resolved);
        return 0;
}

int boot_grub_find(const char *root, struct boot_grub *ret, char **ret_reason) {
        _cleanup_free_ char *esp_dir = NULL, *esp_cfg = NULL, *grubenv = NULL;
        _cleanup_free_ char *esp_reason = NULL;
        const char *boot_dir, *dir = NULL;
        bool uefi = boot_firmware_is_uefi(root), on_esp = false;
        int r, esp_r;

        *ret_reason = NULL;
        esp_r = find_esp_grub_dir(root, &esp_dir, &esp_reason);
        if (esp_r == -ENOMEM)
                return esp_r;
        if (esp_dir) {
                _cleanup_free_ char *cfg_path = NULL;
                if (asprintf(&cfg_path, "%s/grub.cfg", esp_dir) < 0)
                        return -ENOMEM;
                r = boot_read_file(root, cfg_path, GRUB_CFG_MAX, &esp_cfg, NULL, NULL);
                if (r < 0)
                        return boot_format_reason(ret_reason, r, "%s%s cannot be read: %s", root_prefix(root),
                                                  cfg_path, strerror(-r));
        }
        boot_dir = find_boot_grub_dir(root);

        /* The firmware starts the GRUB on the ESP, which reads its own
         * grub.cfg or is handed over by it to /boot's; a BIOS GRUB reads
         * /boot's. Without efivars to go by (a root directory), /boot's
         * first too: an ESP grub.cfg beside it is a stub or unused. */
        if (uefi && esp_r < 0)
                return boot_take_reason(ret_reason, &esp_reason, esp_r);
        if (!uefi && boot_dir)
                dir = boot_dir;
        else if (esp_cfg && boot_entry_grub_cfg_is_stub(esp_cfg)) {
                dir = stub_target(root, esp_cfg);
                if (!dir)
                        return boot_format_reason(ret_reason, -ENOENT,
                                                  "%s%s/grub.cfg hands over to a grub.cfg in /boot that does not "
                                                  "exist; create it with 'grub2-mkconfig -o /boot/grub2/grub.cfg' "
                                                  "(update-grub on Debian)",
                                                  root_prefix(root), esp_dir);
        } else if (esp_cfg) {
                dir = esp_dir;
                on_esp = true;
        } else if (boot_dir)
                dir = boot_dir;
        else if (esp_r < 0)
                return boot_take_reason(ret_reason, &esp_reason, esp_r);
        else
                return boot_format_reason(ret_reason, -ENOENT,
                                          "no GRUB 2 configuration: none of %s/boot/grub2/grub.cfg, "
                                          "%s/boot/grub/grub.cfg or %s" BOOT_ESP_GRUB_PARENT "/VENDOR/grub.cfg "
                                          "exists (oslift boots the upgrade through GRUB 2 only)%s",
                                          root_prefix(root), root_prefix(root), root_prefix(root),
                                          uefi ? "; on UEFI, is the EFI system partition mounted on /boot/efi?" : "");

        r = resolve_grubenv(root, dir, &grubenv, ret_reason);
        if (r < 0)
                return r;
        ret->grub_dir = strdup(dir);
        if (!ret->grub_dir)
                return -ENOMEM;
        ret->grubenv = TAKE_PTR(grubenv);
        ret->on_esp = on_esp;
        ret->uefi = uefi;
        return 0;
}

/* ---- the EFI system partition ---------------------------------------------- */

/* What arming may add to custom.cfg: the block, a command line of a few
 * hundred bytes included. */
#define CUSTOM_BLOCK_MAX ((uint64_t) 8192)

static bool is_below_esp(const char *path) {
        return strncmp(path, BOOT_ESP_MOUNT "/", strlen(BOOT_ESP_MOUNT "/")) == 0;
}

/* A mount point of PROC/self/mountinfo (its fifth field) with the octal
 * escapes the kernel writes for blanks and backslashes undone, in place. */
static char *mountinfo_target(char *line) {
        char *p = line, *q;

        for (int i = 0; i < 4; i++) {
                p = strchr(p, ' ');
                if (!p)
                        return NULL;
                p++;
        }
        p[strcspn(p, " ")] = '\0';
        for (char *s = q = p; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                    s[3] <= '7') {
                        *q++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else
                        *q++ = *s;
        }
        *q = '\0';
        return p;
}

/* Whether ROOT/path (symlinks resolved) is a mount point in
 * PROC/self/mountinfo; -ENOENT when PROC cannot be read. */
static int is_mounted(const char *root, const char *path) {
        _cleanup_free_ char *proc = boot_proc_or_sys(root, "OSLIFT_PROC", "/proc"), *full = root_path_join(root, path);
        _cleanup_free_ char *text = NULL, *real = NULL;

        if (!proc || !full)
                return -ENOMEM;
        if (boot_read_file(proc, "/self/mountinfo", 16 << 20, &text, NULL, NULL) < 0)
                return -ENOENT;
        real = realpath(full, NULL);
        if (!real)
                return 0;
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                const char *target = mountinfo_target(l);
                if (target && strcmp(target, real) == 0)
                        return 1;
        }
        return 0;
}

/* Whether ROOT/etc/fstab has an entry mounting path; *ret_spec (may be
 * NULL) is what it mounts there ("UUID=..."), for the advice. */
static bool in_fstab(const char *root, const char *path, char **ret_spec) {
        _cleanup_free_ char *text = NULL;

        if (boot_read_file(root, "/etc/fstab", 1 << 20, &text, NULL, NULL) < 0)
                return false;
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                char spec[4096], dir[4096];
                size_t n;

                if (sscanf(l, " %4095s %4095s", spec, dir) != 2 || spec[0] == '#')
                        continue;
                n = strlen(dir);
                while (n > 1 && dir[n - 1] == '/')
                        dir[--n] = '\0';
                if (strcmp(dir, path) == 0) {
                        if (ret_spec)
                                *ret_spec = strdup(spec);
                        return true;
                }
        }
        return false;
}

/* A UEFI machine's GRUB reads its start from the ESP, and on EL 7 and 8
 * its grub.cfg and grubenv too; the upgrade boot mounts it from fstab to
 * turn the one-time boot off in grubenv, and kernel packages write there. */
int boot_check_esp_mounted(const char *root, char **ret_reason) {
        _cleanup_free_ char *spec = NULL;
        int r;

        if (!in_fstab(root, BOOT_ESP_MOUNT, &spec))
                return boot_format_reason(ret_reason, -ENOENT,
                                          "this machine boots through UEFI, but %s/etc/fstab has no entry for the "
                                          "EFI system partition on " BOOT_ESP_MOUNT ", so the upgrade boot would not "
                                          "mount it; add one (UUID=... " BOOT_ESP_MOUNT " vfat umask=0077 0 2, the "
                                          "UUID from 'blkid -t TYPE=vfat') and mount it",
                                          root_prefix(root));
        r = is_mounted(root, BOOT_ESP_MOUNT);
        /* For another root, a plain 'mount ROOT/boot/efi' would look the
         * mount point up in this host's fstab: name the root's device. */
        if (r == 0 && strcmp(root, "/") == 0)
                return boot_format_reason(ret_reason, -ENOENT,
                                          "this machine boots through UEFI, but the EFI system partition is not "
                                          "mounted on " BOOT_ESP_MOUNT ", where GRUB's configuration and "
                                          "environment block are read and written; mount it ('mount "
                                          BOOT_ESP_MOUNT "') and run check again");
        if (r == 0)
                return boot_format_reason(ret_reason, -ENOENT,
                                          "this machine boots through UEFI, but the EFI system partition is not "
                                          "mounted on %s" BOOT_ESP_MOUNT ", where GRUB's configuration and "
                                          "environment block are read and written; mount the device the root's "
                                          "fstab names there ('mount %s %s" BOOT_ESP_MOUNT "': a plain 'mount "
                                          "%s" BOOT_ESP_MOUNT "' would read this host's fstab) and run check again",
                                          root_prefix(root), spec ?: "DEVICE", root_prefix(root),
                                          root_prefix(root));
        return r < 0 && r != -ENOENT ? r : 0;
}

/* The ESP has room for the files arming writes there: custom.cfg beside
 * grub.cfg (written whole to a new file, then renamed over the old one)
 * and a grubenv that does not exist yet; in whole clusters. */
int boot_check_esp_space(const char *root, const struct boot_grub *g, char **ret_reason) {
        _cleanup_free_ char *esp = root_path_join(root, BOOT_ESP_MOUNT), *custom = NULL, *custom_full = NULL;
        uint64_t needed = 0, available, cluster;
        struct statvfs sv;
        struct stat st;

        if (!esp)
                return -ENOMEM;
        if (!g->on_esp && !is_below_esp(g->grubenv))
                return 0;
        if (statvfs(esp, &sv) < 0)
                return boot_format_reason(ret_reason, negative_errno(), "cannot tell how much space %s has: %s",
                                          esp, strerror(errno));
        cluster = sv.f_frsize ? sv.f_frsize : 4096;
        if (g->on_esp) {
                uint64_t size = CUSTOM_BLOCK_MAX;
                if (asprintf(&custom, "%s/custom.cfg", g->grub_dir) < 0)
                        return -ENOMEM;
                custom_full = root_path_join(root, custom);
                if (!custom_full)
                        return -ENOMEM;
                if (stat(custom_full, &st) == 0)
                        size += (uint64_t) st.st_size;
                needed += (size + cluster - 1) / cluster * cluster;
        }
        if (is_below_esp(g->grubenv) && !boot_exists_in_root(root, g->grubenv, S_IFREG))
                needed += (GRUBENV_SIZE + cluster - 1) / cluster * cluster;
        available = (uint64_t) sv.f_bavail * sv.f_frsize;
        if (available < needed)
                return boot_format_reason(ret_reason, -ENOSPC,
                                          "the EFI system partition (%s) has %llu KiB free; the upgrade boot entry "
                                          "needs %llu KiB there (custom.cfg and grubenv beside grub.cfg); free "
                                          "space on it (old boot loaders in %s" BOOT_ESP_GRUB_PARENT "/, files "
                                          "no firmware entry uses) and run check again",
                                          esp, (unsigned long long) (available >> 10),
                                          (unsigned long long) ((needed + 1023) >> 10), root_prefix(root));
        return 0;
}
