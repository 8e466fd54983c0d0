/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kernel-module-missing: modules in use (PROC/modules) or bound as drivers
 * to present devices (SYS/bus/.../devices/.../driver/module, with the
 * device's modalias in the details) that the
 * target kernel packages do not ship, read from the target headers' own
 * file lists (lib/modules/KVER/.../NAME.ko[.xz|.gz|.zst]) and, built in,
 * the target kernel's modules.builtin (read from the payload). When the
 * module drives the disks below / or /boot: root-driver-missing, a
 * blocker that cannot be accepted.
 */
#include <dirent.h>
#include <limits.h>
#include <rpm/rpmfi.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmts.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "strv.h"
#include "syscheck.h"

/* Module names compare with '-' and '_' alike, as modprobe does. */
static void normalise(char *s) {
        for (; *s; s++)
                if (*s == '-')
                        *s = '_';
}

/* The module name of the file name at base, which ends its name at ko
 * (".ko..."), normalised. */
static char *module_name(const char *base, const char *ko) {
        char *name = strndup(base, (size_t) (ko - base));

        if (!name)
                abort();
        normalise(name);
        return name;
}

/* NAME of ".../lib/modules/KVER/.../NAME.ko[.COMP]", or NULL. */
static char *module_of_path(const char *path) {
        const char *base = strrchr(path, '/'), *ko;

        if (!strstr(path, "/lib/modules/") || !base)
                return NULL;
        base++;
        ko = strstr(base, ".ko");
        if (!ko || (ko[3] != '\0' && strcmp(ko + 3, ".xz") != 0 && strcmp(ko + 3, ".gz") != 0 &&
                    strcmp(ko + 3, ".zst") != 0))
                return NULL;
        return module_name(base, ko);
}

/* NAME of "kernel/.../NAME.ko" (a line of modules.builtin), or NULL. */
static char *module_of_builtin(const char *line) {
        const char *base = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
        const char *ko = strstr(base, ".ko");

        if (!ko || ko == base)
                return NULL;
        return module_name(base, ko);
}

static bool is_modules_builtin(const char *fn) {
        size_t len = strlen(fn);

        return len >= 16 && strcmp(fn + len - 16, "/modules.builtin") == 0 && strstr(fn, "/lib/modules/");
}

/*
 * The modules built into the target kernel: lib/modules/KVER/modules.builtin
 * of target package i, read from its payload. Only the header says what a
 * package ships; what is built in is in this file's contents.
 */
static void builtin_modules(const struct syscheck_context *c, size_t i, char ***v, size_t *n) {
        _cleanup_free_ char *text = NULL;
        size_t size;

        if (syscheck_payload_read(c, i, is_modules_builtin, 8u << 20, &text, &size) < 0 || size > (8u << 20))
                return;
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                _cleanup_free_ char *m = module_of_builtin(l);
                if (m)
                        strv_push(v, n, m);
        }
}

/* The modules the target packages ship; how many of them are kernels. */
static size_t target_modules(const struct syscheck_context *c, char ***v, size_t *n) {
        size_t kernels = 0;

        for (size_t i = 0; i < c->n_targets; i++) {
                rpmfi fi = rpmfiNew(NULL, c->targets[i], RPMTAG_BASENAMES, RPMFI_KEEPHEADER);
                size_t before = *n;
                bool builtin = false;
                while (fi && rpmfiNext(fi) >= 0) {
                        const char *fn = rpmfiFN(fi);
                        size_t len = strlen(fn);
                        _cleanup_free_ char *m = module_of_path(fn);
                        if (m)
                                strv_push(v, n, m);
                        builtin |= len > 16 && strcmp(fn + len - 16, "/modules.builtin") == 0 &&
                                   strstr(fn, "/lib/modules/");
                }
                rpmfiFree(fi);
                kernels += *n > before || builtin;
                if (builtin)
                        builtin_modules(c, i, v, n);
        }
        return kernels;
}

struct in_use {
        char **names;
        size_t n;
        char **why; /* parallel: "loaded", "drives 0000:00:1f.2 (pci)" */
};

static void add_use(struct in_use *u, const char *name, const char *why) {
        _cleanup_free_ char *m = strdup(name);

        if (!m)
                abort();
        normalise(m);
        if (strv_contains(u->names, u->n, m))
                return;
        size_t n = u->n;
        strv_push(&u->names, &u->n, m);
        strv_push(&u->why, &n, why);
}

static void bound_drivers(const struct syscheck_context *c, struct in_use *u) {
        _cleanup_free_ char *bus = syscheck_path(c->sys, "bus");
        DIR *b = opendir(bus);
        struct dirent *be;

        while (b && (be = readdir(b))) {
                char dir[PATH_MAX * 2];
                struct dirent *de;
                DIR *d;

                if (be->d_name[0] == '.')
                        continue;
                snprintf(dir, sizeof(dir), "%s/%s/devices", bus, be->d_name);
                d = opendir(dir);
                while (d && (de = readdir(d))) {
                        char link[PATH_MAX * 3], target[PATH_MAX], why[PATH_MAX];
                        ssize_t len;

                        if (de->d_name[0] == '.')
                                continue;
                        snprintf(link, sizeof(link), "%s/%s/driver/module", dir, de->d_name);
                        len = readlink(link, target, sizeof(target) - 1);
                        if (len <= 0)
                                continue; /* no driver, or built into the running kernel */
                        target[len] = '\0';
                        /* The modalias names the device to look up in the
                         * target's modules.alias. */
                        snprintf(link, sizeof(link), "%s/%s/modalias", dir, de->d_name);
                        _cleanup_free_ char *alias = syscheck_read_line("/", link);
                        snprintf(why, sizeof(why), "drives %s (%s%s%s)", de->d_name, be->d_name,
                                 alias ? ", modalias " : "", alias ?: "");
                        add_use(u, strrchr(target, '/') ? strrchr(target, '/') + 1 : target, why);
                }
                if (d)
                        closedir(d);
        }
        if (b)
                closedir(b);
}

void syscheck_modules(struct syscheck_context *c) {
        _cleanup_free_ char *modules = NULL;
        char **shipped = NULL, **root_mods = NULL;
        size_t n_shipped = 0, n_root_mods = 0, kernels;
        struct in_use u = {};
        bool looked = false;

        if (syscheck_read(c->proc, "modules", &modules) >= 0) {
                looked = true;
                for (char *l = strtok(modules, "\n"); l; l = strtok(NULL, "\n")) {
                        l[strcspn(l, " ")] = '\0';
                        if (*l)
                                add_use(&u, l, "loaded");
                }
        }
        bound_drivers(c, &u);
        if (!looked && u.n == 0) {
                findings_add(c->findings, SEVERITY_INFO, "kernel-modules", "", "",
                             "could not look at the kernel modules in use (no %s/modules)", c->proc);
                return;
        }
        kernels = target_modules(c, &shipped, &n_shipped);
        if (kernels == 0) {
                findings_add(c->findings, SEVERITY_INFO, "kernel-modules", "", "",
                             "%zu kernel modules are in use; no target package ships kernel modules, "
                             "so they were not compared", u.n);
                goto done;
        }
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *src = syscheck_mount_source(c, i ? "/boot" : "/"), *name = NULL;
                if (src && (name = syscheck_block_name(c, src)))
                        syscheck_block_modules(c, name, &root_mods, &n_root_mods);
        }
        for (size_t i = 0; i < n_root_mods; i++)
                normalise(root_mods[i]);
        for (size_t i = 0; i < u.n; i++) {
                if (strv_contains(shipped, n_shipped, u.names[i]))
                        continue;
                if (strv_contains(root_mods, n_root_mods, u.names[i]))
                        findings_add(c->findings, SEVERITY_BLOCKER, "root-driver-missing",
                                     "the module drives the disk holding / or /boot; without it the new "
                                     "kernel cannot find its root file system and the system does not boot",
                                     "add the target release's package with the driver (kernel-modules, "
                                     "kernel-modules-extra, a driver update kmod-*) to the target set, or "
                                     "move the system to storage the target kernel supports",
                                     "the storage driver %s is not in the target kernel packages", u.names[i]);
                else
                        findings_add(c->findings, SEVERITY_WARNING, "kernel-module-missing",
                                     "the target kernel packages do not ship this module (removed, renamed "
                                     "or built in); what it drives may not work after the upgrade",
                                     "check the target release's notes for the driver; add a package with "
                                     "it (kmod-*, kernel-modules-extra), or unload it if unused "
                                     "(modprobe -r NAME), or accept it with --accept "
                                     "kernel-module-missing:NAME",
                                     "the module %s is in use but not in the target kernel packages",
                                     u.names[i]);
                findings_set_subject(c->findings, u.names[i]);
                findings_add_detail(c->findings, "%s", u.why[i]);
        }
done:
        strv_free(shipped, n_shipped);
        strv_free(root_mods, n_root_mods);
        strv_free(u.names, u.n);
        strv_free(u.why, u.n);
}
