/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sqlite3.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmts.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Berkeley DB's hash metadata page: the magic at 12, the key count
 * ("nelem") at 88, in the byte order of the machine that wrote it. */
#define BDB_HASH_MAGIC 0x00061561u
static int bdb_recorded_count(const char *path, uint64_t *ret) {
        _cleanup_close_ int fd = open_regular_at(AT_FDCWD, path);
        unsigned char meta[92];
        uint32_t magic, nelem;

        if (fd < 0)
                return fd;
        if (pread(fd, meta, sizeof(meta), 0) != (ssize_t) sizeof(meta))
                return -ENODATA;
        memcpy(&magic, meta + 12, 4);
        memcpy(&nelem, meta + 88, 4);
        if (magic == __builtin_bswap32(BDB_HASH_MAGIC))
                nelem = __builtin_bswap32(nelem);
        else if (magic != BDB_HASH_MAGIC)
                return -ENODATA;
        /* Key 0 holds the next header instance, not a package. */
        *ret = nelem > 0 ? nelem - 1 : 0;
        return 0;
}

static uint32_t le32(const unsigned char *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* ndb's Packages.db: a header ("RpmP", version 0, generation, number of
 * slot pages), then 16-byte slots ("Slot", package index, block offset,
 * block count) on those 4 KiB pages; a used slot has a block offset. */
static int ndb_recorded_count(const char *path, uint64_t *ret) {
        _cleanup_close_ int fd = open_regular_at(AT_FDCWD, path);
        unsigned char page[4096];
        uint32_t npages;
        uint64_t n = 0;

        if (fd < 0)
                return fd;
        if (pread(fd, page, sizeof(page), 0) != (ssize_t) sizeof(page) || memcmp(page, "RpmP", 4) != 0 ||
            le32(page + 4) != 0)
                return -ENODATA;
        npages = le32(page + 12);
        if (npages == 0 || npages > 1u << 20)
                return -ENODATA;
        for (uint32_t i = 0; i < npages; i++) {
                if (i > 0 && pread(fd, page, sizeof(page), (off_t) i * sizeof(page)) != (ssize_t) sizeof(page))
                        return -ENODATA;
                for (size_t o = i == 0 ? 32 : 0; o < sizeof(page); o += 16) {
                        if (memcmp(page + o, "Slot", 4) != 0)
                                return -ENODATA;
                        if (le32(page + o + 8) != 0)
                                n++;
                }
        }
        *ret = n;
        return 0;
}

static int sqlite_recorded_count(const char *path, uint64_t *ret) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        int r = -ENODATA;

        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(db, "SELECT count(*) FROM Packages", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
                *ret = (uint64_t) sqlite3_column_int64(st, 0);
                r = 0;
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return r;
}

int rpmdb_recorded_count(const char *root, enum rpmdb_backend backend, uint64_t *ret) {
        static const char *const files[] = {
                [RPMDB_BACKEND_BDB] = "Packages",
                [RPMDB_BACKEND_NDB] = "Packages.db",
                [RPMDB_BACKEND_SQLITE] = "rpmdb.sqlite",
        };
        _cleanup_free_ char *dir = NULL, *path = NULL;
        int r;

        if (backend == RPMDB_BACKEND_NONE || backend >= ELEMENTSOF(files))
                return -ENODATA;
        r = rpmdb_path(root, &dir);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", dir, files[backend]) < 0)
                return -ENOMEM;
        switch (backend) {
        case RPMDB_BACKEND_BDB:
                return bdb_recorded_count(path, ret);
        case RPMDB_BACKEND_NDB:
                return ndb_recorded_count(path, ret);
        case RPMDB_BACKEND_SQLITE:
                return sqlite_recorded_count(path, ret);
        default:
                return -ENODATA;
        }
}

struct read_errors {
        char last[512]; /* bdb_ro's summary comes after the system call's error */
        unsigned n;
};

static void collect_error(rpmlogLvl level, const char *message, void *userdata) {
        struct read_errors *e = userdata;

        if (level > RPMLOG_ERR)
                return;
        e->n++;
        snprintf(e->last, sizeof(e->last), "%.*s", (int) strcspn(message, "\n"), message);
}

int rpmdb_read_whole(rpmts ts, const char *root, enum rpmdb_backend backend, int (*fn)(Header h, void *userdata),
                     void *userdata, char **ret_error) {
        struct read_errors errors = {};
        struct rpm_messages_scope scope = { .fn = collect_error, .userdata = &errors, .quiet = 1,
                                            .demote_warnings = 1 };
        rpmdbMatchIterator mi;
        uint64_t n = 0, recorded;
        Header h;
        int r = 0;

        *ret_error = NULL;
        rpm_messages_push(&scope);
        mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        while (mi && (h = rpmdbNextIterator(mi)) != NULL) {
                n++;
                if (fn && (r = fn(h, userdata)) != 0)
                        break;
        }
        rpmdbFreeIterator(mi);
        rpm_messages_pop(&scope);
        if (r != 0)
                return r;
        if (errors.n > 0) {
                asprintf(ret_error, "librpm reported %u error(s) while reading it (%s); %llu packages were read",
                         errors.n, errors.last, (unsigned long long) n);
                return -EBADMSG;
        }
        if (rpmdb_recorded_count(root, backend, &recorded) == 0 && recorded != n) {
                asprintf(ret_error, "it says it holds %llu packages, but %llu could be read",
                         (unsigned long long) recorded, (unsigned long long) n);
                return -EBADMSG;
        }
        return 0;
}

int rpmdb_foreach_installed(const char *root, int (*fn)(Header h, void *userdata), void *userdata,
                            char **ret_error) {
        struct rpm_messages_scope quiet = { .demote_warnings = 1 };
        enum rpmdb_backend backend;
        rpmts ts;
        int r;

        *ret_error = NULL;
        r = rpmdb_detect_backend(root, &backend);
        if (r < 0)
                return r;
        ts = rpmtsCreate();
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
        r = rpmdb_read_whole(ts, root, backend, fn, userdata, ret_error);
        rpmtsFree(ts);
        rpm_messages_pop(&quiet);
        return r;
}

int rpmdb_index_guard_begin(const char *root, struct rpmdb_index_guard *g) {
        _cleanup_free_ char *dir = NULL;
        enum rpmdb_backend backend;
        struct stat st;
        int r;

        *g = (struct rpmdb_index_guard) {};
        r = rpmdb_detect_backend(root, &backend);
        if (r < 0 || backend != RPMDB_BACKEND_NDB)
                return r < 0 ? r : 0;
        r = rpmdb_path(root, &dir);
        if (r < 0)
                return r;
        if (asprintf(&g->path, "%s/Index.db", dir) < 0) {
                g->path = NULL;
                return -ENOMEM;
        }
        if (lstat(g->path, &st) == 0 || errno != ENOENT) {
                free(g->path);
                g->path = NULL;
        }
        return 0;
}

void rpmdb_index_guard_end(struct rpmdb_index_guard *g) {
        if (g->path && unlink(g->path) < 0 && errno != ENOENT)
                log_warning("cannot remove %s, which librpm created: %m", g->path);
        free(g->path);
        g->path = NULL;
}
