/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every host-prep subcommand gets: the global options. */
#pragma once

#include <stdbool.h>

/* Exit codes, stable: documented in host-prep(8) and host-prep --help. */
enum {
        EXIT_OK = 0,
        EXIT_BLOCKED = 1, /* check/stage found something that blocks */
        EXIT_USAGE = 2,   /* bad command line */
        EXIT_FAILED = 3,  /* an operation failed (I/O, rpmdb, ...) */
};

/* stage's spool: a directory of this name beside OSLIFT_STATE_DIR (on the
 * same file system), root's alone, holding the copies of the packages
 * while they are checked; removed by stage, or by cancel after a crash. */
#define OSLIFT_SPOOL_PREFIX ".oslift-stage-"

struct context {
        const char *root; /* "/" unless --root */
        bool json;        /* stdout is one JSON document */
        bool quiet;       /* stdout only what was asked for: no progress, no summaries */
        bool colour;      /* stdout is a terminal that takes colour */
};

int cmd_inventory(const struct context *ctx, int argc, char **argv);
int cmd_check(const struct context *ctx, int argc, char **argv);
int cmd_stage(const struct context *ctx, int argc, char **argv);
int cmd_status(const struct context *ctx, int argc, char **argv);
int cmd_cancel(const struct context *ctx, int argc, char **argv);
int cmd_restore(const struct context *ctx, int argc, char **argv);
int cmd_log(const struct context *ctx, int argc, char **argv);
int cmd_rollback(const struct context *ctx, int argc, char **argv);
int cmd_commit(const struct context *ctx, int argc, char **argv);
int cmd_verify(const struct context *ctx, int argc, char **argv);

struct assessment;
/* Prints check's report (text, or JSON with --json); EXIT_BLOCKED when
 * something blocks. */
int print_assessment(const struct context *ctx, const struct assessment *a);

/* What stage did, for its JSON document: check's, with these keys added. */
struct stage_result {
        bool staged;
        const char *state_dir; /* where it staged, NULL when it did not */
        const char *initramfs; /* the upgrade initramfs the armed boot runs, NULL when not armed */
        bool reboot;           /* it reboots into the upgrade now */
};
void print_assessment_text(const struct context *ctx, const struct assessment *a);
/* staged: NULL for check. */
void print_assessment_json(const struct context *ctx, const struct assessment *a,
                           const struct stage_result *staged);
