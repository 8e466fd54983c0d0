/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one-time GRUB boot into the upgrade environment; see boot-entry.h. */
#include <blkid.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot-entry.h"
#include "boot-entry-internal.h"
#include "boot-record.h"
#include "chase.h"
#include "fsutil.h"
#include "grubenv.h"
#include "log.h"
#include "paths.h"
#include "strv.h"

#define IMAGE_PREFIX "oslift-upgrade-"
#define IMAGE_SUFFIX ".img"

/* grub.cfg may hold a few hundred BLS-less entries; custom.cfg is small.
 * Anything bigger is not what these files are. */
#define GRUB_CFG_MAX ((size_t) 16 << 20)
#define CUSTOM_CFG_MAX ((size_t) 1 << 20)

#define BTRFS_MAGIC 0x9123683E

/* Where GRUB 2 keeps grub.cfg: EL first, then Debian. */
static const char *const dracut_paths[] = { "/usr/bin/dracut", "/usr/sbin/dracut", "/sbin/dracut" };
/* dracut's modules that configure and bring up the network (EL 7-9,
 * Debian): left out of the upgrade initramfs. */
#define DRACUT_OMIT_NETWORK "network network-legacy network-manager network-wicked systemd-networkd ifcfg " \
                            "nfs iscsi nbd fcoe fcoe-uefi"

/* Hands *reason over to *ret_reason. */
static int take_reason(char **ret_reason, char **reason, int r) {
        *ret_reason = *reason;
        *reason = NULL;
        return r;
}

static int format_reason(char **ret_reason, int r, const char *fmt, ...) _printf_(3, 4);
static int format_reason(char **ret_reason, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_reason, fmt, ap) < 0)
                *ret_reason = NULL;
        va_end(ap);
        return r;
}

/* Kernel versions name files and go into grub.cfg: only what real ones
 * use ("3.10.0-1160.el7.x86_64", "6.1.0-18-amd64", "5.14.0+"). */
static bool kver_valid(const char *kver) {
        size_t n = strlen(kver);

        return n > 0 && n < 200 && kver[0] != '.' && kver[0] != '-' &&
               strspn(kver, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-") == n;
}

/* A path below /boot, plain enough to go into grub.cfg unquoted. */
static bool boot_path_valid(const char *p) {
        size_t n = strlen(p);

        return n > 6 && n < PATH_MAX && strncmp(p, "/boot/", 6) == 0 && !strstr(p, "//") &&
               !strstr(p, "/./") && !strstr(p, "/../") && strcmp(p + n - 3, "/..") != 0 &&
               strcmp(p + n - 2, "/.") != 0 && p[n - 1] != '/' &&
               strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~/-") == n;
}

static bool uuid_valid(const char *u) {
        size_t n = strlen(u);
        return n > 0 && n <= 64 && strspn(u, "0123456789abcdefABCDEF-") == n;
}

/* The whole of a file in root, NUL-terminated; -ENOENT when absent, -EFBIG
 * above max. Read to its end, not to its st_size: /proc's files have none.
 * *ret_mode gets its permissions when not NULL. */
static int read_file(const char *root, const char *path, size_t max, char **ret, size_t *ret_size,
                     mode_t *ret_mode) {
        _cleanup_free_ char *full = root_path_join(root, path);
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -1;
        size_t done = 0, cap = 0;
        struct stat st;

        if (!full)
                return -ENOMEM;
        fd = open(full, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        for (;;) {
                ssize_t n;

                if (done == cap) {
                        char *grown;
                        if (cap > max)
                                return -EFBIG;
                        cap = cap == 0 ? 4096 : cap * 2;
                        grown = realloc(buf, cap + 1);
                        if (!grown)
                                return -ENOMEM;
                        buf = grown;
                }
                n = read(fd, buf + done, cap - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                done += (size_t) n;
        }
        if (done > max)
                return -EFBIG;
        buf[done] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = done;
        if (ret_mode)
                *ret_mode = st.st_mode & 07777;
        return 0;
}

static bool exists_in_root(const char *root, const char *path, mode_t type) {
        _cleanup_free_ char *full = root_path_join(root, path);
        struct stat st;

        return full && stat(full, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

static int read_grub_cfg(const char *root, const char *grub_dir, char **ret) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/grub.cfg", grub_dir) < 0)
                return -ENOMEM;
        return read_file(root, path, GRUB_CFG_MAX, ret, NULL, NULL);
}

static bool is_rescue_kernel(const char *name) {
        return strstr(name, "-rescue-") != NULL;
}

int boot_entry_default_kver(const char *root, char **ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *boot = NULL, *found = NULL;
        struct dirent *de;

        if (strcmp(root, "/") == 0) {
                struct utsname u;
                if (uname(&u) < 0)
                        return negative_errno();
                *ret = strdup(u.release);
                return *ret ? 0 : -ENOMEM;
        }
        /* No running kernel to go by: only an unambiguous one will do. */
        boot = root_path_join(root, "/boot");
        if (!boot)
                return -ENOMEM;
        d = opendir(boot);
        if (!d)
                return negative_errno();
        while ((de = readdir(d))) {
                if (strncmp(de->d_name, "vmlinuz-", 8) != 0 || is_rescue_kernel(de->d_name) ||
                    !kver_valid(de->d_name + 8))
                        continue;
                if (found)
                        return -EINVAL;
                found = strdup(de->d_name + 8);
                if (!found)
                        return -ENOMEM;
        }
        if (!found)
                return -ENOENT;
        *ret = TAKE_PTR(found);
        return 0;
}

static int resolve_kver(const char *root, const char *kver, char **ret) {
        int r;

        if (kver) {
                if (!kver_valid(kver)) {
                        log_error("'%s' is not a kernel version", kver);
                        return -EINVAL;
                }
                *ret = strdup(kver);
                return *ret ? 0 : -ENOMEM;
        }
        r = boot_entry_default_kver(root, ret);
        if (r == -EINVAL)
                log_error("%s/boot holds more than one kernel: say which one to boot", root_prefix(root));
        else if (r == -ENOENT)
                log_error("%s/boot holds no kernel (vmlinuz-*)", root_prefix(root));
        else if (r < 0)
                log_error_errno(r, "cannot tell which kernel to boot in %s", root);
        return r;
}

/* ---- where GRUB reads its configuration ----------------------------------- */

/* $VAR, else ROOT/dir: where /proc and /sys are read (syscheck.h's rule). */
static char *boot_proc_or_sys(const char *root, const char *var, const char *dir) {
        const char *e = getenv(var);

        return e && *e ? strdup(e) : root_path_join(root, dir);
}

/* The firmware booted the machine through UEFI: SYS/firmware/efi exists. */
static bool firmware_is_uefi(const char *root) {
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
                if (read_file(root, files[i], 65536, &text, NULL, NULL) < 0)
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
                    !exists_in_root(root, cfg, S_IFREG))
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
        return format_reason(ret_reason, -EEXIST,
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
        return exists_in_root(root, cfg, S_IFREG) ? dir : NULL;
}

/* The first of boot_grub_dirs holding grub.cfg. */
static const char *find_boot_grub_dir(const char *root) {
        for (size_t i = 0; boot_grub_dirs[i]; i++) {
                char cfg[64];
                snprintf(cfg, sizeof(cfg), "%s/grub.cfg", boot_grub_dirs[i]);
                if (exists_in_root(root, cfg, S_IFREG))
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
                return format_reason(ret_reason, r, "%s%s cannot be resolved: %s", root_prefix(root), path,
                                     strerror(-r));
        if (!boot_grubenv_path_valid(resolved))
                return format_reason(ret_reason, -EXDEV,
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
        bool uefi = firmware_is_uefi(root), on_esp = false;
        int r, esp_r;

        *ret_reason = NULL;
        esp_r = find_esp_grub_dir(root, &esp_dir, &esp_reason);
        if (esp_r == -ENOMEM)
                return esp_r;
        if (esp_dir) {
                _cleanup_free_ char *cfg_path = NULL;
                if (asprintf(&cfg_path, "%s/grub.cfg", esp_dir) < 0)
                        return -ENOMEM;
                r = read_file(root, cfg_path, GRUB_CFG_MAX, &esp_cfg, NULL, NULL);
                if (r < 0)
                        return format_reason(ret_reason, r, "%s%s cannot be read: %s", root_prefix(root),
                                             cfg_path, strerror(-r));
        }
        boot_dir = find_boot_grub_dir(root);

        /* The firmware starts the GRUB on the ESP, which reads its own
         * grub.cfg or is handed over by it to /boot's; a BIOS GRUB reads
         * /boot's. Without efivars to go by (a root directory), /boot's
         * first too: an ESP grub.cfg beside it is a stub or unused. */
        if (uefi && esp_r < 0)
                return take_reason(ret_reason, &esp_reason, esp_r);
        if (!uefi && boot_dir)
                dir = boot_dir;
        else if (esp_cfg && boot_entry_grub_cfg_is_stub(esp_cfg)) {
                dir = stub_target(root, esp_cfg);
                if (!dir)
                        return format_reason(ret_reason, -ENOENT,
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
                return take_reason(ret_reason, &esp_reason, esp_r);
        else
                return format_reason(ret_reason, -ENOENT,
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
        if (read_file(proc, "/self/mountinfo", 16 << 20, &text, NULL, NULL) < 0)
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

/* Whether ROOT/etc/fstab has an entry mounting path. */
static bool in_fstab(const char *root, const char *path) {
        _cleanup_free_ char *text = NULL;

        if (read_file(root, "/etc/fstab", 1 << 20, &text, NULL, NULL) < 0)
                return false;
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                char spec[4096], dir[4096];
                size_t n;

                if (sscanf(l, " %4095s %4095s", spec, dir) != 2 || spec[0] == '#')
                        continue;
                n = strlen(dir);
                while (n > 1 && dir[n - 1] == '/')
                        dir[--n] = '\0';
                if (strcmp(dir, path) == 0)
                        return true;
        }
        return false;
}

/* A UEFI machine's GRUB reads its start from the ESP, and on EL 7 and 8
 * its grub.cfg and grubenv too; the upgrade boot mounts it from fstab to
 * turn the one-time boot off in grubenv, and kernel packages write there. */
static int check_esp_mounted(const char *root, char **ret_reason) {
        int r;

        if (!in_fstab(root, BOOT_ESP_MOUNT))
                return format_reason(ret_reason, -ENOENT,
                                     "this machine boots through UEFI, but %s/etc/fstab has no entry for the "
                                     "EFI system partition on " BOOT_ESP_MOUNT ", so the upgrade boot would not "
                                     "mount it; add one (UUID=... " BOOT_ESP_MOUNT " vfat umask=0077 0 2, the "
                                     "UUID from 'blkid -t TYPE=vfat') and mount it",
                                     root_prefix(root));
        r = is_mounted(root, BOOT_ESP_MOUNT);
        if (r == 0)
                return format_reason(ret_reason, -ENOENT,
                                     "this machine boots through UEFI, but the EFI system partition is not "
                                     "mounted on %s" BOOT_ESP_MOUNT ", where GRUB's configuration and "
                                     "environment block are read and written; mount it ('mount %s"
                                     BOOT_ESP_MOUNT "') and run check again",
                                     root_prefix(root), root_prefix(root));
        return r < 0 && r != -ENOENT ? r : 0;
}

/* The ESP has room for the files arming writes there: custom.cfg beside
 * grub.cfg (written whole to a new file, then renamed over the old one)
 * and a grubenv that does not exist yet; in whole clusters. */
static int check_esp_space(const char *root, const struct boot_grub *g, char **ret_reason) {
        _cleanup_free_ char *esp = root_path_join(root, BOOT_ESP_MOUNT), *custom = NULL, *custom_full = NULL;
        uint64_t needed = 0, available, cluster;
        struct statvfs sv;
        struct stat st;

        if (!esp)
                return -ENOMEM;
        if (!g->on_esp && !is_below_esp(g->grubenv))
                return 0;
        if (statvfs(esp, &sv) < 0)
                return format_reason(ret_reason, negative_errno(), "cannot tell how much space %s has: %s",
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
        if (is_below_esp(g->grubenv) && !exists_in_root(root, g->grubenv, S_IFREG))
                needed += (GRUBENV_SIZE + cluster - 1) / cluster * cluster;
        available = (uint64_t) sv.f_bavail * sv.f_frsize;
        if (available < needed)
                return format_reason(ret_reason, -ENOSPC,
                                     "the EFI system partition (%s) has %llu KiB free; the upgrade boot entry "
                                     "needs %llu KiB there (custom.cfg and grubenv beside grub.cfg); free "
                                     "space on it (old boot loaders in %s" BOOT_ESP_GRUB_PARENT "/, files "
                                     "no firmware entry uses) and run check again",
                                     esp, (unsigned long long) (available >> 10),
                                     (unsigned long long) ((needed + 1023) >> 10), root_prefix(root));
        return 0;
}

/* ---- readiness ---------------------------------------------------------- */

static const char *find_dracut(void) {
        for (size_t i = 0; i < ELEMENTSOF(dracut_paths); i++)
                if (access(dracut_paths[i], X_OK) == 0)
                        return dracut_paths[i];
        return NULL;
}

/* What boot_entry_build_initramfs() needs on the running system. */
static int check_dracut(char **ret_reason) {
        if (!find_dracut())
                return format_reason(ret_reason, -ENOENT, "dracut is not installed (/usr/bin/dracut or "
                                     "/sbin/dracut); it builds the upgrade initramfs");
        if (access(OSLIFT_DRACUT_MODULE_SETUP, R_OK) < 0)
                return format_reason(ret_reason, -ENOENT, "oslift's dracut module is not installed (%s)",
                                     OSLIFT_DRACUT_MODULE_SETUP);
        if (access(OSLIFT_UPGRADER_PATH, X_OK) < 0)
                return format_reason(ret_reason, -ENOENT, "the oslift upgrader is not installed (%s)",
                                     OSLIFT_UPGRADER_PATH);
        return 0;
}

static int check_grubenv(const char *root, const char *path, char **ret_reason) {
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        _cleanup_free_ char *full = NULL;
        int r;

        full = root_path_join(root, path);
        if (!full)
                return -ENOMEM;
        r = grubenv_read(root, path, &env);
        if (r == -ENOENT)
                return 0; /* arm creates it, as grub-editenv create would */
        if (r == -EBADMSG)
                return format_reason(ret_reason, r,
                                     "%s is not a %d-byte GRUB environment block, so the one-time boot "
                                     "cannot be set in it; recreate it with 'grub2-editenv %s create' "
                                     "(grub-editenv on Debian)",
                                     full, GRUBENV_SIZE, path);
        if (r < 0)
                return format_reason(ret_reason, r, "%s cannot be read: %s", full, strerror(-r));
        if (access(full, W_OK) < 0)
                return format_reason(ret_reason, negative_errno(), "%s is not writable: %s", full,
                                     strerror(errno));
        r = grubenv_set(env, "next_entry", BOOT_ENTRY_ID);
        if (r == -ENOSPC)
                return format_reason(ret_reason, r,
                                     "%s is full: there is no room for next_entry=%s; remove variables "
                                     "that are no longer needed with 'grub2-editenv %s unset NAME'",
                                     full, BOOT_ENTRY_ID, path);
        return r;
}

/* boot_entry_check(), and where GRUB's configuration was found in *g. */
static int check_and_find(const char *root, const char *kver, struct boot_grub *g, char **ret_reason) {
        _cleanup_free_ char *k = NULL, *cfg = NULL, *dir = NULL, *kernel = NULL;
        struct statfs sf;
        int r;

        *ret_reason = NULL;
        if (kver) {
                if (!kver_valid(kver))
                        return format_reason(ret_reason, -EINVAL, "'%s' is not a kernel version", kver);
                k = strdup(kver);
        } else {
                r = boot_entry_default_kver(root, &k);
                if (r == -EINVAL)
                        return format_reason(ret_reason, r, "%s/boot holds more than one kernel, and "
                                             "none was named", root_prefix(root));
                if (r == -ENOENT)
                        return format_reason(ret_reason, r, "%s/boot holds no kernel (vmlinuz-*)",
                                             root_prefix(root));
                if (r < 0)
                        return format_reason(ret_reason, r, "cannot tell which kernel to boot: %s",
                                             strerror(-r));
        }
        if (!k)
                return -ENOMEM;

        /* Before looking for grub.cfg: on EL 7 and 8 it is on the ESP. */
        if (firmware_is_uefi(root)) {
                r = check_esp_mounted(root, ret_reason);
                if (r < 0)
                        return r;
        }
        r = boot_grub_find(root, g, ret_reason);
        if (r < 0)
                return r;
        dir = root_path_join(root, g->grub_dir);
        if (!dir)
                return -ENOMEM;
        r = read_grub_cfg(root, g->grub_dir, &cfg);
        if (r < 0)
                return format_reason(ret_reason, r, "%s/grub.cfg cannot be read: %s", dir, strerror(-r));
        /* 41_custom's "source ${config_directory}/custom.cfg" and 00_header's
         * "if [ "${next_entry}" ]": without both, arming does nothing. */
        if (!strstr(cfg, "custom.cfg"))
                return format_reason(ret_reason, -EOPNOTSUPP,
                                     "%s/grub.cfg does not read custom.cfg, where the upgrade entry goes "
                                     "(it was made without /etc/grub.d/41_custom); regenerate it with "
                                     "grub2-mkconfig (update-grub on Debian)",
                                     dir);
        if (!strstr(cfg, "next_entry"))
                return format_reason(ret_reason, -EOPNOTSUPP,
                                     "%s/grub.cfg ignores next_entry, so it cannot boot an entry once "
                                     "(it was made without /etc/grub.d/00_header); regenerate it with "
                                     "grub2-mkconfig (update-grub on Debian)",
                                     dir);
        if (access(dir, W_OK) < 0)
                return format_reason(ret_reason, negative_errno(), "%s is not writable: %s", dir,
                                     strerror(errno));
        r = check_grubenv(root, g->grubenv, ret_reason);
        if (r == 0)
                r = check_esp_space(root, g, ret_reason);
        if (r < 0)
                return r;

        if (asprintf(&kernel, "/boot/vmlinuz-%s", k) < 0)
                return -ENOMEM;
        if (!exists_in_root(root, kernel, S_IFREG))
                return format_reason(ret_reason, -ENOENT, "the kernel %s%s is missing",
                                     root_prefix(root), kernel);
        /* GRUB refuses save_env on btrfs: next_entry would never be
         * cleared, and every boot would be an upgrade boot. */
        if (strcmp(root, "/") == 0 && statfs("/boot", &sf) == 0 && (uint32_t) sf.f_type == BTRFS_MAGIC)
                return format_reason(ret_reason, -EOPNOTSUPP,
                                     "/boot is on btrfs, where GRUB cannot clear a one-time boot entry "
                                     "after using it");
        return strcmp(root, "/") == 0 ? check_dracut(ret_reason) : 0;
}

int boot_entry_check(const char *root, const char *kver, char **ret_reason) {
        _cleanup_(boot_grub_done) struct boot_grub g = {};

        return check_and_find(root, kver, &g, ret_reason);
}

/* ---- space and dracut ---------------------------------------------------- */

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
        if (!kver_valid(k))
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

/* The last lines of a child's output, shown when it fails. */
#define TAIL_LINES 20

int boot_entry_run_logged(char *const argv[]) {
        _cleanup_free_ char *line = NULL;
        char *tail[TAIL_LINES] = {};
        size_t n_lines = 0, cap = 0;
        int fds[2], status, r = 0;
        const char *name;
        FILE *f;
        pid_t pid;

        name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return log_error_errno(negative_errno(), "cannot run %s", argv[0]);
        pid = fork();
        if (pid < 0) {
                r = log_error_errno(negative_errno(), "cannot run %s", argv[0]);
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0 ||
                    dup2(fds[1], STDERR_FILENO) < 0)
                        _exit(127);
                execv(argv[0], argv);
                dprintf(STDERR_FILENO, "cannot execute %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(fds[1]);
        f = fdopen(fds[0], "r");
        if (!f) {
                close(fds[0]);
                r = -ENOMEM;
        }
        while (f) {
                ssize_t len = getline(&line, &cap, f);
                if (len < 0)
                        break;
                if (len > 0 && line[len - 1] == '\n')
                        line[len - 1] = '\0';
                log_debug("%s: %s", name, line);
                free(tail[n_lines % TAIL_LINES]);
                tail[n_lines % TAIL_LINES] = strdup(line);
                n_lines++;
        }
        if (f)
                fclose(f);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = log_error_errno(negative_errno(), "cannot wait for %s", argv[0]);
                        break;
                }
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                size_t first = n_lines > TAIL_LINES ? n_lines - TAIL_LINES : 0;
                const char *more = n_lines > 0 ? "; the end of its output:" : " and printed nothing";
                if (WIFEXITED(status))
                        log_error("%s failed with exit status %d%s", argv[0], WEXITSTATUS(status), more);
                else
                        log_error("%s was killed by signal %d%s", argv[0],
                                  WIFSIGNALED(status) ? WTERMSIG(status) : 0, more);
                for (size_t i = first; i < n_lines; i++)
                        log_error("%s: %s", name, tail[i % TAIL_LINES] ?: "");
                r = -EIO;
        }
        for (size_t i = 0; i < TAIL_LINES; i++)
                free(tail[i]);
        return r;
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
        r = resolve_kver(root, kver, &k);
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
        dracut = find_dracut();
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
        r = boot_entry_run_logged((char *const[]) { (char *) dracut, (char *) "--force", (char *) "--add",
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

/* ---- the kernel command line --------------------------------------------- */

int boot_entry_split_words(const char *s, char ***ret) {
        _cleanup_(strv_freep) char **v = calloc(1, sizeof(char *));
        size_t n = 0;

        if (!v)
                return -ENOMEM;
        for (;;) {
                const char *start;
                bool quoted = false;
                char **grown;

                s += strspn(s, " \t\n");
                if (*s == '\0')
                        break;
                for (start = s; *s && (quoted || !strchr(" \t\n", *s)); s++)
                        if (*s == '"')
                                quoted = !quoted;
                grown = reallocarray(v, n + 2, sizeof(char *));
                if (!grown)
                        return -ENOMEM;
                v = grown;
                v[n] = strndup(start, (size_t) (s - start));
                if (!v[n])
                        return -ENOMEM;
                v[++n] = NULL;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static bool word_is_ours_or_grubs(const char *w) {
        size_t n = strlen(OSLIFT_ARG_NAMESPACE);

        return strncmp(w, "BOOT_IMAGE=", 11) == 0 ||
               (strncmp(w, OSLIFT_ARG_NAMESPACE, n) == 0 && (w[n] == '\0' || w[n] == '.' || w[n] == '='));
}

bool boot_entry_word_passes_grub(const char *w) {
        for (const unsigned char *c = (const unsigned char *) w; *c; c++)
                if (*c == '\\' || *c == '\'' || *c < 0x20 || *c == 0x7f)
                        return false;
        return true;
}

/* An odd number of double quotes leaves the last one open to the end of
 * the line (boot_entry_split_words() and the kernel read it so): every word put
 * after it, OSLIFT_ARG_UPGRADE too, would become part of it. */
static bool word_quotes_balanced(const char *w) {
        size_t n = 0;

        for (; *w; w++)
                n += *w == '"';
        return n % 2 == 0;
}

static int put_word(FILE *out, const char *w, bool *first) {
        if (!boot_entry_word_passes_grub(w)) {
                log_error("the kernel argument '%s' cannot be passed on through GRUB unchanged "
                          "(it holds a backslash, a quote or a control character)", w);
                return -EINVAL;
        }
        if (!word_quotes_balanced(w)) {
                log_error("the kernel argument '%s' has an unterminated double quote: the arguments "
                          "after it would become part of it", w);
                return -EINVAL;
        }
        fprintf(out, "%s%s", *first ? "" : " ", w);
        *first = false;
        return 0;
}

/* Words after "--" are init's, not the kernel's: ours go before it. */
static int compose_cmdline(FILE *out, char **current, char **extra) {
        static const char *const unattended[] = OSLIFT_ARGS_UNATTENDED;
        bool first = true;
        char **w;
        int r;

        for (w = current; *w && strcmp(*w, "--") != 0; w++)
                if (!word_is_ours_or_grubs(*w) && (r = put_word(out, *w, &first)) < 0)
                        return r;
        r = put_word(out, OSLIFT_ARG_UPGRADE, &first);
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(unattended); i++)
                r = put_word(out, unattended[i], &first);
        for (char **e = extra; r == 0 && *e; e++)
                r = put_word(out, *e, &first);
        for (; r == 0 && *w; w++)
                r = put_word(out, *w, &first);
        return r;
}

int boot_entry_make_cmdline(const char *current, const char *extra, char **ret) {
        _cleanup_(strv_freep) char **current_words = NULL, **extra_words = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *out;
        int r;

        r = boot_entry_split_words(current, &current_words);
        if (r == 0)
                r = boot_entry_split_words(extra ?: "", &extra_words);
        if (r < 0)
                return r;
        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        r = compose_cmdline(out, current_words, extra_words);
        if (fclose(out) != 0 && r == 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(text);
        return 0;
}

/* Digits only, at most six of them, in [min, max]. */
static bool number_in(const char *s, unsigned min, unsigned max) {
        unsigned long v = 0;
        size_t n = 0;

        for (; *s; s++, n++) {
                if (*s < '0' || *s > '9' || n >= 6)
                        return false;
                v = v * 10 + (unsigned long) (*s - '0');
        }
        return n > 0 && v >= min && v <= max;
}

bool boot_entry_upgrade_arg_valid(const char *word) {
        static const struct {
                const char *key;
                unsigned min, max;
        } numbers[] = {
                { OSLIFT_ARG_ATTEMPTS, OSLIFT_ARG_ATTEMPTS_MIN, OSLIFT_ARG_ATTEMPTS_MAX },
                { OSLIFT_ARG_CHECKPOINT, OSLIFT_ARG_CHECKPOINT_MIN, OSLIFT_ARG_CHECKPOINT_MAX },
                { OSLIFT_ARG_WATCHDOG, OSLIFT_ARG_WATCHDOG_MIN, OSLIFT_ARG_WATCHDOG_MAX },
        };
        const char *eq = strchr(word, '=');

        if (!eq)
                return strcmp(word, OSLIFT_ARG_BREAK) == 0 || strcmp(word, OSLIFT_ARG_DEBUG) == 0;
        for (size_t i = 0; i < ELEMENTSOF(numbers); i++)
                if (strlen(numbers[i].key) == (size_t) (eq - word) &&
                    strncmp(word, numbers[i].key, (size_t) (eq - word)) == 0)
                        return number_in(eq + 1, numbers[i].min, numbers[i].max);
        return false;
}

void boot_entry_put_grub_word(FILE *out, const char *w) {
        fputs(" '", out);
        for (; *w; w++)
                if (*w != '"')
                        fputc(*w, out);
        fputc('\'', out);
}

/* ---- the entry ----------------------------------------------------------- */

/* The file system holding /boot on the running system, by UUID. */
static int probe_fs_uuid(char **ret) {
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
                            uuid_valid(v)) {
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
                if (de->d_name[0] == '.' || !uuid_valid(de->d_name))
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
static int grub_path(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *boot = root_path_join(root, "/boot");
        struct stat st_root, st_boot;

        if (!boot)
                return -ENOMEM;
        if (stat(root, &st_root) < 0 || stat(boot, &st_boot) < 0)
                return negative_errno();
        *ret = strdup(st_boot.st_dev != st_root.st_dev ? path + 5 : path);
        return *ret ? 0 : -ENOMEM;
}

void boot_entry_linux_commands(const char *cfg, const char **ret_linux, const char **ret_initrd) {
        static const struct {
                const char *kernel_cmd, *initrd_cmd;
        } pairs[] = { { "linux16", "initrd16" }, { "linuxefi", "initrdefi" }, { "linux", "initrd" } };

        for (const char *l = cfg; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                l += strspn(l, " \t");
                for (size_t i = 0; i < ELEMENTSOF(pairs); i++) {
                        size_t n = strlen(pairs[i].kernel_cmd);
                        if (strncmp(l, pairs[i].kernel_cmd, n) == 0 && (l[n] == ' ' || l[n] == '\t')) {
                                *ret_linux = pairs[i].kernel_cmd;
                                *ret_initrd = pairs[i].initrd_cmd;
                                return;
                        }
                }
        }
        *ret_linux = "linux";
        *ret_initrd = "initrd";
}

int boot_entry_format_block(const struct boot_entry_params *p, char **ret) {
        _cleanup_(strv_freep) char **words = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *out;
        int r;

        r = boot_entry_split_words(p->cmdline, &words);
        if (r < 0)
                return r;
        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        fprintf(out,
                BOOT_ENTRY_BEGIN_MARKER "\n"
                "# The one-time boot into the oslift upgrade environment: 'host-prep stage'\n"
                "# wrote this block and set next_entry=%s in grubenv; 'host-prep cancel'\n"
                "# removes both. oslift replaces the whole block: do not edit it.\n"
                "menuentry 'oslift upgrade (%s)' --id %s {\n"
                "\tinsmod gzio\n",
                BOOT_ENTRY_ID, p->kver, BOOT_ENTRY_ID);
        if (p->fs_uuid)
                fprintf(out, "\tsearch --no-floppy --fs-uuid --set=root %s\n", p->fs_uuid);
        else
                fprintf(out, "\tsearch --no-floppy --file --set=root %s\n", p->initrd);
        fprintf(out, "\techo 'Loading the oslift upgrade environment ...'\n\t%s %s", p->linux_cmd, p->kernel);
        for (char **w = words; *w; w++)
                boot_entry_put_grub_word(out, *w);
        fprintf(out, "\n\t%s %s\n}\n" BOOT_ENTRY_END_MARKER "\n", p->initrd_cmd, p->initrd);
        if (fclose(out) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        return 0;
}

/* Trailing blanks and a CR do not count: an editor may have saved the
 * file with CRLF line ends, and the block must still be found. */
static bool line_is(const char *line, const char *end, const char *what) {
        size_t n = strlen(what);

        while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        return (size_t) (end - line) == n && memcmp(line, what, n) == 0;
}

int boot_entry_find_block(const char *text, size_t size, size_t *ret_begin, size_t *ret_end) {
        const char *p = text, *end = text + size, *begin = NULL;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *eol = nl ?: end, *next = nl ? nl + 1 : end;

                if (!begin && line_is(p, eol, BOOT_ENTRY_BEGIN_MARKER))
                        begin = p;
                else if (begin && line_is(p, eol, BOOT_ENTRY_END_MARKER)) {
                        *ret_begin = (size_t) (begin - text);
                        *ret_end = (size_t) (next - text);
                        return 1;
                }
                p = next;
        }
        return begin ? -EBADMSG : 0;
}

/* ---- arm ----------------------------------------------------------------- */

static int join_path(char **ret, const char *dir, const char *name) {
        return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
}

int boot_entry_compose_custom(const char *old, size_t old_size, const char *block, struct boot_record *rec,
                              bool fresh, char **ret, size_t *ret_size) {
        size_t begin, end;
        FILE *out;
        int r = boot_entry_find_block(old, old_size, &begin, &end);

        if (r < 0)
                return r;
        out = open_memstream(ret, ret_size);
        if (!out)
                return -ENOMEM;
        if (r > 0) {
                fwrite(old, 1, begin, out);
                fputs(block, out);
                fwrite(old + end, 1, old_size - end, out);
                if (fresh)
                        rec->newline_added = false; /* a leftover of ours, as it was */
        } else {
                bool unended = old_size > 0 && old[old_size - 1] != '\n';
                fwrite(old, 1, old_size, out);
                if (unended)
                        fputc('\n', out);
                fputs(block, out);
                rec->newline_added = unended;
        }
        return fclose(out) != 0 ? -ENOMEM : 0;
}

/* The custom.cfg block that boots kver with image. */
static int make_block(const char *root, const struct boot_entry_spec *spec, const char *kver, const char *image,
                      const char *grub_dir, char **ret) {
        _cleanup_free_ char *proc_cmdline = NULL, *cmdline = NULL, *uuid = NULL, *kernel = NULL,
                            *kernel_grub = NULL, *image_grub = NULL, *cfg = NULL;
        struct boot_entry_params p;
        const char *base = spec->cmdline;
        int r;

        if (!base) {
                /* The running kernel's; for another root PROC's, which is
                 * ROOT/proc unless $OSLIFT_PROC says otherwise. */
                _cleanup_free_ char *proc = boot_proc_or_sys(root, "OSLIFT_PROC", "/proc");
                if (!proc)
                        return -ENOMEM;
                r = read_file(proc, "/cmdline", 65536, &proc_cmdline, NULL, NULL);
                if (r < 0) {
                        log_error_errno(r, "cannot read %s/cmdline", proc);
                        if (strcmp(root, "/") != 0)
                                log_error("the kernel command line for the upgrade boot of %s is read from "
                                          "%s/cmdline: write it there, or set OSLIFT_PROC", root, proc);
                        return r;
                }
                base = proc_cmdline;
        }
        r = boot_entry_make_cmdline(base, spec->extra_args, &cmdline);
        if (r < 0)
                return r;

        if (spec->fs_uuid) {
                uuid = strdup(spec->fs_uuid);
                if (!uuid)
                        return -ENOMEM;
        } else if (strcmp(root, "/") == 0 && probe_fs_uuid(&uuid) < 0)
                log_debug("the UUID of the file system holding /boot is unknown; the entry finds it by %s",
                          image);

        if (asprintf(&kernel, "/boot/vmlinuz-%s", kver) < 0)
                return -ENOMEM;
        r = grub_path(root, kernel, &kernel_grub);
        if (r == 0)
                r = grub_path(root, image, &image_grub);
        if (r < 0)
                return log_error_errno(r, "cannot examine %s/boot", root_prefix(root));
        r = read_grub_cfg(root, grub_dir, &cfg);
        if (r < 0)
                return log_error_errno(r, "cannot read %s%s/grub.cfg", root_prefix(root), grub_dir);

        p = (struct boot_entry_params) { .kver = kver, .kernel = kernel_grub, .initrd = image_grub,
                                    .cmdline = cmdline, .fs_uuid = uuid };
        boot_entry_linux_commands(cfg, &p.linux_cmd, &p.initrd_cmd);
        return boot_entry_format_block(&p, ret);
}

static int arm(const char *root, const struct boot_entry_spec *spec, bool *ret_changed) {
        _cleanup_free_ char *kver = NULL, *image = NULL, *reason = NULL, *block = NULL, *custom_path = NULL,
                            *env_path = NULL, *old_custom = NULL, *new_custom = NULL;
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        _cleanup_(boot_record_done) struct boot_record rec = {};
        _cleanup_(boot_grub_done) struct boot_grub g = {};
        size_t old_size = 0, new_size = 0;
        /* Only GRUB reads it, and root writes it. */
        mode_t custom_mode = 0600;
        bool fresh, custom_existed;
        const char *grub_dir;
        int r;

        r = resolve_kver(root, spec->kver, &kver);
        if (r < 0)
                return r;
        if (spec->initramfs)
                image = strdup(spec->initramfs);
        else if (asprintf(&image, "/boot/" IMAGE_PREFIX "%s" IMAGE_SUFFIX, kver) < 0)
                image = NULL;
        if (!image)
                return -ENOMEM;
        if (!boot_path_valid(image)) {
                log_error("the upgrade initramfs must be a plain path below /boot, not '%s'", image);
                return -EINVAL;
        }
        if (!exists_in_root(root, image, S_IFREG)) {
                log_error("the upgrade initramfs %s%s does not exist; build it first",
                          root_prefix(root), image);
                return -ENOENT;
        }
        if (spec->fs_uuid && !uuid_valid(spec->fs_uuid)) {
                log_error("'%s' is not a file system UUID", spec->fs_uuid);
                return -EINVAL;
        }
        r = check_and_find(root, kver, &g, &reason);
        if (r < 0) {
                log_error("cannot arm the upgrade boot: %s", reason ?: strerror(-r));
                return r;
        }
        grub_dir = g.grub_dir;
        r = make_block(root, spec, kver, image, grub_dir, &block);
        if (r < 0)
                return r;

        /* How things are, unless an earlier arm recorded how they were. */
        r = boot_record_read(root, &rec);
        if (r == -EBADMSG) {
                log_error("%s%s is not a record this oslift wrote; run 'host-prep cancel' first",
                          root_prefix(root), BOOT_ENTRY_RECORD);
                return r;
        }
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "cannot read %s", BOOT_ENTRY_RECORD);
        fresh = r == -ENOENT;

        r = join_path(&custom_path, grub_dir, "custom.cfg");
        if (r < 0)
                return r;
        env_path = strdup(g.grubenv);
        if (!env_path)
                return -ENOMEM;
        r = read_file(root, custom_path, CUSTOM_CFG_MAX, &old_custom, &old_size, &custom_mode);
        custom_existed = r == 0;
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "cannot read %s%s", root_prefix(root), custom_path);
        r = boot_entry_compose_custom(old_custom ?: "", old_size, block, &rec, fresh, &new_custom, &new_size);
        if (r == -EBADMSG) {
                log_error("%s%s has a '%s' line without its '%s': remove that block by hand",
                          root_prefix(root), custom_path, BOOT_ENTRY_BEGIN_MARKER, BOOT_ENTRY_END_MARKER);
                return r;
        }
        if (r < 0)
                return r;

        r = grubenv_read_or_new(root, env_path, &env);
        if (r < 0)
                return log_error_errno(r, "cannot read %s%s", root_prefix(root), env_path);
        if (fresh) {
                const char *prev = grubenv_get(env, "next_entry");
                rec.custom_cfg_existed = custom_existed;
                rec.grubenv_existed = r > 0;
                /* Ours from an arm whose record is gone is no "before". */
                rec.next_entry_was_set = prev && strcmp(prev, BOOT_ENTRY_ID) != 0;
                rec.next_entry = strdup(rec.next_entry_was_set ? prev : "");
        }
        r = grubenv_set(env, "next_entry", BOOT_ENTRY_ID);
        if (r < 0)
                return log_error_errno(r, "cannot set next_entry in %s%s", root_prefix(root), env_path);

        free(rec.grub_dir);
        free(rec.grubenv);
        free(rec.kver);
        free(rec.initramfs);
        rec.grub_dir = strdup(grub_dir);
        rec.grubenv = strdup(env_path);
        rec.kver = strdup(kver);
        rec.initramfs = strdup(image);
        if (!rec.grub_dir || !rec.grubenv || !rec.kver || !rec.initramfs || !rec.next_entry)
                return -ENOMEM;

        /* Record first, switch last: whatever step fails, disarm knows
         * what to undo and nothing boots into a half-made entry. */
        r = boot_record_write(root, &rec);
        if (r < 0)
                return log_error_errno(r, "cannot write %s", BOOT_ENTRY_RECORD);
        *ret_changed = true;
        r = write_file_atomic(root, custom_path, new_custom, new_size, custom_mode);
        if (r < 0)
                return log_error_errno(r, "cannot write %s%s", root_prefix(root), custom_path);
        r = grubenv_write(root, env_path, env);
        if (r < 0)
                return log_error_errno(r, "cannot write %s%s", root_prefix(root), env_path);
        log_debug("armed the one-time boot: entry '%s' in %s, next_entry in %s", BOOT_ENTRY_ID, custom_path,
                  env_path);
        return 0;
}

int boot_entry_arm(const char *root, const struct boot_entry_spec *spec) {
        bool changed = false;
        int r = arm(root, spec, &changed);

        if (r < 0 && changed && boot_entry_disarm(root) < 0)
                log_error("the half-armed upgrade boot could not be undone; run 'host-prep cancel'");
        return r;
}

/* ---- disarm -------------------------------------------------------------- */

static int disarm_custom(const char *root, const char *grub_dir, const struct boot_record *rec) {
        _cleanup_free_ char *path = NULL, *full = NULL, *text = NULL;
        size_t size = 0, begin, end;
        bool removed = false, at_end = false;
        mode_t mode;
        int r;

        if (join_path(&path, grub_dir, "custom.cfg") < 0)
                return -ENOMEM;
        full = root_path_join(root, path);
        if (!full)
                return -ENOMEM;
        r = read_file(root, path, CUSTOM_CFG_MAX, &text, &size, &mode);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "cannot read %s", full);
        while ((r = boot_entry_find_block(text, size, &begin, &end)) > 0) {
                at_end = end == size;
                memmove(text + begin, text + end, size - end + 1);
                size -= end - begin;
                removed = true;
        }
        if (r < 0) {
                log_error("%s has a '%s' line without its '%s': remove that block by hand", full,
                          BOOT_ENTRY_BEGIN_MARKER, BOOT_ENTRY_END_MARKER);
                return r;
        }
        if (!removed)
                return 0;
        /* The newline arm added to end someone's last line. */
        if (rec && rec->newline_added && at_end && size > 0 && text[size - 1] == '\n')
                text[--size] = '\0';
        if (size == 0 && !(rec && rec->custom_cfg_existed)) {
                if (unlink(full) < 0 && errno != ENOENT)
                        return log_error_errno(negative_errno(), "cannot remove %s", full);
                return 0;
        }
        r = write_file_atomic(root, path, text, size, mode);
        if (r < 0)
                return log_error_errno(r, "cannot write %s", full);
        return 0;
}

static int unlink_in_root(const char *root, const char *path) {
        _cleanup_free_ char *full = root_path_join(root, path);

        if (!full)
                return -ENOMEM;
        if (unlink(full) < 0 && errno != ENOENT)
                return log_error_errno(negative_errno(), "cannot remove %s", full);
        return 0;
}

static int remove_images(const char *root, const struct boot_record *rec) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *boot = root_path_join(root, "/boot");
        struct dirent *de;
        int r = 0, k;

        if (!boot)
                return -ENOMEM;
        if (rec && rec->initramfs && boot_path_valid(rec->initramfs))
                r = unlink_in_root(root, rec->initramfs);
        d = opendir(boot);
        if (!d)
                return errno == ENOENT ? r : log_error_errno(negative_errno(), "cannot read %s", boot);
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                if (strncmp(de->d_name, IMAGE_PREFIX, strlen(IMAGE_PREFIX)) != 0 || n < strlen(IMAGE_SUFFIX) ||
                    strcmp(de->d_name + n - strlen(IMAGE_SUFFIX), IMAGE_SUFFIX) != 0)
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
                        k = log_error_errno(negative_errno(), "cannot remove %s/%s", boot, de->d_name);
                        if (r == 0)
                                r = k;
                }
        }
        return r;
}

int boot_entry_disarm(const char *root) {
        _cleanup_(boot_record_done) struct boot_record rec = {};
        _cleanup_(boot_grub_done) struct boot_grub g = {};
        _cleanup_free_ char *reason = NULL, *fallback_env = NULL;
        const struct boot_record *have = NULL;
        const char *grub_dir = NULL, *grubenv = NULL;
        int r, k;

        r = boot_record_read(root, &rec);
        if (r == 0)
                have = &rec;
        else if (r != -ENOENT)
                log_warning("%s%s cannot be read (%s); removing what is recognisably oslift's",
                            root_prefix(root), BOOT_ENTRY_RECORD, strerror(-r));

        if (have) {
                grub_dir = rec.grub_dir;
                grubenv = rec.grubenv;
        } else if (boot_grub_find(root, &g, &reason) == 0) {
                grub_dir = g.grub_dir;
                grubenv = g.grubenv;
        } else
                /* grub.cfg went away: what is recognisably ours may not. */
                for (size_t i = 0; !grub_dir && boot_grub_dirs[i]; i++)
                        if (exists_in_root(root, boot_grub_dirs[i], S_IFDIR) &&
                            asprintf(&fallback_env, "%s/grubenv", boot_grub_dirs[i]) >= 0) {
                                grub_dir = boot_grub_dirs[i];
                                grubenv = fallback_env;
                        }
        r = 0;
        /* The switch first: once it is off, nothing boots into the rest. */
        if (grub_dir) {
                r = boot_switch_off(root, grubenv, have);
                k = disarm_custom(root, grub_dir, have);
                if (r == 0)
                        r = k;
        }
        if (r < 0)
                return r; /* the record and the image stay for the next try: the entry may still boot */
        r = remove_images(root, have);
        if (r < 0)
                return r;
        r = unlink_in_root(root, BOOT_ENTRY_RECORD);
        if (r == 0 && have)
                log_debug("disarmed the one-time upgrade boot");
        return r;
}
