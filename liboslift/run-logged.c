/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a program with its output in the log; see run-logged.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "run-logged.h"

/* The last lines of a child's output, shown when it fails. */
#define TAIL_LINES 20

int run_logged(char *const argv[]) {
        return run_logged_at(LOG_LEVEL_DEBUG, "/", argv);
}

int run_logged_in(const char *root, char *const argv[]) {
        return run_logged_at(LOG_LEVEL_DEBUG, root, argv);
}

int run_logged_at(enum log_level level, const char *root, char *const argv[]) {
        _cleanup_free_ char *line = NULL;
        char *tail[TAIL_LINES] = {};
        size_t n_lines = 0, cap = 0;
        int fds[2], status, r = 0;
        const char *name;
        FILE *f;
        pid_t pid;

        name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return log_error_errno(negative_errno(), "cannot run %s", argv[0]);
        pid = fork();
        if (pid < 0) {
                r = log_error_errno(negative_errno(), "cannot run %s", argv[0]);
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0 ||
                    dup2(fds[1], STDERR_FILENO) < 0)
                        _exit(127);
                if (strcmp(root, "/") != 0 && (chroot(root) < 0 || chdir("/") < 0)) {
                        dprintf(STDERR_FILENO, "cannot chroot into %s: %s\n", root, strerror(errno));
                        _exit(127);
                }
                execv(argv[0], argv);
                dprintf(STDERR_FILENO, "cannot execute %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(fds[1]);
        f = fdopen(fds[0], "r");
        if (!f) {
                close(fds[0]);
                r = -ENOMEM;
        }
        while (f) {
                ssize_t len = getline(&line, &cap, f);
                if (len < 0)
                        break;
                if (len > 0 && line[len - 1] == '\n')
                        line[len - 1] = '\0';
                log_msg(level, "%s: %s", name, line);
                free(tail[n_lines % TAIL_LINES]);
                tail[n_lines % TAIL_LINES] = strdup(line);
                n_lines++;
        }
        if (f)
                fclose(f);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = log_error_errno(negative_errno(), "cannot wait for %s", argv[0]);
                        break;
                }
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                size_t first = n_lines > TAIL_LINES ? n_lines - TAIL_LINES : 0;
                const char *more = n_lines > 0 ? "; the end of its output:" : " and printed nothing";
                if (WIFEXITED(status))
                        log_error("%s failed with exit status %d%s", argv[0], WEXITSTATUS(status), more);
                else
                        log_error("%s was killed by signal %d%s", argv[0],
                                  WIFSIGNALED(status) ? WTERMSIG(status) : 0, more);
                for (size_t i = first; i < n_lines; i++)
                        log_error("%s: %s", name, tail[i % TAIL_LINES] ?: "");
                r = -EIO;
        }
        for (size_t i = 0; i < TAIL_LINES; i++)
                free(tail[i]);
        return r;
}
