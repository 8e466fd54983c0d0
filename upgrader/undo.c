/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The undo set and the rollback; see undo.h. Layout of OSLIFT_UNDO_DIR:
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
#include <rpm/rpmcrypto.h>
#include <rpm/rpmfi.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmtag.h>
#include <rpm/rpmte.h>
#include <rpm/rpmts.h>

#include "apply.h"
#include "chase.h"
#include "digest.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"
#include "rpmdb.h"
#include "strv.h"
#include "time-util.h"
#include "transaction.h"
#include "undo.h"
#include "undo-boot.h"

#define MANIFEST_MAGIC "oslift-undo 1"
#define ADDED_MAGIC "oslift-undo-added 1"
#define SAVED_SUFFIX ".oslift-rollback"
#define PROBLEMS_MAX 900

/* A path below one of these is oslift's own or the rpmdb's: never taken,
 * removed or put back file by file. */
static bool is_ours(const char *path, const char *dbpath) {
        static const char *const own[] = { OSLIFT_STATE_DIR, OSLIFT_LOG_DIR };
        const char *dirs[] = { own[0], own[1], dbpath };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                size_t n = dirs[i] ? strlen(dirs[i]) : 0;
                if (n && strncmp(path, dirs[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
                        return true;
        }
        return false;
}

struct entry {
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

struct manifest {
        struct entry *e;
        size_t n, allocated;
        size_t sorted; /* e[0..sorted) is sorted: what manifest_find() searches */
};

static void manifest_done(struct manifest *m) {
        for (size_t i = 0; i < m->n; i++) {
                free(m->e[i].path);
                free(m->e[i].target);
        }
        free(m->e);
        *m = (struct manifest) {};
}

static struct entry *manifest_add(struct manifest *m, const char *path, char kind) {
        struct entry *e;

        if (m->n == m->allocated) {
                size_t k = m->allocated ? m->allocated * 2 : 1024;
                e = realloc(m->e, k * sizeof(*e));
                if (!e)
                        return NULL;
                m->e = e;
                m->allocated = k;
        }
        e = &m->e[m->n];
        *e = (struct entry) { .kind = kind, .type = 'm', .keep = '-' };
        e->path = strdup(path);
        if (!e->path)
                return NULL;
        m->n++;
        return e;
}

static int compare_entries(const void *x, const void *y) {
        const struct entry *a = x, *b = y;
        int c = strcmp(a->path, b->path);

        /* A path of a removed package first: that one is kept. */
        return c ?: (a->kind != 'r') - (b->kind != 'r');
}

static void manifest_sort(struct manifest *m) {
        size_t out = 0;

        qsort(m->e, m->n, sizeof(*m->e), compare_entries);
        for (size_t i = 0; i < m->n; i++) {
                if (out > 0 && strcmp(m->e[out - 1].path, m->e[i].path) == 0) {
                        m->e[out - 1].config |= m->e[i].config;
                        free(m->e[i].path);
                        free(m->e[i].target);
                        continue;
                }
                m->e[out++] = m->e[i];
        }
        m->n = m->sorted = out;
}

static struct entry *manifest_find(const struct manifest *m, const char *path) {
        size_t lo = 0, hi = m->sorted;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(path, m->e[mid].path);
                if (c == 0)
                        return &m->e[mid];
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return NULL;
}

/* ---- escaping: a path is one field ----------------------------------------- */

static void put_escaped(FILE *f, const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p <= ' ' || *p == 0x7f || *p == '%')
                        fprintf(f, "%%%02x", *p);
                else
                        fputc(*p, f);
}

static int unescape(char *s) {
        char *o = s;

        for (char *p = s; *p; p++) {
                if (*p != '%') {
                        *o++ = *p;
                        continue;
                }
                unsigned v;
                if (sscanf(p + 1, "%2x", &v) != 1 || v == 0 || !p[1] || !p[2])
                        return -EBADMSG;
                *o++ = (char) v;
                p += 2;
        }
        *o = '\0';
        return 0;
}

/* ---- paths ------------------------------------------------------------------ */

/* root + path with path's directories resolved inside root (chase.h), as
 * rpm, chrooted, sees them; the last component is taken as it is. The
 * parent of the last call is remembered: a package's files come sorted. */
struct resolver {
        const char *root;
        char parent[PATH_MAX];
        char resolved[PATH_MAX];
};

static int resolve(struct resolver *rs, const char *path, char *buf, size_t size) {
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t) (slash - path) : 0;

        if (!slash || n >= sizeof(rs->parent))
                return -EINVAL;
        if (strlen(rs->parent) != n || strncmp(rs->parent, path, n) != 0 || !rs->resolved[0]) {
                _cleanup_free_ char *r = NULL;
                char parent[PATH_MAX];
                int k;

                memcpy(parent, path, n);
                parent[n] = '\0';
                k = chase_in_root(rs->root, n ? parent : "/", &r);
                if (k < 0)
                        return k;
                memcpy(rs->parent, parent, n + 1);
                snprintf(rs->resolved, sizeof(rs->resolved), "%s", r);
        }
        if (snprintf(buf, size, "%s%s/%s", root_prefix(rs->root), strcmp(rs->resolved, "/") == 0 ? "" : rs->resolved,
                     slash + 1) >= (int) size)
                return -ENAMETOOLONG;
        return 0;
}

/* mkdir -p of a directory oslift owns (below the undo set). */
static int mkdir_parents(const char *path) {
        char buf[PATH_MAX];

        if (snprintf(buf, sizeof(buf), "%s", path) >= (int) sizeof(buf))
                return -ENAMETOOLONG;
        for (char *p = buf + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                        return negative_errno();
                *p = '/';
        }
        return 0;
}

/* Copies the regular file src to dst (replaced), mode kept, not synced:
 * the undo set is synced as a whole. Adds the bytes to *bytes. */
static int copy_plain(const char *src, const char *dst, uint64_t *bytes) {
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        _cleanup_close_ int out = -1;
        char buf[1 << 16];
        struct stat st;
        ssize_t n;

        if (in < 0 || fstat(in, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        (void) unlink(dst);
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 07777);
        if (out < 0)
                return negative_errno();
        while ((n = read(in, buf, sizeof(buf))) > 0) {
                int r = write_all(out, buf, (size_t) n);
                if (r < 0)
                        return r;
                if (bytes)
                        *bytes += (uint64_t) n;
        }
        return n < 0 ? negative_errno() : 0;
}

/* The hex digest of the regular file path with rpm's algorithm algo; -ENOENT,
 * -EBADFD (not a regular file) or another negative errno. */
static int file_digest(const char *path, int algo, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        char buf[1 << 16];
        DIGEST_CTX ctx;
        struct stat st;
        ssize_t n;

        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        ctx = rpmDigestInit(algo, RPMDIGEST_NONE);
        if (!ctx)
                return -EOPNOTSUPP;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                rpmDigestUpdate(ctx, buf, (size_t) n);
        if (n < 0) {
                int r = negative_errno();
                rpmDigestFinal(ctx, NULL, NULL, 1);
                return r;
        }
        return rpmDigestFinal(ctx, (void **) ret, NULL, 1) == 0 ? 0 : -EIO;
}

/* rpmdb_foreach_installed(), saying why the rpmdb could not be read whole. */
static int foreach_installed(const char *root, int (*fn)(Header h, void *userdata), void *userdata) {
        _cleanup_free_ char *error = NULL;
        int r = rpmdb_foreach_installed(root, fn, userdata, &error);

        if (r < 0 && error)
                log_error("%s", error);
        return r;
}

static int compare_strings(const void *x, const void *y) {
        return strcmp(*(char *const *) x, *(char *const *) y);
}

static void sort_unique(char **v, size_t *n) {
        size_t out = 0;

        qsort(v, *n, sizeof(*v), compare_strings);
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

/* ---- taking it -------------------------------------------------------------- */

struct take {
        const char *root;
        char **removed;
        size_t n_removed;
        char **dirs;
        size_t n_dirs;
        struct manifest m;
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
                struct entry *e;

                if (!fn || fn[0] != '/' || is_ours(fn, t->dbpath))
                        continue;
                e = manifest_add(&t->m, fn, kind);
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
static int describe(struct entry *e, const char *host) {
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

static int keep_file(struct take *t, struct entry *e, const char *host, const char *undo, dev_t undo_dev) {
        char dst[PATH_MAX];
        struct stat st;
        int r;

        if (lstat(host, &st) < 0)
                return negative_errno();
        if (!e->config && st.st_dev == undo_dev) {
                if (snprintf(dst, sizeof(dst), "%s/links%s", undo, e->path) >= (int) sizeof(dst))
                        return -ENAMETOOLONG;
                r = mkdir_parents(dst);
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
        r = mkdir_parents(dst);
        if (r == 0)
                r = copy_plain(host, dst, &t->stats->copied_bytes);
        if (r == 0)
                r = sha256_file(AT_FDCWD, dst, e->sha256, NULL);
        if (r < 0)
                return r;
        e->keep = 'C';
        t->stats->copies++;
        return 0;
}

/* rpm's names for a %config file it keeps aside or writes beside: those
 * there before the upgrade are kept, those it makes are removed by the
 * rollback. */
static const char *const config_suffixes[] = { ".rpmnew", ".rpmsave", ".rpmorig" };

static int write_manifest(const struct manifest *m, const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "wxe");

        if (!f)
                return negative_errno();
        fputs(MANIFEST_MAGIC "\n", f);
        for (size_t i = 0; i < m->n; i++) {
                const struct entry *e = &m->e[i];

                fprintf(f, "%c%s %c %04o %u %u %lld.%09ld %c %s ", e->kind, e->config ? "c" : "", e->type,
                        (unsigned) e->mode, (unsigned) e->uid, (unsigned) e->gid, (long long) e->mtime.tv_sec,
                        e->mtime.tv_nsec, e->keep, e->sha256[0] ? e->sha256 : "-");
                put_escaped(f, e->path);
                fputc(' ', f);
                if (e->target)
                        put_escaped(f, e->target);
                else
                        fputc('-', f);
                fputc('\n', f);
        }
        if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0)
                return -EIO;
        return 0;
}

bool undo_exists(int state_dir_fd) {
        struct stat st;

        return fstatat(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_UNDO_DIR) , &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               S_ISDIR(st.st_mode);
}

static int take(struct take *t, int state_dir_fd, const char *undo_tmp) {
        _cleanup_free_ char *dbhost = NULL;
        struct resolver rs = { .root = t->root };
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

        r = foreach_installed(t->root, collect, t);
        if (r < 0)
                return log_error_errno(r, "cannot read the installed packages of %s", t->root);
        for (size_t i = 0; i < t->n_dirs; i++)
                if (!is_ours(t->dirs[i], t->dbpath) && !manifest_add(&t->m, t->dirs[i], 'a'))
                        return log_error_errno(-ENOMEM, "out of memory");
        manifest_sort(&t->m);
        n_manifest = t->m.n;
        for (size_t i = 0; i < n_manifest; i++) {
                struct entry *e = &t->m.e[i];
                bool config = e->config;

                r = resolve(&rs, e->path, host, sizeof(host));
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
                /* manifest_add() may move the array: e is not used below. */
                for (size_t k = 0; k < ELEMENTSOF(config_suffixes); k++) {
                        char aside[PATH_MAX], aside_host[PATH_MAX];
                        struct entry *s;

                        if (snprintf(aside, sizeof(aside), "%s%s", t->m.e[i].path, config_suffixes[k]) >= (int) sizeof(aside))
                                continue;
                        if (snprintf(aside_host, sizeof(aside_host), "%s%s", host, config_suffixes[k]) >=
                                    (int) sizeof(aside_host) ||
                            lstat(aside_host, &(struct stat) {}) < 0 || manifest_find(&t->m, aside))
                                continue;
                        s = manifest_add(&t->m, aside, 'r');
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
        manifest_sort(&t->m);
        r = undo_boot_take(t->root, OSLIFT_UNDO_TMP_DIR);
        if (r < 0)
                return r;
        crash_point("undo-copied");
        if (snprintf(dst, sizeof(dst), "%s/manifest", undo_tmp) >= (int) sizeof(dst))
                return -ENAMETOOLONG;
        r = write_manifest(&t->m, dst);
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
        manifest_done(&t.m);
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

/* ---- the rollback ----------------------------------------------------------- */

static int read_manifest(const char *path, struct manifest *m) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t size = 0, lineno = 0;
        ssize_t n;

        if (!f)
                return negative_errno();
        while ((n = getline(&line, &size, f)) > 0) {
                char kind[3], type, keep, sha[SHA256_HEX_SIZE + 1], p[PATH_MAX * 3], target[PATH_MAX * 3];
                unsigned mode, uid, gid;
                long long sec;
                long nsec;
                struct entry *e;

                lineno++;
                if (line[n - 1] == '\n')
                        line[n - 1] = '\0';
                if (lineno == 1) {
                        if (strcmp(line, MANIFEST_MAGIC) != 0)
                                return -EBADMSG;
                        continue;
                }
                if (n > (ssize_t) sizeof(p) ||
                    sscanf(line, "%2s %c %o %u %u %lld.%ld %c %65s %s %s", kind, &type, &mode, &uid, &gid, &sec, &nsec,
                           &keep, sha, p, target) != 11 ||
                    unescape(p) < 0 || unescape(target) < 0 || p[0] != '/')
                        return log_error_errno(-EBADMSG, "the undo set's manifest is damaged at line %zu", lineno);
                e = manifest_add(m, p, kind[0]);
                if (!e)
                        return -ENOMEM;
                e->config = kind[1] == 'c';
                e->type = type;
                e->keep = keep;
                e->mode = mode;
                e->uid = uid;
                e->gid = gid;
                e->mtime = (struct timespec) { .tv_sec = sec, .tv_nsec = nsec };
                if (strcmp(sha, "-") != 0 && strlen(sha) != SHA256_HEX_SIZE - 1)
                        return log_error_errno(-EBADMSG, "the undo set's manifest is damaged at line %zu", lineno);
                if (strcmp(sha, "-") != 0)
                        memcpy(e->sha256, sha, SHA256_HEX_SIZE - 1);
                if (type == 'l') {
                        e->target = strdup(target);
                        if (!e->target)
                                return -ENOMEM;
                }
        }
        if (lineno == 0)
                return -EBADMSG;
        qsort(m->e, m->n, sizeof(*m->e), compare_entries);
        m->sorted = m->n;
        return 0;
}

struct rollback {
        const char *root;
        char undo[PATH_MAX];
        char dbpath[PATH_MAX];
        struct manifest m;
        struct resolver rs;
        char **added;
        size_t n_added;
        unsigned saved;
        unsigned problems;
        char problem_names[PROBLEMS_MAX];
};

static void (*undo_alive)(void);

void undo_set_alive(void (*alive)(void)) {
        undo_alive = alive;
}

static void ping(void) {
        if (undo_alive)
                undo_alive();
}

static void problem(struct rollback *rb, const char *path, const char *what) {
        size_t n = strlen(rb->problem_names);

        log_error("%s: %s", path, what);
        rb->problems++;
        if (n + strlen(path) + 8 < sizeof(rb->problem_names))
                snprintf(rb->problem_names + n, sizeof(rb->problem_names) - n, "%s%s", n ? ", " : "", path);
        else if (n + 6 < sizeof(rb->problem_names) && !strstr(rb->problem_names, ", ..."))
                strcat(rb->problem_names, ", ...");
}

/* An /etc file the admin changed after the upgrade would be lost: kept
 * beside it, the old one goes back in its place. */
static int save_admin_change(struct rollback *rb, const char *path, const char *host, rpmfi fi) {
        _cleanup_free_ char *now = NULL, *packaged = NULL;
        char saved[PATH_MAX], sha[SHA256_HEX_SIZE];
        const struct entry *old = manifest_find(&rb->m, path);
        int algo = rpmfiDigestAlgo(fi);
        int r;

        if (file_digest(host, algo, &now) < 0)
                return 0; /* not there, not a regular file: nothing to keep */
        packaged = rpmfiFDigestHex(fi, NULL);
        if (packaged && strcmp(now, packaged) == 0)
                return 0; /* as the new package has it */
        if (old && old->sha256[0] && sha256_file(AT_FDCWD, host, sha, NULL) == 0 && strcmp(sha, old->sha256) == 0)
                return 0; /* as it was before the upgrade (rpm kept the admin's) */
        if (snprintf(saved, sizeof(saved), "%s" SAVED_SUFFIX, host) >= (int) sizeof(saved))
                return -ENAMETOOLONG;
        if (access(saved, F_OK) == 0)
                return 0;
        r = copy_plain(host, saved, NULL);
        if (r < 0)
                return log_error_errno(r, "cannot keep the admin's %s as %s" SAVED_SUFFIX, path, path);
        log_warning("%s was changed after the upgrade: kept as %s" SAVED_SUFFIX ", the old one goes back", path,
                    path);
        rb->saved++;
        return 0;
}

static int find_added(Header h, void *userdata) {
        struct rollback *rb = userdata;
        rpmfi fi = rpmfiNew(NULL, h, RPMTAG_BASENAMES, RPMFI_FLAGS_QUERY);
        int r = 0;

        while (r == 0 && fi && rpmfiNext(fi) >= 0) {
                const char *fn = rpmfiFN(fi);
                char host[PATH_MAX];
                const struct entry *e;

                if (!fn || fn[0] != '/' || is_ours(fn, rb->dbpath) || resolve(&rb->rs, fn, host, sizeof(host)) < 0)
                        continue;
                e = manifest_find(&rb->m, fn);
                if (rpmfiFFlags(fi) & RPMFILE_CONFIG) {
                        r = save_admin_change(rb, fn, host, fi);
                        for (size_t k = 0; r == 0 && k < ELEMENTSOF(config_suffixes); k++) {
                                char aside[PATH_MAX];

                                if (snprintf(aside, sizeof(aside), "%s%s", fn, config_suffixes[k]) >= (int) sizeof(aside))
                                        continue;
                                if (!manifest_find(&rb->m, aside) && !strv_contains(rb->added, rb->n_added, aside))
                                        r = strv_push(&rb->added, &rb->n_added, aside);
                        }
                }
                if (r == 0 && !e && !strv_contains(rb->added, rb->n_added, fn))
                        r = strv_push(&rb->added, &rb->n_added, fn);
        }
        rpmfiFree(fi);
        return r;
}


/* Step 1: what the upgrade added, from the upgraded rpmdb, recorded once. */
static int load_or_find_added(struct rollback *rb) {
        char path[PATH_MAX];
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL, *text = NULL;
        size_t size = 0, len = 0;
        ssize_t n;
        int r;

        if (snprintf(path, sizeof(path), "%s/added", rb->undo) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        f = fopen(path, "re");
        if (f) {
                bool first = true;
                while ((n = getline(&line, &size, f)) > 0) {
                        if (line[n - 1] == '\n')
                                line[n - 1] = '\0';
                        if (first) {
                                if (strcmp(line, ADDED_MAGIC) != 0)
                                        return log_error_errno(-EBADMSG, "%s is damaged", path);
                                first = false;
                                continue;
                        }
                        if (unescape(line) < 0 || strv_push(&rb->added, &rb->n_added, line) < 0)
                                return log_error_errno(-EBADMSG, "%s is damaged", path);
                }
                log_info("going on with the rollback begun before: %zu paths the upgrade added", rb->n_added);
                return 0;
        }
        if (errno != ENOENT)
                return log_error_errno(negative_errno(), "cannot read %s", path);

        r = foreach_installed(rb->root, find_added, rb);
        if (r < 0)
                return log_error_errno(r, "cannot read the upgraded rpmdb of %s", rb->root);
        qsort(rb->added, rb->n_added, sizeof(*rb->added), compare_strings);
        {
                FILE *m = open_memstream(&text, &len);
                if (!m)
                        return log_error_errno(-ENOMEM, "out of memory");
                fputs(ADDED_MAGIC "\n", m);
                for (size_t i = 0; i < rb->n_added; i++) {
                        put_escaped(m, rb->added[i]);
                        fputc('\n', m);
                }
                if (fclose(m) != 0)
                        return log_error_errno(-ENOMEM, "out of memory");
        }
        r = write_file_atomic(rb->root, OSLIFT_UNDO_DIR "/added", text, len, 0600);
        if (r < 0)
                return log_error_errno(r, "cannot record what the upgrade added in %s", path);
        return 0;
}

/* Step 2: removes what the upgrade added, deepest first; a directory that
 * holds something else (not the packages': the admin's) stays. */
static void remove_added(struct rollback *rb) {
        unsigned removed = 0;

        for (size_t i = rb->n_added; i-- > 0;) {
                char host[PATH_MAX];
                struct stat st;

                if (resolve(&rb->rs, rb->added[i], host, sizeof(host)) < 0 || lstat(host, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        if (rmdir(host) == 0)
                                removed++;
                        else if (errno == ENOTEMPTY || errno == EEXIST)
                                log_warning("%s, made by the upgrade, holds files no package owns: kept",
                                            rb->added[i]);
                        continue;
                }
                if (unlink(host) == 0)
                        removed++;
                else
                        problem(rb, rb->added[i], "cannot remove what the upgrade added");
        }
        /* The directories rpm made above them, owned by no package. */
        for (size_t i = rb->m.n; i-- > 0;) {
                const struct entry *e = &rb->m.e[i];
                char host[PATH_MAX];

                if (e->kind == 'a' && e->type == 'm' && resolve(&rb->rs, e->path, host, sizeof(host)) == 0 &&
                    rmdir(host) == 0)
                        removed++;
        }
        log_info("removed %u paths the upgrade added", removed);
}

static void set_metadata(struct rollback *rb, const struct entry *e, const char *host) {
        struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, e->mtime };

        if (lchown(host, e->uid, e->gid) < 0 ||
            (e->type != 'l' && chmod(host, e->mode) < 0) ||
            utimensat(AT_FDCWD, host, times, AT_SYMLINK_NOFOLLOW) < 0)
                problem(rb, e->path, "cannot set its owner, mode or time back");
}

/* Puts name (a temporary beside host) over host: a directory in the way
 * (the upgrade made one where a file was) is removed first. */
static int put_over(const char *tmp, const char *host) {
        struct stat st;

        if (lstat(host, &st) == 0 && S_ISDIR(st.st_mode)) {
                int r = remove_tree(host);
                if (r < 0)
                        return r;
        }
        return rename(tmp, host) < 0 ? negative_errno() : 0;
}

static int restore_entry(struct rollback *rb, const struct entry *e) {
        char host[PATH_MAX], tmp[PATH_MAX + 16], src[PATH_MAX];
        struct stat st, kept;
        int r;

        r = resolve(&rb->rs, e->path, host, sizeof(host));
        if (r < 0)
                return r;
        if (snprintf(tmp, sizeof(tmp), "%s.oslift-tmp", host) >= (int) sizeof(tmp))
                return -ENAMETOOLONG;
        (void) unlink(tmp);
        switch (e->type) {
        case 'm': /* not there before the upgrade: not there after the rollback */
                if (lstat(host, &st) < 0)
                        return 0;
                if (S_ISDIR(st.st_mode)) {
                        (void) rmdir(host); /* kept when it holds what no package owns */
                        return 0;
                }
                return unlink(host) < 0 ? negative_errno() : 0;
        case 'd':
                if (lstat(host, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(host) < 0)
                        return negative_errno();
                if (mkdir(host, e->mode) < 0 && errno != EEXIST)
                        return negative_errno();
                return 0; /* owner, mode and time at the end: what goes below changes them */
        case 'l':
                if (symlink(e->target, tmp) < 0)
                        return negative_errno();
                r = put_over(tmp, host);
                break;
        case 'f':
                if (snprintf(src, sizeof(src), "%s/%s%s", rb->undo, e->keep == 'L' ? "links" : "copies", e->path) >= (int) sizeof(src))
                        return -ENAMETOOLONG;
                if (e->keep == 'L') {
                        if (lstat(src, &kept) < 0)
                                return negative_errno();
                        if (lstat(host, &st) == 0 && st.st_dev == kept.st_dev && st.st_ino == kept.st_ino)
                                r = 0;
                        else if (link(src, tmp) < 0)
                                return negative_errno();
                        else
                                r = put_over(tmp, host);
                } else if (e->keep == 'C') {
                        r = copy_plain(src, tmp, NULL);
                        if (r == 0)
                                r = put_over(tmp, host);
                } else
                        return -ENODATA;
                break;
        default:
                log_warning("%s is neither a file, a directory nor a symlink: not put back", e->path);
                return 0;
        }
        if (r < 0)
                return r;
        set_metadata(rb, e, host);
        return 0;
}

/* Step 3: every path of the removed packages as it was, parents first;
 * the directories' owner, mode and time last, deepest first. */
static void restore_paths(struct rollback *rb) {
        unsigned restored = 0;

        for (size_t i = 0; i < rb->m.n; i++) {
                const struct entry *e = &rb->m.e[i];
                int r;

                if (e->kind != 'r')
                        continue;
                if (i % 256 == 0)
                        ping();
                r = restore_entry(rb, e);
                if (r == -ENOENT) {
                        /* A parent the upgrade removed and no old package owned. */
                        char host[PATH_MAX];
                        if (resolve(&rb->rs, e->path, host, sizeof(host)) == 0 && mkdir_parents(host) == 0)
                                r = restore_entry(rb, e);
                }
                if (r < 0) {
                        char what[128];
                        snprintf(what, sizeof(what), "cannot put it back (%s)", strerror(-r));
                        problem(rb, e->path, what);
                } else
                        restored++;
        }
        for (size_t i = rb->m.n; i-- > 0;) {
                const struct entry *e = &rb->m.e[i];
                char host[PATH_MAX];

                if (e->kind == 'r' && e->type == 'd' && resolve(&rb->rs, e->path, host, sizeof(host)) == 0)
                        set_metadata(rb, e, host);
        }
        log_info("put back %u paths of the old packages", restored);
}

/* Step 4: the old rpmdb. */
static int restore_rpmdb(struct rollback *rb) {
        _cleanup_free_ char *dbhost = NULL;
        char src[PATH_MAX];
        int fd, r;

        r = rpmdb_path(rb->root, &dbhost);
        if (r < 0)
                return log_error_errno(r, "cannot find the rpmdb of %s", rb->root);
        fd = open(dbhost, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return log_error_errno(negative_errno(), "cannot open %s", dbhost);
        r = remove_dir_contents(fd, dbhost);
        if (snprintf(src, sizeof(src), "%s/rpmdb", rb->undo) >= (int) sizeof(src))
                return -ENAMETOOLONG;
        if (r == 0)
                r = copy_dir_files(src, dbhost);
        if (r < 0)
                return log_error_errno(r, "cannot put the old rpmdb back from %s", src);
        log_info("the old rpmdb is back");
        return 0;
}

/* Step 5: every regular file and symlink the old rpmdb lists, against it. */
static int verify(Header h, void *userdata) {
        struct rollback *rb = userdata;
        rpmfi fi = rpmfiNew(NULL, h, RPMTAG_BASENAMES, RPMFI_FLAGS_QUERY);

        ping();
        while (fi && rpmfiNext(fi) >= 0) {
                const char *fn = rpmfiFN(fi);
                rpmfileAttrs flags = rpmfiFFlags(fi);
                mode_t mode = rpmfiFMode(fi);
                char host[PATH_MAX];

                if (!fn || fn[0] != '/' || (flags & RPMFILE_GHOST) || rpmfiFState(fi) != RPMFILE_STATE_NORMAL ||
                    is_ours(fn, rb->dbpath) || resolve(&rb->rs, fn, host, sizeof(host)) < 0)
                        continue;
                if (S_ISREG(mode)) {
                        _cleanup_free_ char *want = rpmfiFDigestHex(fi, NULL), *have = NULL;
                        int r = file_digest(host, rpmfiDigestAlgo(fi), &have);

                        if (r == -ENOENT) {
                                const struct entry *e = manifest_find(&rb->m, fn);
                                if (!e || e->type != 'm') /* not missing before the upgrade */
                                        problem(rb, fn, "missing after the rollback");
                                continue;
                        }
                        if (r < 0) {
                                problem(rb, fn, "cannot be read to verify it");
                                continue;
                        }
                        if (want && strcmp(want, have) == 0)
                                continue;
                        if (flags & RPMFILE_CONFIG) {
                                /* The admin's edit from before the upgrade. */
                                const struct entry *e = manifest_find(&rb->m, fn);
                                char sha[SHA256_HEX_SIZE];
                                if (e && e->sha256[0] && sha256_file(AT_FDCWD, host, sha, NULL) == 0 &&
                                    strcmp(sha, e->sha256) == 0)
                                        continue;
                                if (!e || e->kind != 'r')
                                        continue; /* a kept package's: the upgrade did not touch it */
                        }
                        problem(rb, fn, "its content does not match the old rpmdb's digest");
                } else if (S_ISLNK(mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlink(host, target, sizeof(target) - 1);
                        const char *want = rpmfiFLink(fi);

                        const struct entry *e = manifest_find(&rb->m, fn);

                        if (n < 0 && errno == ENOENT && e && e->type == 'm')
                                continue; /* missing before the upgrade too */
                        if (n >= 0)
                                target[n] = '\0';
                        if (n < 0 || !want || strcmp(want, target) != 0)
                                problem(rb, fn, "the symlink does not match the old rpmdb");
                }
        }
        rpmfiFree(fi);
        return 0;
}

int undo_rollback(const char *root, int state_dir_fd, char **ret_problems) {
        struct rollback rb = { .root = root, .rs = { .root = root } };
        _cleanup_free_ char *dbhost = NULL;
        char manifest[PATH_MAX];
        struct timespec started;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &started);
        if (!undo_exists(state_dir_fd)) {
                log_error("there is no undo set in %s: the upgrade kept none (stage --rollback=none) or "
                          "'host-prep commit' removed it; the old system cannot be put back", OSLIFT_UNDO_DIR);
                return -ENOENT;
        }
        r = path_in_root(rb.undo, sizeof(rb.undo), root, OSLIFT_UNDO_DIR);
        if (r < 0)
                return r;
        if (rpmdb_path(root, &dbhost) == 0 && strlen(dbhost) >= strlen(root_prefix(root)))
                snprintf(rb.dbpath, sizeof(rb.dbpath), "%s", dbhost + strlen(root_prefix(root)));
        if (snprintf(manifest, sizeof(manifest), "%s/manifest", rb.undo) >= (int) sizeof(manifest))
                return -ENAMETOOLONG;
        r = read_manifest(manifest, &rb.m);
        if (r < 0) {
                log_error_errno(r, "cannot read the undo set's manifest %s", manifest);
                goto finish;
        }
        log_info("rolling back to the old system: %zu paths in the undo set's manifest", rb.m.n);
        r = load_or_find_added(&rb);
        if (r < 0)
                goto finish;
        remove_added(&rb);
        restore_paths(&rb);
        crash_point("rollback-restored");
        r = restore_rpmdb(&rb);
        if (r < 0)
                goto finish;
        log_info("verifying every file of the old packages against the old rpmdb");
        r = foreach_installed(root, verify, &rb);
        if (r < 0) {
                log_error_errno(r, "cannot read the old rpmdb of %s to verify the rollback", root);
                goto finish;
        }
        if (syncfs(state_dir_fd) < 0) {
                r = log_error_errno(negative_errno(), "cannot flush %s to disk", root);
                goto finish;
        }
        log_info("rollback done in %.1f s: %u problems, %u files the admin changed after the upgrade kept as "
                 "*" SAVED_SUFFIX, seconds_since(&started), rb.problems, rb.saved);
        if (ret_problems) {
                *ret_problems = strdup(rb.problem_names);
                if (!*ret_problems)
                        r = -ENOMEM;
        }
        if (r == 0)
                r = (int) rb.problems;
finish:
        manifest_done(&rb.m);
        strv_free(rb.added, rb.n_added);
        return r;
}
