/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Taking the undo set; see undo.h, and undo-set.h for its layout. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <rpm/header.h>
#include <rpm/rpmfi.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmtag.h>
#include <rpm/rpmte.h>
#include <rpm/rpmts.h>

#include "apply.h"
#include "digest.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"
#include "rpmdb.h"
#include "strv.h"
#include "time-util.h"
#include "transaction.h"
#include "undo-set.h"
#include "undo.h"
#include "undo-boot.h"


static void sort_unique(char **v, size_t *n) {
        size_t out = 0;

        qsort(v, *n, sizeof(*v), undo_compare_strings);
        for (size_t i = 0; i < *n; i++) {
                if (out > 0 && strcmp(v[out - 1], v[i]) == 0) {
                        free(v[i]);
                        continue;
                }
                v[out++] = v[i];
        }
        *n = out;
}

int undo_added_dirs(struct txn *t, char ***ret, size_t *ret_n) {
        rpmtsi it = rpmtsiInit(txn_ts(t));
        char **v = NULL, last[PATH_MAX] = "";
        size_t n = 0, parents;
        rpmte te;
        int r = 0;

        while (r == 0 && (te = rpmtsiNext(it, TR_ADDED))) {
                rpmfiles files = rpmteFiles(te);
                rpmfi fi = rpmfilesIter(files, RPMFI_ITER_FWD);

                while (r == 0 && fi && rpmfiNext(fi) >= 0) {
                        const char *fn = rpmfiFN(fi), *slash = fn ? strrchr(fn, '/') : NULL;
                        size_t k = slash ? (size_t) (slash - fn) : 0;

                        if (k == 0 || k >= sizeof(last) || (strlen(last) == k && strncmp(last, fn, k) == 0))
                                continue;
                        memcpy(last, fn, k);
                        last[k] = '\0';
                        r = strv_push(&v, &n, last);
                }
                rpmfiFree(fi);
                rpmfilesFree(files);
        }
        rpmtsiFree(it);
        if (r < 0) {
                strv_free(v, n);
                return r;
        }
        sort_unique(v, &n);
        /* And every directory above those. */
        parents = n;
        for (size_t i = 0; r == 0 && i < parents; i++) {
                char dir[PATH_MAX];
                char *slash;

                snprintf(dir, sizeof(dir), "%s", v[i]);
                while (r == 0 && (slash = strrchr(dir, '/')) && slash != dir) {
                        *slash = '\0';
                        r = strv_push(&v, &n, dir);
                }
        }
        if (r < 0) {
                strv_free(v, n);
                return r;
        }
        sort_unique(v, &n);
        *ret = v;
        *ret_n = n;
        return 0;
}

struct take {
        const char *root;
        char **removed;
        size_t n_removed;
        char **dirs;
        size_t n_dirs;
        struct undo_manifest m;
        struct undo_stats *stats;
        const char *dbpath; /* inside the root */
};

static int collect(Header h, void *userdata) {
        struct take *t = userdata;
        _cleanup_free_ char *nevra = headerGetAsString(h, RPMTAG_NEVRA);
        rpmfi fi;
        char kind;

        if (!nevra)
                return -ENOMEM;
        kind = strv_contains(t->removed, t->n_removed, nevra) ? 'r' : 'k';
        if (kind == 'r') {
                t->stats->packages++;
                t->stats->installed_bytes += headerGetNumber(h, RPMTAG_LONGSIZE);
        }
        fi = rpmfiNew(NULL, h, RPMTAG_BASENAMES, RPMFI_FLAGS_QUERY);
        while (fi && rpmfiNext(fi) >= 0) {
                const char *fn = rpmfiFN(fi);
                struct undo_entry *e;

                if (!fn || fn[0] != '/' || undo_is_ours(fn, t->dbpath))
                        continue;
                e = undo_manifest_add(&t->m, fn, kind);
                if (!e) {
                        rpmfiFree(fi);
                        return -ENOMEM;
                }
                e->config = rpmfiFFlags(fi) & RPMFILE_CONFIG;
        }
        rpmfiFree(fi);
        return 0;
}

/* What kind of thing path is now, into e. */
static int describe(struct undo_entry *e, const char *host) {
        struct stat st;

        if (lstat(host, &st) < 0) {
                if (errno != ENOENT && errno != ENOTDIR)
                        return negative_errno();
                e->type = 'm';
                return 0;
        }
        e->type = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'o';
        e->mode = st.st_mode & 07777;
        e->uid = st.st_uid;
        e->gid = st.st_gid;
        e->mtime = st.st_mtim;
        if (e->type == 'l') {
                char target[PATH_MAX];
                ssize_t n = readlink(host, target, sizeof(target) - 1);
                if (n < 0)
                        return negative_errno();
                target[n] = '\0';
                e->target = strdup(target);
                if (!e->target)
                        return -ENOMEM;
        }
        return 0;
}

static int keep_file(struct take *t, struct undo_entry *e, const char *host, const char *undo, dev_t undo_dev) {
        char dst[PATH_MAX];
        struct stat st;
        int r;

        if (lstat(host, &st) < 0)
                return negative_errno();
        if (!e->config && st.st_dev == undo_dev) {
                if (snprintf(dst, sizeof(dst), "%s/links%s", undo, e->path) >= (int) sizeof(dst))
                        return -ENAMETOOLONG;
                r = undo_mkdir_parents(dst);
                if (r < 0)
                        return r;
                if (linkat(AT_FDCWD, host, AT_FDCWD, dst, 0) == 0) {
                        e->keep = 'L';
                        t->stats->links++;
                        return 0;
                }
                if (errno != EXDEV && errno != EPERM && errno != EMLINK)
                        return negative_errno();
        }
        /* %config files (rpm may keep the admin's or write it aside), and
         * what a link cannot keep: a copy. */
        if (snprintf(dst, sizeof(dst), "%s/copies%s", undo, e->path) >= (int) sizeof(dst))
                return -ENAMETOOLONG;
        r = undo_mkdir_parents(dst);
        if (r == 0)
                r = undo_copy_plain(host, dst, &t->stats->copied_bytes);
        if (r == 0)
                r = sha256_file(AT_FDCWD, dst, e->sha256, NULL);
        if (r < 0)
                return r;
        e->keep = 'C';
        t->stats->copies++;
        return 0;
}

bool undo_exists(int state_dir_fd) {
        struct stat st;

        return fstatat(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_UNDO_DIR) , &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               S_ISDIR(st.st_mode);
}

static int take(struct take *t, int state_dir_fd, const char *undo_tmp) {
        _cleanup_free_ char *dbhost = NULL;
        struct undo_resolver rs = { .root = t->root };
        char dst[PATH_MAX], host[PATH_MAX];
        struct stat st;
        size_t n_manifest;
        int r;

        if (mkdirat(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_UNDO_TMP_DIR), 0700) < 0)
                return log_error_errno(negative_errno(), "cannot create %s", undo_tmp);
        if (stat(undo_tmp, &st) < 0)
                return negative_errno();

        r = rpmdb_path(t->root, &dbhost);
        if (r < 0)
                return log_error_errno(r, "cannot find the rpmdb in %s", t->root);
        if (snprintf(dst, sizeof(dst), "%s/rpmdb", undo_tmp) >= (int) sizeof(dst))
                return -ENAMETOOLONG;
        r = copy_dir_files(dbhost, dst);
        if (r < 0)
                return log_error_errno(r, "cannot copy the rpmdb %s into the undo set", dbhost);
        {
                _cleanup_close_ int d = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                DIR *dir = d >= 0 ? fdopendir(d) : NULL;
                struct dirent *de;
                struct stat fst;

                if (dir) {
                        d = -1;
                        while ((de = readdir(dir)))
                                if (fstatat(dirfd(dir), de->d_name, &fst, AT_SYMLINK_NOFOLLOW) == 0 &&
                                    S_ISREG(fst.st_mode))
                                        t->stats->copied_bytes += (uint64_t) fst.st_size;
                        closedir(dir);
                }
        }

        r = undo_foreach_installed(t->root, collect, t);
        if (r < 0)
                return log_error_errno(r, "cannot read the installed packages of %s", t->root);
        for (size_t i = 0; i < t->n_dirs; i++)
                if (!undo_is_ours(t->dirs[i], t->dbpath) && !undo_manifest_add(&t->m, t->dirs[i], 'a'))
                        return log_error_errno(-ENOMEM, "out of memory");
        undo_manifest_sort(&t->m);
        n_manifest = t->m.n;
        for (size_t i = 0; i < n_manifest; i++) {
                struct undo_entry *e = &t->m.e[i];
                bool config = e->config;

                r = undo_resolve(&rs, e->path, host, sizeof(host));
                if (r == 0)
                        r = describe(e, host);
                /* A kept package's path is only described: the
                 * verification tells what was missing before from what
                 * the rollback lost. */
                if (e->kind != 'r') {
                        if (r < 0)
                                e->type = 'o'; /* cannot be looked at: not judged by the verification */
                        continue;
                }
                if (r == 0 && e->type == 'f')
                        r = keep_file(t, e, host, undo_tmp, st.st_dev);
                if (r < 0)
                        return log_error_errno(r, "cannot keep %s in the undo set", e->path);
                t->stats->paths++;
                if (!config)
                        continue;
                /* undo_manifest_add() may move the array: e is not used below. */
                for (size_t k = 0; k < ELEMENTSOF(undo_config_suffixes); k++) {
                        char aside[PATH_MAX], aside_host[PATH_MAX];
                        struct undo_entry *s;

                        if (snprintf(aside, sizeof(aside), "%s%s", t->m.e[i].path, undo_config_suffixes[k]) >= (int) sizeof(aside))
                                continue;
                        if (snprintf(aside_host, sizeof(aside_host), "%s%s", host, undo_config_suffixes[k]) >=
                                    (int) sizeof(aside_host) ||
                            lstat(aside_host, &(struct stat) {}) < 0 || undo_manifest_find(&t->m, aside))
                                continue;
                        s = undo_manifest_add(&t->m, aside, 'r');
                        if (!s)
                                return log_error_errno(-ENOMEM, "out of memory");
                        s->config = true;
                        r = describe(s, aside_host);
                        if (r == 0 && s->type == 'f')
                                r = keep_file(t, s, aside_host, undo_tmp, st.st_dev);
                        if (r < 0)
                                return log_error_errno(r, "cannot keep %s in the undo set", aside);
                }
        }
        undo_manifest_sort(&t->m);
        r = undo_boot_take(t->root, OSLIFT_UNDO_TMP_DIR);
        if (r < 0)
                return r;
        crash_point("undo-copied");
        if (snprintf(dst, sizeof(dst), "%s/manifest", undo_tmp) >= (int) sizeof(dst))
                return -ENAMETOOLONG;
        r = undo_write_manifest(&t->m, dst);
        if (r < 0)
                return log_error_errno(r, "cannot write the undo set's manifest %s", dst);
        return 0;
}

int undo_take(const char *root, int state_dir_fd, char **removed, size_t n_removed, char **dirs, size_t n_dirs,
              struct undo_stats *ret) {
        struct undo_stats stats = {};
        struct take t = { .root = root, .removed = removed, .n_removed = n_removed, .dirs = dirs, .n_dirs = n_dirs,
                          .stats = &stats };
        _cleanup_free_ char *dbhost = NULL;
        char undo_tmp[PATH_MAX], dbpath[PATH_MAX] = "";
        struct timespec started;
        int r;

        if (undo_exists(state_dir_fd)) {
                log_info("keeping the undo set %s taken before: the root has not changed since", OSLIFT_UNDO_DIR);
                return 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &started);
        r = path_in_root(undo_tmp, sizeof(undo_tmp), root, OSLIFT_UNDO_TMP_DIR);
        if (r < 0)
                return r;
        /* What a cut-short take left: taken again, the tree is as it was. */
        if (fstatat(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_UNDO_TMP_DIR), &(struct stat) {}, AT_SYMLINK_NOFOLLOW) == 0) {
                log_info("removing the undo set an earlier run did not finish taking");
                r = remove_tree(undo_tmp);
                if (r < 0)
                        return log_error_errno(r, "cannot remove the incomplete undo set %s", undo_tmp);
        }
        if (rpmdb_path(root, &dbhost) == 0 && strlen(dbhost) >= strlen(root_prefix(root)))
                snprintf(dbpath, sizeof(dbpath), "%s", dbhost + strlen(root_prefix(root)));
        t.dbpath = dbpath;

        log_info("taking the undo set for 'host-prep rollback' in %s", OSLIFT_UNDO_DIR);
        r = take(&t, state_dir_fd, undo_tmp);
        undo_manifest_done(&t.m);
        if (r == 0 && syncfs(state_dir_fd) < 0)
                r = log_error_errno(negative_errno(), "cannot flush the undo set to disk");
        if (r == 0 && renameat(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_UNDO_TMP_DIR), state_dir_fd,
                               STATE_DIR_RELATIVE(OSLIFT_UNDO_DIR)) < 0)
                r = log_error_errno(negative_errno(), "cannot complete the undo set %s", OSLIFT_UNDO_DIR);
        if (r == 0 && fsync(state_dir_fd) < 0)
                r = log_error_errno(negative_errno(), "cannot flush %s to disk", OSLIFT_STATE_DIR);
        if (r < 0) {
                (void) remove_tree(undo_tmp);
                return r;
        }
        crash_point("undo-taken");
        stats.seconds = seconds_since(&started);
        log_info("undo set taken in %.1f s: %u paths of %u packages (%llu bytes installed), %u links, %u copies, "
                 "%llu bytes copied (with the rpmdb)",
                 stats.seconds, stats.paths, stats.packages, (unsigned long long) stats.installed_bytes, stats.links,
                 stats.copies, (unsigned long long) stats.copied_bytes);
        if (ret)
                *ret = stats;
        return 0;
}

