/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What is left of a plan after an interrupted attempt; see resume.h. */
#include <fcntl.h>
#include <limits.h>
#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmfiles.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmts.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "macro.h"
#include "mounts.h"
#include "resume.h"
#include "strv.h"

static bool plan_has(const struct plan *plan, const char *nevra, bool erase) {
        for (size_t i = 0; i < plan->n_packages; i++)
                if ((plan->packages[i].op == PLAN_OP_ERASE) == erase && strcmp(plan->packages[i].nevra, nevra) == 0)
                        return true;
        return false;
}

bool plan_installs(const struct plan *plan, const char *nevra) {
        return plan_has(plan, nevra, false);
}

int resume_build(struct txn *t, const struct plan *plan, const char *packages_dir, const struct journal *j,
                 struct resume_counts *ret) {
        rpmts ts = txn_ts(t);
        struct resume_counts counts = {};
        rpmdbMatchIterator mi;
        char **installed = NULL, **doubled = NULL;
        size_t n_installed = 0, n_doubled = 0;
        Header h;
        int r = 0;

        /* One pass over the rpmdb: erase the leftovers, note the rest. */
        mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        while (r == 0 && mi && (h = rpmdbNextIterator(mi)) != NULL) {
                _cleanup_free_ char *nevra = headerGetAsString(h, RPMTAG_NEVRA);

                bool target = nevra && plan_installs(plan, nevra);

                if (!nevra)
                        r = -ENOMEM;
                else if (target && strv_contains(installed, n_installed, nevra)) {
                        /* A cut between rpm's adding the new instance of a
                         * reinstalled package and removing the old one: one
                         * goes, the other is installed again. */
                        if (rpmtsAddEraseElement(ts, h, rpmdbGetIteratorOffset(mi)) != 0)
                                r = -EINVAL;
                        else
                                r = strv_push(&doubled, &n_doubled, nevra);
                        counts.erased++;
                } else if (!target && (strv_contains(j->erase, j->n_erase, nevra) || plan_has(plan, nevra, true))) {
                        if (rpmtsAddEraseElement(ts, h, rpmdbGetIteratorOffset(mi)) != 0)
                                r = -EINVAL;
                        counts.erased++;
                } else
                        r = strv_push(&installed, &n_installed, nevra);
        }
        rpmdbFreeIterator(mi);

        for (size_t i = 0; r == 0 && i < plan->n_packages; i++) {
                const struct plan_package *p = &plan->packages[i];
                char path[PATH_MAX * 2];

                if (p->op == PLAN_OP_ERASE)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", packages_dir, p->file);
                if (!strv_contains(installed, n_installed, p->nevra)) {
                        r = txn_add_package(t, p->op, path, p->nevra);
                        counts.installed++;
                } else if (journal_is_durable(j, p->nevra) && !strv_contains(doubled, n_doubled, p->nevra))
                        counts.kept++;
                else {
                        r = txn_add_reinstall(t, path, p->nevra);
                        counts.reinstalled++;
                }
                if (r < 0)
                        log_error("rpm cannot add staged package %s to the transaction", p->file);
        }
        strv_free(installed, n_installed);
        strv_free(doubled, n_doubled);
        if (r < 0)
                return r;
        *ret = counts;
        return 0;
}

/* The directory of the files in root, its symlinks resolved inside root
 * (/lib -> /usr/lib must not lead to the upgrade environment's /usr/lib):
 * the last one is kept, as a package's files come directory by directory. */
struct dir_cache {
        char *dir, *resolved;
};

static const char *resolve_dir(const char *root, struct dir_cache *c, const char *dir) {
        if (c->dir && strcmp(c->dir, dir) == 0)
                return c->resolved;
        free(c->dir);
        free(c->resolved);
        c->resolved = NULL;
        c->dir = strdup(dir);
        if (c->dir && chase_in_root(root, dir, &c->resolved) < 0)
                c->resolved = NULL;
        return c->resolved;
}

static int remove_temp_files_of(const char *root, rpmts ts, const char *path, const struct journal *j,
                                unsigned *removed) {
        struct dir_cache cache = {};
        rpmfiles files;
        Header h = NULL;
        int r = package_read_header(ts, path, &h);

        if (r < 0)
                return r;
        files = rpmfilesNew(NULL, h, RPMTAG_BASENAMES, 0);
        for (int i = 0; files && i < (int) rpmfilesFC(files); i++) {
                const char *dir = rpmfilesDN(files, rpmfilesDI(files, i));
                const char *base = rpmfilesBN(files, i);
                _cleanup_free_ char *dir_trimmed = dir ? strdup(dir) : NULL;
                const char *resolved;
                size_t n;

                if (!dir_trimmed || !base)
                        continue;
                /* rpm's directory names end in '/'; chase_in_root wants none. */
                n = strlen(dir_trimmed);
                while (n > 1 && dir_trimmed[n - 1] == '/')
                        dir_trimmed[--n] = '\0';
                resolved = resolve_dir(root, &cache, dir_trimmed);
                for (size_t k = 0; resolved && k < j->n_tids; k++) {
                        char temp[PATH_MAX], full[PATH_MAX * 2];
                        struct stat st;

                        snprintf(temp, sizeof(temp), "%s/%s;%08x", strcmp(resolved, "/") ? resolved : "", base,
                                 j->tids[k]);
                        if (path_in_root(full, sizeof(full), root, temp) < 0)
                                continue;
                        /* rpm writes files and symlinks under these names,
                         * never directories. */
                        if (lstat(full, &st) < 0 || S_ISDIR(st.st_mode))
                                continue;
                        if (unlink(full) == 0)
                                (*removed)++;
                        else
                                log_warning("cannot remove rpm's temporary file %s: %m", full);
                }
        }
        rpmfilesFree(files);
        headerFree(h);
        free(cache.dir);
        free(cache.resolved);
        return 0;
}

int resume_remove_temp_files(const char *root, const struct plan *plan, const char *packages_dir,
                             const struct journal *j, unsigned *ret_removed) {
        rpmts ts = rpmtsCreate();
        unsigned removed = 0;
        int r = 0;

        rpmtsSetVSFlags(ts, RPMVSF_MASK_NODIGESTS | RPMVSF_MASK_NOSIGNATURES);
        for (size_t i = 0; r == 0 && i < plan->n_packages; i++) {
                const struct plan_package *p = &plan->packages[i];
                char path[PATH_MAX * 2];

                if (p->op == PLAN_OP_ERASE)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", packages_dir, p->file);
                r = remove_temp_files_of(root, ts, path, j, &removed);
                if (r < 0)
                        log_error_errno(r, "cannot read the file list of %s", p->file);
        }
        rpmtsFree(ts);
        *ret_removed = removed;
        return r;
}
