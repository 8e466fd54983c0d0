/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "root-lock.h"

/* Whether pid is a live process and not one that is exiting: a zombie or
 * dead one ("Z", "X" in /proc/PID/stat) is letting go of its locks. */
static bool process_alive(pid_t pid) {
        char path[64], buf[512], *p;
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

pid_t lock_holder(int fd) {
        _cleanup_fclose_ FILE *f = NULL;
        struct stat st;
        char line[256];

        if (fstat(fd, &st) < 0)
                return 0;
        f = fopen("/proc/locks", "re");
        if (!f)
                return 0;
        /* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; a waiter's
         * line has "->" after the number. */
        while (fgets(line, sizeof(line), f)) {
                unsigned maj, min;
                unsigned long ino;
                int pid;
                char kind[16], how[16], mode[16];

                if (strstr(line, "->"))
                        continue;
                if (sscanf(line, "%*d: %15s %15s %15s %d %x:%x:%lu", kind, how, mode, &pid, &maj, &min, &ino) != 7)
                        continue;
                if (ino == st.st_ino && maj == major(st.st_dev) && min == minor(st.st_dev) && pid > 0 &&
                    pid != getpid())
                        return pid;
        }
        return 0;
}

void lock_holder_describe(pid_t pid, char *buf, size_t size) {
        char path[64], comm[64] = "";
        FILE *f;

        if (pid <= 0) {
                snprintf(buf, size, "another process");
                return;
        }
        snprintf(path, sizeof(path), "/proc/%d/comm", (int) pid);
        f = fopen(path, "re");
        if (f) {
                if (!fgets(comm, sizeof(comm), f))
                        comm[0] = '\0';
                fclose(f);
                comm[strcspn(comm, "\n")] = '\0';
        }
        if (comm[0])
                snprintf(buf, size, "PID %d, %s", (int) pid, comm);
        else
                snprintf(buf, size, "PID %d", (int) pid);
}

int root_lock_fd(const char *root, int state_dir_fd) {
        struct stat st;

        for (unsigned tries = 0; flock(state_dir_fd, LOCK_EX | LOCK_NB) < 0; tries++) {
                char who[96];
                pid_t holder;

                if (errno != EWOULDBLOCK)
                        return log_error_errno(negative_errno(), "cannot lock %s%s", root_prefix(root),
                                               OSLIFT_STATE_DIR);
                /* No holder to be found, or one that is gone: the lock is
                 * being let go of (a killed holder's children, which share
                 * its descriptor, are still exiting; or /proc is not
                 * there). Two seconds are worth waiting for that. */
                holder = lock_holder(state_dir_fd);
                if ((holder == 0 || !process_alive(holder)) && tries < 20) {
                        usleep(100 * 1000);
                        continue;
                }
                lock_holder_describe(holder, who, sizeof(who));
                log_error("another oslift command (%s) is working on %s; try again when it has finished", who,
                          root);
                return -EBUSY;
        }
        if (fstat(state_dir_fd, &st) < 0)
                return negative_errno();
        return st.st_nlink == 0 ? -ESTALE : 0;
}

int root_lock(const char *root, bool create) {
        const char *dir = root_prefix(root);

        /* The holder may remove the directory (cancel, a failed stage):
         * then open the new one. */
        for (unsigned attempt = 0;; attempt++) {
                int fd = open_dir_in_root(root, OSLIFT_STATE_DIR, create ? 0700 : 0, true), r;

                if (fd == -ENOENT && !create)
                        return fd;
                if (fd == -ELOOP) {
                        log_error("%s%s or one of its parents is a symlink; oslift keeps its state only in a "
                                  "real directory there: remove the symlink and try again",
                                  dir, OSLIFT_STATE_DIR);
                        return fd;
                }
                if (fd == -ENOTDIR) {
                        log_error("%s%s is not a directory; remove it and try again", dir, OSLIFT_STATE_DIR);
                        return fd;
                }
                if (fd < 0)
                        return log_error_errno(fd, "cannot open %s%s", dir, OSLIFT_STATE_DIR);
                r = root_lock_fd(root, fd);
                if (r == 0)
                        return fd;
                close(fd);
                if (r != -ESTALE || attempt >= 3)
                        return r;
        }
}
