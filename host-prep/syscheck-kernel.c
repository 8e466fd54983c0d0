/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kernel-not-newest: the running kernel against the newest installed
 * kernel package and the one the upgrade boot uses. The upgrade boot runs
 * the running kernel (boot-entry.c); a newer one installed but never
 * booted is an untested kernel the machine may come back with.
 */
#include <rpm/rpmdb.h>
#include <rpm/rpmfi.h>
#include <rpm/rpmlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "boot-common.h"
#include "boot-entry.h"
#include "syscheck.h"

static const char *const kernel_names[] = { "kernel", "kernel-core", "kernel-default", NULL };

/* KVER of /lib/modules/KVER/... or /usr/lib/modules/KVER/..., if valid. */
static char *modules_dir_kver(const char *fn) {
        const char *start = NULL;
        char *kver;

        if (strncmp(fn, "/lib/modules/", 13) == 0)
                start = fn + 13;
        else if (strncmp(fn, "/usr/lib/modules/", 17) == 0)
                start = fn + 17;
        if (!start || !*start)
                return NULL;
        kver = strndup(start, strcspn(start, "/"));
        if (!kver)
                abort();
        if (!boot_kver_valid(kver)) {
                free(kver);
                return NULL;
        }
        return kver;
}

/* The release uname -r says for the kernel package h: the one of the
 * image it ships (/boot/vmlinuz-KVER on EL 7 and SUSE,
 * /lib/modules/KVER/vmlinuz on EL 8 and later), else of its module
 * directory, else VERSION-RELEASE.ARCH, which EL kernels use. (SUSE's
 * kernel-default 5.14.21-150500.55.39.1 runs as 5.14.21-150500.55.39-default:
 * the package's version alone does not tell.) */
static char *kernel_release(Header h) {
        rpmfi fi = rpmfiNew(NULL, h, RPMTAG_BASENAMES, RPMFI_KEEPHEADER);
        char *image = NULL, *modules = NULL;

        while (!image && fi && rpmfiNext(fi) >= 0) {
                const char *fn = rpmfiFN(fi);

                if (strncmp(fn, "/boot/vmlinuz-", 14) == 0 && syscheck_is_kernel_image(fn)) {
                        image = strdup(fn + 14);
                        if (!image)
                                abort();
                        if (!boot_kver_valid(image)) {
                                free(image);
                                image = NULL;
                        }
                } else if (syscheck_is_kernel_image(fn))
                        image = modules_dir_kver(fn);
                else if (!modules)
                        modules = modules_dir_kver(fn);
        }
        rpmfiFree(fi);
        if (image) {
                free(modules);
                return image;
        }
        return modules ?: headerFormat(h, "%{VERSION}-%{RELEASE}.%{ARCH}", NULL);
}

/* The running kernel: PROC/sys/kernel/osrelease, or uname() on "/". */
static char *running_kernel(const struct syscheck_context *c) {
        char *k = syscheck_read_line(c->proc, "sys/kernel/osrelease");
        struct utsname u;

        if (k || strcmp(c->root, "/") != 0 || uname(&u) < 0)
                return k;
        k = strdup(u.release);
        if (!k)
                abort();
        return k;
}

void syscheck_kernel(struct syscheck_context *c) {
        _cleanup_free_ char *running = running_kernel(c), *newest_kver = NULL, *boot_kver = NULL;
        Header newest = NULL;
        bool running_installed = false;

        if (!c->ts)
                return;
        for (size_t i = 0; kernel_names[i]; i++) {
                rpmdbMatchIterator mi = rpmtsInitIterator(c->ts, RPMDBI_NAME, kernel_names[i], 0);
                Header h;
                while ((h = rpmdbNextIterator(mi)) != NULL) {
                        _cleanup_free_ char *kver = kernel_release(h);
                        if (running && kver && strcmp(kver, running) == 0)
                                running_installed = true;
                        if (!newest || rpmVersionCompare(h, newest) > 0) {
                                headerFree(newest);
                                newest = headerLink(h);
                        }
                }
                rpmdbFreeIterator(mi);
        }
        if (!newest) {
                findings_add(c->findings, SEVERITY_INFO, "kernel", "", "",
                             "no kernel package is installed (a container or chroot): the kernels "
                             "were not compared");
                return;
        }
        newest_kver = kernel_release(newest);
        headerFree(newest);
        if (boot_entry_default_kver(c->root, &boot_kver) < 0)
                boot_kver = NULL;
        if (!running) {
                findings_add(c->findings, SEVERITY_INFO, "kernel", "", "",
                             "could not look at the running kernel (no %s/sys/kernel/osrelease); the "
                             "newest installed is %s", c->proc, newest_kver);
                return;
        }
        if (running_installed && strcmp(running, newest_kver) != 0) {
                findings_add(c->findings, SEVERITY_WARNING, "kernel-not-newest",
                             "the upgrade boot runs the kernel running now; a newer one is installed "
                             "but was never booted, so nothing shows that it boots this machine",
                             "reboot into the newest kernel (grubby --set-default), then check again; "
                             "or remove it if it is not wanted",
                             "the running kernel %s is not the newest installed (%s)", running, newest_kver);
                findings_set_subject(c->findings, running);
        } else if (!running_installed)
                findings_add(c->findings, SEVERITY_INFO, "kernel", "", "",
                             "the running kernel %s is not one of the installed kernel packages "
                             "(newest %s)", running, newest_kver);
        findings_add(c->findings, SEVERITY_INFO, "kernel", "", "",
                     "running %s, newest installed %s, the upgrade boot uses %s", running, newest_kver,
                     boot_kver ?: "(cannot tell: see boot-entry)");
}
