/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A verdict on every installed package: what the upgrade does with it
 * (moves it to a target package, erases it, keeps it as it is) and why,
 * and for what stays, whether the source distribution signed it.
 *
 * Decided where the decision is made: with --repo by host-prep's solver
 * (solve.c: libsolv's transaction, with the --package-map line, the --pes
 * event or the --erase that asked for it); then by rpm's dependency check
 * of the transaction (assess.c: what it erases or replaces beyond that,
 * --allow-erasing; the whole verdict with --packages). The signature is
 * the installed header's (signer.h). The text report and check --json
 * print them (docs/check-json.schema.json, host-prep(8)).
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

enum verdict_action {
        VERDICT_KEEP,  /* stays installed as it is */
        VERDICT_MOVE,  /* replaced by a target package (target) */
        VERDICT_ERASE, /* erased, nothing in its place */
        _VERDICT_ACTION_MAX,
};

enum verdict_reason {
        VERDICT_NOT_IN_TARGET, /* keep: nothing in the target replaces it */
        VERDICT_SAME_VERSION,  /* keep: the target holds this very package */
        VERDICT_INSTALL_ONLY,  /* keep: a newer one is installed beside it (kernels) */
        VERDICT_NAME,          /* move: to the target's package of its name */
        VERDICT_OBSOLETES,     /* move: a target package obsoletes it */
        VERDICT_PES_EVENT,     /* move or erase: Leapp's event (event) */
        VERDICT_PACKAGE_MAP,   /* move or erase: --package-map's line (map_line) */
        VERDICT_ERASE_OPTION,  /* erase: --erase NAME */
        VERDICT_ALLOW_ERASING, /* erase: the target breaks it, and --allow-erasing */
        _VERDICT_REASON_MAX,
};

enum verdict_signature {
        VERDICT_SIGNATURE_UNKNOWN,  /* no source keys known: not sorted */
        VERDICT_SIGNATURE_SOURCE,   /* by a key of the source distribution */
        VERDICT_SIGNATURE_OTHER,    /* by another key: third-party */
        VERDICT_SIGNATURE_UNSIGNED, /* no signature at all */
        _VERDICT_SIGNATURE_MAX,
};

struct verdict {
        char *nevra; /* the installed package */
        char *name;
        enum verdict_action action;
        enum verdict_reason reason;
        char *target;      /* move: the NEVRA that replaces it; else NULL */
        unsigned event;    /* VERDICT_PES_EVENT: the event's id */
        unsigned map_line; /* VERDICT_PACKAGE_MAP: the map's line */
        char *key_id;      /* the installed header's signing key id, or NULL */
        enum verdict_signature signature;
};

struct verdicts {
        struct verdict *v; /* sorted by nevra once verdicts_sort() ran */
        size_t n;
};

const char *verdict_action_name(enum verdict_action a);
const char *verdict_reason_name(enum verdict_reason r);
const char *verdict_signature_name(enum verdict_signature s); /* NULL for unknown */

/* Adds name's package nevra (signed by key_id, or NULL), kept: nothing
 * replaces it until said otherwise. Returns it; aborts out of memory. */
struct verdict *verdicts_add(struct verdicts *x, const char *nevra, const char *name, const char *key_id);
void verdicts_sort(struct verdicts *x);
/* The verdict on nevra (after verdicts_sort()), or NULL. An epoch of 0
 * matches whether it is spelled out ("N-0:V-R.A") or not ("N-V-R.A"):
 * libsolv leaves out what rpm's NEVRA shows. */
struct verdict *verdicts_find(const struct verdicts *x, const char *nevra);
/* Names the targets spelled without nevra's epoch of 0 as nevra does
 * (rpm's name for a candidate), so that a move names the package as rpm
 * does; nothing when nevra has no epoch of 0. */
void verdicts_name_targets(struct verdicts *x, const char *nevra);
void verdicts_done(struct verdicts *x);

/* Sets what happens to v: for VERDICT_MOVE target is the replacing
 * NEVRA; event and map_line only for their reasons (else 0). The action
 * and the reason must fit (a move by --erase is a bug: it aborts). */
void verdict_set(struct verdict *v, enum verdict_action a, enum verdict_reason r, const char *target,
                 unsigned event, unsigned map_line);

/* Sorts each signature by the source distribution's key ids (signer.h);
 * with none, every signature stays unknown. */
void verdicts_classify(struct verdicts *x, char *const *ids, size_t n);

/* How many verdicts are of action a with reason r. */
size_t verdicts_count(const struct verdicts *x, enum verdict_action a, enum verdict_reason r);
/* Kept packages nothing in the target replaces and the source
 * distribution did not sign (other or unsigned). */
size_t verdicts_count_foreign_kept(const struct verdicts *x);

/*
 * The text report's section: one line of counts ("packages: 312 move by
 * name, 14 by PES event; 3 erase (2 by --erase, ...); 20 keep (...)"), a
 * line naming each kept package nothing replaces that the source
 * distribution did not sign (third-party or unsigned: what an operator
 * must look at), and with all every package's verdict, one a line.
 */
void verdicts_print_text(const struct verdicts *x, FILE *out, bool all);
/* The verdicts as a JSON array (check --json's "packages"). */
void verdicts_print_json(const struct verdicts *x, FILE *out);
