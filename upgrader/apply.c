/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Applying a staged plan to a root directory; see apply.h. The order of
 * the writes is the protocol of docs/journal.md:
 *
 *   boot switch on -> "attempt" -> rpmdb backup -> "backup" -> conversion
 *   -> "converted" -> "erase"..., "begin" -> the transaction, "done" per
 *   element and a checkpoint every K -> syncfs -> "finished applied" (or
 *   "finished applied-with-problems" when rpm failed elements) -> boot
 *   switch off -> outcome and status.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
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
#include "boot-record.h"
#include "chase.h"
#include "checkpoint.h"
#include "console.h"
#include "digest.h"
#include "fsutil.h"
#include "journal.h"
#include "log.h"
#include "paths.h"
#include "plan.h"
#include "resume.h"
#include "rollback-request.h"
#include "root-lock.h"
#include "rpm-messages.h"
#include "rpmdb-commits.h"
#include "rpmdb-lock.h"
#include "rpmdb.h"
#include "staging-check.h"
#include "status.h"
#include "strv.h"
#include "transaction.h"
#include "time-util.h"
#include "undo.h"
#include "utf8.h"
#include "undo-boot.h"

struct apply {
        const char *root;
        const struct apply_options *options;
        char state_dir[PATH_MAX];
        char packages_dir[PATH_MAX];
        /* Opened before anything else: librpm runs our callbacks chrooted
         * into the root, where root-relative paths do not resolve. */
        int state_dir_fd;
        int rpm_lock_fd; /* rpm's transaction lock, from the checks on */
        struct plan *plan;
        char plan_sha256[SHA256_HEX_SIZE];
        struct journal journal; /* as found: what earlier attempts did */
        bool resuming;
        bool no_plan; /* nothing staged: nothing to record a refusal in */
        unsigned attempt;
        char *grubenv; /* the boot switch, when the root was armed: the record's */
        enum rpmdb_backend backend;
        struct timespec started;
        struct upgrade_status status;
        struct journal_writer *writer;
        struct journal_writer *removed_writer; /* into a removed state directory */
        bool state_lost; /* a scriptlet removed the state directory */
        struct checkpoint *checkpoint;
        struct txn *running; /* the transaction rpm is running now */
        bool begin_noted;
        /* What the full transaction removes (its check finds it): the
         * packages whose files the undo set keeps. */
        char **removed;
        size_t n_removed;
        char **added_dirs; /* the directories above what it installs */
        size_t n_added_dirs;
        unsigned elements_tenth; /* of this run's elements, for status.json's updates */
        /* The plan's entries sorted by NEVRA, for counting them as rpm's
         * elements finish (a lookup per element). */
        const struct plan_package **entries;
        int checkpoint_error;
        /* How much of the running transaction's outcome is in the journal. */
        size_t notes_written[_JOURNAL_NOTE_MAX];
        FILE *log;
};

/* The first error of a refusal goes into status.json: what `host-prep
 * status` shows the operator after the old system has booted again. */
static char first_error[STATUS_MESSAGE_SIZE - 64];

static void catch_first_error(enum log_level level, const char *line, void *userdata) {
        static const char prefix[] = "error: ";

        size_t n = strlen(first_error);

        if (level != LOG_LEVEL_ERROR)
                return;
        if (strncmp(line, prefix, strlen(prefix)) == 0)
                line += strlen(prefix);
        if (n == 0)
                snprintf(first_error, sizeof(first_error), "%s", line);
        else if (first_error[n - 1] == ':') /* a list follows: its first item */
                snprintf(first_error + n, sizeof(first_error) - n, " %s", line + strspn(line, " "));
}

void crash_point(const char *name) {
        const char *at = getenv("OSLIFT_CRASH_AT");

        if (!at || strcmp(at, name) != 0)
                return;
        log_error("OSLIFT_CRASH_AT=%s: stopping dead here, as a power cut would", name);
        raise(SIGKILL);
}

static void alive(struct apply *a) {
        if (a->options->alive)
                a->options->alive();
}

static void set_status(struct apply *a, enum upgrade_state state, const char *fmt, ...) _printf_(3, 4);
static void set_status(struct apply *a, enum upgrade_state state, const char *fmt, ...) {
        va_list ap;
        int r;

        a->status.state = state;
        va_start(ap, fmt);
        vsnprintf(a->status.message, sizeof(a->status.message), fmt, ap);
        va_end(ap);
        r = status_write_at(a->state_dir_fd, &a->status);
        if (r < 0)
                log_error_errno(r, "cannot write %s", OSLIFT_STATUS_FILE);
}

/* ---- checks: read-only --------------------------------------------------- */

static int load_plan(struct apply *a) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = plan_load(a->state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_PLAN_FILE), &a->plan, &error);
        a->no_plan = r == -ENOENT;
        if (r == -ENOENT)
                log_error("no staged plan in %s; run 'host-prep stage' first", a->state_dir);
        else if (r < 0)
                log_error("the plan %s/plan cannot be used: %s; run 'host-prep cancel', then "
                          "'host-prep stage' again", a->state_dir, error ?: strerror(-r));
        if (r < 0)
                return r;
        r = sha256_file(a->state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_PLAN_FILE), a->plan_sha256, NULL);
        if (r < 0)
                return log_error_errno(r, "cannot read %s/plan", a->state_dir);
        return 0;
}

/* What earlier attempts did, and whether this one may go on. */
static int load_journal(struct apply *a) {
        struct journal *j = &a->journal;
        int r = journal_read_at(a->state_dir_fd, j);

        if (r == -ENOENT || (r == 0 && !j->plan_sha256[0])) {
                journal_done(j);
                a->attempt = 1;
                return 0;
        }
        if (r == -EBADFD || r == -ELOOP || r == -EISDIR) {
                log_error("the upgrade journal %s is not a regular file (a symlink, a FIFO or another special "
                          "file): whether an earlier attempt changed the system cannot be told, so nothing is "
                          "done; see 'host-prep status'", OSLIFT_JOURNAL_FILE);
                return r;
        }
        if (r < 0) {
                log_error("the upgrade journal %s is damaged (%s): whether an earlier attempt changed the "
                          "system cannot be told, so nothing is done", OSLIFT_JOURNAL_FILE, strerror(-r));
                log_error("boot the old system and see 'host-prep status' and %s", OSLIFT_UPGRADE_LOG);
                return r;
        }
        if (strcmp(j->plan_sha256, a->plan_sha256) != 0) {
                log_error("the upgrade journal %s belongs to another plan than the staged one; run "
                          "'host-prep cancel', then 'host-prep stage' again", OSLIFT_JOURNAL_FILE);
                return -ESTALE;
        }
        a->resuming = j->attempts > 0;
        a->attempt = j->attempts + 1;
        return 0;
}

/*
 * The files are the ones stage verified: same size, same SHA-256. That is
 * the whole check at boot: stage verified these exact bytes (digests, and
 * signatures against the --key keys) before pinning them in the plan, so
 * verifying them again would read every package once more and prove
 * nothing new (the keys live in the same root-only directory as the plan).
 */
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
                alive(a);
                r = sha256_file(dfd, p->file, sha256, &size);
                if (r == -ENOENT) {
                        log_error("staged package %s is missing from %s; run 'host-prep stage' again",
                                  p->file, a->packages_dir);
                        return r;
                }
                if (r < 0)
                        return log_error_errno(r, "cannot read staged package %s", p->file);
                if (size != p->size) {
                        log_error("staged package %s was modified after staging (%llu bytes, plan "
                                  "says %llu); run 'host-prep stage' again",
                                  p->file, (unsigned long long) size, (unsigned long long) p->size);
                        return -EBADMSG;
                }
                if (strcmp(sha256, p->sha256) != 0) {
                        log_error("staged package %s was modified after staging (SHA-256 %s, plan "
                                  "says %s); run 'host-prep stage' again",
                                  p->file, sha256, p->sha256);
                        return -EBADMSG;
                }
        }
        return 0;
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

/* The whole plan, as stage test-ran it. */
/* Stage blocks a target older than what is installed unless the operator
 * allowed it (--allow-downgrade): a plan holds only approved downgrades. */
static int new_transaction(struct apply *a, struct txn **ret) {
        int r = txn_new(a->root, ret);

        if (r == 0)
                txn_allow_downgrade(*ret);
        return r;
}

static int build_full_transaction(struct apply *a, struct txn **ret) {
        _cleanup_(txn_freep) struct txn *t = NULL;
        int r = new_transaction(a, &t);

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
                r = txn_add_package(t, p->op, path, p->nevra);
                if (r < 0) {
                        log_error("rpm cannot add staged package %s to the transaction", p->file);
                        return r;
                }
        }
        *ret = TAKE_PTR(t);
        return 0;
}

/* What an interrupted attempt left to do. */
static int build_resumed_transaction(struct apply *a, struct txn **ret) {
        _cleanup_(txn_freep) struct txn *t = NULL;
        struct resume_counts c;
        int r = new_transaction(a, &t);

        if (r < 0)
                return r;
        r = resume_build(t, a->plan, a->packages_dir, &a->journal, &c);
        if (r < 0)
                return r;
        log_info("left to do: %u packages to install, %u to install again (after the last checkpoint), %u "
                 "to erase; %u already on disk", c.installed, c.reinstalled, c.erased, c.kept + c.owed);
        if (c.owed > 0)
                log_info("of those on disk, %u are installed again: the transaction's end (their %%posttrans, "
                         "file triggers) never ran for them", c.owed);
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

/* rpm's dependency check against the installed rpmdb, then its test run:
 * file conflicts and the space on every file system the transaction
 * writes, as they are now (a disk may have filled since stage). Read-only:
 * a refusal here leaves even a Berkeley DB unconverted. */
static int check_transaction(struct apply *a) {
        _cleanup_(txn_freep) struct txn *t = NULL;
        rpmps problems = NULL;
        int r = build_full_transaction(a, &t);

        if (r < 0)
                return r;
        r = txn_check(t, &problems);
        if (r == -EPROTO) {
                log_problems(problems, "the staged transaction does not resolve against the "
                                       "installed packages (nothing was changed)");
                rpmpsFree(problems);
                return r;
        }
        if (r < 0)
                return r;
        r = txn_removed(t, &a->removed, &a->n_removed);
        if (r == 0 && a->plan->rollback == PLAN_ROLLBACK_LINKS)
                r = undo_added_dirs(t, &a->added_dirs, &a->n_added_dirs);
        if (r < 0)
                return r;
        alive(a);
        r = txn_run(t, true, NULL, NULL, NULL, &problems);
        if (r == -EPROTO) {
                log_problems(problems, "rpm's test run of the staged transaction fails (nothing was changed)");
                rpmpsFree(problems);
        }
        return r;
}

static int find_boot_switch(struct apply *a) {
        struct boot_record rec = {};
        int r = boot_record_read(a->root, &rec);

        if (r == -ENOENT)
                return 0; /* not armed for an upgrade boot (a directory, --no-boot) */
        if (r < 0)
                return log_error_errno(r, "%s cannot be read", BOOT_ENTRY_RECORD);
        a->grubenv = TAKE_PTR(rec.grubenv);
        boot_record_done(&rec);
        return 0;
}

static int checks(struct apply *a) {
        int r;

        r = staging_check(a->root, a->state_dir_fd);
        if (r < 0)
                return r;
        r = load_plan(a);
        if (r < 0)
                return r;
        r = load_journal(a);
        if (r < 0)
                return r;
        if (a->journal.result != JOURNAL_RESULT_NONE || a->journal.gave_up)
                return 0; /* nothing left to check: the end is written */
        r = find_boot_switch(a);
        if (r < 0)
                return r;
        /* Before the first write: librpm would wait forever for the
         * rpmdb, and fail the transaction on a lock held elsewhere. */
        r = rpmdb_wait_unlocked(a->root);
        if (r < 0)
                return r;
        a->rpm_lock_fd = rpm_transaction_lock(a->root);
        if (a->rpm_lock_fd < 0 && a->rpm_lock_fd != -ENOENT)
                return a->rpm_lock_fd;
        log_info("verifying %zu staged packages", a->plan->n_packages);
        r = verify_staged_files(a);
        if (r < 0)
                return r;
        r = rpmdb_detect_backend(a->root, &a->backend);
        /* An interrupted conversion starts again from the backup, whatever
         * it left in the rpmdb's place. */
        if (a->journal.backup && !a->journal.converted)
                return 0;
        if (r < 0 || a->backend == RPMDB_BACKEND_NONE) {
                log_error("no rpm database in %s", a->root);
                return -ENOENT;
        }
        /* An interrupted attempt changed the rpmdb on purpose: what is
         * left is worked out from it after the conversion. */
        if (a->resuming)
                return 0;
        r = verify_fingerprint(a);
        if (r == 0)
                r = check_transaction(a);
        return r;
}

/* ---- writes --------------------------------------------------------------- */

/* The log directory is resolved inside the root; the log itself is never
 * a symlink, a FIFO or anything but a regular file. */
static int open_log(struct apply *a) {
        int fd, r;

        r = mkdir_in_root(a->root, OSLIFT_LOG_DIR, 0755);
        if (r < 0)
                return log_error_errno(r, "cannot create %s in %s", OSLIFT_LOG_DIR, a->root);
        fd = open_in_root(a->root, OSLIFT_UPGRADE_LOG, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0644);
        if (fd == -ELOOP || fd == -EBADFD || fd == -EISDIR)
                return log_error_errno(fd, "%s in %s is not a regular file (a symlink, a FIFO or another "
                                       "special file): not writing to it; remove it",
                                       OSLIFT_UPGRADE_LOG, a->root);
        if (fd < 0)
                return log_error_errno(fd, "cannot open %s in %s", OSLIFT_UPGRADE_LOG, a->root);
        a->log = fdopen(fd, "a");
        if (!a->log) {
                close(fd);
                return log_error_errno(-ENOMEM, "cannot open %s in %s", OSLIFT_UPGRADE_LOG, a->root);
        }
        log_set_file(a->log);
        return 0;
}

static void boot_switch(struct apply *a, bool on) {
        int r;

        if (!a->grubenv)
                return;
        r = on ? boot_switch_on(a->root, a->grubenv) : boot_switch_off(a->root, a->grubenv, NULL);
        if (r < 0)
                log_warning("cannot turn the one-time upgrade boot %s in %s", on ? "on" : "off", a->grubenv);
        else
                log_debug("one-time upgrade boot %s", on ? "on again until the transaction is over" : "off");
}

static int journal_note(struct apply *a, bool sync, const char *fmt, ...) _printf_(3, 4);
static int journal_note(struct apply *a, bool sync, const char *fmt, ...) {
        char text[JOURNAL_LINE_MAX];
        va_list ap;
        int r;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        r = journal_append(a->writer, sync, "%s", text);
        if (r < 0)
                log_error_errno(r, "cannot write to the upgrade journal %s", OSLIFT_JOURNAL_FILE);
        return r;
}

static int sync_root(struct apply *a) {
        int r = checkpoint_sync(a->checkpoint);

        if (r < 0)
                log_error_errno(r, "cannot flush %s to disk", a->root);
        return r;
}

/* Puts the rpmdb files back as the backup has them. */
static int restore_rpmdb_backup(struct apply *a, const char *dbpath, const char *backup) {
        _cleanup_close_ int fd = open(dbpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        int r;

        if (fd < 0)
                return log_error_errno(negative_errno(), "cannot open %s", dbpath);
        r = remove_dir_contents(fd, dbpath);
        if (r == 0)
                r = copy_dir_files(backup, dbpath);
        if (r < 0)
                return log_error_errno(r, "cannot put the original rpmdb back from %s", backup);
        return 0;
}

/*
 * librpm 4.18 cannot write a Berkeley DB (CentOS 7/8): convert it to
 * sqlite first, as `rpmdb --rebuilddb` does, keeping the original files
 * until restore has finished. Resumable: the backup is recorded once it
 * is on disk, and a conversion that was cut short starts again from it.
 */
static int convert_rpmdb(struct apply *a) {
        struct rpm_messages_scope quiet = { .demote_warnings = 1 };
        _cleanup_free_ char *dbpath = NULL;
        char backup[PATH_MAX];
        rpmts ts;
        int r;

        if (a->journal.converted || (a->backend != RPMDB_BACKEND_BDB && !a->journal.backup))
                return 0;
        r = rpmdb_path(a->root, &dbpath);
        if (r < 0)
                return r;
        r = path_in_root(backup, sizeof(backup), a->root, OSLIFT_RPMDB_BACKUP_DIR);
        if (r < 0)
                return log_error_errno(r, "cannot name %s in %s", OSLIFT_RPMDB_BACKUP_DIR, a->root);
        if (!a->journal.backup) {
                log_info("keeping a copy of the original rpmdb in %s", backup);
                r = copy_dir_files(dbpath, backup);
                if (r < 0)
                        return log_error_errno(r, "cannot back up %s", dbpath);
                if (sync_root(a) < 0 || journal_note(a, true, "backup") < 0)
                        return -EIO;
                crash_point("backup");
        } else {
                log_info("the conversion of the rpmdb was cut short: starting it again from %s", backup);
                r = restore_rpmdb_backup(a, dbpath, backup);
                if (r < 0)
                        return r;
        }

        log_info("converting the rpmdb from Berkeley DB to sqlite");
        alive(a);
        rpmPushMacro(NULL, "_db_backend", NULL, "sqlite", RMIL_CMDLINE);
        ts = rpmtsCreate();
        rpmtsSetRootDir(ts, a->root);
        /* bdb_ro's warnings for each index the Berkeley DB lacks ("could not
         * open .../Recommendname": CentOS 7's rpm wrote none of those) go to
         * the debug log; its errors stay errors. */
        rpm_messages_push(&quiet);
        r = rpmtsRebuildDB(ts);
        rpm_messages_pop(&quiet);
        rpmtsFree(ts);
        if (r != 0) {
                log_error("converting the rpmdb failed; the original is in %s", backup);
                return -EIO;
        }
        crash_point("converted");
        if (sync_root(a) < 0 || journal_note(a, true, "converted") < 0)
                return -EIO;
        a->backend = RPMDB_BACKEND_SQLITE;
        return 0;
}

static void on_progress(unsigned done, unsigned total, const char *verb, const char *what, void *userdata) {
        struct apply *a = userdata;
        char eta[PROGRESS_ETA_SIZE];

        alive(a);
        /* rpm sets its transaction id (the suffix of its temporary files)
         * when the run starts: record it before the first file is written. */
        if (!a->begin_noted) {
                a->begin_noted = true;
                if (journal_note(a, true, "begin %08x %u", txn_tid(a->running), total) < 0)
                        a->checkpoint_error = -EIO;
        }
        /* The ETA is only on at boot, where nobody else tells the time. */
        log_info("[%*u/%u %3u%%] %s %s%s", total >= 1000 ? 4 : total >= 100 ? 3 : 2, done, total,
                 total ? done * 100 / total : 100, verb, what, progress_eta(done, total, eta));
        /* Fleet tools poll status.json: keep it current, at every tenth of
         * the way (each write is an fsync'ed rename, not free). Its counts
         * are the plan's entries (on_element_done), not rpm's elements. */
        if (total && done * 10 / total != a->elements_tenth) {
                a->elements_tenth = done * 10 / total;
                set_status(a, UPGRADE_APPLYING, "%s %s", verb, what);
        }
}

static int compare_entries(const void *x, const void *y) {
        const struct plan_package *const *p = x, *const *q = y;
        int c = strcmp((*p)->nevra, (*q)->nevra);

        /* The same NEVRA installed and erased: the erasure first. */
        return c ?: ((*p)->op != PLAN_OP_ERASE) - ((*q)->op != PLAN_OP_ERASE);
}

static int index_entries(struct apply *a) {
        size_t n = a->plan->n_packages;

        a->entries = calloc(n ?: 1, sizeof(*a->entries));
        if (!a->entries)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                a->entries[i] = &a->plan->packages[i];
        qsort(a->entries, n, sizeof(*a->entries), compare_entries);
        return 0;
}

/* Whether installing (or erasing) nevra is an entry of the plan, rather
 * than rpm's removal of an old version on the way. */
static bool plan_entry(struct apply *a, const char *nevra, bool install) {
        struct plan_package key = { .nevra = (char *) nevra, .op = install ? PLAN_OP_UPGRADE : PLAN_OP_ERASE };
        const struct plan_package *k = &key;

        if (!a->entries)
                return false;
        /* compare_entries() only tells erasures from the rest. */
        return bsearch(&k, a->entries, a->plan->n_packages, sizeof(*a->entries), compare_entries) != NULL;
}

/* The plan's entries this transaction leaves alone: those an earlier
 * attempt finished. */
static unsigned plan_entries_done_before(struct apply *a, struct txn *t) {
        char **added = NULL, **removed = NULL;
        size_t n_added = 0, n_removed = 0, pending = 0;

        if (txn_added(t, &added, &n_added) < 0 || txn_removed(t, &removed, &n_removed) < 0) {
                strv_free(added, n_added);
                return 0;
        }
        for (size_t i = 0; i < a->plan->n_packages; i++) {
                const struct plan_package *p = &a->plan->packages[i];
                if (p->op == PLAN_OP_ERASE ? strv_contains(removed, n_removed, p->nevra)
                                           : strv_contains(added, n_added, p->nevra))
                        pending++;
        }
        strv_free(added, n_added);
        strv_free(removed, n_removed);
        return (unsigned) (a->plan->n_packages - pending);
}

/* The outcome's list for a kind of journal note. */
static char ***outcome_list(struct upgrade_outcome *o, size_t kind, size_t **ret_n) {
        switch (kind) {
        case JOURNAL_NOTE_CONFIG:
                *ret_n = &o->n_config_files;
                return &o->config_files;
        case JOURNAL_NOTE_SCRIPT:
                *ret_n = &o->n_script_failures;
                return &o->script_failures;
        default:
                *ret_n = &o->n_errors;
                return &o->errors;
        }
}

/* What rpm said since the last call goes into the journal, before the
 * "done" record of the element it was said for: an attempt cut short
 * after the next checkpoint no longer loses it from the report. */
static int write_notes(struct apply *a) {
        if (!a->running)
                return 0;
        for (size_t k = 0; k < _JOURNAL_NOTE_MAX; k++) {
                size_t *n;
                char **list = *outcome_list(txn_outcome(a->running), k, &n);

                for (; a->notes_written[k] < *n; a->notes_written[k]++) {
                        int r = journal_append_note(a->writer, k, list[a->notes_written[k]]);

                        if (r == -EINVAL)
                                continue; /* not one line: the log has it */
                        if (r < 0)
                                return log_error_errno(r, "cannot write to the upgrade journal %s",
                                                       OSLIFT_JOURNAL_FILE);
                }
        }
        return 0;
}

/* The report covers every attempt: what earlier ones noted comes first,
 * each text once, as an uninterrupted run would have said it. */
static int merge_earlier_notes(struct apply *a, struct upgrade_outcome *out) {
        for (size_t k = 0; k < _JOURNAL_NOTE_MAX; k++) {
                size_t *n_list;
                char ***list = outcome_list(out, k, &n_list);
                char **merged = NULL;
                size_t n = 0;
                int r = 0;

                if (a->journal.n_notes[k] == 0)
                        continue;
                for (size_t i = 0; r == 0 && i < a->journal.n_notes[k]; i++)
                        r = strv_push(&merged, &n, a->journal.notes[k][i]);
                for (size_t i = 0; r == 0 && i < *n_list; i++)
                        if (!strv_contains(merged, n, (*list)[i]))
                                r = strv_push(&merged, &n, (*list)[i]);
                if (r < 0) {
                        strv_free(merged, n);
                        return r;
                }
                strv_free(*list, *n_list);
                *list = merged;
                *n_list = n;
        }
        return 0;
}

/* Whether nevra is one of the NEVRAs in list, comma-separated. */
static bool in_comma_list(const char *list, const char *nevra) {
        size_t n = strlen(nevra);

        for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (strncmp(p, nevra, n) == 0 && (p[n] == ',' || p[n] == '\0'))
                        return true;
        return false;
}

/* A resumed attempt's counts are the whole upgrade's, as an uninterrupted
 * run counts them: the plan's installs that rpm did not fail, and what
 * the first transaction removes (the journal's erase records) but for
 * what a failed element keeps. */
static void count_whole_upgrade(struct apply *a, struct upgrade_outcome *out) {
        unsigned installed = 0, erased = 0;

        for (size_t i = 0; i < a->plan->n_packages; i++) {
                const struct plan_package *p = &a->plan->packages[i];
                bool failed = false;

                if (p->op == PLAN_OP_ERASE)
                        continue;
                for (size_t k = 0; !failed && k < out->n_failures; k++)
                        failed = strcmp(out->failures[k].nevra, p->nevra) == 0;
                installed += !failed;
        }
        for (size_t i = 0; i < a->journal.n_erase; i++) {
                bool kept = false;

                for (size_t k = 0; !kept && k < out->n_failures; k++)
                        kept = in_comma_list(out->failures[k].kept, a->journal.erase[i]);
                erased += !kept;
        }
        out->installed = installed;
        out->erased = erased;
}

static void on_element_done(const char *nevra, bool install, void *userdata) {
        struct apply *a = userdata;
        int r;

        if (plan_entry(a, nevra, install) && a->status.packages_done < a->status.packages_total)
                a->status.packages_done++;
        if (a->checkpoint_error < 0)
                return;
        r = write_notes(a);
        if (r == 0)
                r = checkpoint_element_done(a->checkpoint, nevra);
        /* Without checkpoints a cut-short run would redo more, not less:
         * the transaction goes on, the end is not recorded. */
        if (r < 0)
                a->checkpoint_error = r;
}

/* What this transaction removes, so that a resumed one removes it too
 * when an interruption left it behind. */
static int note_removals(struct apply *a, struct txn *t) {
        char **removed = NULL;
        size_t n = 0;
        int r = txn_removed(t, &removed, &n);

        /* A reinstalled package's old instance is "removed" too: never a
         * leftover to erase. */
        for (size_t i = 0; r == 0 && i < n; i++)
                if (!strv_contains(a->journal.erase, a->journal.n_erase, removed[i]) &&
                    !plan_installs(a->plan, removed[i]))
                        r = journal_note(a, false, "erase %s", removed[i]);
        strv_free(removed, n);
        return r;
}

static int run_transaction(struct apply *a, struct upgrade_outcome *out) {
        _cleanup_(txn_freep) struct txn *t = NULL;
        rpmps problems = NULL;
        int r;

        r = a->resuming ? build_resumed_transaction(a, &t) : build_full_transaction(a, &t);
        if (r < 0)
                return r;
        r = txn_check(t, &problems);
        if (r == 0)
                r = note_removals(a, t);
        if (r == 0)
                r = index_entries(a);
        a->status.packages_total = (unsigned) a->plan->n_packages;
        a->status.packages_done = plan_entries_done_before(a, t);
        a->running = t;
        if (r == 0)
                r = txn_run(t, false, on_progress, on_element_done, a, &problems);
        /* What the %posttrans scriptlets and the end said. */
        if (a->checkpoint_error == 0)
                a->checkpoint_error = write_notes(a);
        a->running = NULL;
        if (r == -EPROTO) {
                log_problems(problems, "rpm refused the transaction");
                rpmpsFree(problems);
        }
        txn_take_outcome(t, out);
        if (merge_earlier_notes(a, out) < 0)
                return log_error_errno(-ENOMEM, "cannot merge the earlier attempts' report");
        if (a->resuming && a->journal.begun && r == 0)
                count_whole_upgrade(a, out);
        a->status.scriptlet_failures = (unsigned) out->n_script_failures;
        if (r == 0 && out->n_errors > 0 && out->n_failures == 0 && a->checkpoint_error == 0)
                log_warning("rpm reported %zu errors", out->n_errors);
        return r < 0 ? r : a->checkpoint_error;
}

/*
 * A scriptlet may remove /var/lib/oslift (the state directory stays open
 * here, so the writes went on into the removed one). Then it is made again
 * with what is known: a journal that says which attempt ran (the plan and
 * the earlier records are gone), so that status.json and the journal tell
 * the truth instead of "nothing staged". Returns 0 when nothing was lost.
 */
static int rescue_state_dir(struct apply *a) {
        struct journal_writer *w = NULL;
        char now[TIMESTAMP_SIZE];
        struct stat st;
        int fd, r;

        if (fstat(a->state_dir_fd, &st) < 0 || st.st_nlink > 0)
                return 0;
        log_error("a package's scriptlet removed %s during the transaction; making it again, without the plan "
                  "and the staged packages", a->state_dir);
        a->state_lost = true;
        fd = root_lock(a->root, true);
        if (fd < 0)
                return log_error_errno(fd, "cannot make %s again", a->state_dir);
        close(a->state_dir_fd);
        a->state_dir_fd = fd;
        r = journal_open_at(fd, a->plan_sha256, 0, &w);
        if (r < 0)
                return log_error_errno(r, "cannot write the upgrade journal %s again", OSLIFT_JOURNAL_FILE);
        a->removed_writer = a->writer; /* the checkpoints still hold it */
        a->writer = w;
        timestamp_now(now);
        return journal_note(a, true, "attempt %u %s", a->attempt, now);
}

/* rpm writes each scriptlet to %_tmppath/rpm-tmp.XXXXXX and removes it
 * when the scriptlet is over; a cut while one ran leaves it behind. */
#define RPM_SCRIPT_TMP_DIR "/var/tmp"
#define RPM_SCRIPT_TMP_PREFIX "rpm-tmp."

static unsigned remove_script_files(struct apply *a) {
        /* /var/tmp resolved inside the root, as rpm chrooted sees it. */
        int fd = open_dir_in_root(a->root, RPM_SCRIPT_TMP_DIR, 0, false);
        unsigned removed = 0;
        struct dirent *de;
        DIR *d;

        d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        while ((de = readdir(d)))
                if (strncmp(de->d_name, RPM_SCRIPT_TMP_PREFIX, strlen(RPM_SCRIPT_TMP_PREFIX)) == 0 &&
                    de->d_type == DT_REG && unlinkat(dirfd(d), de->d_name, 0) == 0)
                        removed++;
        closedir(d);
        return removed;
}

static void remove_temp_files(struct apply *a) {
        unsigned removed = 0;

        if (!a->resuming)
                return;
        removed = remove_script_files(a);
        if (removed)
                log_info("removed %u scriptlet files rpm left in %s when the last attempt was cut short", removed,
                         RPM_SCRIPT_TMP_DIR);
        removed = 0;
        if (a->journal.n_tids == 0)
                return;
        if (resume_remove_temp_files(a->root, a->plan, a->packages_dir, &a->journal, &removed) == 0 && removed)
                log_info("removed %u temporary files rpm left behind when the last attempt was cut short",
                         removed);
}

static void close_log(struct apply *a) {
        log_set_file(NULL);
        if (a->log)
                fclose(a->log);
        a->log = NULL;
}

static enum apply_result rollback(struct apply *a);

/*
 * An upgrade that gives up leaves a partly upgraded system. With the undo
 * set taken before its first write, it asks for the rollback (the request
 * also makes a power cut from here on go on with it): true when asked.
 * Without one (--rollback=none) the default entry boots what is there.
 */
static bool ask_for_rollback(struct apply *a, unsigned attempts) {
        char why[160];
        int r;

        if (!undo_exists(a->state_dir_fd)) {
                log_error("there is no undo set (staged with --rollback=none): the default boot entry starts "
                          "next; the system may be partly upgraded: see %s and run 'host-prep status'",
                          OSLIFT_UPGRADE_LOG);
                return false;
        }
        snprintf(why, sizeof(why), "the upgrade gave up after %u attempts that did not finish", attempts);
        r = rollback_request_write_at(a->state_dir_fd, why);
        if (r < 0) {
                log_error_errno(r, "cannot ask for the rollback (%s); the default boot entry starts next, the "
                                "system may be partly upgraded: run 'host-prep rollback' there", OSLIFT_ROLLBACK_REQUEST);
                return false;
        }
        log_error("putting the old system back from the undo set taken before the upgrade");
        return true;
}

/* Too many attempts: stop trying; roll back when there is an undo set,
 * else let the old kernel boot what is there. */
static enum apply_result give_up(struct apply *a) {
        unsigned failed = a->journal.attempts;

        if (open_log(a) < 0)
                log_error("continuing without %s", OSLIFT_UPGRADE_LOG);
        log_error("the upgrade was attempted %u times and did not finish (at most %u attempts): giving up",
                  failed, a->options->max_attempts ?: APPLY_MAX_ATTEMPTS_DEFAULT);
        if (journal_open_at(a->state_dir_fd, a->plan_sha256, a->journal.valid_size, &a->writer) == 0)
                journal_note(a, true, "gave-up %u", failed);
        /* What the last attempt's rpm and scriptlets left half-written is
         * no package's: neither the rollback nor the old system knows it. */
        remove_temp_files(a);
        if (ask_for_rollback(a, failed))
                return rollback(a);
        boot_switch(a, false);
        set_status(a, UPGRADE_FAILED, "gave up after %u attempts that did not finish; see %s", failed,
                   OSLIFT_UPGRADE_LOG);
        return APPLY_GAVE_UP;
}

/* The end of a transaction in which rpm failed elements: said on the
 * console, in the outcome (for the report) and in status.json. */
static enum apply_result applied_with_problems(struct apply *a, struct upgrade_outcome *out) {
        const struct upgrade_failure *f = &out->failures[0];
        int r;

        snprintf(out->result, sizeof(out->result), OUTCOME_RESULT_APPLIED_WITH_PROBLEMS);
        r = upgrade_outcome_write(a->root, out);
        if (r < 0)
                log_error_errno(r, "cannot record the outcome for restore");
        for (size_t i = 0; i < out->n_failures; i++) {
                const struct upgrade_failure *g = &out->failures[i];
                bool none = strcmp(g->kept, "-") == 0;

                log_error("rpm failed %s: %s; %s%s", g->nevra, g->reason, none ? "it is not installed" : g->kept,
                          none ? "" : " stays installed");
        }
        set_status(a, UPGRADE_APPLIED_WITH_PROBLEMS,
                   "applied with problems: rpm failed %zu packages, what they replace stays installed "
                   "(%s: %s; kept: %s)%s; see the report after restore",
                   out->n_failures, f->nevra, f->reason, f->kept, out->n_failures > 1 ? " and more" : "");
        log_error("upgrade applied with problems in %.1f s: %u installed, %u erased, rpm failed %zu packages "
                  "(above: what stays installed instead), %zu scriptlet failures",
                  out->seconds, out->installed, out->erased, out->n_failures, out->n_script_failures);
        log_error("the system boots the new release; fix what made rpm fail those packages, then install "
                  "them with rpm or dnf: 'host-prep log' has the report");
        upgrade_outcome_done(out);
        return APPLY_APPLIED_WITH_PROBLEMS;
}

/* Whether an earlier run of the upgrader left its log: then a root without
 * a state directory or a plan may well have been changed. */
static bool earlier_run_logged(struct apply *a) {
        _cleanup_close_ int fd = open_in_root(a->root, OSLIFT_UPGRADE_LOG, O_RDONLY | O_NOFOLLOW, 0);
        struct stat st;

        return fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0;
}

static enum apply_result refuse(struct apply *a, int r) {
        /* A state past "staged" says the root was changed (or is being
         * changed): a refusal now must not replace it, or restore could
         * never run. */
        if (a->state_dir_fd >= 0 && a->status.state != UPGRADE_STAGED && a->status.state != UPGRADE_REFUSED) {
                log_error("not going on; %s keeps saying \"%s\" (an earlier run changed %s): see 'host-prep "
                          "status'", OSLIFT_STATUS_FILE, upgrade_state_name(a->status.state), a->root);
                boot_switch(a, false);
                return APPLY_REFUSED;
        }
        if ((a->state_dir_fd < 0 || a->no_plan) && earlier_run_logged(a)) {
                log_error("nothing was changed by this run; but an earlier upgrade of %s wrote %s, so the "
                          "root may be partly upgraded: read it and see 'host-prep status'",
                          a->root, OSLIFT_UPGRADE_LOG);
                return APPLY_REFUSED;
        }
        log_error("nothing was changed in %s", a->root);
        if (a->state_dir_fd < 0 || a->no_plan)
                return APPLY_REFUSED;
        boot_switch(a, false);
        /* The one write of a refusal: what `host-prep status` tells. */
        set_status(a, UPGRADE_REFUSED, "refused, nothing was changed: %s",
                   first_error[0] ? first_error : strerror(-r));
        return APPLY_REFUSED;
}

/* The end of a rollback: the old grubenv (the switch off: the next boot
 * is the old release), our block out of custom.cfg, then what armed the
 * rollback boot. Run again after a power cut (undo_boot_pending()). */
static int finish_rollback_boot(struct apply *a) {
        struct boot_record rec = {};
        int r;

        r = undo_boot_switch_back(a->root);
        if (r < 0)
                return r;
        r = undo_rollback_remove_boot_kernel(a->root);
        if (r < 0)
                return r;
        if (boot_record_read(a->root, &rec) == 0) {
                /* The image host-prep rollback built; the record last. */
                if (rec.initramfs_built && rec.initramfs && remove_in_root(a->root, rec.initramfs) == 0)
                        log_info("removed the rollback boot's initramfs %s", rec.initramfs);
                boot_record_done(&rec);
                r = remove_in_root(a->root, BOOT_ENTRY_RECORD);
                if (r < 0 && r != -ENOENT)
                        return log_error_errno(r, "cannot remove %s", BOOT_ENTRY_RECORD);
        }
        r = undo_boot_mark_done(a->root);
        if (r < 0)
                return log_error_errno(r, "cannot record that the boot configuration is back");
        if (a->state_dir_fd >= 0 && syncfs(a->state_dir_fd) < 0)
                return log_error_errno(negative_errno(), "cannot flush %s to disk", a->root);
        return 0;
}

/* What asked for the rollback, from the request's line ("rollback
 * requested TIMESTAMP: WHY", host-prep's), as " (WHY)"; "" when the
 * operator asked. */
static void request_reason(struct apply *a, char *buf, size_t size) {
        char line[ROLLBACK_REQUEST_LINE_MAX];
        const char *why;

        buf[0] = '\0';
        if (rollback_request_read_at(a->state_dir_fd, line) < 0 || !(why = rollback_request_reason(line)))
                return;
        snprintf(buf, size, " (%.300s)", why);
        log_info("the rollback was asked for because %s", why);
}

/* host-prep rollback asked for the old system back (OSLIFT_ROLLBACK_REQUEST):
 * put it back from the undo set, offline. Run again after an
 * interruption, it ends where an uninterrupted one ends: the boot switch
 * is on from the first write until the old grubenv is back. */
static enum apply_result rollback(struct apply *a) {
        _cleanup_free_ char *problems = NULL;
        char because[320] = "";
        int r;

        if (open_log(a) < 0)
                log_error("continuing without %s", OSLIFT_UPGRADE_LOG);
        request_reason(a, because, sizeof(because));
        if (find_boot_switch(a) < 0)
                log_warning("the rollback boot is not switched on again: a power cut during it boots the "
                            "system as it is then, and 'host-prep rollback' must be run again");
        boot_switch(a, true);
        set_status(a, UPGRADE_ROLLING_BACK, "rolling back to the old system");
        undo_set_alive(a->options->alive);
        r = undo_rollback(a->root, a->state_dir_fd, &problems);
        undo_set_alive(NULL);
        if (r == -ENOENT) {
                boot_switch(a, false);
                set_status(a, UPGRADE_ROLLING_BACK, "rollback refused: there is no undo set (removed by 'host-prep "
                           "commit', or the upgrade kept none)");
                return APPLY_REFUSED;
        }
        if (r < 0) {
                set_status(a, UPGRADE_ROLLING_BACK, "the rollback stopped (%s); run the upgrader again to go on: "
                           "see %s", strerror(-r), OSLIFT_UPGRADE_LOG);
                return APPLY_RESUMABLE;
        }
        alive(a);
        if (undo_boot_put_back(a->root) < 0) {
                set_status(a, UPGRADE_ROLLING_BACK, "the rollback could not put the old boot configuration back; "
                           "run the upgrader again to go on: see %s", OSLIFT_UPGRADE_LOG);
                return APPLY_RESUMABLE;
        }
        crash_point("rollback-boot-files");
        if (r > 0)
                set_status(a, UPGRADE_ROLLED_BACK_WITH_PROBLEMS, "rolled back%s, but %d files do not match the old "
                           "rpmdb: %s", because, r, problems);
        else
                set_status(a, UPGRADE_ROLLED_BACK, "rolled back%s: the old system is back, every file verified",
                           because);
        if (unlinkat(a->state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_ROLLBACK_REQUEST), 0) < 0 && errno != ENOENT)
                log_warning("cannot remove the rollback request %s", OSLIFT_ROLLBACK_REQUEST);
        crash_point("rollback-request-removed");
        if (finish_rollback_boot(a) < 0) {
                log_error("the old system is back, but its boot configuration is not yet all back; the next "
                          "boot goes on with it");
                return APPLY_RESUMABLE;
        }
        if (r > 0) {
                log_error("rolled back with problems: %d files do not match the old rpmdb (above)", r);
                return APPLY_ROLLED_BACK_WITH_PROBLEMS;
        }
        log_info("rolled back: the old system is back");
        return APPLY_ROLLED_BACK;
}

static enum apply_result apply(struct apply *a) {
        struct upgrade_outcome out = {};
        unsigned max_attempts = a->options->max_attempts ?: APPLY_MAX_ATTEMPTS_DEFAULT;
        int r;

        a->state_dir_fd = staging_dir_open(a->root);
        if (a->state_dir_fd == -ENOENT) {
                log_error("no staged plan in %s; run 'host-prep stage' first", a->state_dir);
                return refuse(a, -ENOENT);
        }
        if (a->state_dir_fd < 0) {
                log_error_errno(a->state_dir_fd, "cannot open %s", a->state_dir);
                return refuse(a, a->state_dir_fd);
        }
        /* Before the first write, and held until the end: another
         * upgrader, stage, cancel or restore on this root would undo
         * what this one does. */
        r = root_lock_fd(a->root, a->state_dir_fd);
        if (r == -ESTALE)
                log_error("no staged plan in %s; run 'host-prep stage' first", a->state_dir);
        if (r < 0) {
                log_error("nothing was changed in %s", a->root);
                return APPLY_REFUSED;
        }
        r = status_read_at(a->state_dir_fd, &a->status);
        if (r < 0)
                a->status = (struct upgrade_status) {};
        if (faccessat(a->state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_ROLLBACK_REQUEST), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return rollback(a);
        if ((a->status.state == UPGRADE_ROLLED_BACK || a->status.state == UPGRADE_ROLLED_BACK_WITH_PROBLEMS) &&
            undo_boot_pending(a->root)) {
                /* Cut short after the request was done with. */
                if (open_log(a) < 0)
                        log_error("continuing without %s", OSLIFT_UPGRADE_LOG);
                log_info("the old system is back; putting the rest of its boot configuration back");
                if (find_boot_switch(a) < 0 || finish_rollback_boot(a) < 0)
                        return APPLY_RESUMABLE;
                return a->status.state == UPGRADE_ROLLED_BACK ? APPLY_ROLLED_BACK : APPLY_ROLLED_BACK_WITH_PROBLEMS;
        }
        if (a->status.state == UPGRADE_ROLLED_BACK || a->status.state == UPGRADE_ROLLED_BACK_WITH_PROBLEMS) {
                log_error("the upgrade of %s was rolled back: nothing is done; for a new upgrade run 'host-prep "
                          "cancel', then 'host-prep stage' again", a->root);
                return APPLY_REFUSED;
        }
        r = checks(a);
        if (r < 0)
                return refuse(a, r);
        if (a->journal.gave_up) {
                log_error("an earlier upgrade boot gave up on this plan; see %s", OSLIFT_UPGRADE_LOG);
                return APPLY_GAVE_UP;
        }
        if (a->journal.result == JOURNAL_RESULT_APPLIED_WITH_PROBLEMS) {
                /* Nothing to redo: rpm would fail the same elements again. */
                log_warning("the plan was applied with problems by an earlier attempt (rpm failed some "
                            "packages, which stay at their old version); nothing more is done: see "
                            "'host-prep status' and %s", OSLIFT_UPGRADE_LOG);
                boot_switch(a, false);
                return APPLY_APPLIED_WITH_PROBLEMS;
        }
        if (a->journal.result == JOURNAL_RESULT_APPLIED) {
                /* Cut short between the end of the transaction and the reboot. */
                log_info("the plan was applied by an earlier attempt; finishing");
                boot_switch(a, false);
                return APPLY_APPLIED;
        }
        if (a->attempt > max_attempts)
                return give_up(a);
        /* Before the first write, and never over a tree an earlier attempt
         * changed: a resumed attempt goes on with the set taken before it. */
        if (!a->resuming && a->plan->rollback == PLAN_ROLLBACK_LINKS) {
                alive(a);
                r = undo_take(a->root, a->state_dir_fd, a->removed, a->n_removed, a->added_dirs, a->n_added_dirs,
                              NULL);
                if (r < 0) {
                        log_error("the undo set for 'host-prep rollback' cannot be taken; free space in %s, or "
                                  "stage again with --rollback=none to upgrade without a way back",
                                  OSLIFT_STATE_DIR);
                        return refuse(a, r);
                }
        }

        /* From here on the root changes: the switch first, so that a power
         * cut from now on boots this again. */
        boot_switch(a, true);
        r = journal_open_at(a->state_dir_fd, a->plan_sha256, a->journal.valid_size, &a->writer);
        if (r < 0) {
                log_error_errno(r, "cannot write the upgrade journal %s", OSLIFT_JOURNAL_FILE);
                boot_switch(a, false);
                return refuse(a, r);
        }
        {
                char now[TIMESTAMP_SIZE];
                timestamp_now(now);
                r = journal_note(a, true, "attempt %u %s", a->attempt, now);
        }
        if (r < 0)
                goto failed;
        r = checkpoint_new(a->root, a->writer, a->options->checkpoint_every, (unsigned) a->journal.n_durable,
                           &a->checkpoint);
        if (r < 0)
                goto failed;
        if (open_log(a) < 0)
                log_error("continuing without %s", OSLIFT_UPGRADE_LOG);
        if (a->options->cmdline_note)
                log_msg(a->options->cmdline_note_is_warning ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, "%s",
                        a->options->cmdline_note);
        if (!a->status.started[0] || !a->resuming)
                timestamp_now(a->status.started);
        if (a->resuming) {
                log_info("resuming: %zu of %u done, last checkpoint at %u (attempt %u of at most %u)",
                         a->journal.n_done, a->journal.total, a->journal.last_checkpoint, a->attempt,
                         max_attempts);
                set_status(a, UPGRADE_APPLYING, "resuming (attempt %u of %u)", a->attempt, max_attempts);
        } else
                set_status(a, UPGRADE_APPLYING, "applying %zu packages", a->plan->n_packages);

        r = convert_rpmdb(a);
        if (r < 0)
                goto failed;
        remove_temp_files(a);

        /* librpm let go of its transaction lock when the conversion
         * closed it: take it again, not to lose it to another process. */
        if (a->rpm_lock_fd >= 0) {
                r = rpm_transaction_relock(a->root, a->rpm_lock_fd);
                if (r < 0)
                        goto failed;
        }
        log_info("applying the transaction");
        /* The checkpoints make the rpmdb durable, not each commit. */
        rpmdb_commits_unsynced(true);
        r = run_transaction(a, &out);
        rpmdb_commits_unsynced(false);
        out.seconds = seconds_since(&a->started);
        if (rescue_state_dir(a) < 0 && r == 0)
                r = -EIO;
        /* Without the plan the elements rpm failed may be just the ones
         * whose packages went with the directory: not "applied". */
        if (r < 0 || a->state_lost)
                goto failed;
        /* Everything on disk before the end is recorded. An element rpm
         * failed is no interruption: rpm -U ends here too, and running it
         * again would fail it again. */
        r = sync_root(a);
        if (r == 0)
                r = journal_note(a, true, "finished %s",
                                 out.n_failures ? OUTCOME_RESULT_APPLIED_WITH_PROBLEMS : OUTCOME_RESULT_APPLIED);
        if (r < 0)
                goto failed;
        boot_switch(a, false);
        if (out.n_failures)
                return applied_with_problems(a, &out);

        snprintf(out.result, sizeof(out.result), OUTCOME_RESULT_APPLIED);
        r = upgrade_outcome_write(a->root, &out);
        if (r < 0)
                log_error_errno(r, "cannot record the outcome for restore");
        set_status(a, UPGRADE_APPLIED, "applied: %u installed, %u erased, %zu scriptlet failures",
                   out.installed, out.erased, out.n_script_failures);
        log_info("upgrade applied in %.1f s: %u installed, %u erased, %zu scriptlet failures, "
                 "%zu config files kept (.rpmnew/.rpmsave)",
                 out.seconds, out.installed, out.erased, out.n_script_failures, out.n_config_files);
        upgrade_outcome_done(&out);
        return APPLY_APPLIED;

failed:
        snprintf(out.result, sizeof(out.result), OUTCOME_RESULT_FAILED);
        upgrade_outcome_write(a->root, &out);
        upgrade_outcome_done(&out);
        if (a->state_lost) {
                /* Without the plan and the packages no attempt can go on. */
                set_status(a, UPGRADE_FAILED, "a package's scriptlet removed %s during the upgrade: %u of %u "
                           "done; it cannot be resumed: see %s", OSLIFT_STATE_DIR, a->status.packages_done,
                           a->status.packages_total, OSLIFT_UPGRADE_LOG);
                log_error("the upgrade cannot be resumed without its plan; %s is partly upgraded", a->root);
                boot_switch(a, false);
                journal_note(a, true, "gave-up %u", a->attempt);
                return APPLY_GAVE_UP;
        }
        if (a->attempt < max_attempts) {
                set_status(a, UPGRADE_APPLYING, "attempt %u of %u failed; the next boot resumes: see %s",
                           a->attempt, max_attempts, OSLIFT_UPGRADE_LOG);
                log_error("attempt %u of at most %u failed; the next boot tries again from where this one "
                          "stopped", a->attempt, max_attempts);
                return APPLY_RESUMABLE;
        }
        log_error("that was the last of %u attempts", max_attempts);
        if (a->writer)
                journal_note(a, true, "gave-up %u", a->attempt);
        if (ask_for_rollback(a, a->attempt)) {
                /* In a boot of its own, as host-prep rollback's: the switch stays on. */
                set_status(a, UPGRADE_ROLLING_BACK, "failed after %u attempts; the next boot puts the old system "
                           "back: see %s", a->attempt, OSLIFT_UPGRADE_LOG);
                return APPLY_RESUMABLE;
        }
        set_status(a, UPGRADE_FAILED, "failed after %u attempts: see %s", a->attempt, OSLIFT_UPGRADE_LOG);
        boot_switch(a, false);
        return APPLY_GAVE_UP;
}

enum apply_result apply_plan(const char *root, const struct apply_options *options) {
        static const struct apply_options defaults = {};
        struct apply a = { .root = root, .options = options ?: &defaults, .state_dir_fd = -1, .rpm_lock_fd = -1 };
        enum apply_result result;

        static bool catching;

        if (!catching && log_add_sink(catch_first_error, NULL) == 0)
                catching = true;
        first_error[0] = '\0';
        clock_gettime(CLOCK_MONOTONIC, &a.started);
        /* main() keeps root below ROOT_PATH_MAX: these fit. */
        if (path_in_root(a.state_dir, sizeof(a.state_dir), root, OSLIFT_STATE_DIR) < 0 ||
            path_in_root(a.packages_dir, sizeof(a.packages_dir), root, OSLIFT_PACKAGES_DIR) < 0) {
                log_error("--root %s is too long", root);
                return APPLY_REFUSED;
        }

        result = apply(&a);
        if (result == APPLY_RESUMABLE || result == APPLY_GAVE_UP) {
                log_error("the upgrade did not finish; the log is %s%s", root_prefix(root),
                          OSLIFT_UPGRADE_LOG);
        }
        checkpoint_free(a.checkpoint);
        free(a.entries);
        strv_free(a.removed, a.n_removed);
        strv_free(a.added_dirs, a.n_added_dirs);
        journal_close(a.writer);
        journal_close(a.removed_writer);
        journal_done(&a.journal);
        close_log(&a);
        free(a.grubenv);
        plan_free(a.plan);
        if (a.rpm_lock_fd >= 0)
                close(a.rpm_lock_fd);
        if (a.state_dir_fd >= 0)
                close(a.state_dir_fd);
        return result;
}
