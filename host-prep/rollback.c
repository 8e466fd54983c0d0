/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host-prep rollback and commit: the operator's two answers to an upgraded
 * system, once it has been looked at. rollback writes the request the
 * upgrader acts on (OSLIFT_ROLLBACK_REQUEST: it puts the old system back
 * offline from the undo set it took, upgrader/undo.h); commit removes the
 * undo set, after which there is no way back. In root mode the operator
 * runs `upgrader --root DIR` after rollback; arming a rollback boot for the
 * running system is not done yet, so rollback refuses without --root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "host-prep.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "root-lock.h"
#include "rollback.h"
#include "status.h"

#define UNDO_SIZE_DEPTH_MAX 256

/* Regular files below fd, each inode once (the links share theirs). */
struct seen {
        dev_t *dev;
        ino_t *ino;
        size_t n, allocated;
};

static bool seen_add(struct seen *s, dev_t dev, ino_t ino) {
        for (size_t i = 0; i < s->n; i++)
                if (s->ino[i] == ino && s->dev[i] == dev)
                        return false;
        if (s->n == s->allocated) {
                size_t k = s->allocated ? s->allocated * 2 : 256;
                dev_t *d = realloc(s->dev, k * sizeof(*d));
                ino_t *i;

                if (!d)
                        return true;
                s->dev = d;
                i = realloc(s->ino, k * sizeof(*i));
                if (!i)
                        return true;
                s->ino = i;
                s->allocated = k;
        }
        s->dev[s->n] = dev;
        s->ino[s->n++] = ino;
        return true;
}

static void add_sizes(int fd, unsigned depth, struct seen *s, uint64_t *bytes) {
        DIR *d = fdopendir(fd);
        struct dirent *de;

        if (!d) {
                close(fd);
                return;
        }
        while ((de = readdir(d))) {
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode) && depth < UNDO_SIZE_DEPTH_MAX) {
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                add_sizes(sub, depth + 1, s, bytes);
                } else if (S_ISREG(st.st_mode) && (st.st_nlink == 1 || seen_add(s, st.st_dev, st.st_ino)))
                        *bytes += (uint64_t) st.st_size;
        }
        closedir(d);
}

int undo_set_size(int state_dir_fd, uint64_t *ret) {
        struct seen s = {};
        uint64_t bytes = 0;
        int fd = openat(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_UNDO_DIR), O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                        O_CLOEXEC);

        if (fd < 0)
                return negative_errno();
        add_sizes(fd, 0, &s, &bytes);
        free(s.dev);
        free(s.ino);
        *ret = bytes;
        return 0;
}

/* The state directory, locked against stage, cancel, restore and the
 * upgrader; -ENOENT (said) when nothing was ever staged. */
static int open_locked(const struct context *ctx, const char *command) {
        int fd = staging_dir_open(ctx->root), r;

        if (fd == -ENOENT) {
                log_error("%s: nothing was staged or upgraded in %s", command, ctx->root);
                return fd;
        }
        if (fd < 0)
                return log_error_errno(fd, "%s: cannot open %s in %s", command, OSLIFT_STATE_DIR, ctx->root);
        r = root_lock_fd(ctx->root, fd);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

static bool is_upgraded(enum upgrade_state s) {
        return s == UPGRADE_APPLIED || s == UPGRADE_APPLIED_WITH_PROBLEMS || s == UPGRADE_RESTORED ||
               s == UPGRADE_RESTORED_WITH_PROBLEMS || s == UPGRADE_ROLLING_BACK;
}

static int usage_only(int argc, char **argv, const char *command, const char *help) {
        static const struct option options[] = { { "help", no_argument, NULL, 'h' }, {} };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        fputs(help, stdout);
                        return EXIT_OK;
                }
                return EXIT_USAGE;
        }
        if (optind < argc) {
                log_error("%s takes no arguments, got '%s'", command, argv[optind]);
                return EXIT_USAGE;
        }
        return -1;
}

int cmd_rollback(const struct context *ctx, int argc, char **argv) {
        _cleanup_close_ int fd = -1;
        struct upgrade_status s;
        char text[64], now[TIMESTAMP_SIZE];
        int r = usage_only(argc, argv, "rollback",
                           "Usage: host-prep --root DIR [--json] rollback\n"
                           "Asks the upgrader to put the old system back from the undo set the upgrade kept;\n"
                           "then run 'upgrader --root DIR'. See host-prep(8).\n");

        if (r >= 0)
                return r;
        if (strcmp(ctx->root, "/") == 0) {
                log_error("rollback: putting the running system back needs a rollback boot, which this version "
                          "does not arm yet; it rolls back a root directory (host-prep --root DIR rollback, then "
                          "upgrader --root DIR)");
                return EXIT_FAILED;
        }
        fd = open_locked(ctx, "rollback");
        if (fd < 0)
                return EXIT_FAILED;
        r = status_read_at(fd, &s);
        if (r < 0)
                return log_error_errno(r, "rollback: cannot read %s", OSLIFT_STATUS_FILE), EXIT_FAILED;
        if (!is_upgraded(s.state)) {
                log_error("rollback: the upgrade of %s is \"%s\", not applied: there is nothing to roll back%s",
                          ctx->root, upgrade_state_name(s.state),
                          s.state == UPGRADE_STAGED || s.state == UPGRADE_REFUSED ? " ('host-prep cancel' undoes a "
                                                                                   "stage)" : "");
                return EXIT_FAILED;
        }
        if (fstatat(fd, STATE_DIR_RELATIVE(OSLIFT_UNDO_DIR), &(struct stat) {}, AT_SYMLINK_NOFOLLOW) < 0) {
                log_error("rollback: there is no undo set in %s%s: 'host-prep commit' removed it, or the upgrade "
                          "was staged with --rollback=none; oslift cannot put the old system back",
                          root_prefix(ctx->root), OSLIFT_UNDO_DIR);
                return EXIT_FAILED;
        }
        timestamp_now(now);
        snprintf(text, sizeof(text), "rollback requested %s\n", now);
        r = write_file_atomic_at(fd, STATE_DIR_RELATIVE(OSLIFT_ROLLBACK_REQUEST), text, strlen(text), 0600);
        if (r < 0)
                return log_error_errno(r, "rollback: cannot write %s", OSLIFT_ROLLBACK_REQUEST), EXIT_FAILED;
        s.state = UPGRADE_ROLLING_BACK;
        snprintf(s.message, sizeof(s.message), "rollback requested: the upgrader puts the old system back");
        r = status_write_at(fd, &s);
        if (r < 0)
                log_error_errno(r, "rollback: cannot write %s", OSLIFT_STATUS_FILE);
        if (ctx->json)
                printf("{\"requested\":true}\n");
        else if (!ctx->quiet)
                printf("rollback requested; now run 'upgrader --root %s' to put the old system back\n", ctx->root);
        return EXIT_OK;
}

int cmd_commit(const struct context *ctx, int argc, char **argv) {
        _cleanup_close_ int fd = -1;
        uint64_t size = 0;
        int r = usage_only(argc, argv, "commit",
                           "Usage: host-prep [--root DIR] [--json] commit\n"
                           "Keeps the upgrade: removes the undo set, after which it cannot be rolled back.\n");

        if (r >= 0)
                return r;
        fd = open_locked(ctx, "commit");
        if (fd < 0)
                return EXIT_FAILED;
        if (fstatat(fd, STATE_DIR_RELATIVE(OSLIFT_ROLLBACK_REQUEST), &(struct stat) {}, AT_SYMLINK_NOFOLLOW) == 0) {
                log_error("commit: a rollback was asked for and has not finished; run 'upgrader --root %s' to "
                          "finish it first", ctx->root);
                return EXIT_FAILED;
        }
        r = undo_set_size(fd, &size);
        if (r == -ENOENT) {
                if (ctx->json)
                        printf("{\"removed\":false}\n");
                else if (!ctx->quiet)
                        printf("no undo set in %s%s: nothing to remove\n", root_prefix(ctx->root), OSLIFT_UNDO_DIR);
                return EXIT_OK;
        }
        r = remove_in_root(ctx->root, OSLIFT_UNDO_DIR);
        if (r < 0)
                return log_error_errno(r, "commit: cannot remove %s", OSLIFT_UNDO_DIR), EXIT_FAILED;
        (void) remove_in_root(ctx->root, OSLIFT_UNDO_TMP_DIR);
        if (ctx->json)
                printf("{\"removed\":true,\"bytes\":%llu}\n", (unsigned long long) size);
        else if (!ctx->quiet)
                printf("removed the undo set (%llu bytes): the upgrade can no longer be rolled back\n",
                       (unsigned long long) size);
        return EXIT_OK;
}
