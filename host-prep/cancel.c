/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host-prep cancel: undoes host-prep stage. Removes the staging directory
 * (everything stage writes is below it, see paths.h) unless an upgrade has
 * started from it. The logs in OSLIFT_LOG_DIR are kept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot-entry.h"
#include "chase.h"
#include "fsutil.h"
#include "host-prep.h"
#include "log.h"
#include "paths.h"
#include "root-lock.h"
#include "status.h"

/* What the summary line reports. */
struct staged {
        unsigned packages;
        bool plan;
};


/*
 * Stage also arms the boot into the upgrade environment (a boot entry and
 * the upgrade initramfs, outside the staging directory). Cancel disarms that
 * first, before it touches the staging directory,
 * so that a cancel that fails half-way never leaves a system that boots
 * into an upgrade with half its packages gone.
 */
static int disarm_boot(const struct context *ctx) {
        int r = boot_entry_disarm(ctx->root);
        if (r < 0)
                log_error("the boot into the upgrade could not be disarmed, so nothing else was removed; "
                          "fix the cause above and run cancel again");
        return r;
}

/* Whether the status allows removing the staging directory; explains on
 * stderr why not. */
static int check_cancellable(const struct context *ctx, int state_dir_fd) {
        _cleanup_free_ char *file = root_path_join(ctx->root, OSLIFT_STATUS_FILE);
        _cleanup_free_ char *log = root_path_join(ctx->root, OSLIFT_UPGRADE_LOG);
        struct upgrade_status s;
        int r;

        r = status_read_at(state_dir_fd, &s);
        if (r == -ENOENT)
                return 0; /* stage was interrupted before it wrote the status */
        if (r < 0) {
                if (r == -EBADMSG)
                        log_error("cannot tell whether an upgrade has started: %s is not a status file "
                                  "this oslift wrote",
                                  file ?: OSLIFT_STATUS_FILE);
                else
                        log_error_errno(r, "cannot tell whether an upgrade has started: %s cannot be read",
                                        file ?: OSLIFT_STATUS_FILE);
                log_error("nothing was removed; if no upgrade ran, remove the staging directory by hand");
                return r;
        }
        if (s.state == UPGRADE_APPLYING) {
                log_error("an upgrade of %s is under way or was interrupted (state 'applying'): "
                          "finishing or rolling it back needs its staging directory, so nothing was removed",
                          ctx->root);
                log_error("let the upgrade finish (reboot into it), and see %s", log ?: OSLIFT_UPGRADE_LOG);
                return -EBUSY;
        }
        if (s.state == UPGRADE_APPLIED || s.state == UPGRADE_APPLIED_WITH_PROBLEMS) {
                log_error("%s is already upgraded (state '%s'), so there is nothing left to cancel; "
                          "nothing was removed",
                          ctx->root, upgrade_state_name(s.state));
                log_error("'host-prep restore' must run first (on the first boot of the new release)");
                return -EALREADY;
        }
        if (s.state == UPGRADE_ROLLING_BACK) {
                log_error("a rollback of %s was asked for and has not finished (state 'rolling-back'): it needs "
                          "the undo set in the staging directory, so nothing was removed", ctx->root);
                log_error("run 'upgrader --root %s' to finish it, and see %s", ctx->root, log ?: OSLIFT_UPGRADE_LOG);
                return -EBUSY;
        }
        /* The way back is the operator's to give up, by its own name. */
        if ((s.state == UPGRADE_RESTORED || s.state == UPGRADE_RESTORED_WITH_PROBLEMS) &&
            faccessat(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_UNDO_DIR), F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
                log_error("%s is upgraded and its undo set (%s) is the only way back, so nothing was removed",
                          ctx->root, OSLIFT_UNDO_DIR);
                log_error("run 'host-prep commit' to keep the upgrade, or 'host-prep rollback' to go back");
                return -EBUSY;
        }
        /* A failed upgrade that had begun converting the rpmdb keeps the
         * only copy of the original database here. */
        if (s.state == UPGRADE_FAILED &&
            faccessat(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_RPMDB_BACKUP_DIR), F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
                log_error("the upgrade of %s failed after it had started changing the system; the "
                          "staging directory holds the original rpm database (%s), so nothing was "
                          "removed", ctx->root, OSLIFT_RPMDB_BACKUP_DIR);
                log_error("read %s before deciding what to do", log ?: OSLIFT_UPGRADE_LOG);
                return -EBUSY;
        }
        return 0;
}

static void print_removed(const struct context *ctx, const char *state_dir, const struct staged *staged) {
        _cleanup_free_ char *log_dir = root_path_join(ctx->root, OSLIFT_LOG_DIR);
        struct stat st;

        if (ctx->json) {
                printf("{\"removed\":true,\"packages\":%u,\"plan\":%s}\n", staged->packages,
                       staged->plan ? "true" : "false");
                return;
        }
        if (ctx->quiet)
                return;
        if (staged->packages > 0)
                printf("removed %u staged package%s%s from %s\n", staged->packages,
                       staged->packages == 1 ? "" : "s", staged->plan ? " and the plan" : "", state_dir);
        else if (staged->plan)
                printf("removed the plan from %s\n", state_dir);
        else
                printf("removed %s (no plan or packages were staged)\n", state_dir);
        if (log_dir && lstat(log_dir, &st) == 0)
                printf("kept the logs in %s\n", log_dir);
}

static int print_nothing_staged(const struct context *ctx) {
        if (ctx->json)
                printf("{\"removed\":false}\n");
        else
                printf("nothing staged in %s\n", ctx->root);
        return EXIT_OK;
}

/* Splits OSLIFT_STATE_DIR into its parent, relative to the root, and its
 * own name: "var/lib" and "oslift". */
static int state_dir_parent(char **ret_parent, const char **ret_name) {
        const char *relative = &OSLIFT_STATE_DIR[strspn(OSLIFT_STATE_DIR, "/")];
        const char *slash = strrchr(relative, '/');

        *ret_parent = slash ? strndup(relative, (size_t) (slash - relative)) : strdup(".");
        if (!*ret_parent)
                return -ENOMEM;
        *ret_name = slash ? slash + 1 : relative;
        return 0;
}

static int remove_staging_dir(const struct context *ctx, int parent_fd, const char *name,
                              const char *state_dir) {
        _cleanup_close_ int fd = -1;
        struct staged staged = {};
        struct stat st, plan_st;
        int r;

        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(negative_errno(), "cannot open %s", state_dir), EXIT_FAILED;
        if (fstat(fd, &st) < 0)
                return log_error_errno(negative_errno(), "cannot examine %s", state_dir), EXIT_FAILED;
        /* Not while an upgrader or another command works on the root. */
        r = root_lock_fd(ctx->root, fd);
        if (r == -ESTALE)
                return print_nothing_staged(ctx);
        if (r < 0) {
                log_error("nothing was removed");
                return EXIT_FAILED;
        }
        if (check_cancellable(ctx, fd) < 0)
                return EXIT_FAILED;

        r = staging_count_packages(fd, &staged.packages);
        if (r < 0)
                staged.packages = 0; /* only for the summary; removal will report it */
        staged.plan = fstatat(fd, STATE_DIR_RELATIVE(OSLIFT_PLAN_FILE), &plan_st, AT_SYMLINK_NOFOLLOW) == 0;

        if (disarm_boot(ctx) < 0)
                return EXIT_FAILED;
        /* The plan first: a cancel that fails half-way leaves no plan whose
         * packages are partly gone. */
        if (unlinkat(fd, STATE_DIR_RELATIVE(OSLIFT_PLAN_FILE), 0) < 0 && errno != ENOENT && errno != EISDIR) {
                log_error_errno(negative_errno(), "cannot remove the plan in %s", state_dir);
                return EXIT_FAILED;
        }
        r = remove_dir_contents(TAKE_FD(fd), state_dir);
        if (r < 0) {
                log_error("%s was only partly removed; run cancel again once the cause is fixed", state_dir);
                return EXIT_FAILED;
        }
        if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0)
                return log_error_errno(negative_errno(), "cannot remove %s", state_dir), EXIT_FAILED;
        /* Durable before anyone reboots on the strength of our message. */
        (void) fsync(parent_fd);

        print_removed(ctx, state_dir, &staged);
        return EXIT_OK;
}

/* What a stage that did not finish (killed, power lost) left in its spool
 * beside the staging directory: removed quietly, it was never staged. */
static void remove_stale_spools(int parent_fd, const char *parent) {
        _cleanup_close_ int fd = dup(parent_fd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d)
                return;
        TAKE_FD(fd);
        while ((de = readdir(d)) != NULL) {
                _cleanup_free_ char *path = NULL;
                struct stat st;
                int sub;

                if (strncmp(de->d_name, OSLIFT_SPOOL_PREFIX, strlen(OSLIFT_SPOOL_PREFIX)) != 0 ||
                    fstatat(parent_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
                    st.st_uid != 0 || asprintf(&path, "/%s/%s", parent, de->d_name) < 0)
                        continue;
                sub = openat(parent_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0 || remove_dir_contents(sub, path) < 0 || unlinkat(parent_fd, de->d_name, AT_REMOVEDIR) < 0)
                        log_warning("cannot remove %s, left by a stage that did not finish", path);
                else
                        log_debug("removed %s, left by a stage that did not finish", path);
        }
        closedir(d);
}

static int cancel(const struct context *ctx, const char *state_dir) {
        _cleanup_close_ int parent_fd = -1;
        _cleanup_free_ char *parent = NULL, *parent_in_root = NULL;
        const char *name;
        struct stat st;
        int r;

        r = state_dir_parent(&parent, &name);
        if (r < 0)
                return log_error_errno(r, "cannot cancel"), EXIT_FAILED;
        if (asprintf(&parent_in_root, "/%s", parent) < 0)
                return log_error_errno(-ENOMEM, "cannot cancel"), EXIT_FAILED;
        /* Literally /var/lib: stage never writes below a symlink. */
        parent_fd = open_dir_in_root(ctx->root, parent_in_root, 0, true);
        if (parent_fd == -ENOENT)
                return print_nothing_staged(ctx);
        if (parent_fd == -ELOOP) {
                log_error("a parent of %s is a symlink, which oslift never stages below; refusing to remove "
                          "what it points to", state_dir);
                return EXIT_FAILED;
        }
        if (parent_fd < 0)
                return log_error_errno(parent_fd, "cannot open the parent of %s", state_dir), EXIT_FAILED;
        remove_stale_spools(parent_fd, parent);

        if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return print_nothing_staged(ctx);
                return log_error_errno(negative_errno(), "cannot examine %s", state_dir), EXIT_FAILED;
        }
        if (S_ISLNK(st.st_mode)) {
                log_error("%s is a symlink, which oslift never creates; refusing to remove what it points to",
                          state_dir);
                log_error("check where it points; if nothing there is needed, remove the symlink yourself");
                return EXIT_FAILED;
        }
        if (!S_ISDIR(st.st_mode)) {
                log_error("%s is not a directory, so it is not oslift's staging directory; not removing it",
                          state_dir);
                return EXIT_FAILED;
        }
        return remove_staging_dir(ctx, parent_fd, name, state_dir);
}

int cmd_cancel(const struct context *ctx, int argc, char **argv) {
        static const struct option options[] = { { "help", no_argument, NULL, 'h' }, {} };
        _cleanup_free_ char *state_dir = NULL;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        printf("Usage: host-prep [--root DIR] [--json] cancel\n"
                               "Removes everything 'stage' wrote (%s), unless an upgrade has started.\n"
                               "The logs in %s are kept.\n",
                               OSLIFT_STATE_DIR, OSLIFT_LOG_DIR);
                        return EXIT_OK;
                }
                return EXIT_USAGE;
        }
        if (optind < argc) {
                log_error("cancel takes no arguments, got '%s'", argv[optind]);
                return EXIT_USAGE;
        }

        state_dir = root_path_join(ctx->root, OSLIFT_STATE_DIR);
        if (!state_dir)
                return log_error_errno(-ENOMEM, "cannot cancel"), EXIT_FAILED;
        return cancel(ctx, state_dir);
}
