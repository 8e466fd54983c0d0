/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What is left of a plan after an interrupted attempt (docs/journal.md):
 * each target package that the rpmdb lists and a checkpoint covers is
 * kept; one the rpmdb lists after the last checkpoint is installed again
 * (its files may not have reached the disk); one it does not list is
 * installed; whatever the plan or the first transaction removes and is
 * still listed is erased. A kept one whose part of the transaction's end
 * (%posttrans, file triggers) never ran is installed again too. rpm's temporary files of the interrupted
 * attempts are removed first.
 */
#pragma once

#include "journal.h"
#include "plan.h"
#include "transaction.h"

struct resume_counts {
        unsigned kept, reinstalled, installed, erased;
        unsigned owed; /* installed again for the transaction's end they missed */
        unsigned temp_files; /* rpm's leftovers removed */
};

/* Whether the plan installs nevra (rather than erasing or not naming it). */
bool plan_installs(const struct plan *plan, const char *nevra);

/* Adds the rest of the plan to t (built on root). */
int resume_build(struct txn *t, const struct plan *plan, const char *packages_dir, const struct journal *j,
                 struct resume_counts *ret);

/* Removes "PATH;TID" for every file of the plan's packages and every
 * attempt's TID, below root. */
int resume_remove_temp_files(const char *root, const struct plan *plan, const char *packages_dir,
                             const struct journal *j, unsigned *ret_removed);
