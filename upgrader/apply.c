/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Applying a staged plan to a root directory. Everything that can refuse
 * the plan runs first and only reads; the first write (the log) comes after
 * the last check, so a refused plan leaves the root exactly as it was.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmts.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "console.h"
#include "digest.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"
#include "plan.h"
#include "rpm-messages.h"
#include "rpmdb.h"
#include "status.h"
#include "transaction.h"
#include "verify.h"

struct apply {
        const char *root;
        char state_dir[PATH_MAX];
        char packages_dir[PATH_MAX];
        struct plan *plan;
        enum rpmdb_backend backend;
        struct timespec started;
        struct upgrade_status status;
        /* Opened before the transaction: librpm runs our progress callback
         * chrooted into the root, where root-relative paths do not resolve. */
        int state_dir_fd;
        FILE *log;
};

static int load_plan(struct apply *a) {
        _cleanup_free_ char *error = NULL;
        char path[PATH_MAX + 8];
        int r;

        snprintf(path, sizeof(path), "%s/plan", a->state_dir);
        r = plan_load(AT_FDCWD, path, &a->plan, &error);
        if (r == -ENOENT)
                log_error("no staged plan in %s; run 'host-prep stage' first", a->state_dir);
        else if (r < 0)
                log_error("the plan %s cannot be used: %s; run 'host-prep cancel', then "
                          "'host-prep stage' again", path, error ?: strerror(-r));
        return r;
}

/* The files are the ones stage verified: same size, same SHA-256. */
static int verify_staged_files(struct apply *a) {
        _cleanup_close_ int dfd = open(a->packages_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

        if (dfd < 0)
                return log_error_errno(negative_errno(), "cannot open the staged packages in %s",
                                       a->packages_dir);
        for (size_t i = 0; i < a->plan->n_packages; i++) {
                const struct plan_package *p = &a->plan->packages[i];
                char sha256[SHA256_HEX_SIZE];
                uint64_t size;
                int r;

                if (p->op == PLAN_OP_ERASE)
                        continue;
                r = sha256_file(dfd, p->file, sha256, &size);
                if (r == -ENOENT) {
                        log_error("staged package %s is missing from %s; run 'host-prep stage' again",
                                  p->file, a->packages_dir);
                        return r;
                }
                if (r < 0)
                        return log_error_errno(r, "cannot read staged package %s", p->file);
                if (size != p->size || strcmp(sha256, p->sha256) != 0) {
                        log_error("staged package %s was modified after staging (SHA-256 %s, plan "
                                  "says %s); run 'host-prep stage' again",
                                  p->file, sha256, p->sha256);
                        return -EBADMSG;
                }
        }
        return 0;
}

/* Digests and, when stage enforced keys, signatures: as rpmkeys -K. */
static int verify_signatures(struct apply *a) {
        _cleanup_free_ char **key_paths = calloc(a->plan->n_keys + 1, sizeof(char *));
        rpmKeyring keyring = NULL;
        int r = 0;

        if (!key_paths)
                return -ENOMEM;
        for (size_t i = 0; i < a->plan->n_keys; i++) {
                char key[PATH_MAX];
                snprintf(key, sizeof(key), OSLIFT_KEYS_DIR "/%s", a->plan->keys[i]);
                if (!(key_paths[i] = root_path_join(a->root, key)))
                        return -ENOMEM;
        }
        if (a->plan->n_keys > 0) {
                _cleanup_free_ char *error = NULL;
                r = keyring_load(key_paths, a->plan->n_keys, &keyring, &error);
                if (r < 0)
                        log_error("staged key unusable: %s; run 'host-prep stage' again", error);
        }
        for (size_t i = 0; r == 0 && i < a->plan->n_packages; i++) {
                const struct plan_package *p = &a->plan->packages[i];
                _cleanup_free_ char *error = NULL;
                char path[PATH_MAX * 2];

                if (p->op == PLAN_OP_ERASE)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", a->packages_dir, p->file);
                r = package_verify(path, keyring, &error);
                if (r < 0)
                        log_error("staged package %s fails verification: %s", p->file, error);
        }
        for (size_t i = 0; i < a->plan->n_keys; i++)
                free(key_paths[i]);
        rpmKeyringFree(keyring);
        return r;
}

/* The rpmdb must be the one the plan was made against. */
static int verify_fingerprint(struct apply *a) {
        struct rpm_messages_scope quiet = { .demote_warnings = 1 };
        rpmts ts = rpmtsCreate();
        char *cookie = NULL;
        int r = 0;

        rpm_messages_push(&quiet);
        rpmtsSetRootDir(ts, a->root);
        if (rpmtsOpenDB(ts, O_RDONLY) == 0)
                cookie = rpmdbCookie(rpmtsGetRdb(ts));
        rpmtsFree(ts);
        rpm_messages_pop(&quiet);
        if (!cookie) {
                log_error("the rpm database in %s cannot be read", a->root);
                return -EIO;
        }
        if (strcmp(cookie, a->plan->source_fingerprint) != 0) {
                log_error("the installed packages changed since the plan was staged (rpmdb "
                          "fingerprint %s, plan says %s); run 'host-prep stage' again",
                          cookie, a->plan->source_fingerprint);
                r = -ESTALE;
        }
        free(cookie);
        return r;
}

static int build_transaction(struct apply *a, struct txn **ret) {
        _cleanup_(txn_freep) struct txn *t = NULL;
        int r = txn_new(a->root, &t);

        if (r < 0)
                return r;
        for (size_t i = 0; i < a->plan->n_packages; i++) {
                const struct plan_package *p = &a->plan->packages[i];
                char path[PATH_MAX * 2];

                if (p->op == PLAN_OP_ERASE) {
                        r = txn_add_erase(t, p->nevra);
                        if (r == -ENOENT) {
                                log_error("the plan erases %s, which is not installed", p->nevra);
                                return r;
                        }
                        continue;
                }
                snprintf(path, sizeof(path), "%s/%s", a->packages_dir, p->file);
                r = txn_add_package(t, p->op, path);
                if (r < 0) {
                        log_error("rpm cannot add staged package %s to the transaction", p->file);
                        return r;
                }
        }
        *ret = TAKE_PTR(t);
        return 0;
}

static void log_problems(rpmps ps, const char *what) {
        rpmpsi it = rpmpsInitIterator(ps);
        rpmProblem p;

        log_error("%s:", what);
        while ((p = rpmpsiNext(it)) != NULL) {
                char *s = rpmProblemString(p);
                log_error("  %s", s);
                free(s);
        }
        rpmpsFreeIterator(it);
}

/* rpm's dependency check against the installed rpmdb, read-only. */
static int check_transaction(struct apply *a) {
        _cleanup_(txn_freep) struct txn *t = NULL;
        rpmps problems = NULL;
        int r = build_transaction(a, &t);

        if (r < 0)
                return r;
        r = txn_check(t, &problems);
        if (r == -EPROTO) {
                log_problems(problems, "the staged transaction does not resolve against the "
                                       "installed packages (nothing was changed)");
                rpmpsFree(problems);
        }
        return r;
}

static void set_status(struct apply *a, enum upgrade_state state, const char *fmt, ...) _printf_(3, 4);
static void set_status(struct apply *a, enum upgrade_state state, const char *fmt, ...) {
        va_list ap;
        int r;

        a->status.state = state;
        va_start(ap, fmt);
        vsnprintf(a->status.message, sizeof(a->status.message), fmt, ap);
        va_end(ap);
        r = a->state_dir_fd >= 0 ? status_write_at(a->state_dir_fd, &a->status) : status_write(a->root, &a->status);
        if (r < 0)
                log_error_errno(r, "cannot write %s", OSLIFT_STATUS_FILE);
}

static int open_log(struct apply *a) {
        char path[PATH_MAX];
        int r;

        r = mkdir_in_root(a->root, OSLIFT_LOG_DIR, 0755);
        if (r < 0)
                return log_error_errno(r, "cannot create %s in %s", OSLIFT_LOG_DIR, a->root);
        path_in_root(path, sizeof(path), a->root, OSLIFT_UPGRADE_LOG);
        a->log = fopen(path, "ae");
        if (!a->log)
                return log_error_errno(negative_errno(), "cannot open %s", path);
        log_set_file(a->log);
        return 0;
}

/*
 * librpm 4.18 cannot write a Berkeley DB (CentOS 7/8): convert it to
 * sqlite first, as `rpmdb --rebuilddb` does, keeping the original files
 * until restore has finished.
 */
static int convert_rpmdb(struct apply *a) {
        _cleanup_free_ char *dbpath = NULL;
        char backup[PATH_MAX];
        rpmts ts;
        int r;

        if (a->backend != RPMDB_BACKEND_BDB)
                return 0;
        r = rpmdb_path(a->root, &dbpath);
        if (r < 0)
                return r;
        path_in_root(backup, sizeof(backup), a->root, OSLIFT_RPMDB_BACKUP_DIR);
        log_info("keeping a copy of the original rpmdb in %s", backup);
        r = copy_dir_files(dbpath, backup);
        if (r < 0)
                return log_error_errno(r, "cannot back up %s", dbpath);

        log_info("converting the rpmdb from Berkeley DB to sqlite");
        rpmPushMacro(NULL, "_db_backend", NULL, "sqlite", RMIL_CMDLINE);
        ts = rpmtsCreate();
        rpmtsSetRootDir(ts, a->root);
        r = rpmtsRebuildDB(ts);
        rpmtsFree(ts);
        if (r != 0) {
                log_error("converting the rpmdb failed; the original is in %s", backup);
                return -EIO;
        }
        a->backend = RPMDB_BACKEND_SQLITE;
        return 0;
}

static double seconds_since(const struct timespec *t0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double) (now.tv_sec - t0->tv_sec) + (double) (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_progress(unsigned done, unsigned total, const char *verb, const char *what, void *userdata) {
        struct apply *a = userdata;
        char eta[PROGRESS_ETA_SIZE];

        /* The ETA is only on at boot, where nobody else tells the time. */
        log_info("[%*u/%u %3u%%] %s %s%s", total >= 1000 ? 4 : total >= 100 ? 3 : 2, done, total,
                 total ? done * 100 / total : 100, verb, what, progress_eta(done, total, eta));
        /* Fleet tools poll status.json: keep it current, at every tenth of
         * the way (each write is an fsync'ed rename, not free). */
        unsigned tenth_before = total ? a->status.packages_done * 10 / total : 0;
        a->status.packages_done = done;
        a->status.packages_total = total;
        if (total && done * 10 / total != tenth_before)
                set_status(a, UPGRADE_APPLYING, "%s %s", verb, what);
}

static int run_transaction(struct apply *a, struct upgrade_outcome *out) {
        _cleanup_(txn_freep) struct txn *t = NULL;
        rpmps problems = NULL;
        int r;

        r = build_transaction(a, &t);
        if (r < 0)
                return r;
        r = txn_check(t, &problems);
        if (r == 0)
                r = txn_run(t, false, on_progress, a, &problems);
        if (r == -EPROTO) {
                log_problems(problems, "rpm refused the transaction");
                rpmpsFree(problems);
        }
        txn_take_outcome(t, out);
        a->status.scriptlet_failures = (unsigned) out->n_script_failures;
        return r;
}

int apply_plan(const char *root) {
        struct apply a = { .root = root, .state_dir_fd = -1 };
        struct upgrade_outcome out = {};
        int r;

        clock_gettime(CLOCK_MONOTONIC, &a.started);
        path_in_root(a.state_dir, sizeof(a.state_dir), root, OSLIFT_STATE_DIR);
        path_in_root(a.packages_dir, sizeof(a.packages_dir), root, OSLIFT_PACKAGES_DIR);

        /* Checks: read-only. */
        r = load_plan(&a);
        if (r < 0)
                goto refused;
        log_info("verifying %zu staged packages", a.plan->n_packages);
        r = verify_staged_files(&a);
        if (r < 0)
                goto refused;
        r = verify_signatures(&a);
        if (r < 0)
                goto refused;
        r = rpmdb_detect_backend(root, &a.backend);
        if (r < 0 || a.backend == RPMDB_BACKEND_NONE) {
                log_error("no rpm database in %s", root);
                r = -ENOENT;
                goto refused;
        }
        r = verify_fingerprint(&a);
        if (r < 0)
                goto refused;
        r = check_transaction(&a);
        if (r < 0)
                goto refused;

        /* From here on the root changes. */
        a.state_dir_fd = staging_dir_open(root);
        r = open_log(&a);
        if (r < 0)
                goto refused;
        timestamp_now(a.status.started);
        set_status(&a, UPGRADE_APPLYING, "applying %zu packages", a.plan->n_packages);
        r = convert_rpmdb(&a);
        if (r < 0)
                goto failed;

        log_info("applying the transaction");
        r = run_transaction(&a, &out);
        out.seconds = seconds_since(&a.started);
        if (r < 0)
                goto failed;

        snprintf(out.result, sizeof(out.result), "applied");
        r = upgrade_outcome_write(root, &out);
        if (r < 0)
                log_error_errno(r, "cannot record the outcome for restore");
        set_status(&a, UPGRADE_APPLIED, "applied: %u installed, %u erased, %zu scriptlet failures",
                   out.installed, out.erased, out.n_script_failures);
        log_info("upgrade applied in %.1f s: %u installed, %u erased, %zu scriptlet failures, "
                 "%zu config files kept (.rpmnew/.rpmsave)",
                 out.seconds, out.installed, out.erased, out.n_script_failures, out.n_config_files);
        upgrade_outcome_done(&out);
        plan_free(a.plan);
        log_set_file(NULL);
        fclose(a.log);
        close(a.state_dir_fd);
        return 0;

failed:
        snprintf(out.result, sizeof(out.result), "failed");
        upgrade_outcome_write(root, &out);
        set_status(&a, UPGRADE_FAILED, "failed: see %s", OSLIFT_UPGRADE_LOG);
        char log_path[PATH_MAX];
        path_in_root(log_path, sizeof(log_path), root, OSLIFT_UPGRADE_LOG);
        log_error("the upgrade failed; the log is %s", log_path);
        upgrade_outcome_done(&out);
        plan_free(a.plan);
        log_set_file(NULL);
        if (a.log)
                fclose(a.log);
        if (a.state_dir_fd >= 0)
                close(a.state_dir_fd);
        return r;

refused:
        log_error("nothing was changed in %s", root);
        plan_free(a.plan);
        return r;
}
