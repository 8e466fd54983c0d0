/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File system helpers. Paths named "in root" are absolute paths inside a
 * root directory ("/" for the running system). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* The longest --root the programs take: what is left of PATH_MAX holds
 * every path oslift makes below it (paths.h's constants, a package's
 * file name), so path_in_root() of those into a PATH_MAX buffer cannot
 * fail. */
#define ROOT_PATH_MAX 2048

/* What goes before a path in root, in a message or in root + path:
 * nothing for "/". */
const char *root_prefix(const char *root);

/* root + path, without a doubled slash when root is "/": into a buffer,
 * or newly allocated (NULL when out of memory). -ENAMETOOLONG when it does
 * not fit. */
int path_in_root(char *buf, size_t size, const char *root, const char *path);
char *root_path_join(const char *root, const char *path);

/* mkdir -p of path inside root (resolved by chase_in_root(), never
 * leaving root); existing directories are kept as they are. */
int mkdir_in_root(const char *root, const char *path, mode_t mode);

/* Writes data to path in root through a temporary file, fsync and rename:
 * readers see the old or the new content, never a mix. The directory is
 * resolved inside root (chase.h); a symlink at path is replaced, never
 * followed. The directory must exist. */
int write_file_atomic(const char *root, const char *path, const void *data, size_t size, mode_t mode);
/* The same for name in the directory dir_fd (a file name, no '/'), for a
 * directory already opened safely (staging_dir_open()). */
int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t size, mode_t mode);

/* Creates a new file (0600) with a unique temporary name beside name in
 * dir_fd, never following or reusing what is there; *ret_tmp is its name. */
int open_temporary_at(int dir_fd, const char *name, char **ret_tmp);

/* read(2), going on after EINTR: the number of bytes read, 0 at the end,
 * or a negative errno. */
ssize_t read_retry(int fd, void *buf, size_t size);

/* Reads fd from its offset to its end, at most size bytes at a time into
 * buf, and hands each piece to each(). Returns 0 at the end, the first
 * negative value each() returns, or read's negative errno. */
int read_fd_pieces(int fd, void *buf, size_t size, int (*each)(const void *piece, size_t n, void *userdata),
                   void *userdata);

/* Copies src to dst (created, mode kept), data synced to disk. */
int copy_file(const char *src, const char *dst);

/* Copies what is left of in (from its offset) to out, going on after short
 * writes and EINTR, then fsyncs out with COPY_FSYNC (without it, the
 * caller makes the data durable, with one syncfs() for many files). Adds
 * the bytes copied to *bytes unless it is NULL. */
enum {
        COPY_FSYNC = 1 << 0,
};
int copy_fd_data(int in, int out, unsigned flags, uint64_t *bytes);

/* Copies the regular files of directory src into dst (created 0700). */
int copy_dir_files(const char *src, const char *dst);

/* Removes everything below the directory fd (taken over and closed), or
 * path and everything below it: never following a symlink, never crossing
 * into another file system, carrying on past a failure (logged) and
 * returning the first. */
int remove_dir_contents(int fd, const char *path);
int remove_tree(const char *path);

/* Opens path below dirfd for reading when it is a regular file, without
 * following a symlink in its last component and without hanging on a FIFO
 * planted in its place. Returns the fd, -EISDIR, -EBADFD (not a regular
 * file) or open's negative errno. For files we did not necessarily write. */
int open_regular_at(int dirfd, const char *path);

/* Writes all of data, going on after short writes and EINTR. */
int write_all(int fd, const void *data, size_t size);

/* Reads fd to its end, at most max bytes (callers that must refuse larger
 * input pass their limit + 1), into a new buffer; hint sizes the first
 * allocation. */
int read_bounded(int fd, size_t max, size_t hint, char **ret, size_t *ret_len);

/* The whole regular file at path (symlinks followed: an operator's input
 * file), at most max bytes, as read_bounded() gives it: -EBADFD for
 * anything but a regular file (a FIFO fails at once, it never blocks),
 * -EFBIG beyond max, else what open() or reading says. */
int read_regular_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* How read_regular_file_full() reads. */
enum {
        /* The first max bytes of a larger file, not -EFBIG: for files whose
         * head is all that is wanted (/proc, configuration). */
        READ_TRUNCATE = 1 << 0,
        /* A NUL after the data (not counted in *ret_len), for text. */
        READ_NUL_TERMINATE = 1 << 1,
};
/* read_regular_file() with flags (READ_*). */
int read_regular_file_full(const char *path, size_t max, unsigned flags, char **ret, size_t *ret_len);

/* Exactly what timestamp_now() writes, for a real UTC time. */
bool timestamp_is_valid(const char *s);

/* UTC now as "2026-11-23T12:00:00Z". */
#define TIMESTAMP_SIZE 32
int timestamp_now(char buf[static TIMESTAMP_SIZE]);
