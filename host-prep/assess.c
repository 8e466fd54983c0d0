/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmds.h>
#include <rpm/rpmfi.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmprob.h>
#include <rpm/rpmps.h>
#include <rpm/rpmte.h>
#include <rpm/rpmts.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "accept.h"
#include "assess.h"
#include "boot-entry.h"
#include "fsutil.h"
#include "log.h"
#include "outcome.h"
#include "paths.h"
#include "progress.h"
#include "rpm-messages.h"
#include "rpmdb.h"
#include "rpmdb-lock.h"
#include "signer.h"
#include "solve.h"
#include "syscheck.h"
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

/*
 * librpm's bdb_ro reads a Berkeley DB but cannot rebuild its index files:
 * without them every lookup by name, provide or file finds nothing, so
 * what check says of installed versions and dependencies is blind (rpm's
 * warnings about it go to the debug log). The system's own rpm rebuilds
 * them.
 */
static void warn_missing_indexes(struct assessment *a) {
        static const char *const indexes[] = { "Name", "Providename", "Basenames" };
        _cleanup_free_ char *dir = NULL;
        char missing[64] = "";

        if (a->backend != RPMDB_BACKEND_BDB || rpmdb_path(a->opts->root, &dir) < 0)
                return;
        for (size_t i = 0; i < ELEMENTSOF(indexes); i++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (asprintf(&path, "%s/%s", dir, indexes[i]) < 0)
                        return;
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                        continue;
                if (*missing)
                        strcat(missing, ", ");
                strcat(missing, indexes[i]);
        }
        if (*missing)
                findings_add(&a->findings, SEVERITY_WARNING, "rpmdb-indexes",
                             "the Berkeley DB rpm database lacks index files: looking installed "
                             "packages up by name, provide or file finds nothing, so version "
                             "comparisons and dependency checks against them are incomplete",
                             "run 'rpm --rebuilddb' on the system (its rpm rebuilds the indexes), "
                             "then check again",
                             "no %s in the rpmdb directory", missing);
}

/* Each installed package as rpmdb_read_whole() reads it: kept, until the
 * solver or rpm says otherwise, with its signer. */
static int add_installed(Header h, void *userdata) {
        struct assessment *a = userdata;
        const char *name = headerGetString(h, RPMTAG_NAME);
        _cleanup_free_ char *nevra = NULL, *key = NULL;

        if (!name || strcmp(name, "gpg-pubkey") == 0)
                return 0;
        nevra = headerGetAsString(h, RPMTAG_NEVRA);
        key = signer_key_id(h);
        if (nevra)
                verdicts_add(&a->verdicts, nevra, name, key);
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
        /* A damaged database read as fewer packages (or none) would plan
         * installs for upgrades, and the upgrade would lose the rest. */
        {
                _cleanup_free_ char *error = NULL;

                if (rpmdb_read_whole(ts, root, a->backend, add_installed, a, &error) < 0) {
                        rpmtsFree(ts);
                        findings_add(&a->findings, SEVERITY_BLOCKER, "rpmdb-incomplete",
                                     "the rpm database cannot be read whole: an upgrade planned from "
                                     "what could be read would lose the installed packages it misses",
                                     "back up /var/lib/rpm, run 'rpm --rebuilddb' on the system, "
                                     "then check again",
                                     "the %s rpm database in %s is damaged: %s",
                                     rpmdb_backend_name(a->backend), root, error ?: "?");
                        return -EIO;
                }
        }
        warn_missing_indexes(a);
        verdicts_sort(&a->verdicts);
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

/* What the packages the system cannot be without provide: a package
 * file's or an installed package's part in them (dnf's protected packages,
 * decided by what is provided rather than by a list of names). */
enum {
        PROTECT_KERNEL = 1u << 0,
        PROTECT_SHELL = 1u << 1,
        PROTECT_RPM = 1u << 2,
        PROTECT_INIT = 1u << 3,
        PROTECT_BOOT_LOADER = 1u << 4,
};

static const struct {
        unsigned bit;
        const char *what;
} protected_things[] = {
        { PROTECT_KERNEL, "kernel" },
        { PROTECT_SHELL, "/bin/sh" },
        { PROTECT_RPM, "rpm" },
        { PROTECT_INIT, "init system (/sbin/init)" },
        { PROTECT_BOOT_LOADER, "boot loader" },
};

static bool name_in(const char *name, const char *const *names) {
        for (; *names; names++)
                if (strcmp(name, *names) == 0)
                        return true;
        return false;
}

static unsigned protected_by_name(const char *name) {
        static const char *const kernels[] = { "kernel", "kernel-core", "kernel-default", "kernel-uek",
                                               "kernel-uek-core", "kernel-rt-core", "kernel-lt", "kernel-ml",
                                               "kernel-64k-core", NULL };
        static const char *const inits[] = { "systemd", "upstart", "sysvinit", "SysVinit", NULL };
        static const char *const loaders[] = { "grub", "grub2", "grub2-pc", "grub2-efi-x64", "grub2-efi-ia32",
                                               "grub2-efi-aa64", "grub2-x86_64-efi", "grub2-i386-pc",
                                               "grub2-arm64-efi", "grub2-ppc64le", "shim", "shim-x64",
                                               "shim-aa64", "systemd-boot", "syslinux", "extlinux",
                                               "s390utils-base", NULL };
        unsigned mask = 0;

        if (name_in(name, kernels))
                mask |= PROTECT_KERNEL;
        if (strcmp(name, "rpm") == 0)
                mask |= PROTECT_RPM;
        if (name_in(name, inits))
                mask |= PROTECT_INIT;
        if (name_in(name, loaders))
                mask |= PROTECT_BOOT_LOADER;
        return mask;
}

static unsigned protected_by_path(const char *path) {
        if (strcmp(path, "/bin/sh") == 0 || strcmp(path, "/usr/bin/sh") == 0)
                return PROTECT_SHELL;
        if (strcmp(path, "/sbin/init") == 0 || strcmp(path, "/usr/sbin/init") == 0)
                return PROTECT_INIT;
        if (strncmp(path, "/boot/vmlinuz-", 14) == 0)
                return PROTECT_KERNEL;
        return 0;
}

/* Which of the protected things the package h provides (by name, Provides
 * or file). */
static unsigned protected_mask(Header h) {
        unsigned mask = protected_by_name(headerGetString(h, RPMTAG_NAME));
        struct rpmtd_s td;
        rpmds provides = rpmdsNew(h, RPMTAG_PROVIDENAME, 0);

        while (rpmdsNext(provides) >= 0) {
                const char *n = rpmdsN(provides);
                mask |= protected_by_path(n);
                if (strcmp(n, "kernel") == 0)
                        mask |= PROTECT_KERNEL;
        }
        rpmdsFree(provides);
        if (headerGet(h, RPMTAG_FILENAMES, &td, HEADERGET_EXT)) {
                const char *f;
                while ((f = rpmtdNextString(&td)) != NULL)
                        mask |= protected_by_path(f);
                rpmtdFreeData(&td);
        }
        return mask;
}

/* Opens a package file given on the command line, once: a symlink is
 * followed (mirrors and hard-link trees are full of them, and the file is
 * outside the root), a FIFO does not block, and what is not a regular file
 * is refused with -EBADFD (-EISDIR for a directory). */
static int open_input(const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
        }
        return fd;
}

static const char *file_type_name(const char *path) {
        struct stat st;

        if (stat(path, &st) < 0)
                return "not a regular file";
        return S_ISFIFO(st.st_mode) ? "a FIFO (named pipe)" : S_ISDIR(st.st_mode) ? "a directory"
               : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
               : S_ISSOCK(st.st_mode) ? "a socket" : "not a regular file";
}

/*
 * The one descriptor everything about the package at path is read from:
 * opened once; with a spool directory (stage), its bytes are first copied
 * into a new file there, root's alone, and that copy is what is hashed,
 * verified, read and staged, so a change to the input afterwards (another
 * user's rename in a directory they can write, or a write into the file)
 * cannot make what is staged differ from what was verified. Returns the fd,
 * or 0 after adding a finding about this one file, or a negative errno.
 */
static int open_candidate(struct assessment *a, const char *path, const char *base, int *ret_fd) {
        _cleanup_close_ int in = -1;
        const char *problem = plan_package_file_name_problem(base);
        int r;

        *ret_fd = -1;
        if (problem) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "package-file-name",
                             "the staging directory and the plan take plain file names only",
                             "rename the file, e.g. to NAME-VERSION-RELEASE.ARCH.rpm",
                             "%s: the file name %s", path, problem);
                return 0;
        }
        in = open_input(path);
        if (in == -EBADFD || in == -EISDIR) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "package-not-a-file",
                             "only regular files (or symlinks to them) are read as packages",
                             "remove it from the directory, or put the package file itself there",
                             "%s is %s, not a package file", path, file_type_name(path));
                return 0;
        }
        if (in < 0) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "package-unreadable",
                             "the package file cannot be opened",
                             "check the file and its permissions, or remove it from the directory",
                             "%s cannot be opened: %s", path, strerror(-in));
                return 0;
        }
        if (!a->opts->spool_dir) {
                *ret_fd = TAKE_FD(in);
                return 0;
        }

        _cleanup_close_ int out = openat(a->spool_fd, base, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                         0600);
        if (out < 0 && errno == EEXIST) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "package-duplicate-name",
                             "the staging directory holds one file of each name",
                             "keep one of the files, or rename one",
                             "two packages named %s in the --packages or --repo directories", base);
                return 0;
        }
        if (out < 0)
                return log_error_errno(negative_errno(), "cannot create %s/%s", a->opts->spool_dir, base);
        r = copy_fd_data(in, out, COPY_FSYNC, NULL);
        if (r < 0)
                return log_error_errno(r, "cannot copy %s to %s", path, a->opts->spool_dir);
        *ret_fd = TAKE_FD(out);
        return 0;
}

/* expected_sha256: what the repodata says the file is (--repo), or NULL. */
static int add_candidate(struct assessment *a, rpmts ts, rpmKeyring keyring, const char *path,
                         const char *expected_sha256) {
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int pkg = -1;
        struct candidate c = { .fd = -1 };
        const char *base = strrchr(path, '/') + 1;
        bool installed;
        FD_t fd;
        Header h = NULL;
        int cmp, r;

        r = open_candidate(a, path, base, &pkg);
        if (r < 0 || pkg < 0)
                return r;
        /* The digest the plan names, and the staged copy must match. */
        r = sha256_fd(pkg, c.sha256, &c.size);
        if (r < 0) {
                r = log_error_errno(r, "cannot read %s", path);
                goto fail;
        }
        if (expected_sha256 && strcmp(c.sha256, expected_sha256) != 0) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "package-checksum",
                             "the package is not the one the repository's metadata describes",
                             "fetch the package again, or run createrepo_c on the directory again",
                             "%s does not match its sha256 checksum in the repodata", path);
                goto skip;
        }
        r = package_verify_fd(pkg, keyring, &error);
        if (r < 0) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "package-verification",
                             "the package is damaged or not signed by a key you trust; "
                             "installing it could corrupt the system",
                             "fetch the package again from the target release, or give the "
                             "key that signed it with --key",
                             "%s: %s", base, error);
                goto skip;
        }
        fd = lseek(pkg, 0, SEEK_SET) == 0 ? fdDup(pkg) : NULL;
        if (fd && rpmReadPackageFile(ts, fd, base, &h) != RPMRC_FAIL && h) {
                c.nevra = headerGetAsString(h, RPMTAG_NEVRA);
        }
        if (fd)
                Fclose(fd);
        if (!c.nevra) {
                findings_add(&a->findings, SEVERITY_BLOCKER, "package-unreadable",
                             "librpm cannot read the package header", "remove it from the directory",
                             "%s cannot be read", base);
                goto skip;
        }

        c.op = PLAN_OP_UPGRADE;
        c.protects = protected_mask(h);
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

        for (size_t i = 0; i < a->n_candidates; i++) {
                if (strcmp(a->candidates[i].file, base) == 0) {
                        findings_add(&a->findings, SEVERITY_BLOCKER, "package-duplicate-name",
                                     "the staging directory holds one file of each name",
                                     "keep one of the files, or rename one",
                                     "two packages named %s in the --packages or --repo directories", base);
                        goto skip;
                }
                if (strcmp(a->candidates[i].nevra, c.nevra) == 0) {
                        findings_add(&a->findings, SEVERITY_BLOCKER, "package-duplicate",
                                     "the same package twice in the target set",
                                     "keep one of the files",
                                     "%s is both %s and %s", c.nevra, a->candidates[i].file, base);
                        goto skip;
                }
        }

        /* What the transaction's test run reads: with a spool the copy;
         * otherwise the file already open, through /proc, while there
         * are descriptors to spare (else the name, opened again). */
        if (a->opts->spool_dir)
                asprintf(&c.path, "%s/%s", a->opts->spool_dir, base);
        else if (pkg < a->fd_keep_limit) {
                c.fd = TAKE_FD(pkg);
                asprintf(&c.path, "/proc/self/fd/%d", c.fd);
        } else
                c.path = strdup(path);
        c.file = strdup(base);
        if (!c.path || !c.file) {
                free(c.path);
                free(c.file);
                free(c.nevra);
                if (c.fd >= 0)
                        close(c.fd);
                return -ENOMEM;
        }
        struct candidate *p = realloc(a->candidates, (a->n_candidates + 1) * sizeof(*p));
        if (!p)
                return -ENOMEM;
        a->candidates = p;
        a->candidates[a->n_candidates++] = c;
        a->staging_bytes += c.size;
        return 0;

skip:
        r = 0;
fail:
        headerFree(h);
        free(c.nevra);
        /* Not staged: nothing of it stays in the spool. */
        if (a->opts->spool_dir)
                (void) unlinkat(a->spool_fd, base, 0);
        return r;
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
        a->modules = TAKE_PTR(s.modules);
        a->n_modules = s.n_modules;
        s.n_modules = 0;
        for (size_t i = 0; i < s.verdicts.n; i++) {
                const struct verdict *sv = &s.verdicts.v[i];
                struct verdict *v = verdicts_find(&a->verdicts, sv->nevra);

                if (v)
                        verdict_set(v, sv->action, sv->reason, sv->target, sv->event, sv->map_line);
        }
        a->verdicts_decided = s.verdicts.n > 0;
        /* What a move goes to is named as rpm names the candidate, with
         * the epoch of 0 libsolv leaves out (few packages state one). */
        for (size_t i = 0; r >= 0 && i < a->n_candidates; i++)
                verdicts_name_targets(&a->verdicts, a->candidates[i].nevra);
        solve_result_done(&s);
        return r;
}

/* By name, over the packages themselves rather than the Name index: a
 * Berkeley DB rpmdb may hold only Packages (the indexes are rebuilt by
 * rpm, and librpm's read-only bdb_ro backend cannot), and then a lookup
 * in the index finds nothing. */
static int find_erasures(struct assessment *a, rpmts ts) {
        for (size_t i = 0; i < a->opts->n_erase; i++) {
                rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
                Header h;
                int found = 0;

                if (rpmdbSetIteratorRE(mi, RPMTAG_NAME, RPMMIRE_STRCMP, a->opts->erase[i]) < 0) {
                        rpmdbFreeIterator(mi);
                        return -ENOMEM;
                }

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
                r = txn_add_package(t, a->candidates[i].op, a->candidates[i].path,
                                    a->candidates[i].nevra);
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
                        /* rpmlib(...): a feature of librpm itself, which no
                         * package can provide. */
                        if (strncmp(rpmProblemGetStr(p) ?: "", "rpmlib(", 7) == 0) {
                                findings_add(&a->findings, SEVERITY_BLOCKER, "unresolved-dependency",
                                             "the package needs a feature of rpm itself that the "
                                             "upgrader's librpm does not have: it cannot install it",
                                             "leave the package out of the target set and install it "
                                             "after the upgrade with the new release's rpm, or erase it "
                                             "(--erase NAME)",
                                             "%s", text);
                                break;
                        }
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

/*
 * What rpm will erase beyond --erase, and what stays untouched; the
 * verdicts rpm's transaction decides: with --packages all of them, with
 * --repo what the solver left kept and rpm's check erases (--allow-erasing).
 */
static void report_effects(struct assessment *a, rpmts ts, struct txn *t) {
        _cleanup_free_ char **removed = NULL, **added = NULL;
        size_t n_removed = 0, n_added = 0, n_kept = 0;
        rpmtsi it = rpmtsiInit(txn_ts(t));
        rpmdbMatchIterator mi;
        rpmte te;
        Header h;

        while ((te = rpmtsiNext(it, 0)) != NULL) {
                char **p;
                rpmte by;
                struct verdict *v;

                if (rpmteType(te) == TR_ADDED) {
                        p = realloc(added, (n_added + 1) * sizeof(char *));
                        if (!p)
                                break;
                        added = p;
                        added[n_added++] = (char *) rpmteN(te);
                        continue;
                }
                if (rpmteType(te) != TR_REMOVED)
                        continue;
                p = realloc(removed, (n_removed + 1) * sizeof(char *));
                if (!p)
                        break;
                removed = p;
                removed[n_removed++] = (char *) rpmteNEVRA(te);
                by = rpmteDependsOn(te);
                if (!by)
                        findings_add(&a->findings, SEVERITY_INFO, "erased", "", "",
                                     "%s will be erased", rpmteNEVRA(te));
                else if (strcmp(rpmteN(by), rpmteN(te)) != 0)
                        findings_add(&a->findings, SEVERITY_INFO, "obsoleted", "", "",
                                     "%s is replaced by %s", rpmteNEVRA(te), rpmteNEVRA(by));
                v = verdicts_find(&a->verdicts, rpmteNEVRA(te));
                if (!v || v->action != VERDICT_KEEP)
                        continue; /* the solver's verdict, and why */
                if (by)
                        verdict_set(v, VERDICT_MOVE, strcmp(rpmteN(by), rpmteN(te)) == 0 ? VERDICT_NAME :
                                                                                            VERDICT_OBSOLETES,
                                    rpmteNEVRA(by), 0, 0);
                else
                        verdict_set(v, VERDICT_ERASE,
                                    strv_contains(a->opts->erase, a->opts->n_erase, rpmteN(te)) ?
                                            VERDICT_ERASE_OPTION : VERDICT_ALLOW_ERASING,
                                    NULL, 0, 0);
        }
        /* Kept beside a new one of its name (kernels), when rpm says so. */
        for (size_t i = 0; i < a->verdicts.n; i++) {
                struct verdict *v = &a->verdicts.v[i];

                if (v->action == VERDICT_KEEP && v->reason == VERDICT_NOT_IN_TARGET &&
                    strv_contains(added, n_added, v->name))
                        verdict_set(v, VERDICT_KEEP, VERDICT_INSTALL_ONLY, NULL, 0, 0);
        }
        a->verdicts_decided = true;
        mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        while ((h = rpmdbNextIterator(mi)) != NULL) {
                _cleanup_free_ char *nevra = headerGetAsString(h, RPMTAG_NEVRA);
                const struct verdict *v;

                if (strv_contains(removed, n_removed, nevra) || strcmp(headerGetString(h, RPMTAG_NAME), "gpg-pubkey") == 0)
                        continue;
                n_kept++;
                v = verdicts_find(&a->verdicts, nevra);
                findings_add(&a->findings, SEVERITY_INFO, "kept", "", "", "%s stays installed (%s)", nevra,
                             v && v->reason == VERDICT_SAME_VERSION ? "the target holds the same" :
                             v && v->reason == VERDICT_INSTALL_ONLY ? "a new one of its name is installed beside it" :
                                                                      "nothing in the target replaces it");
        }
        rpmdbFreeIterator(mi);
        rpmtsiFree(it);
        (void) n_kept;
}

/*
 * Refuses a plan after which the system would lack something it cannot
 * boot or be repaired without (dnf's protected packages): a kernel, /bin/sh,
 * rpm, an init system, a boot loader. Each only when the installed system
 * has one: a container image or a test root may have no kernel.
 */
static void check_protected(struct assessment *a, rpmts ts, struct txn *t) {
        char *lost_by[ELEMENTSOF(protected_things)] = {}; /* freed at the end, each */
        char **removed = NULL;
        size_t n_removed = 0;
        unsigned had = 0, keeps = 0;
        rpmdbMatchIterator mi;
        Header h;

        if (txn_removed(t, &removed, &n_removed) < 0)
                return;
        mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        while ((h = rpmdbNextIterator(mi)) != NULL) {
                _cleanup_free_ char *nevra = NULL;
                unsigned m = protected_mask(h);

                if (m == 0)
                        continue;
                had |= m;
                nevra = headerGetAsString(h, RPMTAG_NEVRA);
                if (!nevra || !strv_contains(removed, n_removed, nevra)) {
                        keeps |= m;
                        continue;
                }
                for (size_t i = 0; i < ELEMENTSOF(protected_things); i++)
                        if ((m & protected_things[i].bit) && !lost_by[i])
                                lost_by[i] = strdup(nevra);
        }
        rpmdbFreeIterator(mi);
        strv_free(removed, n_removed);
        for (size_t i = 0; i < a->n_candidates; i++)
                keeps |= a->candidates[i].protects;

        for (size_t i = 0; i < ELEMENTSOF(protected_things); i++) {
                if (!(had & protected_things[i].bit) || (keeps & protected_things[i].bit))
                        continue;
                if (a->opts->force_unprotected)
                        findings_add(&a->findings, SEVERITY_WARNING, "protected-forced",
                                     "--force-unprotected: the upgraded system will lack it",
                                     "install one before the system needs it",
                                     "after the upgrade there is no %s (%s is erased)",
                                     protected_things[i].what, lost_by[i] ?: "?");
                else
                        findings_add(&a->findings, SEVERITY_BLOCKER, "protected",
                                     "the upgraded system would have nothing providing it, and could "
                                     "not boot or be repaired",
                                     "add a package providing it to the target set, or do not erase "
                                     "it (--erase, --allow-erasing); --force-unprotected overrides "
                                     "this check",
                                     "after the upgrade there would be no %s: %s is erased and "
                                     "nothing in the target provides one",
                                     protected_things[i].what, lost_by[i] ?: "it");
        }
        for (size_t i = 0; i < ELEMENTSOF(protected_things); i++)
                free(lost_by[i]);
}

static void check_staging_space(struct assessment *a) {
        char path[PATH_MAX];
        struct statvfs sv;

        /* The staging directory's parent exists on every system. */
        if (path_in_root(path, sizeof(path), a->opts->root, "/var/lib") < 0 || statvfs(path, &sv) < 0)
                return;
        uint64_t avail = (uint64_t) sv.f_bavail * sv.f_frsize;
        /* stage's spool holds the packages already, on this file system. */
        if (a->opts->spool_dir)
                avail += a->staging_bytes;
        if (avail < a->staging_bytes + a->staging_bytes / 10)
                findings_add(&a->findings, SEVERITY_BLOCKER, "staging-space",
                             "the staged packages are copied to " OSLIFT_STATE_DIR " and stay there "
                             "during the transaction",
                             "free space on the filesystem holding /var/lib",
                             "staging needs %llu MiB in %s, %llu MiB are free",
                             (unsigned long long) (a->staging_bytes * 11 / 10 >> 20), path,
                             (unsigned long long) (avail >> 20));
}

/* The bytes of the regular files in directory path (the rpmdb's). */
static uint64_t dir_files_bytes(const char *path) {
        DIR *d = opendir(path);
        struct dirent *de;
        uint64_t bytes = 0;

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
                        bytes += (uint64_t) st.st_size;
        }
        closedir(d);
        return bytes;
}

/*
 * What the upgrader's undo set (stage --rollback=links, upgrader(8)) will
 * take on the file system of /var/lib, besides the staged packages: the
 * rpmdb and the %config files of the packages the transaction removes,
 * copied, and the files of theirs on other file systems, copied too; and
 * the old versions of their other files, which the hard links keep
 * allocated after rpm has replaced them (rpm's own space check counts
 * them as freed). A blocker when that does not fit.
 */
static void check_undo_space(struct assessment *a, rpmts ts, struct txn *t) {
        _cleanup_free_ char *dbpath = NULL;
        char **removed = NULL, path[PATH_MAX], file[PATH_MAX];
        uint64_t db_bytes = 0, copies = 0, linked = 0, avail, needed;
        unsigned n_linked = 0;
        size_t n_removed = 0;
        rpmdbMatchIterator mi;
        struct statvfs sv;
        struct stat vst;
        Header h;

        if (a->opts->rollback_none)
                return;
        if (path_in_root(path, sizeof(path), a->opts->root, "/var/lib") < 0 || statvfs(path, &sv) < 0 ||
            stat(path, &vst) < 0 || txn_removed(t, &removed, &n_removed) < 0)
                return;
        if (rpmdb_path(a->opts->root, &dbpath) == 0)
                db_bytes = dir_files_bytes(dbpath);
        mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        while ((h = rpmdbNextIterator(mi)) != NULL) {
                _cleanup_free_ char *nevra = headerGetAsString(h, RPMTAG_NEVRA);
                rpmfi fi;

                if (!nevra || !strv_contains(removed, n_removed, nevra))
                        continue;
                fi = rpmfiNew(ts, h, RPMTAG_BASENAMES, RPMFI_FLAGS_QUERY);
                while (fi && rpmfiNext(fi) >= 0) {
                        struct stat st;

                        if (!S_ISREG(rpmfiFMode(fi)) || (rpmfiFFlags(fi) & RPMFILE_GHOST) ||
                            path_in_root(file, sizeof(file), a->opts->root, rpmfiFN(fi)) < 0 ||
                            lstat(file, &st) < 0 || !S_ISREG(st.st_mode))
                                continue;
                        if ((rpmfiFFlags(fi) & RPMFILE_CONFIG) || st.st_dev != vst.st_dev)
                                copies += (uint64_t) st.st_size;
                        else {
                                linked += (uint64_t) st.st_size;
                                n_linked++;
                        }
                }
                rpmfiFree(fi);
        }
        rpmdbFreeIterator(mi);
        strv_free(removed, n_removed);

        avail = (uint64_t) sv.f_bavail * sv.f_frsize;
        if (a->opts->spool_dir)
                avail += a->staging_bytes;
        needed = db_bytes + copies + linked;
        findings_add(&a->findings, SEVERITY_INFO, "undo-set", "", "",
                     "the undo set for 'host-prep rollback' takes about %llu KiB in " OSLIFT_UNDO_DIR ": the rpmdb "
                     "(%llu KiB) and %%config files or files on other file systems (%llu KiB) copied, the old "
                     "versions of %u replaced files (%llu KiB) kept by hard links",
                     (unsigned long long) (needed >> 10), (unsigned long long) (db_bytes >> 10),
                     (unsigned long long) (copies >> 10), n_linked, (unsigned long long) (linked >> 10));
        if (avail < a->staging_bytes + a->staging_bytes / 10 + needed)
                findings_add(&a->findings, SEVERITY_BLOCKER, "undo-space",
                             "the undo set the upgrader keeps for 'host-prep rollback' would not fit beside the "
                             "staged packages on the file system holding /var/lib",
                             "free space there, or stage with --rollback=none to upgrade without a way back",
                             "the undo set needs %llu MiB and the staged packages %llu MiB in %s, %llu MiB are free",
                             (unsigned long long) (needed >> 20),
                             (unsigned long long) (a->staging_bytes * 11 / 10 >> 20), path,
                             (unsigned long long) (avail >> 20));
}

/* The upgrade runs from a one-time GRUB entry and an initramfs in /boot. */
static void check_boot(struct assessment *a) {
        _cleanup_free_ char *reason = NULL;
        uint64_t needed, available;

        bool own = strcmp(a->opts->root, "/") == 0;

        if ((!own && !a->opts->boot_initramfs) || a->opts->no_boot)
                return;
        if (boot_entry_check(a->opts->root, NULL, &reason) < 0)
                findings_add(&a->findings, SEVERITY_BLOCKER, "boot-entry",
                             "the upgrade runs from a one-time GRUB boot entry, which cannot be set up here",
                             "fix what is named", "%s", reason ?: "the upgrade boot cannot be armed");
        if (!own) {
                /* Built beforehand: there is no /boot space to judge. */
                _cleanup_free_ char *image = root_path_join(a->opts->root, a->opts->boot_initramfs);
                struct stat st;
                if (image && (stat(image, &st) < 0 || !S_ISREG(st.st_mode)))
                        findings_add(&a->findings, SEVERITY_BLOCKER, "boot-entry",
                                     "the upgrade runs from a one-time GRUB boot entry, which cannot be set up here",
                                     "build the upgrade initramfs there first (dracut --add oslift on the "
                                     "system itself)", "the upgrade initramfs %s does not exist", image);
                return;
        }
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

/* Whoever else can write a directory the packages come from can put other
 * packages there, or swap one while it is read. Reading each file once
 * makes a swap harmless to what is staged, but not to what is chosen. */
static void warn_writable_dirs(struct assessment *a, const char *option, char **dirs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                struct stat st;

                if (stat(dirs[i], &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (st.st_uid == 0 && !(st.st_mode & S_IWOTH) && !((st.st_mode & S_IWGRP) && st.st_gid != 0))
                        continue;
                findings_add(&a->findings, SEVERITY_WARNING, "package-dir-writable",
                             "someone other than root can add, replace or change the packages while "
                             "they are checked and staged",
                             "make the directory (and the files in it) owned and writable by root "
                             "only, or copy the packages into a directory that is",
                             "%s %s is writable by %s", option, dirs[i],
                             st.st_uid != 0 ? "its owner, who is not root" :
                             (st.st_mode & S_IWOTH) ? "everyone" : "its group, which is not root's");
        }
}

/* The system-level checks (syscheck.h) on the installed system and the
 * chosen target packages. */
static int run_syschecks(struct assessment *a, rpmts ts) {
        _cleanup_free_ char **paths = calloc(a->n_candidates + 1, sizeof(char *));

        if (!paths)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_candidates; i++)
                paths[i] = a->candidates[i].path;
        return syschecks_run(a->opts->root, ts, paths, a->n_candidates, a->source_key_ids, a->n_source_key_ids,
                             a->opts->n_source_keys > 0, a->verdicts_decided ? &a->verdicts : NULL,
                             &a->findings);
}

int assess(const struct assess_options *opts, struct assessment *a) {
        struct rpm_messages_scope quiet = { .demote_warnings = 1 };
        char **paths = NULL;
        size_t n_paths = 0;
        rpmKeyring keyring = NULL;
        rpmts ts = NULL;
        struct txn *t = NULL;
        int r;

        *a = (struct assessment) { .opts = opts, .spool_fd = -1 };
        if (!opts->spool_dir) {
                /* check keeps each package open until rpm's test run has
                 * read it: as many descriptors as the system allows, and
                 * some to spare for librpm. */
                struct rlimit rl;

                if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                        if (rl.rlim_cur < rl.rlim_max) {
                                rl.rlim_cur = rl.rlim_max;
                                (void) setrlimit(RLIMIT_NOFILE, &rl);
                                (void) getrlimit(RLIMIT_NOFILE, &rl);
                        }
                        if (rl.rlim_cur > 256)
                                a->fd_keep_limit = rl.rlim_cur > INT_MAX ? INT_MAX - 128 : (int) rl.rlim_cur - 128;
                }
        }
        if (opts->spool_dir) {
                a->spool_fd = open(opts->spool_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (a->spool_fd < 0)
                        return log_error_errno(negative_errno(), "cannot open %s", opts->spool_dir);
        }
        warn_writable_dirs(a, "--packages", opts->package_dirs, opts->n_package_dirs);
        warn_writable_dirs(a, "--repo", opts->repo_dirs, opts->n_repo_dirs);
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
                a->key_texts = calloc(opts->n_keys, sizeof(*a->key_texts));
                if (!a->key_texts)
                        return -ENOMEM;
                if (keyring_load(opts->keys, opts->n_keys, &keyring, a->key_texts, &error) < 0) {
                        log_error("--key: %s", error);
                        return -EINVAL;
                }
                a->n_key_texts = opts->n_keys;
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
        /* Reading the packages' headers, rpm checks their signatures against
         * the ts's keyring, by default the rpmdb's: with --key, the keys
         * package_verify() enforced, so that a package they signed does not
         * make rpm say NOKEY (which reads like a failure). */
        if (keyring)
                rpmtsSetKeyring(ts, keyring);
        r = signer_source_keys(opts->source_keys, opts->n_source_keys, ts, &a->source_key_ids,
                               &a->n_source_key_ids);
        if (r < 0)
                goto done;
        /* A package the target's own keys signed is the distribution's too
         * (Red Hat signs RHEL 7 and 8 with one key); only beside known
         * source keys: alone they would make every installed package
         * third-party. */
        for (size_t i = 0; a->n_source_key_ids > 0 && i < a->n_key_texts; i++)
                signer_key_file_ids(a->key_texts[i].text, &a->source_key_ids, &a->n_source_key_ids);
        verdicts_classify(&a->verdicts, a->source_key_ids, a->n_source_key_ids);
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
        r = run_syschecks(a, ts);
        if (r < 0)
                goto done;
        /* Before the gate: an accepted risk does not stop rpm's checks. */
        accept_mark(&a->findings, opts->accept, opts->n_accept);

        if (findings_have_blockers(&a->findings))
                goto done; /* rpm's checks would only repeat what is known */
        r = resolve(a, &t);
        if (r < 0 || !t || findings_have_blockers(&a->findings))
                goto done;
        report_effects(a, ts, t);
        check_undo_space(a, ts, t);
        check_protected(a, ts, t);
        if (findings_have_blockers(&a->findings))
                goto done;

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
        accept_mark(&a->findings, opts->accept, opts->n_accept);
        accept_note_unused(&a->findings, opts->accept, opts->n_accept);
        txn_free(t);
        if (ts)
                rpmtsFree(ts);
        rpmKeyringFree(keyring);
        strv_free(TAKE_PTR(paths), n_paths);
        return r < 0 && r != -ENOENT && r != -EIO ? r : 0;
}

void assessment_done(struct assessment *a) {
        for (size_t i = 0; i < a->n_candidates; i++) {
                if (a->candidates[i].fd >= 0)
                        close(a->candidates[i].fd);
                free(a->candidates[i].path);
                free(a->candidates[i].file);
                free(a->candidates[i].nevra);
        }
        free(a->candidates);
        for (size_t i = 0; i < a->n_key_texts; i++)
                free(a->key_texts[i].text);
        free(a->key_texts);
        if (a->spool_fd >= 0)
                close(a->spool_fd);
        a->spool_fd = -1;
        strv_free(a->erase_nevras, a->n_erase_nevras);
        enabled_modules_free(a->modules, a->n_modules);
        verdicts_done(&a->verdicts);
        strv_free(a->source_key_ids, a->n_source_key_ids);
        free(a->fingerprint);
        findings_done(&a->findings);
}
