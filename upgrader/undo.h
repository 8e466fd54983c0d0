/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The undo set (OSLIFT_UNDO_DIR) and the rollback that uses it: taken in
 * undo.c, used by rollback.c, its layout and manifest in undo-set.h.
 *
 * Taken before the upgrader's first write, from the files of the
 * installed packages the transaction removes (its erasures and what its
 * installs replace), because rpm replaces a file by writing a temporary
 * one and renaming it over the path, and removes one by unlinking it: a
 * hard link keeps the old content at no copy cost. What rpm may change
 * in place, or keep under another name, is copied: %config files, files
 * on another file system than the state directory, the whole rpmdb. The
 * manifest names every path the installed packages own (type, mode,
 * owner, mtime, symlink target, how it is kept), so that a rollback also
 * knows what the upgrade added.
 *
 * Crash-safe: it is written into OSLIFT_UNDO_TMP_DIR and renamed to
 * OSLIFT_UNDO_DIR once complete and on disk; a leftover temporary
 * directory is removed and taken again (the tree was not changed yet).
 *
 * The rollback (undo_rollback()) works in steps that can each be run
 * again: it records what the upgrade added (the paths the upgraded rpmdb
 * owns that the manifest does not name, the .rpmnew/.rpmsave files rpm
 * made) in the undo set before removing anything, so that a rollback cut
 * short and run again ends where an uninterrupted one ends.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What taking the undo set cost, for the console line and the tests. */
struct undo_stats {
        unsigned packages;        /* installed packages it covers */
        uint64_t installed_bytes; /* their installed size (RPMTAG_SIZE) */
        unsigned links, copies, paths;
        uint64_t copied_bytes;    /* copies and the rpmdb: the space it takes */
        double seconds;
};

/* Whether state_dir_fd holds a complete undo set. */
bool undo_exists(int state_dir_fd);

struct txn;

/* The directories above every file the checked transaction t installs,
 * sorted, each once: rpm makes those missing without any package owning
 * them, and the rollback removes those it made. */
int undo_added_dirs(struct txn *t, char ***ret, size_t *ret_n);

/*
 * Takes the undo set of root for the installed packages removed (their
 * NEVRAs), unless a complete one is there already (kept: the tree was not
 * changed since it was taken); dirs (undo_added_dirs()) are described in
 * the manifest, so that the rollback knows which of them were not there.
 * 0, or a negative errno (logged) with no complete undo set left behind.
 */
int undo_take(const char *root, int state_dir_fd, char **removed, size_t n_removed, char **dirs, size_t n_dirs,
              struct undo_stats *ret);

/*
 * Puts the old system back from the undo set: removes what the upgrade
 * added, puts every path of the removed packages back as the manifest has
 * it (an /etc file the admin changed after the upgrade is kept beside it
 * as PATH.oslift-rollback), restores the old rpmdb, then verifies every
 * regular file the old rpmdb lists against its digest. Returns 0 when all
 * verify, the number of files that do not (each logged by name, the
 * first few in *ret_problems, malloc'd, "" when none) or a negative errno
 * when it could not go on (logged; running it again goes on).
 */
int undo_rollback(const char *root, int state_dir_fd, char **ret_problems);

/*
 * The kernel the rollback boot's entry loads (the record of what armed it)
 * stays in place through undo_rollback() even when the upgrade added it:
 * a power cut before the old grubenv is back boots that entry again. Once
 * the grubenv is back this removes it when the upgrade added it. 0, or a
 * negative errno (logged).
 */
int undo_rollback_remove_boot_kernel(const char *root);

/* Called as the rollback goes on (every path put back, every package
 * verified): the boot mode pets the watchdog there. NULL for none. */
void undo_set_alive(void (*alive)(void));
