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
 * the others upgrade (which also honours Obsoletes). -EBADMSG: not a
 * package librpm can read.
 */
int txn_add_package(struct txn *t, enum plan_op op, const char *path);

/* Adds the erasure of the installed package nevra. -ENOENT: not installed. */
int txn_add_erase(struct txn *t, const char *nevra);

/*
 * rpm's dependency check and ordering; then, with run, the transaction
 * (test_only: rpm's test run, which also finds file conflicts and lack of
 * disk space without writing). Problems are returned in *ret_problems (NULL
 * when none); -EPROTO when there were problems.
 */
int txn_check(struct txn *t, rpmps *ret_problems);
int txn_run(struct txn *t, bool test_only, txn_progress_fn progress, void *userdata,
            rpmps *ret_problems);

/* What the run did; the caller takes it over (and frees it). */
void txn_take_outcome(struct txn *t, struct upgrade_outcome *ret);
