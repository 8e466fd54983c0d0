/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * selinux-relabel: SELinux enforcing or permissive (the root's
 * /etc/selinux/config, SYS/fs/selinux/enforce). The upgrader's librpm is
 * built without SELinux, so what it installs carries no labels.
 * selinux-policy: a policy other than the distribution's (targeted, mls,
 * minimum).
 */
#include <stdio.h>
#include <string.h>

#include "syscheck.h"

void syscheck_selinux(struct syscheck_context *c) {
        _cleanup_free_ char *config = NULL, *mode = NULL, *type = NULL, *enforce = NULL;

        if (syscheck_read(c->root, "etc/selinux/config", &config) >= 0) {
                mode = syscheck_env_value(config, "SELINUX");
                type = syscheck_env_value(config, "SELINUXTYPE");
        }
        enforce = syscheck_read_line(c->sys, "fs/selinux/enforce");
        if (!mode && !enforce)
                return; /* no SELinux here */
        if (enforce) {
                free(mode);
                mode = strdup(strcmp(enforce, "1") == 0 ? "enforcing" : "permissive");
                if (!mode)
                        abort();
        }
        findings_add(c->findings, SEVERITY_INFO, "selinux", "", "", "SELinux is %s, policy %s", mode,
                     type ?: "(not set)");
        if (strcmp(mode, "enforcing") == 0 || strcmp(mode, "permissive") == 0) {
                findings_add(c->findings, SEVERITY_WARNING, "selinux-relabel",
                             "the upgrade installs files without SELinux labels; until the file system is "
                             "relabelled, an enforcing system denies services their own files",
                             "create /.autorelabel before the upgrade boot, so that the first boot of the "
                             "new release relabels (and reboots once), or set SELINUX=permissive for it",
                             "SELinux is %s: the upgraded files need relabelling", mode);
                findings_set_subject(c->findings, mode);
        }
        if (type && strcmp(type, "targeted") != 0 && strcmp(type, "mls") != 0 && strcmp(type, "minimum") != 0) {
                findings_add(c->findings, SEVERITY_WARNING, "selinux-policy",
                             "the target release ships its own policies only; a policy built for the "
                             "old release is not upgraded and may not load",
                             "switch to the targeted policy for the upgrade, or rebuild the policy for "
                             "the target release",
                             "the SELinux policy is %s, not one the distribution ships", type);
                findings_set_subject(c->findings, type);
        }
}
