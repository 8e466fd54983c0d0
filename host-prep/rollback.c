/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host-prep rollback and commit: the operator's two answers to an upgraded
 * system, once it has been looked at. rollback writes the request the
 * upgrader acts on (OSLIFT_ROLLBACK_REQUEST: it puts the old system back
 * offline from the undo set it took, upgrader/undo.h); commit removes the
 * undo set, after which there is no way back. On the running system
 * rollback also builds the upgrade initramfs and arms the one-time boot
 * into it, as stage does (boot-entry.h): the upgrader there finds the
 * request, rolls back and reboots into the old release. In root mode the
 * operator runs `upgrader --root DIR` after rollback.
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

#include "boot-common.h"
#include "boot-entry.h"
#include "chase.h"
#include "fsutil.h"
#include "host-prep.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "root-lock.h"
#include "rollback-request.h"
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

static int rollback_parse(int argc, char **argv, const char **ret_image) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "boot-initramfs", required_argument, NULL, 'b' },
                {},
        };
        int c;

        *ret_image = NULL;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        fputs("Usage: host-prep [--root DIR] [--json] rollback [--boot-initramfs IMAGE]\n"
                              "Puts the old system back from the undo set the upgrade kept. On the running\n"
                              "system it builds the upgrade initramfs and arms a one-time boot into it, where\n"
                              "the upgrader rolls back, verifies and reboots into the old release. With --root\n"
                              "it asks for the rollback; then run 'upgrader --root DIR' (--boot-initramfs also\n"
                              "arms DIR's GRUB, with an image built beforehand). See host-prep(8).\n",
                              stdout);
                        return EXIT_OK;
                }
                if (c == 'b') {
                        *ret_image = optarg;
                        continue;
                }
                return EXIT_USAGE;
        }
        if (optind < argc) {
                log_error("rollback takes no arguments, got '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        return -1;
}

int cmd_rollback(const struct context *ctx, int argc, char **argv) {
        const char *given = NULL;
        int r = rollback_parse(argc, argv, &given);

        if (r >= 0)
                return r;
        return rollback_arm(ctx, given, NULL);
}

int rollback_arm(const struct context *ctx, const char *given, const char *why) {
        _cleanup_free_ char *image = NULL, *reason = NULL, *kver = NULL;
        _cleanup_close_ int fd = -1;
        struct upgrade_status s, before;
        bool own = strcmp(ctx->root, "/") == 0, arm;
        int r;

        if (own && given) {
                log_error("rollback: --boot-initramfs is for a root directory (--root DIR); on the running "
                          "system host-prep builds the image itself");
                return EXIT_USAGE;
        }
        arm = own || given;
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
        if (s.state == UPGRADE_APPLIED || s.state == UPGRADE_APPLIED_WITH_PROBLEMS) {
                if (own) {
                        log_error("rollback: the upgrade of %s is applied but not restored yet (state \"%s\"): "
                                  "let the first boot of the new release finish ('host-prep restore'), then roll "
                                  "back", ctx->root, upgrade_state_name(s.state));
                        return EXIT_FAILED;
                }
        }
        if (fstatat(fd, STATE_DIR_RELATIVE(OSLIFT_UNDO_DIR), &(struct stat) {}, AT_SYMLINK_NOFOLLOW) < 0) {
                log_error("rollback: there is no undo set in %s%s: 'host-prep commit' removed it, or the upgrade "
                          "was staged with --rollback=none; oslift cannot put the old system back",
                          root_prefix(ctx->root), OSLIFT_UNDO_DIR);
                return EXIT_FAILED;
        }
        /* A root's kernel: the one its image is named for, when it is
         * oslift's name (another root may hold both releases' kernels). */
        if (given) {
                const char *base = strrchr(given, '/') ? strrchr(given, '/') + 1 : given;
                size_t n = strlen(base);

                if (strncmp(base, IMAGE_PREFIX, strlen(IMAGE_PREFIX)) == 0 &&
                    n > strlen(IMAGE_PREFIX) + strlen(IMAGE_SUFFIX) &&
                    strcmp(base + n - strlen(IMAGE_SUFFIX), IMAGE_SUFFIX) == 0)
                        kver = strndup(base + strlen(IMAGE_PREFIX), n - strlen(IMAGE_PREFIX) - strlen(IMAGE_SUFFIX));
        }
        if (arm && boot_entry_check(ctx->root, kver, &reason) < 0) {
                log_error("rollback: cannot arm the rollback boot: %s", reason ?: "see above");
                return EXIT_FAILED;
        }
        if (own) {
                /* Before anything is written: slow, and may run out of space in /boot. */
                if (!ctx->quiet && !ctx->json)
                        log_info("building the upgrade initramfs with dracut for the rollback boot");
                r = boot_entry_build_initramfs(ctx->root, NULL, &image);
                if (r < 0) {
                        log_error("rollback: the upgrade initramfs cannot be built; nothing was changed");
                        return EXIT_FAILED;
                }
        } else if (given && !(image = strdup(given)))
                return EXIT_FAILED;

        before = s;
        /* The reason is for people and for the rolled-back system's status. */
        r = rollback_request_write_at(fd, why);
        if (r < 0) {
                log_error_errno(r, "rollback: cannot write %s", OSLIFT_ROLLBACK_REQUEST);
                if (own)
                        (void) boot_entry_disarm(ctx->root);
                return EXIT_FAILED;
        }
        s.state = UPGRADE_ROLLING_BACK;
        snprintf(s.message, sizeof(s.message), "%s%s%s", arm ? "rollback armed: the next boot puts the old system "
                                                              "back, verifies it and reboots into it"
                                                            : "rollback requested: the upgrader puts the old "
                                                              "system back",
                 why ? "; because " : "", why ?: "");
        r = status_write_at(fd, &s);
        if (r < 0)
                log_error_errno(r, "rollback: cannot write %s", OSLIFT_STATUS_FILE);
        /* The switch last: nothing boots into a half-made rollback. */
        if (arm) {
                r = boot_entry_arm(ctx->root, &(struct boot_entry_spec) {
                                                      .kver = kver,
                                                      .initramfs = image,
                                                      .initramfs_built = own,
                                              });
                if (r < 0) {
                        (void) unlinkat(fd, STATE_DIR_RELATIVE(OSLIFT_ROLLBACK_REQUEST), 0);
                        (void) status_write_at(fd, &before);
                        if (own)
                                (void) boot_entry_disarm(ctx->root);
                        log_error("rollback: the rollback boot could not be armed; nothing is asked for");
                        return EXIT_FAILED;
                }
        }
        if (ctx->json)
                printf("{\"requested\":true,\"armed\":%s}\n", arm ? "true" : "false");
        else if (!ctx->quiet && own)
                printf("rollback armed: the next boot (once) puts the old system back from the undo set, "
                       "verifies it and reboots into the old release: reboot to roll back\n");
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
