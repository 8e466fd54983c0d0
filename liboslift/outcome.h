/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the transaction did that the final report must tell: written by the
 * upgrader (OSLIFT_STATE_DIR/outcome), read by restore on the first boot
 * of the new system. One fact per line: "KEY VALUE".
 */
#pragma once

#include <stddef.h>

#include "strv.h"

struct upgrade_outcome {
        char result[16]; /* "applied" or "failed" */
        double seconds;
        unsigned installed, erased;
        char **config_files; /* "/etc/x created as /etc/x.rpmnew", "... saved as ..." */
        size_t n_config_files;
        char **script_failures; /* rpm's words: scriptlet, package, exit status */
        size_t n_script_failures;
        char **errors; /* other errors rpm reported while running */
        size_t n_errors;
};

void upgrade_outcome_done(struct upgrade_outcome *o);

int upgrade_outcome_write(const char *root, const struct upgrade_outcome *o);
/* -ENOENT when the upgrader left none, -EBADMSG when unreadable. */
int upgrade_outcome_read(const char *root, struct upgrade_outcome *ret);
/* The same from len bytes of the file's text (need not be NUL-terminated):
 * -EBADMSG, -ENOMEM. */
int upgrade_outcome_parse(const char *text, size_t len, struct upgrade_outcome *ret);
