/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What is left of a plan after an interrupted attempt; see resume.h. */
#include <fcntl.h>
#include <limits.h>
#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmds.h>
#include <rpm/rpmfiles.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmtd.h>
#include <rpm/rpmts.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "log.h"
#include "macro.h"
#include "resume.h"
#include "strv.h"

#define STAGED_PATH_SIZE (PATH_MAX * 2)

/* The staged file of plan package p, in packages_dir, into path; false for
 * an erasure, which has none. */
static bool staged_file(const char *packages_dir, const struct plan_package *p, char path[static STAGED_PATH_SIZE]) {
        if (p->op == PLAN_OP_ERASE)
                return false;
        snprintf(path, STAGED_PATH_SIZE, "%s/%s", packages_dir, p->file);
        return true;
}

static bool plan_has(const struct plan *plan, const char *nevra, bool erase) {
        for (size_t i = 0; i < plan->n_packages; i++)
                if ((plan->packages[i].op == PLAN_OP_ERASE) == erase && strcmp(plan->packages[i].nevra, nevra) == 0)
                        return true;
        return false;
}

bool plan_installs(const struct plan *plan, const char *nevra) {
        return plan_has(plan, nevra, false);
}

/* Whether the header has a %transfiletriggerin. */
static bool has_trans_file_trigger_in(Header h) {
        struct rpmtd_s flags;
        const uint32_t *f;
        bool found = false;

        if (!headerGet(h, RPMTAG_TRANSFILETRIGGERFLAGS, &flags, HEADERGET_MINMEM))
                return false;
        while (!found && (f = rpmtdNextUint32(&flags)) != NULL)
                found = (*f & RPMSENSE_TRIGGERIN) != 0;
        rpmtdFreeData(&flags);
        return found;
}

/* The end of the transaction runs this package's %posttrans and its
 * %transfiletriggerin (over every file in the rpmdb): work an attempt cut
 * short never did for a package it installed. */
static bool owes_own_end(Header h) {
        return headerIsEntry(h, RPMTAG_POSTTRANS) || headerIsEntry(h, RPMTAG_POSTTRANSPROG) ||
               has_trans_file_trigger_in(h);
}

/* The prefixes of h's %transfiletriggerin scriptlets, added to *prefixes. */
static int push_trigger_prefixes(Header h, char ***prefixes, size_t *n) {
        struct rpmtd_s names, flags;
        int r = 0;

        if (!headerGet(h, RPMTAG_TRANSFILETRIGGERNAME, &names, HEADERGET_MINMEM))
                return 0;
        if (headerGet(h, RPMTAG_TRANSFILETRIGGERFLAGS, &flags, HEADERGET_MINMEM)) {
                for (uint32_t i = 0; r == 0 && i < rpmtdCount(&names) && i < rpmtdCount(&flags); i++) {
                        const char *name;
                        const uint32_t *f;

                        rpmtdSetIndex(&names, (int) i);
                        rpmtdSetIndex(&flags, (int) i);
                        name = rpmtdGetString(&names);
                        f = rpmtdGetUint32(&flags);
                        if (name && f && (*f & RPMSENSE_TRIGGERIN) && !strv_contains(*prefixes, *n, name))
                                r = strv_push(prefixes, n, name);
                }
                rpmtdFreeData(&flags);
        }
        rpmtdFreeData(&names);
        return r;
}

static bool has_file_below(Header h, char *const *prefixes, size_t n_prefixes) {
        rpmfiles files = rpmfilesNew(NULL, h, RPMTAG_BASENAMES, 0);
        bool found = false;

        for (int i = 0; files && !found && i < (int) rpmfilesFC(files); i++) {
                _cleanup_free_ char *fn = rpmfilesFN(files, i);

                for (size_t k = 0; fn && !found && k < n_prefixes; k++)
                        found = strncmp(fn, prefixes[k], strlen(prefixes[k])) == 0;
        }
        rpmfilesFree(files);
        return found;
}

/*
 * The targets an attempt cut short installed whose files a
 * %transfiletriggerin of a package outside the transaction must see
 * (prefixes: those triggers'; rpm hands such a trigger the transaction's
 * files only), added to *owing: installing them again puts them in the
 * transaction that finishes. A second pass, needed only when an installed
 * package the plan leaves alone has such a trigger.
 */
static int find_owing_by_triggers(rpmts ts, const struct plan *plan, char *const *prefixes, size_t n_prefixes,
                                  char ***owing, size_t *n_owing) {
        rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        Header h;
        int r = 0;

        while (r == 0 && mi && (h = rpmdbNextIterator(mi)) != NULL) {
                _cleanup_free_ char *nevra = headerGetAsString(h, RPMTAG_NEVRA);

                if (!nevra)
                        r = -ENOMEM;
                else if (plan_installs(plan, nevra) && !strv_contains(*owing, *n_owing, nevra) &&
                         has_file_below(h, prefixes, n_prefixes))
                        r = strv_push(owing, n_owing, nevra);
        }
        rpmdbFreeIterator(mi);
        return r;
}

int resume_build(struct txn *t, const struct plan *plan, const char *packages_dir, const struct journal *j,
                 struct resume_counts *ret) {
        rpmts ts = txn_ts(t);
        struct resume_counts counts = {};
        rpmdbMatchIterator mi;
        char **installed = NULL, **doubled = NULL, **owing = NULL, **prefixes = NULL;
        size_t n_installed = 0, n_doubled = 0, n_owing = 0, n_prefixes = 0;
        Header h;
        int r = 0;

        /* One pass over the rpmdb: erase the leftovers, note the rest, and
         * what of the transaction's end the kept targets are owed: their
         * own %posttrans and %transfiletriggerin (rpm runs those for the
         * elements of the transaction that runs them), and the prefixes of
         * the %transfiletriggerin of packages the plan leaves alone. */
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
                } else {
                        r = strv_push(&installed, &n_installed, nevra);
                        if (r == 0 && target && owes_own_end(h) && !strv_contains(owing, n_owing, nevra))
                                r = strv_push(&owing, &n_owing, nevra);
                        else if (r == 0 && !target)
                                r = push_trigger_prefixes(h, &prefixes, &n_prefixes);
                }
        }
        rpmdbFreeIterator(mi);
        if (r == 0 && n_prefixes > 0)
                r = find_owing_by_triggers(ts, plan, prefixes, n_prefixes, &owing, &n_owing);
        strv_free(prefixes, n_prefixes);

        for (size_t i = 0; r == 0 && i < plan->n_packages; i++) {
                const struct plan_package *p = &plan->packages[i];
                char path[STAGED_PATH_SIZE];

                if (!staged_file(packages_dir, p, path))
                        continue;
                if (!strv_contains(installed, n_installed, p->nevra)) {
                        r = txn_add_package(t, p->op, path, p->nevra);
                        counts.installed++;
                } else if (!journal_is_durable(j, p->nevra) || strv_contains(doubled, n_doubled, p->nevra)) {
                        r = txn_add_reinstall(t, path, p->nevra);
                        counts.reinstalled++;
                } else if (strv_contains(owing, n_owing, p->nevra)) {
                        r = txn_add_reinstall(t, path, p->nevra);
                        counts.owed++;
                } else
                        counts.kept++;
                if (r < 0)
                        log_error("rpm cannot add staged package %s to the transaction", p->file);
        }
        strv_free(installed, n_installed);
        strv_free(doubled, n_doubled);
        strv_free(owing, n_owing);
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
                char path[STAGED_PATH_SIZE];

                if (!staged_file(packages_dir, p, path))
                        continue;
                r = remove_temp_files_of(root, ts, path, j, &removed);
                if (r < 0)
                        log_error_errno(r, "cannot read the file list of %s", p->file);
        }
        rpmtsFree(ts);
        *ret_removed = removed;
        return r;
}
