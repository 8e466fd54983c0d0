/* SPDX-License-Identifier: GPL-2.0-or-later */
/* host-prep status: where a staged or running upgrade stands, read-only. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "host-prep.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "restore-record.h"
#include "rollback-request.h"
#include "rollback.h"
#include "status.h"
#include "terminal.h"
#include "utf8.h"

/* What each state means for the person reading the text output. */
static const char *const state_hints[_UPGRADE_STATE_MAX] = {
        [UPGRADE_STAGED] = "the upgrade has not started",
        [UPGRADE_APPLYING] = "the upgrade is running, or was interrupted",
        [UPGRADE_APPLIED] = "the upgrade finished; host-prep restore completes it on the first boot",
        [UPGRADE_FAILED] = "the upgrade failed; see the log",
        [UPGRADE_RESTORED] = "the upgrade is complete",
        [UPGRADE_APPLIED_WITH_PROBLEMS] = "the upgrade finished, but rpm failed some packages, which stay at "
                                          "their old version; host-prep restore completes it on the first "
                                          "boot; the message and the report say which and why",
        [UPGRADE_RESTORED_WITH_PROBLEMS] = "the upgrade is complete, but with problems: rpm failed some "
                                           "packages, which stay at their old version, or the system's rpm "
                                           "cannot read its database; the message and the report say which "
                                           "and what to do ('host-prep log')",
        [UPGRADE_REFUSED] = "the upgrade boot refused the plan and changed nothing; the message says why: "
                            "fix that, then 'host-prep cancel' and 'host-prep stage' again",
        [UPGRADE_ROLLING_BACK] = "a rollback to the old system is asked for or was interrupted: the next boot "
                                 "(armed by 'host-prep rollback', or by a failed verify command) puts the old "
                                 "system back, verifies it and reboots into it; a rollback boot cut short boots "
                                 "again and goes on ('upgrader --root DIR' for a root directory); the message "
                                 "says who asked for it",
        [UPGRADE_ROLLED_BACK] = "the upgrade was rolled back: the old system is back, every file verified, "
                                "its boot configuration too; the message says why it was rolled back; "
                                "'host-prep cancel' cleans up",
        [UPGRADE_ROLLED_BACK_WITH_PROBLEMS] = "the upgrade was rolled back, but files did not verify against "
                                              "the old rpmdb: the message and the log name them",
};

/* The state at a glance on a terminal. */
static const char *const state_colours[_UPGRADE_STATE_MAX] = {
        [UPGRADE_STAGED] = ANSI_BOLD,
        [UPGRADE_APPLYING] = ANSI_YELLOW,
        [UPGRADE_APPLIED] = ANSI_GREEN,
        [UPGRADE_FAILED] = ANSI_RED,
        [UPGRADE_RESTORED] = ANSI_GREEN,
        [UPGRADE_APPLIED_WITH_PROBLEMS] = ANSI_RED,
        [UPGRADE_RESTORED_WITH_PROBLEMS] = ANSI_RED,
        [UPGRADE_ROLLING_BACK] = ANSI_YELLOW,
        [UPGRADE_ROLLED_BACK] = ANSI_GREEN,
        [UPGRADE_ROLLED_BACK_WITH_PROBLEMS] = ANSI_RED,
};

/* Prints "key: value" with control characters escaped: the message quotes
 * rpm and scriptlets, whose output must not forge lines of ours. */
static void print_field(const char *key, const char *value) {
        printf("%s: ", key);
        for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
                if (*p == '\n')
                        fputs("\\n", stdout);
                else if (*p == '\t')
                        fputs("\\t", stdout);
                else if (ascii_is_control(*p))
                        printf("\\x%02x", *p);
                else
                        putchar(*p);
        }
        putchar('\n');
}

static bool exists_at(int dir_fd, const char *path) {
        struct stat st;

        return fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* root + path, or path alone when out of memory: only for display. */
static void print_path_field(const char *key, const char *root, const char *path, const char *suffix) {
        _cleanup_free_ char *full = root_path_join(root, path);

        printf("%s: %s%s\n", key, full ?: path, suffix);
}

/* The files besides status.json: what stage left and where the log is. */
static void print_files(const struct context *ctx, int state_dir_fd, const char *log) {
        _cleanup_close_ int root_fd = open(ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *packages = root_path_join(ctx->root, OSLIFT_PACKAGES_DIR);
        bool log_exists;
        uint64_t undo;
        unsigned n;
        int r;

        print_path_field("plan", ctx->root, OSLIFT_PLAN_FILE,
                         exists_at(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_PLAN_FILE)) ? "" : " (missing)");
        r = staging_count_packages(state_dir_fd, &n);
        if (r < 0)
                printf("staged packages: unknown (%s: %s)\n", packages ?: OSLIFT_PACKAGES_DIR, strerror(-r));
        else
                printf("staged packages: %u in %s\n", n, packages ?: OSLIFT_PACKAGES_DIR);
        /* The log path is inside the root; skip its leading slashes for openat(). */
        log_exists = root_fd >= 0 && exists_at(root_fd, log + strspn(log, "/"));
        print_path_field("log", ctx->root, log, log_exists ? "" : " (not written yet)");
        {
                /* Who asked for a rollback not yet done, and why. */
                char line[ROLLBACK_REQUEST_LINE_MAX];

                if (rollback_request_read_at(state_dir_fd, line) == 0 && line[0])
                        print_field("rollback request", line);
        }
        if (undo_set_size(state_dir_fd, &undo) == 0)
                printf("undo set: %llu bytes in %s%s ('host-prep commit' removes it)\n", (unsigned long long) undo,
                       root_prefix(ctx->root), OSLIFT_UNDO_DIR);
}

/* The new kernel's trial boot (restore-record.h), while pending or once
 * it failed. */
static void print_kernel_trial(const struct context *ctx) {
        struct kernel_trial t;
        char text[4096];

        if (kernel_trial_read(ctx->root, &t) < 0)
                return;
        if (t.result == KERNEL_TRIAL_PENDING)
                snprintf(text, sizeof(text), "pending: the new kernel %s boots once at the next boot (GRUB's "
                         "next_entry=%s); %s stays the default until it has come up, then 'host-prep restore' "
                         "(oslift-restore.service) makes it the default", t.kernel, t.entry, t.old_kernel);
        else
                snprintf(text, sizeof(text), "%sFAILED%s: the new kernel %s did not come up on its trial boot (GRUB "
                         "booted it once, the machine came back on %s, which stays the default). What to do: read "
                         "its boot on the console, fix it (dracut -f /boot/initramfs-%s.img %s; the options in "
                         "/boot/loader/entries/%s.conf), boot it once with 'grub2-reboot %s', and once it has "
                         "come up make it the default with 'grubby --set-default /boot/vmlinuz-%s'",
                         ansi(ctx->colour, ANSI_RED), ansi(ctx->colour, ANSI_RESET), t.kernel, t.booted, t.kernel,
                         t.kernel, t.entry, t.entry, t.kernel);
        print_field("kernel trial", text);
}

static void print_status(const struct context *ctx, int state_dir_fd, const struct upgrade_status *s) {
        printf("state: %s%s%s (%s)\n", ansi(ctx->colour, state_colours[s->state]), upgrade_state_name(s->state),
               ansi(ctx->colour, ANSI_RESET), state_hints[s->state]);
        printf("packages: %u of %u done\n", s->packages_done, s->packages_total);
        printf("scriptlet failures: %u\n", s->scriptlet_failures);
        print_field("started", s->started[0] ? s->started : "not yet");
        print_field("updated", s->updated[0] ? s->updated : "never");
        print_field("message", s->message[0] ? s->message : "(none)");
        print_kernel_trial(ctx);
        print_files(ctx, state_dir_fd, s->log);
}

/* A staging directory without status.json: stage did not get to write it
 * (interrupted), or an older oslift staged. */
static int print_unknown(const struct context *ctx, int state_dir_fd, const char *state_dir) {
        _cleanup_free_ char *message = NULL;

        if (asprintf(&message,
                     "%s has no status file: staging did not finish; "
                     "run 'host-prep cancel' and stage again",
                     state_dir) < 0)
                return log_error_errno(-ENOMEM, "cannot describe the status"), EXIT_FAILED;
        if (ctx->json) {
                printf("{\"state\":\"unknown\",\"message\":");
                json_write_string(stdout, message);
                printf("}\n");
        } else {
                printf("state: unknown\n");
                print_field("message", message);
                print_files(ctx, state_dir_fd, OSLIFT_UPGRADE_LOG);
        }
        return EXIT_OK;
}

static int print_nothing_staged(const struct context *ctx) {
        if (ctx->json)
                printf("{\"state\":\"none\"}\n");
        else
                printf("nothing staged in %s\n", ctx->root);
        return EXIT_OK;
}

static int open_failed(int r, const char *state_dir) {
        if (r == -ELOOP)
                log_error("%s is a symlink, which oslift never creates; not following it", state_dir);
        else
                log_error_errno(r, "cannot open %s", state_dir);
        return EXIT_FAILED;
}

static int read_failed(int r, const char *root) {
        _cleanup_free_ char *file = root_path_join(root, OSLIFT_STATUS_FILE);

        if (r == -EBADMSG)
                log_error("%s is not a status file this oslift wrote (unparsable, or a different version)",
                          file ?: OSLIFT_STATUS_FILE);
        else
                log_error_errno(r, "cannot read %s", file ?: OSLIFT_STATUS_FILE);
        return EXIT_FAILED;
}

static int show(const struct context *ctx, const char *state_dir) {
        _cleanup_close_ int fd = -1;
        struct upgrade_status s;
        int r;

        fd = staging_dir_open(ctx->root);
        if (fd == -ENOENT)
                return print_nothing_staged(ctx);
        if (fd < 0)
                return open_failed(fd, state_dir);

        r = status_read_at(fd, &s);
        if (r == -ENOENT)
                return print_unknown(ctx, fd, state_dir);
        if (r < 0)
                return read_failed(r, ctx->root);

        if (!ctx->json) {
                print_status(ctx, fd, &s);
                return EXIT_OK;
        }
        /* Re-emitted rather than copied: what we print is valid JSON even
         * when the file carries keys of a newer writer. */
        r = status_emit(stdout, &s);
        if (r < 0)
                return log_error_errno(r, "cannot write the status"), EXIT_FAILED;
        return EXIT_OK;
}

int cmd_status(const struct context *ctx, int argc, char **argv) {
        static const struct option options[] = { { "help", no_argument, NULL, 'h' }, {} };
        _cleanup_free_ char *state_dir = NULL;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        printf("Usage: host-prep [--root DIR] [--json] status\n"
                               "Shows where a staged or running upgrade stands (read-only).\n");
                        return EXIT_OK;
                }
                return EXIT_USAGE;
        }
        if (optind < argc) {
                log_error("status takes no arguments, got '%s'", argv[optind]);
                return EXIT_USAGE;
        }

        state_dir = root_path_join(ctx->root, OSLIFT_STATE_DIR);
        if (!state_dir)
                return log_error_errno(-ENOMEM, "cannot show the status"), EXIT_FAILED;
        return show(ctx, state_dir);
}
