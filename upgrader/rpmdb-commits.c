/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rpmdb commits without fsync during the transaction; see rpmdb-commits.h. */
#include <errno.h>
#include <sqlite3.h>

#include "log.h"
#include "rpmdb-commits.h"

/* An sqlite "automatic extension": sqlite runs it for every connection
 * opened from now on, which is the one way to reach the connection rpm
 * keeps to itself. rpm switches the database to WAL right after opening
 * it and never sets synchronous except when closing (FULL again). */
static int set_synchronous_normal(sqlite3 *db, const char **error, const void *api) {
        (void) error;
        (void) api;
        /* Best effort: if it does not take, rpm syncs as before. */
        if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)
                log_debug("rpmdb: synchronous=NORMAL not set: %s", sqlite3_errmsg(db));
        return SQLITE_OK;
}

int rpmdb_commits_unsynced(bool on) {
        void (*entry)(void) = (void (*)(void)) set_synchronous_normal;

        if (!on) {
                sqlite3_cancel_auto_extension(entry);
                return 0;
        }
        if (sqlite3_auto_extension(entry) != SQLITE_OK)
                return -ENOMEM;
        return 0;
}
