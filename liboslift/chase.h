/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one way into a root directory. Every file oslift writes, creates or
 * removes inside the root being upgraded (logs, reports, the state
 * directory, status.json, the journal, grubenv, rpm's leftovers) is reached
 * through these functions, so that a symlink planted by a package or an
 * earlier run cannot send a write to the host or to another place in the
 * root than the one named.
 *
 * Paths are resolved as if root were "/" (systemd's chase() with
 * CHASE_PREFIX_ROOT): absolute symlinks and ".." start again from root and
 * never climb above it. The resolved path is then opened component by
 * component from root with O_NOFOLLOW, so a component swapped for a symlink
 * after it was resolved makes the open fail instead of leading elsewhere.
 * Special files are opened with O_NONBLOCK and refused, so a FIFO planted
 * where oslift writes cannot hang it.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* path is normalized and absolute: "/", or "/a/b" without "//", "." or a
 * trailing slash. */
bool path_is_normalized(const char *path);

/*
 * Resolves path (absolute) inside root as if root were "/": symlinks are
 * followed, absolute ones and ".." relative to root, never leaving it. The
 * part that does not exist is kept as written (normalized). *ret is the
 * resolved path inside root ("/" when it is root). -ELOOP after 40 links,
 * -ENOTDIR, -ENAMETOOLONG, or a negative errno from lstat/readlink.
 */
int chase_in_root(const char *root, const char *path, char **ret);

/*
 * Opens path inside root. All components but the last are resolved by
 * chase_in_root(); the last one too unless flags has O_NOFOLLOW, in which
 * case a symlink there fails with -ELOOP (also with O_CREAT). flags are
 * open(2)'s; O_CLOEXEC is always added. Unless flags has O_DIRECTORY the
 * result must be a regular file: anything else (a FIFO, a socket, a device,
 * a directory) is refused with -EBADFD (-EISDIR for a directory) without
 * blocking on it. The fd is returned in blocking mode unless flags asked for
 * O_NONBLOCK. Missing parents are not created (see mkdir_in_root()).
 */
int open_in_root(const char *root, const char *path, int flags, mode_t mode);

/*
 * Opens the directory path inside root (resolved by chase_in_root(), the
 * last component too), O_RDONLY | O_DIRECTORY. With mkdir_mode != 0,
 * components that do not exist are created with that mode (as mkdir -p);
 * existing ones are kept as they are. With nofollow, path (normalized) is
 * taken literally and no component may be a symlink (-ELOOP): for oslift's
 * own state directory, whose path everything else derives from; missing
 * parents are then created 0755 and only the last one with mkdir_mode.
 */
int open_dir_in_root(const char *root, const char *path, mode_t mkdir_mode, bool nofollow);

/*
 * Opens the directory that holds path inside root (resolved as above) and
 * returns its fd; *ret_name points into path at the last component, which
 * is not resolved (for renameat(), unlinkat(), openat(O_NOFOLLOW)). -EINVAL
 * when path has no last component (it is "/") or it is "." or "..".
 */
int open_parent_in_root(const char *root, const char *path, const char **ret_name);

/*
 * open_in_root(root, path, O_RDONLY | flags, 0) as a stdio stream: a
 * regular file only, never blocking on a FIFO. NULL with errno set (EBADFD
 * for a file that is not regular, ELOOP for a symlink with O_NOFOLLOW).
 */
FILE *fopen_in_root(const char *root, const char *path, int flags);

/*
 * Removes path inside root: a file or a symlink (never followed) is
 * unlinked, a directory is removed with everything below it (see
 * remove_dir_contents()). -ENOENT when there is nothing to remove.
 */
int remove_in_root(const char *root, const char *path);
