/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmts.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "log.h"
#include "rpm-messages.h"
#include "rpmdb-lock.h"
#include "rpmdb.h"

const char *rpmdb_backend_name(enum rpmdb_backend b) {
        static const char *const names[] = {
                [RPMDB_BACKEND_NONE] = "none",
                [RPMDB_BACKEND_BDB] = "bdb",
                [RPMDB_BACKEND_NDB] = "ndb",
                [RPMDB_BACKEND_SQLITE] = "sqlite",
        };
        return b < ELEMENTSOF(names) ? names[b] : "unknown";
}

int rpmdb_path(const char *root, char **ret) {
        _cleanup_free_ char *dbpath = rpmExpand("%{_dbpath}", NULL);

        if (!dbpath || dbpath[0] != '/')
                return -EINVAL;
        *ret = root_path_join(root, dbpath);
        return *ret ? 0 : -ENOMEM;
}

int rpmdb_detect_backend(const char *root, enum rpmdb_backend *ret) {
        /* Same order as librpm's own detection: a directory holding several
         * is mid-conversion, and the newest format is the one being written. */
        static const struct {
                const char *file;
                enum rpmdb_backend backend;
        } files[] = {
                { "rpmdb.sqlite", RPMDB_BACKEND_SQLITE },
                { "Packages.db", RPMDB_BACKEND_NDB },
                { "Packages", RPMDB_BACKEND_BDB },
        };
        _cleanup_free_ char *dir = NULL;
        int r = rpmdb_path(root, &dir);

        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char path[4096];
                struct stat st;

                snprintf(path, sizeof(path), "%s/%s", dir, files[i].file);
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                        *ret = files[i].backend;
                        return 0;
                }
        }
        *ret = RPMDB_BACKEND_NONE;
        return 0;
}

int rpmdb_foreach_installed(const char *root, int (*fn)(Header h, void *userdata), void *userdata) {
        struct rpm_messages_scope quiet = { .demote_warnings = 1 };
        rpmts ts = rpmtsCreate();
        rpmdbMatchIterator mi;
        Header h;
        int r = 0;

        if (rpmdb_wait_unlocked(root) < 0) {
                rpmtsFree(ts);
                return -EBUSY;
        }
        rpm_messages_push(&quiet);
        rpmtsSetRootDir(ts, root);
        if (rpmtsOpenDB(ts, O_RDONLY) != 0) {
                rpmtsFree(ts);
                rpm_messages_pop(&quiet);
                return -EIO;
        }
        mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        while (mi && (h = rpmdbNextIterator(mi)) != NULL) {
                r = fn(h, userdata);
                if (r != 0)
                        break;
        }
        rpmdbFreeIterator(mi);
        rpmtsFree(ts);
        rpm_messages_pop(&quiet);
        return r;
}
