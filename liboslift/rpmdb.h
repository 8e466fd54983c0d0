/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading the rpm database of a root directory, whatever its backend. */
#pragma once

#include <rpm/header.h>
#include <rpm/rpmts.h>
#include <stdint.h>

enum rpmdb_backend {
        RPMDB_BACKEND_NONE,   /* no database files found */
        RPMDB_BACKEND_BDB,    /* Berkeley DB "Packages": CentOS/RHEL 7 and 8 */
        RPMDB_BACKEND_NDB,    /* "Packages.db": SUSE */
        RPMDB_BACKEND_SQLITE, /* "rpmdb.sqlite": Fedora 33+, EL9 */
};

const char *rpmdb_backend_name(enum rpmdb_backend b);

/* The rpmdb directory inside root (librpm's %_dbpath below root). */
int rpmdb_path(const char *root, char **ret);

/* Which backend the files in root's rpmdb directory belong to. */
int rpmdb_detect_backend(const char *root, enum rpmdb_backend *ret);

/*
 * How many packages the database in root says it holds, from its own
 * bookkeeping rather than from reading them: Berkeley DB's key count in
 * the Packages hash (less the record holding the next instance number),
 * ndb's used slots in Packages.db, sqlite's count(*) of Packages. Reads
 * only. -ENODATA when the backend or the file's variant keeps no such count.
 */
int rpmdb_recorded_count(const char *root, enum rpmdb_backend backend, uint64_t *ret);

/*
 * Reads every installed package of the open ts (iterating Packages) and
 * checks that the read was whole: librpm reported no error while reading
 * (bdb_ro says "error reading Packages database" and carries on with what
 * it got) and the number read equals rpmdb_recorded_count(). fn, unless
 * NULL, is called for each header; a non-zero return stops and is returned.
 * Returns 0, or -EBADMSG with *ret_error saying what is wrong.
 */
int rpmdb_read_whole(rpmts ts, const char *root, enum rpmdb_backend backend, int (*fn)(Header h, void *userdata),
                     void *userdata, char **ret_error);

/*
 * Calls fn for every installed package, read-only; stops when fn returns
 * non-zero and returns that. Returns a negative errno when the database
 * cannot be opened, -EBADMSG (with *ret_error) when it cannot be read whole
 * as rpmdb_read_whole() says, -EBUSY when another process holds it past the
 * wait of rpmdb_wait_unlocked() (logged).
 */
int rpmdb_foreach_installed(const char *root, int (*fn)(Header h, void *userdata), void *userdata,
                            char **ret_error);

/*
 * librpm's ndb backend creates and fills Index.db beside Packages.db when
 * it is missing, even for a read-only open. Between begin and end, a
 * command that must not write records whether it was there, and end
 * removes it when librpm created it.
 */
struct rpmdb_index_guard {
        char *path; /* NULL: nothing to undo */
};
int rpmdb_index_guard_begin(const char *root, struct rpmdb_index_guard *g);
void rpmdb_index_guard_end(struct rpmdb_index_guard *g);
