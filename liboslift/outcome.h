/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the transaction did that the final report must tell: written by the
 * upgrader (OSLIFT_STATE_DIR/outcome), read by restore on the first boot
 * of the new system. One fact per line: "KEY VALUE", as record.h writes it.
 */
#pragma once

#include <stddef.h>

#include "strv.h"

/* The result names, as the outcome file, status.json (the upgrader's
 * terminal state) and the report spell them. */
#define OUTCOME_RESULT_APPLIED "applied"
/* The transaction ran to its end, but rpm failed some of its elements
 * (a %pre that failed, a payload it could not unpack): those are not
 * installed and what they were to replace stays, as after rpm -U. */
#define OUTCOME_RESULT_APPLIED_WITH_PROBLEMS "applied-with-problems"
#define OUTCOME_RESULT_FAILED "failed"

/* An element rpm failed: "failed NEVRA KEPT REASON" in the file. */
struct upgrade_failure {
        char *nevra;  /* the package rpm did not install (or did not erase) */
        char *kept;   /* what stays installed instead, comma-separated; "-" for nothing */
        char *reason; /* rpm's words: the scriptlet and its exit status, or the unpack error */
};

struct upgrade_outcome {
        char result[32]; /* one of the OUTCOME_RESULT_* names */
        double seconds;
        unsigned installed, erased;
        char **config_files; /* "/etc/x created as /etc/x.rpmnew", "... saved as ..." */
        size_t n_config_files;
        char **script_failures; /* rpm's words: scriptlet, package, exit status */
        size_t n_script_failures;
        char **errors; /* other errors rpm reported while running */
        size_t n_errors;
        struct upgrade_failure *failures; /* elements rpm failed, in the order they ran */
        size_t n_failures;
};

/* Appends a failure (copies of the strings; kept NULL or "" is "-"): -ENOMEM,
 * -EINVAL for a nevra that is empty or has a space. */
int upgrade_outcome_add_failure(struct upgrade_outcome *o, const char *nevra, const char *kept,
                                const char *reason);

void upgrade_outcome_done(struct upgrade_outcome *o);

int upgrade_outcome_write(const char *root, const struct upgrade_outcome *o);
/* -ENOENT when the upgrader left none, -EBADMSG when unreadable. */
int upgrade_outcome_read(const char *root, struct upgrade_outcome *ret);
/* The same from len bytes of the file's text (need not be NUL-terminated):
 * -EBADMSG, -ENOMEM. */
int upgrade_outcome_parse(const char *text, size_t len, struct upgrade_outcome *ret);
