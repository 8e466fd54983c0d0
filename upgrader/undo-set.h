/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What undo.c (taking the undo set) and rollback.c (putting the old system
 * back from it) share: the layout of OSLIFT_UNDO_DIR, its manifest, and
 * the path and file helpers both use. Private to those two files.
 *
 * Layout of OSLIFT_UNDO_DIR:
 *
 *   manifest   "oslift-undo 1", then one line per path the installed
 *              packages own: KIND TYPE MODE UID GID MTIME KEEP SHA256 PATH
 *              TARGET (KIND r: of a removed package, put back; k: of a
 *              kept one, only described; a: a directory above what the
 *              upgrade installs, described (removed when it was missing); TYPE f d l m (missing) o (other);
 *              KEEP L (links/PATH) C (copies/PATH) or -; SHA256 of a
 *              copy or -; PATH and TARGET %XX-escaped, TARGET - unless l)
 *   links/     hard links to the removed packages' files, mirroring paths
 *   copies/    copies of what rpm may change in place or keep aside
 *   rpmdb/     the rpmdb directory's files
 *   added      written by the rollback before its first removal: the
 *              paths the upgrade added ("oslift-undo-added 1", one a line)
 */
#pragma once

#include <limits.h>
#include <rpm/header.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "digest.h"

#define UNDO_MANIFEST_MAGIC "oslift-undo 1"
#define UNDO_ADDED_MAGIC "oslift-undo-added 1"

/* rpm's names for a %config file it keeps aside or writes beside: those
 * there before the upgrade are kept, those it makes are removed by the
 * rollback. */
#define UNDO_CONFIG_SUFFIXES 3
extern const char *const undo_config_suffixes[UNDO_CONFIG_SUFFIXES];

/* A path below oslift's state or log directory or dbpath is oslift's own
 * or the rpmdb's: never taken, removed or put back file by file. */
bool undo_is_ours(const char *path, const char *dbpath);

/* One line of the manifest. */
struct undo_entry {
        char *path;
        char kind, type, keep;
        bool config;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        struct timespec mtime;
        char *target;
        char sha256[SHA256_HEX_SIZE];
};

struct undo_manifest {
        struct undo_entry *e;
        size_t n, allocated;
        size_t sorted; /* e[0..sorted) is sorted: what undo_manifest_find() searches */
};

void undo_manifest_done(struct undo_manifest *m);
/* A new entry (type m, keep -) for path; NULL when out of memory. */
struct undo_entry *undo_manifest_add(struct undo_manifest *m, const char *path, char kind);
/* Sorts by path, each path once (a removed package's entry kept). */
void undo_manifest_sort(struct undo_manifest *m);
/* The entry of path among the sorted ones, or NULL. */
struct undo_entry *undo_manifest_find(const struct undo_manifest *m, const char *path);
/* The manifest file: written (created, fsynced) and read back, sorted. */
int undo_write_manifest(const struct undo_manifest *m, const char *path);
int undo_read_manifest(const char *path, struct undo_manifest *m);

/* A path as one field: %XX for blanks, controls and '%'; and back in
 * place (-EBADMSG for a bad escape or a NUL). */
void undo_put_escaped(FILE *f, const char *s);
int undo_unescape(char *s);

/* root + path with path's directories resolved inside root (chase.h), as
 * rpm, chrooted, sees them; the last component is taken as it is. The
 * parent of the last call is remembered: a package's files come sorted. */
struct undo_resolver {
        const char *root;
        char parent[PATH_MAX];
        char resolved[PATH_MAX];
};

/* Into buf; -EINVAL for a relative path, -ENAMETOOLONG, or chase's error. */
int undo_resolve(struct undo_resolver *rs, const char *path, char *buf, size_t size);

/* mkdir -p of the directories above path, which oslift owns (below the
 * undo set), 0700. */
int undo_mkdir_parents(const char *path);

/* Copies the regular file src to dst (replaced), mode kept, not synced
 * (see undo-set.c); adds the bytes to *bytes unless NULL. */
int undo_copy_plain(const char *src, const char *dst, uint64_t *bytes);

/* rpmdb_foreach_installed(), saying why the rpmdb could not be read whole. */
int undo_foreach_installed(const char *root, int (*fn)(Header h, void *userdata), void *userdata);

/* strcmp() of two char * for qsort() and bsearch(). */
int undo_compare_strings(const void *x, const void *y);
