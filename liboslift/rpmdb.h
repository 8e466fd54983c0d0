/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading the rpm database of a root directory, whatever its backend. */
#pragma once

#include <rpm/header.h>

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
 * Calls fn for every installed package, read-only; stops when fn returns
 * non-zero and returns that. Returns a negative errno when the database
 * cannot be opened, -EBUSY when another process holds it past the wait of
 * rpmdb_wait_unlocked() (logged).
 */
int rpmdb_foreach_installed(const char *root, int (*fn)(Header h, void *userdata), void *userdata);
