/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file systems the upgrade needs below the new root (/sysroot in the
 * initramfs): the root itself, read-write; the local file systems in its
 * /etc/fstab, which the transaction may write to; and /proc, /sys, /dev and
 * /run for the scriptlets. Everything done is recorded, to be undone in
 * reverse order before the reboot, or before the boot goes on when there
 * is nothing to upgrade.
 *
 * Which fstab entries to mount is decided from the file alone (fstab.h),
 * so that it can be tested without privileges; only mounts_*() mount.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "chase.h"       /* chase_in_root() */
#include "device-wait.h" /* device_wait(), which mounts_root() and mounts_fstab() use */
#include "fstab.h"
#include "mount-util.h"  /* path_is_below() */

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

/* Binds the file source (a path outside the root) read-only over the
 * file inside (a path in the root, not resolved: a file of what
 * mounts_api() bound, /proc/cmdline). Undone before what it lies on, as
 * everything is undone in reverse order. A negative errno, with what
 * failed in err, without logging: the caller decides how bad it is. */
int mounts_bind_file(struct mounts *m, const char *source, const char *inside, char *err, size_t err_size);

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
