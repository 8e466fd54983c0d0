/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The source and target releases and the architecture: the root's
 * /etc/os-release, the installed package providing system-release, the
 * target package providing it (release, info; no-target-release, info).
 * architecture-mismatch: a target package built for an architecture that
 * is neither noarch, nor the system's, nor that of an installed package
 * of the same name (multilib).
 */
#include <rpm/rpmdb.h>
#include <rpm/rpmds.h>
#include <rpm/rpmlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "syscheck.h"

static bool provides(Header h, const char *what) {
        rpmds ds = rpmdsNew(h, RPMTAG_PROVIDENAME, 0);
        bool yes = false;

        while (!yes && rpmdsNext(ds) >= 0)
                yes = strcmp(rpmdsN(ds), what) == 0;
        rpmdsFree(ds);
        return yes;
}

/* The architecture of the installed system: its release package's, its
 * rpm's, else the machine's on "/", else any package's. */
static char *system_arch(const struct syscheck_context *c) {
        static const char *const names[] = { "system-release", "rpm", "glibc" };
        struct utsname u;

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                rpmdbMatchIterator mi = rpmtsInitIterator(c->ts, i ? RPMDBI_NAME : RPMDBI_PROVIDENAME, names[i], 0);
                Header h;
                char *arch = NULL;
                while (!arch && (h = rpmdbNextIterator(mi)) != NULL) {
                        const char *a = headerGetString(h, RPMTAG_ARCH);
                        if (a && strcmp(a, "noarch") != 0 && !(arch = strdup(a)))
                                abort();
                }
                rpmdbFreeIterator(mi);
                if (arch)
                        return arch;
        }
        if (strcmp(c->root, "/") == 0 && uname(&u) == 0)
                return strdup(u.machine);
        /* A root without them: what its first architecture-specific package is. */
        rpmdbMatchIterator mi = rpmtsInitIterator(c->ts, RPMDBI_PACKAGES, NULL, 0);
        Header h;
        char *arch = NULL;
        while (!arch && (h = rpmdbNextIterator(mi)) != NULL) {
                const char *a = headerGetString(h, RPMTAG_ARCH);
                if (a && strcmp(a, "noarch") != 0 && strcmp(headerGetString(h, RPMTAG_NAME), "gpg-pubkey") != 0 &&
                    !(arch = strdup(a)))
                        abort();
        }
        rpmdbFreeIterator(mi);
        return arch;
}

static bool installed_with_arch(const struct syscheck_context *c, const char *name, const char *arch) {
        rpmdbMatchIterator mi = rpmtsInitIterator(c->ts, RPMDBI_NAME, name, 0);
        Header h;
        bool yes = false;

        while (!yes && (h = rpmdbNextIterator(mi)) != NULL)
                yes = strcmp(headerGetString(h, RPMTAG_ARCH), arch) == 0;
        rpmdbFreeIterator(mi);
        return yes;
}

void syscheck_release(struct syscheck_context *c) {
        _cleanup_free_ char *os_release = NULL, *pretty = NULL, *source_pkg = NULL, *target_pkg = NULL,
                            *arch = NULL;
        rpmdbMatchIterator mi;
        Header h;

        if (syscheck_read(c->root, "etc/os-release", &os_release) >= 0)
                pretty = syscheck_env_value(os_release, "PRETTY_NAME");
        if (!c->ts)
                return;
        mi = rpmtsInitIterator(c->ts, RPMDBI_PROVIDENAME, "system-release", 0);
        if ((h = rpmdbNextIterator(mi)) != NULL)
                source_pkg = headerGetAsString(h, RPMTAG_NEVRA);
        rpmdbFreeIterator(mi);
        for (size_t i = 0; i < c->n_targets && !target_pkg; i++)
                if (provides(c->targets[i], "system-release"))
                        target_pkg = headerGetAsString(c->targets[i], RPMTAG_NEVRA);
        arch = system_arch(c);
        findings_add(c->findings, SEVERITY_INFO, "release", "", "", "%s (%s) on %s, to %s",
                     pretty ?: "an unnamed release (no /etc/os-release)",
                     source_pkg ?: "no system-release package", arch ?: "an unknown architecture",
                     target_pkg ?: "a target without a system-release package");
        if (c->n_targets > 0 && !target_pkg)
                findings_add(c->findings, SEVERITY_INFO, "no-target-release", "", "",
                             "no target package provides system-release: /etc/os-release and the "
                             "release's repositories stay the old release's");
        if (!arch)
                return;
        for (size_t i = 0; i < c->n_targets; i++) {
                const char *a = headerGetString(c->targets[i], RPMTAG_ARCH);
                const char *name = headerGetString(c->targets[i], RPMTAG_NAME);
                _cleanup_free_ char *nevra = NULL;

                if (!a || strcmp(a, "noarch") == 0 || strcmp(a, arch) == 0 || installed_with_arch(c, name, a))
                        continue;
                nevra = headerGetAsString(c->targets[i], RPMTAG_NEVRA);
                findings_add(c->findings, SEVERITY_BLOCKER, "architecture-mismatch",
                             "the package is built for another architecture than the installed system's; "
                             "its programs do not run here",
                             "remove it from the target set and use the target release's packages for "
                             "this architecture",
                             "%s is for %s, the system is %s", nevra, a, arch);
                findings_set_subject(c->findings, name);
        }
}
