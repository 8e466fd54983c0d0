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
        bool current_failed;
        void *userdata;
        struct upgrade_outcome outcome;
};


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

int txn_removed(struct txn *t, char ***ret, size_t *ret_n) {
        rpmtsi it = rpmtsiInit(t->ts);
        char **v = NULL;
        size_t n = 0;
        rpmte te;
        int r = 0;

        while (r == 0 && (te = rpmtsiNext(it, TR_REMOVED)) != NULL)
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

int txn_add_erase(struct txn *t, const char *nevra) {
        rpmdbMatchIterator mi = rpmtsInitIterator(t->ts, RPMDBI_LABEL, nevra, 0);
        Header h;
        int found = 0;

        while (mi && (h = rpmdbNextIterator(mi)) != NULL) {
                rpmtsAddEraseElement(t->ts, h, rpmdbGetIteratorOffset(mi));
                found++;
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
                t->element_done(t->current, t->userdata);
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
        t->done++;
        if (t->progress)
                t->progress(t->done, t->total, verb, what, t->userdata);
        t->current = nevra;
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
                t->current_failed = true;
                return NULL;
        case RPMCALLBACK_SCRIPT_ERROR:
                /* total is what rpm made of the exit status: not OK for a
                 * scriptlet that fails its element (%pre, %preun). Also
                 * for %pretrans, before its element started: then the
                 * previous one is taken for failed, which only means it
                 * is not counted as through. */
                if (total != RPMRC_OK)
                        t->current_failed = true;
                return NULL;
        default:
                return NULL;
        }
}

/* librpm says these only in its log: keep them for the report. */
static void on_rpm_message(rpmlogLvl level, const char *message, void *userdata) {
        struct upgrade_outcome *o = userdata;
        size_t len = strcspn(message, "\n");
        char line[1024];

        snprintf(line, sizeof(line), "%.*s", (int) len, message);
        if (strstr(line, " created as ") || strstr(line, " saved as "))
                strv_push(&o->config_files, &o->n_config_files, line);
        else if (strstr(line, "scriptlet failed"))
                strv_push(&o->script_failures, &o->n_script_failures, line);
        else if (level <= RPMLOG_ERR)
                strv_push(&o->errors, &o->n_errors, line);
}

int txn_run(struct txn *t, bool test_only, txn_progress_fn progress, txn_element_done_fn done,
            void *userdata, rpmps *ret_problems) {
        struct rpm_messages_scope scope = { .fn = on_rpm_message, .userdata = &t->outcome };
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

        if (r < 0)
                return -EIO;
        if (r > 0)
                return take_problems(t, ret_problems) ?: -EIO;
        *ret_problems = NULL;
        return 0;
}
