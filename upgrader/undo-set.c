/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The undo set's manifest and the helpers taking it and the rollback
 * share; see undo-set.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "rpmdb.h"
#include "undo-set.h"

const char *const undo_config_suffixes[UNDO_CONFIG_SUFFIXES] = { ".rpmnew", ".rpmsave", ".rpmorig" };

/* A path below one of these is oslift's own or the rpmdb's: never taken,
 * removed or put back file by file. */
bool undo_is_ours(const char *path, const char *dbpath) {
        static const char *const own[] = { OSLIFT_STATE_DIR, OSLIFT_LOG_DIR };
        const char *dirs[] = { own[0], own[1], dbpath };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                size_t n = dirs[i] ? strlen(dirs[i]) : 0;
                if (n && strncmp(path, dirs[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
                        return true;
        }
        return false;
}

void undo_manifest_done(struct undo_manifest *m) {
        for (size_t i = 0; i < m->n; i++) {
                free(m->e[i].path);
                free(m->e[i].target);
        }
        free(m->e);
        *m = (struct undo_manifest) {};
}

struct undo_entry *undo_manifest_add(struct undo_manifest *m, const char *path, char kind) {
        struct undo_entry *e;

        if (m->n == m->allocated) {
                size_t k = m->allocated ? m->allocated * 2 : 1024;
                e = realloc(m->e, k * sizeof(*e));
                if (!e)
                        return NULL;
                m->e = e;
                m->allocated = k;
        }
        e = &m->e[m->n];
        *e = (struct undo_entry) { .kind = kind, .type = 'm', .keep = '-' };
        e->path = strdup(path);
        if (!e->path)
                return NULL;
        m->n++;
        return e;
}

static int compare_entries(const void *x, const void *y) {
        const struct undo_entry *a = x, *b = y;
        int c = strcmp(a->path, b->path);

        /* A path of a removed package first: that one is kept. */
        return c ?: (a->kind != 'r') - (b->kind != 'r');
}

void undo_manifest_sort(struct undo_manifest *m) {
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

struct undo_entry *undo_manifest_find(const struct undo_manifest *m, const char *path) {
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

void undo_put_escaped(FILE *f, const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p <= ' ' || *p == 0x7f || *p == '%')
                        fprintf(f, "%%%02x", *p);
                else
                        fputc(*p, f);
}

int undo_unescape(char *s) {
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

int undo_resolve(struct undo_resolver *rs, const char *path, char *buf, size_t size) {
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
int undo_mkdir_parents(const char *path) {
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

/*
 * Copies the regular file src to dst (replaced), mode kept; adds the bytes
 * to *bytes unless NULL. Not synced file by file, and that is enough:
 * - the undo set is written below undo.tmp, in the state directory; one
 *   syncfs() of that file system makes all of it durable before undo.tmp
 *   is renamed to undo (undo_take()), and a cut-short take leaves only
 *   undo.tmp, which the next take removes. An fsync() per copy would add
 *   a flush per %config file and rpmdb file and make nothing safer.
 * - a rollback writes each copy to a temporary and renames it over the
 *   file; cut short, it runs again from the undo set, which it does not
 *   change, and it ends with a syncfs().
 */
int undo_copy_plain(const char *src, const char *dst, uint64_t *bytes) {
        _cleanup_close_ int in = open_regular_at(AT_FDCWD, src);
        _cleanup_close_ int out = -1;
        struct stat st;

        if (in < 0)
                return in;
        if (fstat(in, &st) < 0)
                return negative_errno();
        (void) unlink(dst);
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 07777);
        if (out < 0)
                return negative_errno();
        return copy_fd_data(in, out, 0, bytes);
}

/* rpmdb_foreach_installed(), saying why the rpmdb could not be read whole. */
int undo_foreach_installed(const char *root, int (*fn)(Header h, void *userdata), void *userdata) {
        _cleanup_free_ char *error = NULL;
        int r = rpmdb_foreach_installed(root, fn, userdata, &error);

        if (r < 0 && error)
                log_error("%s", error);
        return r;
}

int undo_compare_strings(const void *x, const void *y) {
        return strcmp(*(char *const *) x, *(char *const *) y);
}

int undo_write_manifest(const struct undo_manifest *m, const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "wxe");

        if (!f)
                return negative_errno();
        fputs(UNDO_MANIFEST_MAGIC "\n", f);
        for (size_t i = 0; i < m->n; i++) {
                const struct undo_entry *e = &m->e[i];

                fprintf(f, "%c%s %c %04o %u %u %lld.%09ld %c %s ", e->kind, e->config ? "c" : "", e->type,
                        (unsigned) e->mode, (unsigned) e->uid, (unsigned) e->gid, (long long) e->mtime.tv_sec,
                        e->mtime.tv_nsec, e->keep, e->sha256[0] ? e->sha256 : "-");
                undo_put_escaped(f, e->path);
                fputc(' ', f);
                if (e->target)
                        undo_put_escaped(f, e->target);
                else
                        fputc('-', f);
                fputc('\n', f);
        }
        if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0)
                return -EIO;
        return 0;
}

int undo_read_manifest(const char *path, struct undo_manifest *m) {
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
                struct undo_entry *e;

                lineno++;
                if (line[n - 1] == '\n')
                        line[n - 1] = '\0';
                if (lineno == 1) {
                        if (strcmp(line, UNDO_MANIFEST_MAGIC) != 0)
                                return -EBADMSG;
                        continue;
                }
                if (n > (ssize_t) sizeof(p) ||
                    sscanf(line, "%2s %c %o %u %u %lld.%ld %c %65s %s %s", kind, &type, &mode, &uid, &gid, &sec, &nsec,
                           &keep, sha, p, target) != 11 ||
                    undo_unescape(p) < 0 || undo_unescape(target) < 0 || p[0] != '/')
                        return log_error_errno(-EBADMSG, "the undo set's manifest is damaged at line %zu", lineno);
                e = undo_manifest_add(m, p, kind[0]);
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

