/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rollback from the undo set (undo_rollback()); see undo.h, and
 * undo-set.h for the set's layout. */
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

#include "apply.h"
#include "boot-record.h"
#include "chase.h"
#include "digest.h"
#include "fsutil.h"
#include "log.h"
#include "paths.h"
#include "rpmdb.h"
#include "strv.h"
#include "time-util.h"
#include "undo-set.h"
#include "undo.h"

#define SAVED_SUFFIX ".oslift-rollback"
#define PROBLEMS_MAX 900

struct rollback {
        const char *root;
        char undo[PATH_MAX];
        char dbpath[PATH_MAX];
        struct undo_manifest m;
        struct undo_resolver rs;
        /* The kernel the rollback boot's own entry loads ("" for none):
         * removed with what the upgrade added only once the old grubenv is
         * back (undo_rollback_remove_boot_kernel()), or a power cut after its
         * removal would leave GRUB's one-time entry nothing to boot. */
        char boot_kernel[PATH_MAX];
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
        const struct undo_entry *old = undo_manifest_find(&rb->m, path);
        int algo = rpmfiDigestAlgo(fi);
        int r;

        if (digest_file_hex(AT_FDCWD, host, algo, &now) < 0)
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
        r = undo_copy_plain(host, saved, NULL);
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
                const struct undo_entry *e;

                if (!fn || fn[0] != '/' || undo_is_ours(fn, rb->dbpath) || undo_resolve(&rb->rs, fn, host, sizeof(host)) < 0)
                        continue;
                e = undo_manifest_find(&rb->m, fn);
                if (rpmfiFFlags(fi) & RPMFILE_CONFIG) {
                        r = save_admin_change(rb, fn, host, fi);
                        for (size_t k = 0; r == 0 && k < ELEMENTSOF(undo_config_suffixes); k++) {
                                char aside[PATH_MAX];

                                if (snprintf(aside, sizeof(aside), "%s%s", fn, undo_config_suffixes[k]) >= (int) sizeof(aside))
                                        continue;
                                if (!undo_manifest_find(&rb->m, aside) && !strv_contains(rb->added, rb->n_added, aside))
                                        r = strv_push(&rb->added, &rb->n_added, aside);
                        }
                }
                if (r == 0 && !e && !strv_contains(rb->added, rb->n_added, fn))
                        r = strv_push(&rb->added, &rb->n_added, fn);
        }
        rpmfiFree(fi);
        return r;
}


/* The record of what the upgrade added (UNDO_ADDED_MAGIC, then one escaped
 * path a line) into rb->added: 0, -ENOENT when there is none yet, or a
 * negative errno (logged). */
static int read_added(struct rollback *rb) {
        char path[PATH_MAX];
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        ssize_t n;
        bool first = true;

        if (snprintf(path, sizeof(path), "%s/added", rb->undo) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        f = fopen(path, "re");
        if (!f) {
                if (errno == ENOENT)
                        return -ENOENT;
                return log_error_errno(negative_errno(), "cannot read %s", path);
        }
        while ((n = getline(&line, &size, f)) > 0) {
                if (line[n - 1] == '\n')
                        line[n - 1] = '\0';
                if (first) {
                        if (strcmp(line, UNDO_ADDED_MAGIC) != 0)
                                return log_error_errno(-EBADMSG, "%s is damaged", path);
                        first = false;
                        continue;
                }
                if (undo_unescape(line) < 0 || strv_push(&rb->added, &rb->n_added, line) < 0)
                        return log_error_errno(-EBADMSG, "%s is damaged", path);
        }
        return 0;
}

/* Step 1: what the upgrade added, from the upgraded rpmdb, recorded once. */
static int load_or_find_added(struct rollback *rb) {
        char path[PATH_MAX];
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        if (snprintf(path, sizeof(path), "%s/added", rb->undo) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        r = read_added(rb);
        if (r == 0) {
                log_info("going on with the rollback begun before: %zu paths the upgrade added", rb->n_added);
                return 0;
        }
        if (r != -ENOENT)
                return r;

        r = undo_foreach_installed(rb->root, find_added, rb);
        if (r < 0)
                return log_error_errno(r, "cannot read the upgraded rpmdb of %s", rb->root);
        qsort(rb->added, rb->n_added, sizeof(*rb->added), undo_compare_strings);
        {
                FILE *m = open_memstream(&text, &len);
                if (!m)
                        return log_error_errno(-ENOMEM, "out of memory");
                fputs(UNDO_ADDED_MAGIC "\n", m);
                for (size_t i = 0; i < rb->n_added; i++) {
                        undo_put_escaped(m, rb->added[i]);
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

                if (undo_resolve(&rb->rs, rb->added[i], host, sizeof(host)) < 0 || lstat(host, &st) < 0)
                        continue;
                if (rb->boot_kernel[0] && strcmp(rb->added[i], rb->boot_kernel) == 0) {
                        log_info("%s, which the upgrade added, stays until the old boot configuration is back: "
                                 "the rollback boot loads it", rb->added[i]);
                        continue;
                }
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
                const struct undo_entry *e = &rb->m.e[i];
                char host[PATH_MAX];

                if (e->kind == 'a' && e->type == 'm' && undo_resolve(&rb->rs, e->path, host, sizeof(host)) == 0 &&
                    rmdir(host) == 0)
                        removed++;
        }
        log_info("removed %u paths the upgrade added", removed);
}

static void set_metadata(struct rollback *rb, const struct undo_entry *e, const char *host) {
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

static int restore_entry(struct rollback *rb, const struct undo_entry *e) {
        char host[PATH_MAX], tmp[PATH_MAX + 16], src[PATH_MAX];
        struct stat st, kept;
        int r;

        r = undo_resolve(&rb->rs, e->path, host, sizeof(host));
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
                        r = undo_copy_plain(src, tmp, NULL);
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
        unsigned restored = 0, todo = 0;

        for (size_t i = 0; i < rb->m.n; i++)
                todo += rb->m.e[i].kind == 'r';
        log_info("putting back %u paths of the old packages", todo);

        for (size_t i = 0; i < rb->m.n; i++) {
                const struct undo_entry *e = &rb->m.e[i];
                int r;

                if (e->kind != 'r')
                        continue;
                if (i % 256 == 0)
                        ping();
                r = restore_entry(rb, e);
                if (r == -ENOENT) {
                        /* A parent the upgrade removed and no old package owned. */
                        char host[PATH_MAX];
                        if (undo_resolve(&rb->rs, e->path, host, sizeof(host)) == 0 && undo_mkdir_parents(host) == 0)
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
                const struct undo_entry *e = &rb->m.e[i];
                char host[PATH_MAX];

                if (e->kind == 'r' && e->type == 'd' && undo_resolve(&rb->rs, e->path, host, sizeof(host)) == 0)
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
                    undo_is_ours(fn, rb->dbpath) || undo_resolve(&rb->rs, fn, host, sizeof(host)) < 0)
                        continue;
                if (S_ISREG(mode)) {
                        _cleanup_free_ char *want = rpmfiFDigestHex(fi, NULL), *have = NULL;
                        int r = digest_file_hex(AT_FDCWD, host, rpmfiDigestAlgo(fi), &have);

                        if (r == -ENOENT) {
                                const struct undo_entry *e = undo_manifest_find(&rb->m, fn);
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
                                const struct undo_entry *e = undo_manifest_find(&rb->m, fn);
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

                        const struct undo_entry *e = undo_manifest_find(&rb->m, fn);

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

/* The kernel the rollback boot's entry loads, from the record of what
 * armed it: "/boot/vmlinuz-KVER" into buf, "" when nothing armed it. */
static void find_boot_kernel(const char *root, char *buf, size_t size) {
        struct boot_record rec = {};

        buf[0] = '\0';
        if (boot_record_read(root, &rec) == 0 && rec.kver && snprintf(buf, size, "/boot/vmlinuz-%s", rec.kver) >= (int) size)
                buf[0] = '\0';
        boot_record_done(&rec);
}

int undo_rollback_remove_boot_kernel(const char *root) {
        struct rollback rb = { .root = root, .rs = { .root = root } };
        int r;

        find_boot_kernel(root, rb.boot_kernel, sizeof(rb.boot_kernel));
        if (!rb.boot_kernel[0])
                return 0;
        r = path_in_root(rb.undo, sizeof(rb.undo), root, OSLIFT_UNDO_DIR);
        if (r < 0)
                return r;
        r = read_added(&rb);
        if (r == -ENOENT)
                r = 0;
        if (r == 0 && strv_contains(rb.added, rb.n_added, rb.boot_kernel)) {
                r = remove_in_root(root, rb.boot_kernel);
                if (r == 0)
                        log_info("removed %s, the rollback boot's kernel, which the upgrade added", rb.boot_kernel);
                else if (r == -ENOENT)
                        r = 0;
                else
                        log_error_errno(r, "cannot remove %s, which the upgrade added", rb.boot_kernel);
        }
        strv_free(rb.added, rb.n_added);
        return r;
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
        r = undo_read_manifest(manifest, &rb.m);
        if (r < 0) {
                log_error_errno(r, "cannot read the undo set's manifest %s", manifest);
                goto finish;
        }
        log_info("rolling back to the old system: %zu paths in the undo set's manifest", rb.m.n);
        find_boot_kernel(root, rb.boot_kernel, sizeof(rb.boot_kernel));
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
        r = undo_foreach_installed(root, verify, &rb);
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
        undo_manifest_done(&rb.m);
        strv_free(rb.added, rb.n_added);
        return r;
}
