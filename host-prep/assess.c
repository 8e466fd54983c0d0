/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmds.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmprob.h>
#include <rpm/rpmps.h>
#include <rpm/rpmte.h>
#include <rpm/rpmts.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "assess.h"
#include "boot-entry.h"
#include "fsutil.h"
#include "log.h"
#include "outcome.h"
#include "paths.h"
#include "progress.h"
#include "rpm-messages.h"
#include "rpmdb-lock.h"
#include "solve.h"
#include "transaction.h"
#include "verify.h"

/* Installed beside the old version, never upgraded: dnf's defaults. */
const char *const default_install_only[] = { "kernel", "kernel-core", "kernel-modules",
                                                    "kernel-devel", "kernel-PAE", NULL };

static bool is_install_only(const struct assess_options *o, Header h) {
        const char *name = headerGetString(h, RPMTAG_NAME);
        rpmds provides;
        bool yes = false;

        for (size_t i = 0; default_install_only[i]; i++)
                if (strcmp(name, default_install_only[i]) == 0)
                        return true;
        for (size_t i = 0; i < o->n_install_only; i++)
                if (strcmp(name, o->install_only[i]) == 0)
                        return true;
        /* Packages that declare it, as EL kernels do. */
        provides = rpmdsNew(h, RPMTAG_PROVIDENAME, 0);
        while (!yes && rpmdsNext(provides) >= 0)
                yes = strncmp(rpmdsN(provides), "installonlypkg(", 15) == 0 ||
                      strcmp(rpmdsN(provides), "multiversion(kernel)") == 0;
        rpmdsFree(provides);
        return yes;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The *.rpm files of a directory, sorted: the plan is stable. */
int list_packages(const char *dir, char ***ret, size_t *n) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t first = *n;

        if (!d)
                return negative_errno();
        while ((de = readdir(d)) != NULL) {
                size_t len = strlen(de->d_name);
                char path[PATH_MAX];
                if (len < 5 || strcmp(de->d_name + len - 4, ".rpm") != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                if (strv_push(ret, n, path) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        }
        closedir(d);
        qsort(*ret + first, *n - first, sizeof(char *), compare_strings);
        return 0;
}

static int open_rpmdb(struct assessment *a, rpmts *ret) {
        const char *root = a->opts->root;
        rpmts ts;

        if (rpmdb_detect_backend(root, &a->backend) < 0 || a->backend == RPMDB_BACKEND_NONE) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "rpmdb-missing",
                             "there is no rpm database, so nothing says what is installed",
                             "check --root; the rpmdb is looked for in /var/lib/rpm",
                             "no rpm database in %s", root);
                return -ENOENT;
        }
        /* librpm would wait for it forever: said who holds it, and the
         * command could not look (exit status 3). */
        if (rpmdb_wait_unlocked(root) < 0)
                return -EBUSY;
        ts = rpmtsCreate();
        rpmtsSetRootDir(ts, root);
        if (rpmtsOpenDB(ts, O_RDONLY) != 0 || !(a->fingerprint = rpmdbCookie(rpmtsGetRdb(ts)))) {
                rpmtsFree(ts);
                findings_add(&a->findings, SEVERITY_BLOCKER, "rpmdb-unreadable",
                             "the rpm database is damaged or in a format librpm cannot read",
                             "run 'rpm --rebuilddb' on the system, then check again",
                             "the %s rpm database in %s cannot be read",
                             rpmdb_backend_name(a->backend), root);
                return -EIO;
        }
        *ret = ts;
        return 0;
}

/* Whether an installed package of this name is older, newer or the same. */
static int compare_installed(rpmts ts, Header h, bool *installed) {
        rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_NAME, headerGetString(h, RPMTAG_NAME), 0);
        Header old;
        int cmp = 1;

        *installed = false;
        while ((old = rpmdbNextIterator(mi)) != NULL) {
                int c = rpmVersionCompare(h, old);
                *installed = true;
                if (c < cmp)
                        cmp = c;
        }
        rpmdbFreeIterator(mi);
        return cmp;
}

/* expected_sha256: what the repodata says the file is (--repo), or NULL. */
static int add_candidate(struct assessment *a, rpmts ts, rpmKeyring keyring, const char *path,
                         const char *expected_sha256) {
        _cleanup_free_ char *error = NULL;
        struct candidate c = {};
        const char *base = strrchr(path, '/') + 1;
        bool installed;
        FD_t fd;
        Header h = NULL;
        int cmp, r;

        /* The digest the plan names, and the staged copy must match. */
        r = sha256_file(AT_FDCWD, path, c.sha256, &c.size);
        if (r < 0)
                return log_error_errno(r, "cannot read %s", path);
        if (expected_sha256 && strcmp(c.sha256, expected_sha256) != 0) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "package-checksum",
                             "the package is not the one the repository's metadata describes",
                             "fetch the package again, or run createrepo_c on the directory again",
                             "%s does not match its sha256 checksum in the repodata", path);
                return 0;
        }
        r = package_verify(path, keyring, &error);
        if (r < 0) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "package-verification",
                             "the package is damaged or not signed by a key you trust; "
                             "installing it could corrupt the system",
                             "fetch the package again from the target release, or give the "
                             "key that signed it with --key",
                             "%s: %s", base, error);
                return 0;
        }
        fd = Fopen(path, "r.ufdio");
        if (fd && rpmReadPackageFile(ts, fd, path, &h) != RPMRC_FAIL && h) {
                c.nevra = headerGetAsString(h, RPMTAG_NEVRA);
        }
        if (fd)
                Fclose(fd);
        if (!c.nevra) {
                headerFree(h);
                findings_add(&a->findings, SEVERITY_BLOCKER, "package-unreadable",
                             "librpm cannot read the package header", "remove it from the directory",
                             "%s cannot be read", base);
                return 0;
        }

        c.op = PLAN_OP_UPGRADE;
        cmp = compare_installed(ts, h, &installed);
        if (is_install_only(a->opts, h))
                c.op = PLAN_OP_INSTALL_ONLY;
        else if (!installed)
                c.op = PLAN_OP_INSTALL;
        if (installed && cmp == 0 && c.op != PLAN_OP_INSTALL_ONLY) {
                findings_add(&a->findings, SEVERITY_INFO, "already-current", "", "",
                             "%s is already installed", c.nevra);
                goto skip;
        }
        /* Also when the solver chose it (distro-sync moves to the
         * repository's version either way): going back is the operator's call. */
        if (installed && cmp < 0 && c.op != PLAN_OP_INSTALL_ONLY && !a->opts->allow_downgrade) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "downgrade",
                             "a newer version is installed than the target release has; "
                             "rpm would downgrade it",
                             "remove the older package from the directory or repository, or pass "
                             "--allow-downgrade",
                             "%s is older than the installed %s", c.nevra,
                             headerGetString(h, RPMTAG_NAME));
                goto skip;
        }
        headerFree(h);
        h = NULL;

        c.path = strdup(path);
        c.file = strdup(base);
        if (!c.path || !c.file)
                return -ENOMEM;
        struct candidate *p = realloc(a->candidates, (a->n_candidates + 1) * sizeof(*p));
        if (!p)
                return -ENOMEM;
        a->candidates = p;
        a->candidates[a->n_candidates++] = c;
        a->staging_bytes += c.size;
        return 0;

skip:
        headerFree(h);
        free(c.nevra);
        return 0;
}

/* For the progress of verifying: 0 for what cannot be read, which the
 * verification reports. */
static uint64_t file_size(const char *path) {
        struct stat st;

        return stat(path, &st) == 0 ? (uint64_t) st.st_size : 0;
}

/* --repo: what libsolv chooses, then verified like --packages. */
static int add_solved(struct assessment *a, rpmts ts, rpmKeyring keyring) {
        struct solve_result s;
        int r = solve_target(a->opts, &a->findings, &s);

        if (r < 0)
                return r;
        if (s.n_available == 0 && !findings_have_blockers(&a->findings))
                findings_add(&a->findings, SEVERITY_BLOCKER, "no-packages",
                             "there is nothing to upgrade to", "point --repo at the target "
                             "release's repository", "the --repo directories hold no packages");
        else if (s.n_available > 0)
                findings_add(&a->findings, SEVERITY_INFO, "solver", "", "",
                             "libsolv chose %zu packages to install and %zu to erase, from %u in %u "
                             "repositories for %u installed, in %.3f s (reading the rpmdb %.3f s, "
                             "the repositories %.3f s, solving %.3f s)",
                             s.n_packages, s.n_erase_nevras, s.n_available, s.n_repos, s.n_installed,
                             s.rpmdb_seconds + s.repos_seconds + s.solve_seconds, s.rpmdb_seconds,
                             s.repos_seconds, s.solve_seconds);
        for (size_t i = 0; r >= 0 && i < s.n_packages; i++)
                r = add_candidate(a, ts, keyring, s.packages[i].path, s.packages[i].sha256);
        for (size_t i = 0; r >= 0 && i < s.n_erase_nevras; i++)
                if (!strv_contains(a->erase_nevras, a->n_erase_nevras, s.erase_nevras[i]))
                        r = strv_push(&a->erase_nevras, &a->n_erase_nevras, s.erase_nevras[i]);
        solve_result_done(&s);
        return r;
}

static int find_erasures(struct assessment *a, rpmts ts) {
        for (size_t i = 0; i < a->opts->n_erase; i++) {
                rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_NAME, a->opts->erase[i], 0);
                Header h;
                int found = 0;

                while ((h = rpmdbNextIterator(mi)) != NULL) {
                        char *nevra = headerGetAsString(h, RPMTAG_NEVRA);
                        strv_push(&a->erase_nevras, &a->n_erase_nevras, nevra);
                        free(nevra);
                        found++;
                }
                rpmdbFreeIterator(mi);
                if (!found)
                        findings_add(&a->findings, SEVERITY_BLOCKER, "erase-not-installed",
                                     "--erase names a package that is not installed",
                                     "check the name (rpm -q NAME)", "%s is not installed",
                                     a->opts->erase[i]);
        }
        return 0;
}

static int build(struct assessment *a, struct txn **ret) {
        _cleanup_(txn_freep) struct txn *t = NULL;
        int r = txn_new(a->opts->root, &t);

        if (r < 0)
                return r;
        if (a->opts->allow_downgrade)
                txn_allow_downgrade(t);
        for (size_t i = 0; i < a->n_candidates; i++) {
                r = txn_add_package(t, a->candidates[i].op, a->candidates[i].path);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < a->n_erase_nevras; i++)
                txn_add_erase(t, a->erase_nevras[i]);
        *ret = TAKE_PTR(t);
        return 0;
}


/* For a Requires problem librpm names the package that needs something
 * as the "alt" NEVR (the other one is whatever change caused it). */
static const char *needing_package(rpmProblem p) {
        return rpmProblemGetAltNEVR(p) ?: rpmProblemGetPkgNEVR(p);
}

/* An installed package (not one of ours) whose dependency the target breaks. */
static bool is_installed_breakage(struct assessment *a, rpmProblem p) {
        const char *who = needing_package(p);
        for (size_t i = 0; i < a->n_candidates; i++)
                if (strcmp(a->candidates[i].nevra, who) == 0)
                        return false;
        return true;
}

static void report_problems(struct assessment *a, rpmps ps) {
        rpmpsi it = rpmpsInitIterator(ps);
        rpmProblem p;

        while ((p = rpmpsiNext(it)) != NULL) {
                _cleanup_free_ char *text = rpmProblemString(p);

                switch (rpmProblemGetType(p)) {
                case RPMPROB_REQUIRES:
                        findings_add(&a->findings, SEVERITY_BLOCKER, "unresolved-dependency",
                                     "after the upgrade a package would miss something it needs",
                                     "add the package that provides it to the target set, erase "
                                     "the package that needs it (--erase NAME), or let stage erase "
                                     "every such package (--allow-erasing)",
                                     "%s", text);
                        break;
                case RPMPROB_CONFLICT:
                        findings_add(&a->findings, SEVERITY_BLOCKER, "package-conflict",
                                     "two packages declare that they cannot be installed together",
                                     "erase one of them (--erase NAME) or replace it in the target set",
                                     "%s", text);
                        break;
                case RPMPROB_FILE_CONFLICT:
                case RPMPROB_NEW_FILE_CONFLICT:
                        findings_add(&a->findings, SEVERITY_BLOCKER, "file-conflict",
                                     "two packages would own the same file with different contents",
                                     "erase or replace one of the packages named",
                                     "%s", text);
                        break;
                case RPMPROB_DISKSPACE:
                case RPMPROB_DISKNODES:
                        findings_add(&a->findings, SEVERITY_BLOCKER, "disk-space",
                                     "rpm's own accounting says the transaction does not fit",
                                     "free space on the filesystem named, then check again",
                                     "%s", text);
                        break;
                default:
                        findings_add(&a->findings, SEVERITY_BLOCKER, "transaction-problem",
                                     "rpm's test run of the transaction failed",
                                     "read rpm's message; fix the package set and check again",
                                     "%s", text);
                }
        }
        rpmpsFreeIterator(it);
}

/*
 * rpm's dependency check; with --allow-erasing, installed packages whose
 * dependencies break are erased and the check repeats until it settles.
 */
static int resolve(struct assessment *a, struct txn **ret) {
        for (;;) {
                _cleanup_(txn_freep) struct txn *t = NULL;
                rpmps ps = NULL;
                rpmProblem p;
                rpmpsi it;
                bool more = false;
                int r = build(a, &t);

                if (r < 0)
                        return r;
                r = txn_check(t, &ps);
                if (r == 0) {
                        *ret = TAKE_PTR(t);
                        return 0;
                }
                if (r != -EPROTO)
                        return r;
                it = rpmpsInitIterator(ps);
                while (a->opts->allow_erasing && (p = rpmpsiNext(it)) != NULL) {
                        const char *who = needing_package(p);
                        if (rpmProblemGetType(p) != RPMPROB_REQUIRES || !is_installed_breakage(a, p) ||
                            strv_contains(a->erase_nevras, a->n_erase_nevras, who))
                                continue;
                        findings_add(&a->findings, SEVERITY_WARNING, "erased-broken",
                                     "--allow-erasing: the target breaks this package, so it is erased",
                                     "reinstall a version built for the target release afterwards "
                                     "if you need it",
                                     "%s will be erased (%s)", who, rpmProblemGetStr(p));
                        strv_push(&a->erase_nevras, &a->n_erase_nevras, who);
                        more = true;
                }
                rpmpsFreeIterator(it);
                if (!more) {
                        report_problems(a, ps);
                        rpmpsFree(ps);
                        return 0;
                }
                rpmpsFree(ps);
        }
}

/* What rpm will erase beyond --erase, and what stays untouched. */
static void report_effects(struct assessment *a, rpmts ts, struct txn *t) {
        _cleanup_free_ char **removed = NULL;
        size_t n_removed = 0, n_kept = 0;
        rpmtsi it = rpmtsiInit(txn_ts(t));
        rpmdbMatchIterator mi;
        rpmte te;
        Header h;

        while ((te = rpmtsiNext(it, TR_REMOVED)) != NULL) {
                char **p = realloc(removed, (n_removed + 1) * sizeof(char *));
                if (!p)
                        break;
                removed = p;
                removed[n_removed++] = (char *) rpmteNEVRA(te);
                rpmte by = rpmteDependsOn(te);
                if (!by)
                        findings_add(&a->findings, SEVERITY_INFO, "erased", "", "",
                                     "%s will be erased", rpmteNEVRA(te));
                else if (strcmp(rpmteN(by), rpmteN(te)) != 0)
                        findings_add(&a->findings, SEVERITY_INFO, "obsoleted", "", "",
                                     "%s is replaced by %s", rpmteNEVRA(te), rpmteNEVRA(by));
        }
        mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        while ((h = rpmdbNextIterator(mi)) != NULL) {
                _cleanup_free_ char *nevra = headerGetAsString(h, RPMTAG_NEVRA);
                if (strv_contains(removed, n_removed, nevra) || strcmp(headerGetString(h, RPMTAG_NAME), "gpg-pubkey") == 0)
                        continue;
                n_kept++;
                findings_add(&a->findings, SEVERITY_INFO, "kept", "", "",
                             "%s stays installed (nothing in the target replaces it)", nevra);
        }
        rpmdbFreeIterator(mi);
        rpmtsiFree(it);
        (void) n_kept;
}

static void check_staging_space(struct assessment *a) {
        char path[PATH_MAX];
        struct statvfs sv;

        /* The staging directory's parent exists on every system. */
        path_in_root(path, sizeof(path), a->opts->root, "/var/lib");
        if (statvfs(path, &sv) < 0)
                return;
        uint64_t avail = (uint64_t) sv.f_bavail * sv.f_frsize;
        if (avail < a->staging_bytes + a->staging_bytes / 10)
                findings_add(&a->findings, SEVERITY_BLOCKER, "staging-space",
                             "the staged packages are copied to " OSLIFT_STATE_DIR " and stay there "
                             "during the transaction",
                             "free space on the filesystem holding /var/lib",
                             "staging needs %llu MiB in %s, %llu MiB are free",
                             (unsigned long long) (a->staging_bytes * 11 / 10 >> 20), path,
                             (unsigned long long) (avail >> 20));
}

/* The upgrade runs from a one-time GRUB entry and an initramfs in /boot. */
static void check_boot(struct assessment *a) {
        _cleanup_free_ char *reason = NULL;
        uint64_t needed, available;

        if (strcmp(a->opts->root, "/") != 0 || a->opts->no_boot)
                return;
        if (boot_entry_check(a->opts->root, NULL, &reason) < 0)
                findings_add(&a->findings, SEVERITY_BLOCKER, "boot-entry",
                             "the upgrade runs from a one-time GRUB boot entry, which cannot be set up here",
                             "fix what is named", "%s", reason ?: "the upgrade boot cannot be armed");
        if (boot_space_check(a->opts->root, NULL, &needed, &available) == -ENOSPC)
                findings_add(&a->findings, SEVERITY_BLOCKER, "boot-space",
                             "the upgrade initramfs is built in /boot",
                             "free space in /boot (remove kernels no longer needed)",
                             "the upgrade initramfs needs about %llu MiB in /boot, %llu MiB are free",
                             (unsigned long long) (needed >> 20), (unsigned long long) (available >> 20));
}

/* librpm ≥ 4.16 writes sqlite natively; older ones (EL8: 4.14) Berkeley DB. */
static void decide_target_backend(struct assessment *a, rpmts ts) {
        a->target_backend = "sqlite";
        for (size_t i = 0; i < a->n_candidates; i++) {
                const char *n = a->candidates[i].nevra;
                if (strncmp(n, "rpm-4.", 6) != 0 || !strchr("0123456789", n[6]))
                        continue;
                if (atoi(n + 6) < 16)
                        a->target_backend = "bdb";
        }
        if (strcmp(a->target_backend, rpmdb_backend_name(a->backend)) != 0)
                findings_add(&a->findings, SEVERITY_WARNING, "rpmdb-format",
                             "the upgrader writes an sqlite rpm database; the target release's rpm "
                             "uses another format natively",
                             "nothing: restore converts it with the target's own rpm on the first boot",
                             "the rpmdb is %s now, the target uses %s",
                             rpmdb_backend_name(a->backend), a->target_backend);
}

int assess(const struct assess_options *opts, struct assessment *a) {
        struct rpm_messages_scope quiet = { .demote_warnings = 1 };
        char **paths = NULL;
        size_t n_paths = 0;
        rpmKeyring keyring = NULL;
        rpmts ts = NULL;
        struct txn *t = NULL;
        int r;

        *a = (struct assessment) { .opts = opts };
        for (size_t i = 0; i < opts->n_package_dirs; i++) {
                r = list_packages(opts->package_dirs[i], &paths, &n_paths);
                if (r < 0)
                        return log_error_errno(r, "cannot read --packages %s", opts->package_dirs[i]);
        }
        if (opts->n_package_dirs > 0 && n_paths == 0)
                findings_add(&a->findings, SEVERITY_BLOCKER, "no-packages",
                             "there is nothing to upgrade to", "point --packages at the target "
                             "release's packages", "no *.rpm files in the --packages directories");
        if (opts->n_keys > 0) {
                _cleanup_free_ char *error = NULL;
                if (keyring_load(opts->keys, opts->n_keys, &keyring, &error) < 0) {
                        log_error("--key: %s", error);
                        return -EINVAL;
                }
        } else
                findings_add(&a->findings, SEVERITY_WARNING, "no-signature-check",
                             "without --key only digests are checked: a package from anyone passes",
                             "pass the target release's signing key with --key FILE",
                             "package signatures are not enforced");

        rpm_messages_push(&quiet);
        r = open_rpmdb(a, &ts);
        rpm_messages_pop(&quiet);
        if (r < 0)
                goto done;
        find_erasures(a, ts);
        if (opts->n_repo_dirs > 0)
                r = add_solved(a, ts, keyring);
        if (r >= 0 && opts->progress && n_paths > 0) {
                uint64_t total = 0;

                for (size_t i = 0; i < n_paths; i++)
                        total += file_size(paths[i]);
                progress_begin(opts->progress, "verifying", "verified", (unsigned) n_paths, total);
        }
        for (size_t i = 0; r >= 0 && i < n_paths; i++) {
                r = add_candidate(a, ts, keyring, paths[i], NULL);
                progress_advance(opts->progress, file_size(paths[i]));
        }
        if (n_paths > 0)
                progress_end(opts->progress);
        if (r < 0)
                goto done;
        decide_target_backend(a, ts);
        check_staging_space(a);
        check_boot(a);

        if (findings_have_blockers(&a->findings))
                goto done; /* rpm's checks would only repeat what is known */
        r = resolve(a, &t);
        if (r < 0 || !t || findings_have_blockers(&a->findings))
                goto done;
        report_effects(a, ts, t);

        /* rpm's test run: file conflicts and its own disk-space accounting. */
        {
                rpmps ps = NULL;
                r = txn_run(t, true, NULL, NULL, NULL, &ps);
                if (r == -EPROTO) {
                        report_problems(a, ps);
                        rpmpsFree(ps);
                        r = 0;
                } else if (r < 0)
                        findings_add(&a->findings, SEVERITY_BLOCKER, "transaction-problem",
                                     "rpm's test run of the transaction failed",
                                     "read the messages above", "rpm's test transaction failed");
                r = 0;
        }
done:
        txn_free(t);
        if (ts)
                rpmtsFree(ts);
        rpmKeyringFree(keyring);
        strv_free(TAKE_PTR(paths), n_paths);
        return r < 0 && r != -ENOENT && r != -EIO ? r : 0;
}

void assessment_done(struct assessment *a) {
        for (size_t i = 0; i < a->n_candidates; i++) {
                free(a->candidates[i].path);
                free(a->candidates[i].file);
                free(a->candidates[i].nevra);
        }
        free(a->candidates);
        strv_free(a->erase_nevras, a->n_erase_nevras);
        free(a->fingerprint);
        findings_done(&a->findings);
}
