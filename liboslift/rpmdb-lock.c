/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <rpm/rpmmacro.h>

#include "chase.h"
#include "fsutil.h"
#include "log.h"
#include "macro.h"
#include "number.h"
#include "root-lock.h"
#include "rpmdb-lock.h"
#include "time-util.h"

/* SQLite's lock bytes (os_unix.c): a reader takes a read lock on one of
 * the SHARED bytes; PENDING and the SHARED range write-locked keep
 * readers out (an exclusive lock, or a writer about to take one). */
#define SQLITE_PENDING_BYTE 0x40000000
#define SQLITE_SHARED_FIRST (SQLITE_PENDING_BYTE + 2)
#define SQLITE_SHARED_SIZE 510

unsigned lock_wait_seconds(void) {
        const char *s = getenv("OSLIFT_LOCK_WAIT");
        unsigned v;

        return s && parse_unsigned_range(s, 0, 3600, &v) ? v : 30;
}

/* The PID of a process whose lock conflicts with a lock of type on
 * [start, start + len) of fd; 0 for none, -1 for one of unknown PID. */
static pid_t conflicting(int fd, short type, off_t start, off_t len) {
        struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

        if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
                return 0;
        return fl.l_pid > 0 ? fl.l_pid : -1;
}

static pid_t sqlite_holder(int fd) {
        pid_t pid = conflicting(fd, F_RDLCK, SQLITE_PENDING_BYTE, 1);

        return pid ?: conflicting(fd, F_RDLCK, SQLITE_SHARED_FIRST, SQLITE_SHARED_SIZE);
}

/* Polls holder(fd) until it is 0 or the bound is over; says once who it
 * waits for. Returns 0 or the last holder (> 0, or -1 when unknown). */
static pid_t wait_for(int fd, pid_t (*holder)(int fd), const char *what, const char *path) {
        double until = now_seconds() + lock_wait_seconds();
        bool said = false;
        pid_t pid;

        while ((pid = holder(fd)) != 0) {
                char who[96];

                if (now_seconds() >= until)
                        return pid;
                if (!said) {
                        lock_holder_describe(pid, who, sizeof(who));
                        log_warning("waiting for %s %s, held by %s (at most %u s)", what, path, who,
                                    lock_wait_seconds());
                        said = true;
                }
                usleep(200 * 1000);
        }
        return 0;
}

static void refuse_held(pid_t pid, const char *what, const char *path) {
        char who[96];

        lock_holder_describe(pid, who, sizeof(who));
        log_error("%s %s is still held by %s after %u s; try again when it has finished (nothing was "
                  "changed)", what, path, who, lock_wait_seconds());
}

#define SHOWN_SIZE 4096

/* Opens, inside root, the file librpm's macro names. *shown gets root and
 * the path, for messages; it is "" when the macro is not an absolute path
 * (then -EINVAL). Else what open_in_root() returns. */
static int open_rpm_file(const char *root, const char *macro, int flags, char shown[static SHOWN_SIZE]) {
        _cleanup_free_ char *path = rpmExpand(macro, NULL);

        shown[0] = '\0';
        if (!path || path[0] != '/')
                return -EINVAL;
        snprintf(shown, SHOWN_SIZE, "%s%s", root_prefix(root), path);
        return open_in_root(root, path, flags, 0);
}

int rpmdb_wait_unlocked(const char *root) {
        char shown[SHOWN_SIZE];
        _cleanup_close_ int fd = open_rpm_file(root, "%{_dbpath}/rpmdb.sqlite", O_RDONLY, shown);
        pid_t pid;

        /* Not an absolute path: librpm says what is wrong with its
         * configuration. Not there: no sqlite rpmdb, nothing to wait for. */
        if (fd < 0)
                return 0;
        pid = wait_for(fd, sqlite_holder, "the rpm database", shown);
        if (pid == 0)
                return 0;
        refuse_held(pid, "the rpm database", shown);
        return -EBUSY;
}

static pid_t transaction_holder(int fd) {
        return conflicting(fd, F_WRLCK, 0, 0);
}

static int take(int fd) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

        return fcntl(fd, F_SETLK, &fl) < 0 ? negative_errno() : 0;
}

int rpm_transaction_lock(const char *root) {
        char shown[SHOWN_SIZE];
        /* Not created here: the checks write nothing. librpm creates it
         * for its transaction, and nobody holds a file that is not there. */
        _cleanup_close_ int fd = open_rpm_file(root, "%{?_rpmlock_path}", O_RDWR | O_NOFOLLOW, shown);
        pid_t pid;

        if (!shown[0])
                return log_error_errno(-EINVAL, "librpm's %%_rpmlock_path is not an absolute path");
        if (fd == -ENOENT || fd == -EROFS)
                return -ENOENT; /* read-only: librpm says so when it gets there */
        if (fd < 0)
                return log_error_errno(fd, "cannot open rpm's transaction lock %s", shown);
        pid = wait_for(fd, transaction_holder, "rpm's transaction lock", shown);
        if (pid == 0 && take(fd) == 0)
                return TAKE_FD(fd);
        refuse_held(pid ?: -1, "rpm's transaction lock", shown);
        return -EBUSY;
}

int rpm_transaction_relock(const char *root, int fd) {
        pid_t pid;

        if (take(fd) == 0)
                return 0;
        pid = transaction_holder(fd);
        refuse_held(pid ?: -1, "rpm's transaction lock in", root);
        return -EBUSY;
}
