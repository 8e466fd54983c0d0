/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kernel-not-newest: the running kernel against the newest installed
 * kernel package and the one the upgrade boot uses. The upgrade boot runs
 * the running kernel (boot-entry.c); a newer one installed but never
 * booted is an untested kernel the machine may come back with.
 */
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "boot-entry.h"
#include "syscheck.h"

static const char *const kernel_names[] = { "kernel", "kernel-core", "kernel-default", NULL };

/* VERSION-RELEASE.ARCH, as uname -r says it for EL kernels. */
static char *kernel_release(Header h) {
        return headerFormat(h, "%{VERSION}-%{RELEASE}.%{ARCH}", NULL);
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
