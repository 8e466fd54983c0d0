/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the boot entry's modules share; see boot-common.h. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "boot-common.h"
#include "boot-entry.h"
#include "fsutil.h"
#include "log.h"

/* Hands *reason over to *ret_reason. */
int boot_take_reason(char **ret_reason, char **reason, int r) {
        *ret_reason = *reason;
        *reason = NULL;
        return r;
}

int boot_format_reason(char **ret_reason, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_reason, fmt, ap) < 0)
                *ret_reason = NULL;
        va_end(ap);
        return r;
}

/* Kernel versions name files and go into grub.cfg: only what real ones
 * use ("3.10.0-1160.el7.x86_64", "6.1.0-18-amd64", "5.14.0+"). */
bool boot_kver_valid(const char *kver) {
        size_t n = strlen(kver);

        return n > 0 && n < 200 && kver[0] != '.' && kver[0] != '-' &&
               strspn(kver, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-") == n;
}

/* A path below /boot, plain enough to go into grub.cfg unquoted. */
bool boot_path_valid(const char *p) {
        size_t n = strlen(p);

        return n > 6 && n < PATH_MAX && strncmp(p, "/boot/", 6) == 0 && !strstr(p, "//") &&
               !strstr(p, "/./") && !strstr(p, "/../") && strcmp(p + n - 3, "/..") != 0 &&
               strcmp(p + n - 2, "/.") != 0 && p[n - 1] != '/' &&
               strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~/-") == n;
}

bool boot_uuid_valid(const char *u) {
        size_t n = strlen(u);
        return n > 0 && n <= 64 && strspn(u, "0123456789abcdefABCDEF-") == n;
}

/* The whole of a file in root, NUL-terminated; -ENOENT when absent, -EFBIG
 * above max. Read to its end, not to its st_size: /proc's files have none.
 * *ret_mode gets its permissions when not NULL. */
int boot_read_file(const char *root, const char *path, size_t max, char **ret, size_t *ret_size,
                     mode_t *ret_mode) {
        _cleanup_free_ char *full = root_path_join(root, path);
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t done;
        char *t;
        int r;

        if (!full)
                return -ENOMEM;
        fd = open(full, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        r = read_bounded(fd, max + 1, 4096, &buf, &done);
        if (r < 0)
                return r;
        if (done > max)
                return -EFBIG;
        t = realloc(buf, done + 1);
        if (!t)
                return -ENOMEM;
        buf = t;
        buf[done] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = done;
        if (ret_mode)
                *ret_mode = st.st_mode & 07777;
        return 0;
}

bool boot_exists_in_root(const char *root, const char *path, mode_t type) {
        _cleanup_free_ char *full = root_path_join(root, path);
        struct stat st;

        return full && stat(full, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

int boot_read_grub_cfg(const char *root, const char *grub_dir, char **ret) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/grub.cfg", grub_dir) < 0)
                return -ENOMEM;
        return boot_read_file(root, path, GRUB_CFG_MAX, ret, NULL, NULL);
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
                    !boot_kver_valid(de->d_name + 8))
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

int boot_resolve_kver(const char *root, const char *kver, char **ret) {
        int r;

        if (kver) {
                if (!boot_kver_valid(kver)) {
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
