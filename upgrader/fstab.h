/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which entries of the root's /etc/fstab the upgrade mounts, and in which
 * order: decided from the file alone, so that it can be tested without
 * privileges (mounts.h mounts them).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* More entries than this in one fstab are refused (-E2BIG). */
#define FSTAB_ENTRIES_MAX 1024u

/* What to do with an fstab entry: mount it, or why not. */
enum fstab_verdict {
        FSTAB_MOUNT,
        FSTAB_SKIP_SWAP,
        FSTAB_SKIP_BAD_TARGET, /* the mount point is not an absolute path, or has ".." */
        FSTAB_SKIP_ROOT,       /* "/": mounted before the fstab is read */
        FSTAB_SKIP_NOAUTO,
        FSTAB_SKIP_BIND,       /* bind, rbind or move: another view of something mounted */
        FSTAB_SKIP_NETWORK,    /* network file system or _netdev: there is no network here */
        FSTAB_SKIP_FUSE,       /* needs a helper program */
        FSTAB_SKIP_PSEUDO,     /* tmpfs, proc, ...: no data of the system */
        FSTAB_SKIP_API,        /* below /proc, /sys, /dev or /run, which are bound from here */
        FSTAB_SKIP_PARENT,     /* below a mount point that is not mounted */
        _FSTAB_VERDICT_MAX,
};

struct fstab_entry {
        char *source;  /* as written ("UUID=...", "/dev/sdb1"), unescaped */
        char *target;  /* normalized when absolute ("/var/log"), else as written */
        char *fstype;  /* NULL for none or "auto" */
        char *options; /* NULL for none */
        bool nofail;
        /* Must mount for the upgrade to go on: not nofail, or nofail but
         * one of the system's own (/boot, /boot/efi, /etc, /usr, /var),
         * which the packages write to: upgrading without it would put the
         * new kernel or programs on the directory below the mount point. */
        bool required;
        bool read_only; /* "ro" among the options (mounted read-write all the same) */
        enum fstab_verdict verdict;
        size_t parent; /* FSTAB_SKIP_PARENT: the index of the entry it is below */
};

struct fstab {
        struct fstab_entry *entries; /* in file order */
        size_t n_entries;
        /* Indexes of the FSTAB_MOUNT entries, in the order to mount them:
         * file order, except that an entry comes after those it is below. */
        size_t *order;
        size_t n_order;
        unsigned n_bad_lines;  /* lines libmount could not parse (left out) */
        unsigned first_bad_line;
};

/* Parses an fstab from f (name for messages) and decides every entry.
 * -E2BIG beyond FSTAB_ENTRIES_MAX entries, -ENOMEM. */
int fstab_parse(FILE *f, const char *name, struct fstab *ret);

/* Reads the fstab at path inside root, following symlinks within root.
 * -ENOENT when there is none. */
int fstab_read(const char *root, const char *path, struct fstab *ret);

void fstab_done(struct fstab *t);

/* A few words for the log: "swap", "network file system", ... */
const char *fstab_verdict_reason(enum fstab_verdict v);

/* The last entry to mount, other than "/", whose mount point is path or
 * one of its parents: where path's file system comes from. NULL for none. */
const struct fstab_entry *fstab_find_covering(const struct fstab *t, const char *path);
