/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file systems the upgrade needs below the new root (/sysroot in the
 * initramfs): the root itself, read-write; the local file systems in its
 * /etc/fstab, which the transaction may write to; and /proc, /sys, /dev and
 * /run for the scriptlets. Everything done is recorded, to be undone in
 * reverse order before the reboot, or before the boot goes on when there
 * is nothing to upgrade.
 *
 * Which fstab entries to mount is decided from the file alone (fstab_parse),
 * so that it can be tested without privileges; only mounts_*() mount.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "chase.h"

/* How long to wait for a device to appear, in milliseconds. */
#define ROOT_DEVICE_TIMEOUT_MS 30000u
#define FSTAB_DEVICE_TIMEOUT_MS 30000u
#define FSTAB_NOFAIL_DEVICE_TIMEOUT_MS 10000u

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

/* child is strictly below parent (both normalized): "/a/b" below "/a" and "/". */
bool path_is_below(const char *child, const char *parent);

/* chase_in_root() is in liboslift/chase.h. */

/*
 * Waits until spec (UUID=, LABEL=, PARTUUID=, PARTLABEL=, or a path) names
 * a block device, for at most timeout_ms; *ret is the device node.
 * -ENODEV when it did not appear in time.
 */
int device_wait(const char *spec, unsigned timeout_ms, char **ret);

struct mounts;

int mounts_new(const char *sysroot, struct mounts **ret);
/* Frees the record; does not undo anything (see mounts_undo). */
void mounts_free(struct mounts *m);
void mounts_freep(struct mounts **m);

/*
 * The root, read-write: when sysroot is a mount point already (dracut
 * mounted it, usually read-only), remounted read-write if needed;
 * otherwise spec is waited for and mounted there with fstype (NULL or ""
 * to probe) and flags (rootflags=, may be NULL). Logged, with the time it
 * took. A negative errno after logging why.
 */
int mounts_root(struct mounts *m, const char *spec, const char *fstype, const char *flags);

/*
 * The FSTAB_MOUNT entries of t in t->order, below sysroot, read-write;
 * those mounted already are remounted read-write if need be. A failed
 * entry that is not required is a warning (and what is below it is left
 * out); any other failure stops and returns a negative errno, after
 * logging why.
 */
int mounts_fstab(struct mounts *m, const struct fstab *t);

/* Binds /proc, /sys, /dev and /run (recursively, as slaves: unmounting
 * them later does not propagate back) into sysroot. */
int mounts_api(struct mounts *m);

/* Undoes everything above in reverse order: unmounts what was mounted,
 * remounts read-only what was remounted read-write. Goes on past failures
 * (logged) and returns the first; a second call does nothing. */
int mounts_undo(struct mounts *m);

/* Before a reboot: sysroot read-only when it is still mounted read-write. */
int mounts_root_read_only(struct mounts *m);

/* Whether sysroot is mounted, read-write. */
bool mounts_root_writable(struct mounts *m);

/* Whether path inside sysroot (resolved within it) is a mount point. */
bool mounts_is_mount_point(struct mounts *m, const char *path);
