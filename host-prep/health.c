/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host-prep verify: the operator's health check of stage --verify, on the
 * first boot of the new release once it is up (oslift-verify.service,
 * which restore enables), or right after restore in root-directory mode.
 *
 * The command runs with /bin/sh -c, again every few seconds until it
 * exits 0 or the plan's timeout is up (a service may need a moment after
 * multi-user). Its output and every attempt go to OSLIFT_VERIFY_LOG. When
 * it does not succeed, the system rolls back by itself: on the running
 * system the rollback boot is armed (rollback.c, as 'host-prep rollback'
 * does) and the machine reboots into it; in a root directory, where the
 * services of the new release are not running and nothing reboots, the
 * command runs chrooted into the root and a failure only asks for the
 * rollback, which 'upgrader --root DIR' then performs. The request and
 * the status carry the reason, so that the rolled-back system says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "health.h"
#include "host-prep.h"
#include "log.h"
#include "run.h"
#include "paths.h"
#include "plan.h"
#include "rollback.h"
#include "status.h"
#include "time-util.h"

#define RETRY_SECONDS 5
#define OUTPUT_MAX (16u << 10)

struct attempt {
        int status;    /* exit status, 128 + signal, or -1: timed out */
        double seconds;
};

/* One run of cmd, at most limit seconds; its output appended to log. */
static int run_once(const char *root, const char *cmd, double limit, FILE *log, struct attempt *ret) {
        int pipefd[2], status = 0;
        double start = now_seconds();
        size_t kept = 0;
        bool timed_out = false;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return negative_errno();
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                (void) setsid();
                if (null >= 0)
                        (void) dup2(null, STDIN_FILENO);
                (void) dup2(pipefd[1], STDOUT_FILENO);
                (void) dup2(pipefd[1], STDERR_FILENO);
                if (strcmp(root, "/") != 0 && (chroot(root) < 0 || chdir("/") < 0)) {
                        dprintf(STDERR_FILENO, "cannot chroot into %s: %s\n", root, strerror(errno));
                        _exit(127);
                }
                execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
                dprintf(STDERR_FILENO, "cannot run /bin/sh: %s\n", strerror(errno));
                _exit(127);
        }
        close(pipefd[1]);
        for (;;) {
                double left = limit - (now_seconds() - start);
                struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
                char buf[4096];
                ssize_t n;
                int k;

                if (left <= 0) {
                        timed_out = true;
                        break;
                }
                k = poll(&p, 1, (int) (left * 1000) + 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        continue; /* the deadline, next round */
                n = read(pipefd[0], buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break; /* every writer closed: the command is done */
                if (kept < OUTPUT_MAX) {
                        size_t w = (size_t) n < OUTPUT_MAX - kept ? (size_t) n : OUTPUT_MAX - kept;
                        fwrite(buf, 1, w, log);
                        fwrite(buf, 1, w, stderr);
                        kept += w;
                }
        }
        close(pipefd[0]);
        if (timed_out)
                (void) kill(-pid, SIGKILL), (void) kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (timed_out) {
                /* A child that left its output open is killed as well. */
                ret->status = -1;
        } else
                ret->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        ret->seconds = now_seconds() - start;
        if (kept == OUTPUT_MAX)
                fputs("\n(output cut here)\n", log);
        return 0;
}

int health_check(const char *root, const char *cmd, unsigned timeout, char *why, size_t why_size) {
        _cleanup_free_ char *text = NULL;
        double start = now_seconds(), left;
        struct attempt a = { .status = -1 };
        unsigned n = 0;
        size_t len = 0;
        char stamp[TIMESTAMP_SIZE];
        FILE *log = open_memstream(&text, &len);
        int r = 0;

        if (!log)
                return -ENOMEM;
        timestamp_now(stamp);
        fprintf(log, "%s: verifying the upgraded system%s%s: sh -c '%s', %u s to succeed\n", stamp,
                strcmp(root, "/") ? " chrooted into " : "", strcmp(root, "/") ? root : "", cmd, timeout);
        log_info("verifying the upgraded system: %s (%u s to succeed)", cmd, timeout);
        while ((left = (double) timeout - (now_seconds() - start)) > 0) {
                n++;
                fprintf(log, "--- attempt %u\n", n);
                fflush(log);
                r = run_once(root, cmd, left, log, &a);
                if (r < 0)
                        break;
                if (a.status == 0)
                        break;
                fprintf(log, "--- attempt %u %s after %.1f s\n", n, a.status < 0 ? "timed out" : "failed",
                        a.seconds);
                if (a.status >= 0)
                        fprintf(log, "    exit status %d\n", a.status);
                left = (double) timeout - (now_seconds() - start);
                if (left <= 0)
                        break;
                sleep(left < RETRY_SECONDS ? 1 : RETRY_SECONDS);
        }
        if (r < 0)
                snprintf(why, why_size, "the verify command could not be run: %s", strerror(-r));
        else if (a.status == 0)
                snprintf(why, why_size, "the verify command succeeded in %.1f s (attempt %u)", now_seconds() - start,
                         n);
        else if (a.status < 0)
                snprintf(why, why_size, "the verify command '%s' did not succeed within %u s (%u attempts, the "
                         "last timed out): see %s", cmd, timeout, n, OSLIFT_VERIFY_LOG);
        else
                snprintf(why, why_size, "the verify command '%s' did not succeed within %u s (%u attempts, the "
                         "last exited %d): see %s", cmd, timeout, n, a.status, OSLIFT_VERIFY_LOG);
        fprintf(log, "%s\n", why);
        fclose(log);
        if (mkdir_in_root(root, OSLIFT_LOG_DIR, 0755) < 0 ||
            write_file_atomic(root, OSLIFT_VERIFY_LOG, text, len, 0644) < 0)
                log_warning("cannot write %s", OSLIFT_VERIFY_LOG);
        if (r < 0)
                return r;
        return a.status == 0 ? 0 : 1;
}

int health_verify(const struct context *ctx) {
        _cleanup_(plan_freep) struct plan *plan = NULL;
        struct upgrade_status st;
        char path[PATH_MAX], why[STATUS_MESSAGE_SIZE];
        bool own = strcmp(ctx->root, "/") == 0;
        int r;

        /* One first boot only, whatever comes of it. */
        (void) remove_in_root(ctx->root, OSLIFT_VERIFY_UNIT_LINK);
        r = status_read(ctx->root, &st);
        if (r < 0 || (st.state != UPGRADE_RESTORED && st.state != UPGRADE_RESTORED_WITH_PROBLEMS)) {
                log_info("verify: nothing to verify in %s: %s", ctx->root,
                         r < 0 ? "no upgrade" : upgrade_state_name(st.state));
                return EXIT_OK;
        }
        r = path_in_root(path, sizeof(path), ctx->root, OSLIFT_PLAN_FILE);
        if (r == 0)
                r = plan_load(AT_FDCWD, path, &plan, NULL);
        if (r < 0)
                return log_error_errno(r, "verify: cannot read the plan %s", OSLIFT_PLAN_FILE), EXIT_FAILED;
        if (!plan->verify) {
                log_info("verify: the upgrade was staged without --verify: nothing to run");
                return EXIT_OK;
        }
        r = health_check(ctx->root, plan->verify, plan->verify_timeout, why, sizeof(why));
        if (r < 0)
                log_error("verify: %s", why);
        if (r == 0) {
                log_info("verify: %s", why);
                snprintf(st.message, sizeof(st.message), "restored and verified: %.480s", why);
                (void) status_write(ctx->root, &st);
                if (!ctx->quiet && !ctx->json)
                        printf("verified: %s\n", why);
                return EXIT_OK;
        }
        log_error("verify: %s; rolling back to the old system", why);
        r = rollback_arm(ctx, NULL, why);
        if (r != EXIT_OK) {
                log_error("verify: the rollback could not be asked for: the new release stays; see above");
                return EXIT_FAILED;
        }
        if (own) {
                r = reboot_now("verify: rebooting into the rollback");
                if (r < 0)
                        log_error_errno(r, "verify: cannot reboot; reboot by hand to roll back");
        }
        return EXIT_FAILED;
}

int cmd_verify(const struct context *ctx, int argc, char **argv) {
        if (argc > 1) {
                if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                        printf("Usage: host-prep [--root DIR] verify\n"
                               "Runs the health check given to stage --verify on the restored new release;\n"
                               "when it does not succeed in time, rolls back (on the running system: arms\n"
                               "the rollback boot and reboots). See host-prep(8).\n");
                        return EXIT_OK;
                }
                log_error("verify takes no arguments, got '%s'", argv[1]);
                return EXIT_USAGE;
        }
        return health_verify(ctx);
}
