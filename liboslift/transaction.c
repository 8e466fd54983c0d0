/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmte.h>
#include <rpm/rpmts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rpm-messages.h"
#include "transaction.h"

struct txn {
        rpmts ts;
        rpmprobFilterFlags filter;
        /* Erasures rpm added for an installed element (the old version it
         * upgrades, or a package it obsoletes), and that element: progress
         * says "upgrading X (from Y)" and "cleaning up Y", like rpm -U. */
        char **replaced, **replaced_by;
        size_t n_replaced, n_replaced_by;
        unsigned done, total;
        FD_t open_package; /* rpm reads one package at a time */
        txn_progress_fn progress;
        txn_element_done_fn element_done;
        char *current; /* NEVRA of the element running now */
        bool current_install, current_failed;
        /* Why rpm failed elements, in its words: the last error it logged
         * before it said so (failed_nevra[i] for failed_reason[i]). */
        char *last_error;
        char **failed_nevra, **failed_reason;
        size_t n_failed_nevra, n_failed_reason;
        void *userdata;
        struct upgrade_outcome outcome;
};


/*
 * librpm opens the ts's rpmdb on the first element added, in the ts's mode
 * (as rpm does); here with its warnings logged as debug: opening a Berkeley
 * DB, bdb_ro says "Found bdb_ro Packages database while attempting sqlite
 * backend" and "could not open .../Recommendname" for each index the
 * database lacks (CentOS 7's rpm 4.11 wrote no weak-dependency or file
 * trigger indexes), about 20 lines that are not the operator's concern.
 * A database that cannot be opened still fails what comes next.
 */
static void open_db_quietly(struct txn *t) {
        struct rpm_messages_scope scope = { .demote_warnings = 1 };

        if (rpmtsGetRdb(t->ts) || rpmtsGetDBMode(t->ts) == -1)
                return;
        rpm_messages_push(&scope);
        (void) rpmtsOpenDB(t->ts, rpmtsGetDBMode(t->ts));
        rpm_messages_pop(&scope);
}

int txn_new(const char *root, struct txn **ret) {
        struct txn *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->ts = rpmtsCreate();
        if (rpmtsSetRootDir(t->ts, root) != 0) {
                txn_free(t);
                return -EINVAL;
        }
        /* Every package was verified whole (digests, signatures) before it
         * got here; rpm checks the header digests again as it reads. */
        rpmtsSetVSFlags(t->ts, RPMVSF_MASK_NOSIGNATURES);
        /* ... and rpmtsRun() would read every payload once more to verify
         * it (%_pkgverify_level) before installing anything: the caller
         * has just done that (assess at stage; at boot, the upgrader's
         * SHA-256 pins of the bytes stage verified), from files only root
         * can write. Once is enough; the install reads each payload once.
         * The digest of every file rpm writes stays checked: it costs a
         * few percent and covers what decompression produced. */
        rpmtsSetVfyLevel(t->ts, 0);
        *ret = t;
        return 0;
}

void txn_free(struct txn *t) {
        if (!t)
                return;
        if (t->ts) {
                /* Keys are the paths we strdup'ed in txn_add_package(). */
                rpmtsi it = rpmtsiInit(t->ts);
                rpmte te;
                while ((te = rpmtsiNext(it, TR_ADDED)) != NULL)
                        free((void *) rpmteKey(te));
                rpmtsiFree(it);
                rpmtsFree(t->ts);
        }
        strv_free(t->replaced, t->n_replaced);
        strv_free(t->replaced_by, t->n_replaced_by);
        free(t->current);
        free(t->last_error);
        strv_free(t->failed_nevra, t->n_failed_nevra);
        strv_free(t->failed_reason, t->n_failed_reason);
        upgrade_outcome_done(&t->outcome);
        free(t);
}

void txn_freep(struct txn **t) {
        txn_free(*t);
}

rpmts txn_ts(struct txn *t) {
        return t->ts;
}

void txn_allow_downgrade(struct txn *t) {
        t->filter |= RPMPROB_FILTER_OLDPACKAGE;
}

struct upgrade_outcome *txn_outcome(struct txn *t) {
        return &t->outcome;
}

void txn_take_outcome(struct txn *t, struct upgrade_outcome *ret) {
        *ret = t->outcome;
        t->outcome = (struct upgrade_outcome) {};
}

int package_read_header(rpmts ts, const char *path, Header *ret) {
        FD_t fd = Fopen(path, "r.ufdio");
        rpmRC rc;

        if (!fd || Ferror(fd)) {
                if (fd)
                        Fclose(fd);
                return -ENOENT;
        }
        rc = rpmReadPackageFile(ts, fd, path, ret);
        Fclose(fd);
        if (rc != RPMRC_OK && rc != RPMRC_NOTTRUSTED && rc != RPMRC_NOKEY)
                return -EBADMSG;
        return 0;
}

enum add_mode { ADD_INSTALL, ADD_UPGRADE, ADD_REINSTALL };

static int add_package(struct txn *t, enum add_mode mode, const char *path, const char *nevra) {
        Header h = NULL;
        char *key;
        int r = package_read_header(t->ts, path, &h);

        if (r < 0)
                return r;
        if (nevra) {
                _cleanup_free_ char *actual = headerGetAsString(h, RPMTAG_NEVRA);

                if (!actual || strcmp(actual, nevra) != 0) {
                        log_error("%s is %s, not %s as the plan says; stage again", path,
                                  actual ?: "unreadable", nevra);
                        headerFree(h);
                        return -EBADMSG;
                }
        }
        key = strdup(path);
        if (!key) {
                headerFree(h);
                return -ENOMEM;
        }
        open_db_quietly(t);
        if (mode == ADD_REINSTALL)
                r = rpmtsAddReinstallElement(t->ts, h, key);
        else
                r = rpmtsAddInstallElement(t->ts, h, key, mode == ADD_UPGRADE, NULL);
        headerFree(h);
        if (r != 0) {
                free(key);
                return -EINVAL;
        }
        return 0;
}

int txn_add_package(struct txn *t, enum plan_op op, const char *path, const char *nevra) {
        return add_package(t, op == PLAN_OP_INSTALL_ONLY ? ADD_INSTALL : ADD_UPGRADE, path, nevra);
}

int txn_add_reinstall(struct txn *t, const char *path, const char *nevra) {
        return add_package(t, ADD_REINSTALL, path, nevra);
}

uint32_t txn_tid(struct txn *t) {
        return (uint32_t) rpmtsGetTid(t->ts);
}

static int elements(struct txn *t, rpmElementType type, char ***ret, size_t *ret_n) {
        rpmtsi it = rpmtsiInit(t->ts);
        char **v = NULL;
        size_t n = 0;
        rpmte te;
        int r = 0;

        while (r == 0 && (te = rpmtsiNext(it, type)) != NULL)
                r = strv_push(&v, &n, rpmteNEVRA(te));
        rpmtsiFree(it);
        if (r < 0) {
                strv_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int txn_removed(struct txn *t, char ***ret, size_t *ret_n) {
        return elements(t, TR_REMOVED, ret, ret_n);
}

int txn_added(struct txn *t, char ***ret, size_t *ret_n) {
        return elements(t, TR_ADDED, ret, ret_n);
}

/* Through the Name index first; when that finds nothing, over the packages
 * themselves: a Berkeley DB rpmdb may hold only Packages (librpm's
 * read-only bdb_ro cannot rebuild the indexes), and then every lookup in an
 * index finds nothing. */
int txn_add_erase(struct txn *t, const char *nevra) {
        rpmdbMatchIterator mi;
        Header h;
        int found = 0;

        open_db_quietly(t);
        mi = rpmtsInitIterator(t->ts, RPMDBI_LABEL, nevra, 0);
        while (mi && (h = rpmdbNextIterator(mi)) != NULL) {
                rpmtsAddEraseElement(t->ts, h, rpmdbGetIteratorOffset(mi));
                found++;
        }
        rpmdbFreeIterator(mi);
        if (found)
                return 0;
        mi = rpmtsInitIterator(t->ts, RPMDBI_PACKAGES, NULL, 0);
        while (mi && (h = rpmdbNextIterator(mi)) != NULL) {
                _cleanup_free_ char *this = headerGetAsString(h, RPMTAG_NEVRA);

                if (this && strcmp(this, nevra) == 0) {
                        rpmtsAddEraseElement(t->ts, h, rpmdbGetIteratorOffset(mi));
                        found++;
                }
        }
        rpmdbFreeIterator(mi);
        return found ? 0 : -ENOENT;
}

static int take_problems(struct txn *t, rpmps *ret_problems) {
        rpmps ps = rpmtsProblems(t->ts);

        if (rpmpsNumProblems(ps) == 0) {
                rpmpsFree(ps);
                *ret_problems = NULL;
                return 0;
        }
        *ret_problems = ps;
        return -EPROTO;
}

int txn_check(struct txn *t, rpmps *ret_problems) {
        int r;

        rpmtsCheck(t->ts);
        r = take_problems(t, ret_problems);
        if (r < 0)
                return r;
        if (rpmtsOrder(t->ts) != 0)
                log_warning("rpm could not fully order the transaction (dependency loop); "
                            "it will run in the best order found");
        return 0;
}

/* Which erasures belong to an upgrade (rpm made them for a replaced
 * version or an obsoleted package). */
static int collect_replaced(struct txn *t) {
        rpmtsi it = rpmtsiInit(t->ts);
        rpmte te;
        int r = 0;

        while ((te = rpmtsiNext(it, TR_REMOVED)) != NULL) {
                rpmte by = rpmteDependsOn(te);
                if (!by)
                        continue;
                r = strv_push(&t->replaced, &t->n_replaced, rpmteNEVRA(te));
                if (r == 0)
                        r = strv_push(&t->replaced_by, &t->n_replaced_by, rpmteNEVRA(by));
                if (r < 0)
                        break;
        }
        rpmtsiFree(it);
        return r;
}

static bool is_replaced(struct txn *t, const char *nevra) {
        for (size_t i = 0; i < t->n_replaced; i++)
                if (strcmp(t->replaced[i], nevra) == 0)
                        return true;
        return false;
}

/* "bash-5.1-2.x86_64" replaces "bash-4.2-46.x86_64": same name. */
static bool same_name(const char *nevra, const char *name) {
        size_t n = strlen(name);
        return strncmp(nevra, name, n) == 0 && nevra[n] == '-';
}

/* The element before this one is through. */
static void element_done(struct txn *t) {
        if (t->current && !t->current_failed && t->element_done)
                t->element_done(t->current, t->current_install, t->userdata);
        free(t->current);
        t->current = NULL;
        t->current_failed = false;
}

static void announce(struct txn *t, const void *h, bool install) {
        char *nevra = headerGetAsString((Header) h, RPMTAG_NEVRA);
        const char *name = headerGetString((Header) h, RPMTAG_NAME);
        char what[2048];
        const char *verb = "installing";

        snprintf(what, sizeof(what), "%s", nevra);
        if (install) {
                t->outcome.installed++;
                for (size_t i = 0; i < t->n_replaced; i++) {
                        if (strcmp(t->replaced_by[i], nevra) != 0)
                                continue;
                        if (same_name(t->replaced[i], name)) {
                                verb = "upgrading";
                                snprintf(what, sizeof(what), "%s (from %s)", nevra, t->replaced[i]);
                                break;
                        }
                        snprintf(what, sizeof(what), "%s (replaces %s)", nevra, t->replaced[i]);
                }
        } else {
                t->outcome.erased++;
                verb = is_replaced(t, nevra) ? "cleaning up" : "erasing";
        }
        element_done(t);
        free(t->last_error);
        t->last_error = NULL;
        t->done++;
        if (t->progress)
                t->progress(t->done, t->total, verb, what, t->userdata);
        t->current = nevra;
        t->current_install = install;
}

/* rpm fails the element of header h (an unpack error, a failing %pre or
 * %preun). A %pre runs before rpm announces its element (INST_START comes
 * with the unpacking): when h is not the current element, the current one
 * is through and the failed one never started. */
static void element_failed(struct txn *t, const void *h) {
        _cleanup_free_ char *nevra = h ? headerGetAsString((Header) h, RPMTAG_NEVRA) : NULL;

        if (nevra && t->current && strcmp(nevra, t->current) != 0)
                element_done(t);
        else if (t->current)
                t->current_failed = true;
        if (!nevra || strv_contains(t->failed_nevra, t->n_failed_nevra, nevra))
                return;
        if (strv_push(&t->failed_nevra, &t->n_failed_nevra, nevra) < 0 ||
            strv_push(&t->failed_reason, &t->n_failed_reason, t->last_error ?: "") < 0) {
                /* Keep the two lists in step: drop a reason-less entry. */
                if (t->n_failed_nevra > t->n_failed_reason)
                        free(t->failed_nevra[--t->n_failed_nevra]);
        }
}

static void *on_notify(const void *h, const rpmCallbackType what, const rpm_loff_t amount,
                       const rpm_loff_t total, fnpyKey key, rpmCallbackData data) {
        struct txn *t = data;

        switch (what) {
        case RPMCALLBACK_INST_OPEN_FILE: {
                FD_t fd = Fopen((const char *) key, "r.ufdio");
                if (!fd || Ferror(fd)) {
                        log_error("cannot open %s", (const char *) key);
                        if (fd)
                                Fclose(fd);
                        return NULL;
                }
                t->open_package = fd;
                return fd;
        }
        case RPMCALLBACK_INST_CLOSE_FILE:
                /* Not handed back by rpm: the one we opened last. */
                if (t->open_package)
                        Fclose(t->open_package);
                t->open_package = NULL;
                return NULL;
        case RPMCALLBACK_INST_START:
                announce(t, h, true);
                return NULL;
        case RPMCALLBACK_UNINST_START:
                announce(t, h, false);
                return NULL;
        case RPMCALLBACK_UNPACK_ERROR:
        case RPMCALLBACK_CPIO_ERROR:
                element_failed(t, h);
                return NULL;
        case RPMCALLBACK_SCRIPT_ERROR:
                /* total is what rpm made of the exit status: not OK for a
                 * scriptlet that fails its element (%pre, %preun; also
                 * %pretrans, before any element started). */
                if (total != RPMRC_OK)
                        element_failed(t, h);
                return NULL;
        default:
                return NULL;
        }
}

/* librpm says these only in its log: keep them for the report. */
static void on_rpm_message(rpmlogLvl level, const char *message, void *userdata) {
        struct txn *t = userdata;
        struct upgrade_outcome *o = &t->outcome;
        size_t len = strcspn(message, "\n");
        char line[1024];

        snprintf(line, sizeof(line), "%.*s", (int) len, message);
        if (strstr(line, " created as ") || strstr(line, " saved as "))
                strv_push(&o->config_files, &o->n_config_files, line);
        else if (strstr(line, "scriptlet failed"))
                strv_push(&o->script_failures, &o->n_script_failures, line);
        else if (level <= RPMLOG_ERR)
                strv_push(&o->errors, &o->n_errors, line);
        else
                return;
        /* What rpm says right before it fails an element is why. */
        if (level <= RPMLOG_ERR) {
                free(t->last_error);
                t->last_error = strdup(line);
        }
}

static const char *failure_reason(struct txn *t, const char *nevra) {
        for (size_t i = 0; i < t->n_failed_nevra; i++)
                if (strcmp(t->failed_nevra[i], nevra) == 0 && *t->failed_reason[i])
                        return t->failed_reason[i];
        return "rpm failed it; see the log";
}

/* What stays installed because te failed: the erasures rpm skipped with
 * it (the version it upgrades, what it obsoletes), comma-separated. */
static char *kept_by_failure(struct txn *t, rpmte te) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        rpmtsi it;
        rpmte p;
        bool first = true;

        if (!f)
                return NULL;
        it = rpmtsiInit(t->ts);
        while ((p = rpmtsiNext(it, TR_REMOVED)) != NULL)
                if (rpmteDependsOn(p) == te) {
                        fprintf(f, "%s%s", first ? "" : ",", rpmteNEVRA(p));
                        first = false;
                }
        rpmtsiFree(it);
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(text);
}

/* After a run in which rpm failed elements: each into the outcome. An
 * erasure skipped because the element it belongs to failed is not a
 * failure of its own: it is what that element keeps. */
static int collect_failures(struct txn *t) {
        rpmtsi it = rpmtsiInit(t->ts);
        rpmte te;
        int r = 0;

        while (r == 0 && (te = rpmtsiNext(it, 0)) != NULL) {
                rpmte by = rpmteDependsOn(te);
                const char *nevra = rpmteNEVRA(te);

                if (rpmteFailed(te) <= 0)
                        continue;
                if (rpmteType(te) == TR_REMOVED && by && rpmteFailed(by) > 0)
                        continue;
                if (rpmteType(te) == TR_ADDED) {
                        _cleanup_free_ char *kept = kept_by_failure(t, te);
                        if (!kept)
                                r = -ENOMEM;
                        else
                                r = upgrade_outcome_add_failure(&t->outcome, nevra, kept,
                                                                failure_reason(t, nevra));
                } else
                        /* A failed erasure (its %preun failed): it stays. */
                        r = upgrade_outcome_add_failure(&t->outcome, nevra, nevra, failure_reason(t, nevra));
        }
        rpmtsiFree(it);
        /* What rpm did: the elements it did not fail (a failing %pre ends
         * its element before rpm announces it, so the starts miscount). */
        t->outcome.installed = t->outcome.erased = 0;
        it = rpmtsiInit(t->ts);
        while ((te = rpmtsiNext(it, 0)) != NULL)
                if (rpmteFailed(te) <= 0) {
                        if (rpmteType(te) == TR_ADDED)
                                t->outcome.installed++;
                        else
                                t->outcome.erased++;
                }
        rpmtsiFree(it);
        return r;
}

int txn_run(struct txn *t, bool test_only, txn_progress_fn progress, txn_element_done_fn done,
            void *userdata, rpmps *ret_problems) {
        struct rpm_messages_scope scope = { .fn = on_rpm_message, .userdata = t };
        int r;

        r = collect_replaced(t);
        if (r < 0)
                return r;
        t->done = 0;
        t->total = (unsigned) rpmtsNElements(t->ts);
        t->progress = progress;
        t->element_done = done;
        t->userdata = userdata;

        rpmtsSetNotifyCallback(t->ts, on_notify, t);
        rpmtsSetFlags(t->ts, test_only ? RPMTRANS_FLAG_TEST : RPMTRANS_FLAG_NONE);

        rpm_messages_push(&scope);
        r = rpmtsRun(t->ts, NULL, t->filter);
        rpm_messages_pop(&scope);
        element_done(t);

        /* rpm says -1 both when it could not run and when it ran every
         * element but failed some: the elements tell. */
        if (r < 0 && !test_only && (t->done > 0 || t->n_failed_nevra > 0)) {
                int k = collect_failures(t);
                if (k < 0)
                        return k;
                if (t->outcome.n_failures > 0)
                        return 0;
        }
        if (r < 0)
                return -EIO;
        if (r > 0)
                return take_problems(t, ret_problems) ?: -EIO;
        *ret_problems = NULL;
        return 0;
}
