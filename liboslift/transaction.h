/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RPM transaction of an upgrade, on librpm. host-prep builds it from
 * the target packages to test-run it against the installed rpmdb; the
 * upgrader builds the same one from the plan and runs it for real.
 */
#pragma once

#include <rpm/rpmps.h>
#include <rpm/rpmts.h>
#include <stdbool.h>

#include "outcome.h"
#include "plan.h"

/* Called before each element, with its position among all of them. */
typedef void (*txn_progress_fn)(unsigned done, unsigned total, const char *verb, const char *nevra,
                                void *userdata);
/* Called once an element is through (its files, its rpmdb entry, its
 * scriptlets) without an error rpm counts as failing it: when the next
 * one starts, and for the last one when the run returns. install: it was
 * installed (else erased; a reinstall has one of each, same NEVRA). */
typedef void (*txn_element_done_fn)(const char *nevra, bool install, void *userdata);

struct txn;

int txn_new(const char *root, struct txn **ret);
void txn_free(struct txn *t);
void txn_freep(struct txn **t);

rpmts txn_ts(struct txn *t);

/* Allows installing an older version than the installed one. */
void txn_allow_downgrade(struct txn *t);

/*
 * Adds the package file at path (absolute; read again when the run needs
 * its payload). PLAN_OP_INSTALL_ONLY installs beside the installed versions;
 * the others upgrade (which also honours Obsoletes). With nevra (the
 * plan's), the header must name exactly that package. -EBADMSG: not a
 * package librpm can read, or another package than nevra (logged).
 */
int txn_add_package(struct txn *t, enum plan_op op, const char *path, const char *nevra);

/* Reads the header of the package file at path with ts's verification
 * flags: -ENOENT when it cannot be opened, -EBADMSG when librpm cannot
 * read it (an unsigned or unknown-key package is fine). */
int package_read_header(rpmts ts, const char *path, Header *ret);

/* Adds the package file at path to be installed again over the installed
 * package of the same NEVRA (rpm --reinstall); nevra as for txn_add_package(). */
int txn_add_reinstall(struct txn *t, const char *path, const char *nevra);

/* Adds the erasure of the installed package nevra. -ENOENT: not installed. */
int txn_add_erase(struct txn *t, const char *nevra);

/* The NEVRAs of what the checked transaction removes: erasures and what
 * the installed elements replace. The caller frees them (strv_free). */
int txn_removed(struct txn *t, char ***ret, size_t *ret_n);
/* The same for what it installs. */
int txn_added(struct txn *t, char ***ret, size_t *ret_n);

/* rpm's id of this transaction: its temporary files end in ";%08x". */
uint32_t txn_tid(struct txn *t);

/*
 * rpm's dependency check and ordering; then, with run, the transaction
 * (test_only: rpm's test run, which also finds file conflicts and lack of
 * disk space without writing). Problems are returned in *ret_problems (NULL
 * when none); -EPROTO when there were problems.
 *
 * A run that rpm took to its end while failing some elements (a failing
 * %pre or %preun, a payload it could not unpack) returns 0, as rpm -U
 * ends there too: the outcome's failures list them, with what stays
 * installed instead and rpm's reason. -EIO when rpm could not run it.
 */
int txn_check(struct txn *t, rpmps *ret_problems);
int txn_run(struct txn *t, bool test_only, txn_progress_fn progress, txn_element_done_fn element_done,
            void *userdata, rpmps *ret_problems);

/* What the run has reported so far, borrowed (txn_take_outcome() takes it). */
struct upgrade_outcome *txn_outcome(struct txn *t);

/* What the run did; the caller takes it over (and frees it). */
void txn_take_outcome(struct txn *t, struct upgrade_outcome *ret);
