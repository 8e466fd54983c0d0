/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The findings of a pre-upgrade check: what blocks, what to watch. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "macro.h"

enum severity {
        SEVERITY_BLOCKER,
        SEVERITY_WARNING,
        SEVERITY_INFO,
};

struct finding {
        enum severity severity;
        const char *id;      /* stable, for scripts: "unresolved-dependency" */
        char *title;         /* one line naming the packages involved */
        const char *meaning; /* what it means */
        const char *action;  /* what to do */
        char **details;      /* more lines, e.g. the solutions a solver offers */
        size_t n_details;
        char *subject;       /* what it is about, for --accept ID:SUBJECT; NULL for none */
        bool acceptable;     /* --accept may turn it into an accepted risk (accept.h) */
        bool accepted;       /* it was: it no longer blocks */
};

struct findings {
        struct finding *items;
        size_t n;
};

void findings_add(struct findings *f, enum severity severity, const char *id, const char *meaning,
                  const char *action, const char *title_fmt, ...) _printf_(6, 7);
/* Adds a line to the details of the finding added last. */
void findings_add_detail(struct findings *f, const char *fmt, ...) _printf_(2, 3);
/* Names the subject of the finding added last (a module, a mount point). */
void findings_set_subject(struct findings *f, const char *subject);
/* Findings of this severity that were not accepted; and the accepted ones. */
size_t findings_count(const struct findings *f, enum severity severity);
size_t findings_count_accepted(const struct findings *f);
bool findings_have_blockers(const struct findings *f);
void findings_done(struct findings *f);

enum {
        FINDINGS_COLOUR = 1 << 0, /* severities in colour */
        FINDINGS_QUIET = 1 << 1,  /* blockers and warnings only, no count */
};
void findings_print_text(const struct findings *f, FILE *out, unsigned flags);
/* The findings as a JSON array. */
void findings_print_json(const struct findings *f, FILE *out);
