/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The root-confined resolver: symlinks resolved as if the root were "/",
 * absolute or relative, never leaving the root; no symlink followed where
 * O_NOFOLLOW asks; FIFOs and other special files refused without blocking;
 * atomic writes and removals that stay inside the root. Everything outside
 * the root (a canary beside it) stays untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "macro.h"
#include "fake-root.h"

struct fixture {
        char outside[FAKE_ROOT_SIZE]; /* holds root/ and canary */
        char root[FAKE_ROOT_SIZE + 8];
        char canary[FAKE_ROOT_SIZE + 16];
};

static void in_root(const struct fixture *fx, char *buf, size_t size, const char *path) {
        snprintf(buf, size, "%s%s", fx->root, path);
}

static void symlink_in_root(const struct fixture *fx, const char *target, const char *path) {
        char p[PATH_MAX];

        in_root(fx, p, sizeof(p), path);
        assert_int_equal(symlink(target, p), 0);
}

static void assert_canary(const struct fixture *fx) {
        char buf[32] = "";
        int fd = open(fx->canary, O_RDONLY | O_CLOEXEC);
        struct stat st;

        assert_true(fd >= 0);
        assert_int_equal(read(fd, buf, sizeof(buf) - 1), 7);
        close(fd);
        assert_string_equal(buf, "canary\n");
        assert_int_equal(stat(fx->canary, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
}

static int setup(void **state) {
        static const char *const dirs[] = { "/root", "/root/var/log", "/root/var/tmp", "/root/etc", NULL };
        struct fixture *fx = calloc(1, sizeof(*fx));
        int fd;

        if (!fx || fake_root_make(fx->outside, "chase", dirs) < 0)
                return -1;
        snprintf(fx->root, sizeof(fx->root), "%s/root", fx->outside);
        snprintf(fx->canary, sizeof(fx->canary), "%s/canary", fx->outside);
        fd = open(fx->canary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, "canary\n", 7) != 7)
                return -1;
        close(fd);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;
        int r = fake_root_remove(fx->outside);

        free(fx);
        return r;
}

static void test_chase_confined(void **state) {
        struct fixture *fx = *state;
        char target[PATH_MAX];
        static const struct {
                const char *in, *want;
        } cases[] = {
                { "/", "/" },
                { "/var/log", "/var/log" },
                { "/abs/x", "/var/log/x" },
                { "/up/x", "/etc/x" },
                { "/escape/shadow", "/etc/shadow" },
                { "/../../..", "/" },
                { "/missing/a/../b", "/missing/b" },
        };

        snprintf(target, sizeof(target), "%s", fx->outside); /* the host path of the root's parent */
        symlink_in_root(fx, "/var/log", "/abs");
        symlink_in_root(fx, "../../../etc", "/var/up");
        symlink_in_root(fx, "var/up", "/up");
        symlink_in_root(fx, target, "/host");
        symlink_in_root(fx, "../../../../../../../../etc", "/escape");
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *got = NULL;

                assert_int_equal(chase_in_root(fx->root, cases[i].in, &got), 0);
                assert_string_equal(got, cases[i].want);
        }
        /* An absolute link naming the host's path of the root's parent
         * names that path inside the root (which does not exist there). */
        {
                _cleanup_free_ char *got = NULL;

                assert_int_equal(chase_in_root(fx->root, "/host/canary", &got), 0);
                assert_true(strncmp(got, fx->outside, strlen(fx->outside)) == 0);
                assert_string_equal(got + strlen(fx->outside), "/canary");
        }
}

static void test_open_nofollow(void **state) {
        struct fixture *fx = *state;
        char p[PATH_MAX];
        int fd;

        /* upgrade.log -> ../../../etc/shadow: never followed, neither to
         * the host nor inside the root. */
        symlink_in_root(fx, "../../../etc/shadow", "/var/log/upgrade.log");
        assert_int_equal(open_in_root(fx->root, "/var/log/upgrade.log",
                                      O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0644), -ELOOP);
        in_root(fx, p, sizeof(p), "/etc/shadow");
        assert_int_equal(access(p, F_OK), -1);

        /* Followed when asked, inside the root. */
        fd = open_in_root(fx->root, "/var/log/upgrade.log", O_WRONLY | O_CREAT, 0600);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(access(p, F_OK), 0);

        /* A directory symlinked to the host: resolved inside the root. */
        symlink_in_root(fx, fx->outside, "/var/log/oslift");
        fd = open_in_root(fx->root, "/var/log/oslift/canary", O_WRONLY | O_TRUNC | O_NOFOLLOW, 0);
        assert_int_equal(fd, -ENOENT);
        assert_canary(fx);
}

static void test_special_refused(void **state) {
        struct fixture *fx = *state;
        char p[PATH_MAX];

        in_root(fx, p, sizeof(p), "/var/log/fifo");
        assert_int_equal(mkfifo(p, 0600), 0);
        /* Neither blocks. */
        assert_int_equal(open_in_root(fx->root, "/var/log/fifo", O_WRONLY | O_APPEND | O_NOFOLLOW, 0), -EBADFD);
        assert_int_equal(open_in_root(fx->root, "/var/log/fifo", O_RDONLY | O_NOFOLLOW, 0), -EBADFD);
        assert_int_equal(open_in_root(fx->root, "/var/log", O_RDONLY, 0), -EISDIR);
        assert_int_equal(open_in_root(fx->root, "/var/log/fifo", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
}

static void test_write_atomic(void **state) {
        struct fixture *fx = *state;
        char p[PATH_MAX];
        struct stat st;

        /* The file is a symlink to the host: replaced, not followed. */
        symlink_in_root(fx, fx->canary, "/var/log/report.txt");
        assert_int_equal(write_file_atomic(fx->root, "/var/log/report.txt", "x\n", 2, 0644), 0);
        in_root(fx, p, sizeof(p), "/var/log/report.txt");
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_size, 2);

        /* The directory is a symlink to the host: resolved inside the root. */
        symlink_in_root(fx, fx->outside, "/var/log/oslift");
        assert_int_equal(write_file_atomic(fx->root, "/var/log/oslift/canary", "y\n", 2, 0644), -ENOENT);
        assert_int_equal(mkdir_in_root(fx->root, "/var/log/oslift", 0755), 0);
        in_root(fx, p, sizeof(p), fx->outside);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(write_file_atomic(fx->root, "/var/log/oslift/canary", "y\n", 2, 0644), 0);
        assert_canary(fx);
}

static void test_dirs(void **state) {
        struct fixture *fx = *state;
        int fd;

        symlink_in_root(fx, "../../etc", "/var/lib");
        /* The state directory itself a symlink: refused. */
        assert_int_equal(mkdir_in_root(fx->root, "/var/state-parent", 0755), 0);
        symlink_in_root(fx, "../etc", "/var/state-parent/oslift");
        assert_int_equal(open_dir_in_root(fx->root, "/var/state-parent/oslift", 0700, true), -ELOOP);
        /* A symlinked parent: refused too, and nothing created. */
        assert_int_equal(open_dir_in_root(fx->root, "/var/lib/oslift", 0700, true), -ELOOP);
        fd = open_dir_in_root(fx->root, "/etc/oslift", 0, true);
        assert_int_equal(fd, -ENOENT);
        /* Created: parents 0755, the last one with the mode asked for. */
        fd = open_dir_in_root(fx->root, "/srv/a/oslift", 0700, true);
        assert_true(fd >= 0);
        close(fd);
        {
                char p[PATH_MAX];
                struct stat st;

                in_root(fx, p, sizeof(p), "/srv/a");
                assert_int_equal(stat(p, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0755);
                in_root(fx, p, sizeof(p), "/srv/a/oslift");
                assert_int_equal(stat(p, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0700);
        }
        /* Followed inside the root when asked. */
        fd = open_dir_in_root(fx->root, "/var/lib", 0, false);
        assert_true(fd >= 0);
        close(fd);
        assert_canary(fx);
}

static void test_remove(void **state) {
        struct fixture *fx = *state;
        char p[PATH_MAX];
        int fd;

        /* var/tmp -> the host: the cleanup stays inside the root. */
        in_root(fx, p, sizeof(p), "/var/tmp");
        assert_int_equal(rmdir(p), 0);
        symlink_in_root(fx, fx->outside, "/var/tmp");
        assert_int_equal(remove_in_root(fx->root, "/var/tmp/canary"), -ENOENT);
        assert_canary(fx);

        /* A symlink is removed, not what it points to. */
        symlink_in_root(fx, fx->canary, "/etc/link");
        assert_int_equal(remove_in_root(fx->root, "/etc/link"), 0);
        assert_canary(fx);

        /* A tree goes with what is in it. */
        assert_int_equal(mkdir_in_root(fx->root, "/etc/tree/a/b", 0755), 0);
        fd = open_in_root(fx->root, "/etc/tree/a/b/f", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        assert_true(fd >= 0);
        close(fd);
        symlink_in_root(fx, fx->outside, "/etc/tree/a/out");
        assert_int_equal(remove_in_root(fx->root, "/etc/tree"), 0);
        in_root(fx, p, sizeof(p), "/etc/tree");
        assert_int_equal(access(p, F_OK), -1);
        assert_canary(fx);
        assert_int_equal(remove_in_root(fx->root, "/"), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_chase_confined, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_nofollow, setup, teardown),
                cmocka_unit_test_setup_teardown(test_special_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
