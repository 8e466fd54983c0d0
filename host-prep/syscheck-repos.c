/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repo-file-replaced: a .repo file in /etc/yum.repos.d with an enabled
 * repository that a target package installs anew. Other enabled
 * repositories stay as they are (repo-enabled, info).
 */
#include <dirent.h>
#include <rpm/rpmfi.h>
#include <stdio.h>
#include <string.h>

#include "syscheck.h"

/* Whether a .repo file enables a repository: a section without enabled=0. */
static bool enables(const char *text) {
        bool in_section = false, enabled = false, any = false;

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                l += strspn(l, " \t");
                if (*l == '[') {
                        any |= in_section && enabled;
                        in_section = true;
                        enabled = true;
                } else if (in_section && strncmp(l, "enabled", 7) == 0) {
                        const char *v = l + 7 + strspn(l + 7, " \t");
                        if (*v == '=') {
                                v++;
                                v += strspn(v, " \t");
                                enabled = *v == '1' || strncmp(v, "yes", 3) == 0 || strncmp(v, "true", 4) == 0;
                        }
                }
        }
        return any || (in_section && enabled);
}

/* The target package that installs path, or NULL. */
static Header owner(const struct syscheck_context *c, const char *path) {
        for (size_t i = 0; i < c->n_targets; i++) {
                rpmfi fi = rpmfiNew(NULL, c->targets[i], RPMTAG_BASENAMES, RPMFI_KEEPHEADER);
                bool found = false;
                while (!found && fi && rpmfiNext(fi) >= 0)
                        found = strcmp(rpmfiFN(fi), path) == 0;
                rpmfiFree(fi);
                if (found)
                        return c->targets[i];
        }
        return NULL;
}

void syscheck_repos(struct syscheck_context *c) {
        _cleanup_free_ char *dir = syscheck_path(c->root, "etc/yum.repos.d");
        DIR *d = opendir(dir);
        struct dirent *de;

        while (d && (de = readdir(d))) {
                _cleanup_free_ char *text = NULL, *rel = NULL, *path = NULL;
                size_t len = strlen(de->d_name);
                Header t;

                if (len < 6 || strcmp(de->d_name + len - 5, ".repo") != 0)
                        continue;
                if (asprintf(&rel, "etc/yum.repos.d/%s", de->d_name) < 0 ||
                    asprintf(&path, "/etc/yum.repos.d/%s", de->d_name) < 0)
                        abort();
                if (syscheck_read(c->root, rel, &text) < 0 || !enables(text))
                        continue;
                t = owner(c, path);
                if (t) {
                        findings_add(c->findings, SEVERITY_WARNING, "repo-file-replaced",
                                     "the target release installs its own file of this name: rpm puts it "
                                     "in place (keeping an edited one as .rpmsave) or beside it as "
                                     ".rpmnew, and the old release's repositories in it go",
                                     "after the upgrade compare the file with its .rpmnew or .rpmsave and "
                                     "point the repositories you need at the target release",
                                     "%s enables repositories and %s installs it anew", path,
                                     headerGetString(t, RPMTAG_NAME));
                } else
                        findings_add(c->findings, SEVERITY_INFO, "repo-enabled", "", "",
                                     "%s enables repositories the upgrade leaves as they are (still the "
                                     "old release's)", path);
                findings_set_subject(c->findings, de->d_name);
        }
        if (d)
                closedir(d);
}
