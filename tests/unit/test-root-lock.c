/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The root's lock: one holder at a time, the loser told at once; the
 * state directory made without following a symlink, refused when it or a
 * parent is one; a removed state directory is not locked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "paths.h"
#include "root-lock.h"
#include "fake-root.h"

static int setup(void **state) {
        static char root[FAKE_ROOT_SIZE];

        if (fake_root_make(root, "root-lock", NULL) < 0)
                return -1;
        *state = root;
        return 0;
}

static int teardown(void **state) {
        return fake_root_remove(*state);
}

static void test_one_holder(void **state) {
        const char *root = *state;
        char path[PATH_MAX];
        struct stat st;
        int fd, other;

        assert_int_equal(root_lock(root, false), -ENOENT);
        fd = root_lock(root, true);
        assert_true(fd >= 0);
        snprintf(path, sizeof(path), "%s%s", root, OSLIFT_STATE_DIR);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        /* Another open file description: another holder, refused. */
        assert_int_equal(root_lock(root, false), -EBUSY);
        assert_int_equal(root_lock(root, true), -EBUSY);
        other = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(other >= 0);
        assert_int_equal(root_lock_fd(root, other), -EBUSY);
        assert_int_equal(lock_holder(other), 0); /* ourselves: not another process */
        close(fd);
        assert_int_equal(root_lock_fd(root, other), 0);
        close(other);
}

static void test_removed(void **state) {
        const char *root = *state;
        char path[PATH_MAX];
        int fd;

        fd = root_lock(root, true);
        assert_true(fd >= 0);
        close(fd);
        snprintf(path, sizeof(path), "%s%s", root, OSLIFT_STATE_DIR);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(rmdir(path), 0);
        assert_int_equal(root_lock_fd(root, fd), -ESTALE);
        close(fd);
}

static void test_symlinks_refused(void **state) {
        const char *root = *state;
        char path[PATH_MAX], etc[PATH_MAX];
        struct stat st;

        snprintf(etc, sizeof(etc), "%s/etc", root);
        assert_int_equal(mkdir(etc, 0755), 0);
        snprintf(path, sizeof(path), "%s/var", root);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/var/lib", root);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s%s", root, OSLIFT_STATE_DIR);
        assert_int_equal(symlink("../../etc", path), 0);
        assert_int_equal(root_lock(root, true), -ELOOP);
        assert_int_equal(root_lock(root, false), -ELOOP);
        assert_int_equal(stat(etc, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);

        /* A parent a symlink out of the root. */
        assert_int_equal(unlink(path), 0);
        snprintf(path, sizeof(path), "%s/var/lib", root);
        assert_int_equal(rmdir(path), 0);
        assert_int_equal(symlink("/tmp", path), 0);
        {
                bool before = access("/tmp/oslift", F_OK) == 0;

                assert_int_equal(root_lock(root, true), -ELOOP);
                assert_true((access("/tmp/oslift", F_OK) == 0) == before);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_one_holder, setup, teardown),
                cmocka_unit_test_setup_teardown(test_removed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlinks_refused, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
