/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Applying the staged plan to a root, resumably (docs/journal.md). Every
 * check that can refuse the plan runs first and only reads. The first
 * write turns the one-time upgrade boot back on (when the root was armed
 * for one), so that from then until the transaction is durably over a
 * power cut boots the upgrade again; the journal then lets that attempt
 * finish what this one started.
 */
#pragma once

#include <stdbool.h>

#define APPLY_MAX_ATTEMPTS_DEFAULT 3

struct apply_options {
        unsigned max_attempts;     /* 0: APPLY_MAX_ATTEMPTS_DEFAULT */
        unsigned checkpoint_every; /* 0: CHECKPOINT_EVERY_DEFAULT */
        /* Called as the work goes on (each package, each step): the boot
         * mode pets the watchdog there. NULL for none. */
        void (*alive)(void);
        /* What the boot mode did to the root's /proc/cmdline, for the
         * console and the log in the root once it is open (before the
         * transaction); NULL for nothing. */
        const char *cmdline_note;
        bool cmdline_note_is_warning;
};

/*
 * The result of an upgrade attempt, the one name for it: the upgrader's exit
 * status in --root mode (main.c), what the boot does next (boot.c). The
 * outcome file and status.json spell the terminal ones as outcome.h's
 * OUTCOME_RESULT_* and status.h's states.
 */
enum apply_result {
        APPLY_APPLIED, /* the plan is applied, now or by an earlier attempt */
        /* The transaction ran to its end, now or in an earlier attempt, but
         * rpm failed some elements: those are not installed and what they
         * replace stays, as rpm -U leaves it. The switch is off; restore
         * runs as after APPLY_APPLIED. Never resumed. */
        APPLY_APPLIED_WITH_PROBLEMS,
        APPLY_REFUSED, /* a check failed: nothing was changed, the boot switch is off */
        APPLY_RESUMABLE, /* it failed after changing things: the switch stays on, the next attempt resumes */
        APPLY_GAVE_UP,   /* too many attempts: nothing more is tried, the switch is off */
        /* host-prep rollback asked for it: the old system is back, every
         * file verified; or back but with files that do not verify. */
        APPLY_ROLLED_BACK,
        APPLY_ROLLED_BACK_WITH_PROBLEMS,
        /* Boot mode only, never apply_plan()'s: nothing is staged, the
         * boot goes on into the system as it is. */
        APPLY_NO_PLAN,
};

/* Logs what it does and why it stops; status.json says it for fleet tools. */
enum apply_result apply_plan(const char *root, const struct apply_options *options);

/*
 * Named points where tests make the upgrader die as a power cut would stop
 * it, for the steps too quick to hit from outside (OSLIFT_CRASH_AT=NAME):
 * "backup" (the rpmdb backup is recorded, the conversion not begun),
 * "converted" (the conversion is done but not recorded), "undo-copied" (the
 * undo set's links and copies are made, its manifest not), "undo-taken"
 * (it is complete, nothing else written), "rollback-restored" (a rollback
 * put the old files back, not yet the rpmdb), "rollback-boot-files" (the
 * old grub.cfg and custom.cfg are back, with the rollback boot's block, not
 * yet the grubenv), "rollback-request-removed" (the rollback is recorded as
 * done, the old grubenv is not back yet).
 */
void crash_point(const char *name);
