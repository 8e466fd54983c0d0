/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel command line as the upgrade initramfs needs it: where the root
 * file system is (root=, rootfstype=, rootflags=, ro/rw) and our own keys
 * (spelled in liboslift/kernel-args.h, which host-prep writes from):
 *
 *   rd.oslift.upgrade   act: upgrade the system at /sysroot (the unit only
 *                       starts with it, but we check again)
 *   rd.oslift.break     never reboot, neither at the end nor on failure:
 *                       stop with the system left running, for debugging
 *   rd.oslift.debug     log debug messages to the console too
 *   rd.oslift.attempts=N    give up after N upgrade boots that did not
 *                           finish (default 3)
 *   rd.oslift.checkpoint=K  make progress durable every K packages
 *   rd.oslift.watchdog=S    reboot when the upgrade makes no progress for S
 *                           seconds (default 900; 0: off)
 *
 * Our flags take an optional boolean value (rd.oslift.debug=0). A key given
 * more than once takes its last value, as dracut and systemd read them.
 *
 * The input is untrusted as far as memory safety goes (it is fuzzed): the
 * parser reads nothing outside the buffer it is given, stops at a NUL byte
 * or after CMDLINE_SIZE_MAX bytes, and drops values that do not fit.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "kernel-args.h"

/* Far above the kernel's COMMAND_LINE_SIZE (2048 to 4096 on x86 and arm64). */
#define CMDLINE_SIZE_MAX (64u * 1024u)

/* Sizes of the stored values, including the NUL; longer values are dropped. */
#define CMDLINE_VALUE_SIZE 1024
#define CMDLINE_FSTYPE_SIZE 64

/* No progress for this long is a hang: a package's files and scriptlets
 * take seconds; dracut in a kernel's %posttrans a few minutes under
 * emulation. */
#define CMDLINE_WATCHDOG_DEFAULT 900

/* Problems (bad values, oversized values), the first few kept for the log. */
#define CMDLINE_PROBLEMS_MAX 4
#define CMDLINE_PROBLEM_SIZE 160

enum root_kind {
        ROOT_NONE,        /* no root= (or an empty one) */
        ROOT_PATH,        /* /dev/sda1, /dev/mapper/..., block:/dev/... */
        ROOT_UUID,        /* UUID=... */
        ROOT_LABEL,       /* LABEL=... */
        ROOT_PARTUUID,    /* PARTUUID=... */
        ROOT_PARTLABEL,   /* PARTLABEL=... */
        ROOT_UNSUPPORTED, /* nfs:, live:, 08:01, ...: not a local block device we can find */
};

struct boot_cmdline {
        bool upgrade; /* rd.oslift.upgrade */
        bool stop;    /* rd.oslift.break */
        bool debug;   /* rd.oslift.debug */
        unsigned max_attempts;     /* rd.oslift.attempts=, 0 when not given */
        unsigned checkpoint_every; /* rd.oslift.checkpoint=, 0 when not given */
        unsigned watchdog_seconds; /* rd.oslift.watchdog=, 0: off */
        int read_only; /* ro: 1, rw: 0, neither: -1 */

        enum root_kind root_kind;
        /* The root device as libblkid's blkid_evaluate_spec() takes it
         * ("UUID=...", "/dev/sda1"; "block:" dropped), "" for ROOT_NONE.
         * For ROOT_UNSUPPORTED: the value as given, for messages. */
        char root[CMDLINE_VALUE_SIZE];
        char rootfstype[CMDLINE_FSTYPE_SIZE]; /* "" when not given */
        char rootflags[CMDLINE_VALUE_SIZE];   /* "" when not given */

        unsigned n_problems; /* all of them, even beyond CMDLINE_PROBLEMS_MAX */
        char problems[CMDLINE_PROBLEMS_MAX][CMDLINE_PROBLEM_SIZE];
};

/*
 * Parses len bytes of a kernel command line (as in /proc/cmdline; need not
 * be NUL-terminated) into *ret. Never fails: what cannot be used is left
 * out and described in ret->problems.
 */
void cmdline_parse(const char *text, size_t len, struct boot_cmdline *ret);

/* Reads and parses path (/proc/cmdline). A negative errno if unreadable. */
int cmdline_read(const char *path, struct boot_cmdline *ret);

/* "none", "path", "UUID", ... for messages. */
const char *root_kind_name(enum root_kind k);
