/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Backend detection against fake roots; librpm reads our travelling config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rpm-setup.h"
#include "rpmdb.h"
#include "fake-root.h"

static char root[FAKE_ROOT_SIZE];

static void touch_db(const char *name) {
        char path[512];
        int fd;

        snprintf(path, sizeof(path), "%s/var/lib/rpm/%s", root, name);
        fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
}

static int setup(void **state) {
        const char *build = getenv("OSLIFT_BUILD");
        char path[512];

        /* librpm reads the configuration oslift ships, as the programs do. */
        if (build) {
                snprintf(path, sizeof(path), "%s/rpm", build);
                setenv("OSLIFT_RPM_CONFIGDIR", path, 1);
        }

        if (fake_root_make(root, "rpmdb", (const char *const[]) { "/var/lib/rpm", NULL }) < 0)
                return -1;
        return rpm_setup();
}

static int teardown(void **state) {
        return fake_root_remove(root);
}

static void test_path_is_below_root(void **state) {
        char *p = NULL;
        char want[512];

        assert_int_equal(rpmdb_path(root, &p), 0);
        snprintf(want, sizeof(want), "%s/var/lib/rpm", root);
        assert_string_equal(p, want);
        free(p);
        assert_int_equal(rpmdb_path("/", &p), 0);
        assert_string_equal(p, "/var/lib/rpm");
        free(p);
}

static void test_detection_order(void **state) {
        enum rpmdb_backend b;

        assert_int_equal(rpmdb_detect_backend(root, &b), 0);
        assert_int_equal(b, RPMDB_BACKEND_NONE);
        touch_db("Packages");
        assert_int_equal(rpmdb_detect_backend(root, &b), 0);
        assert_int_equal(b, RPMDB_BACKEND_BDB);
        assert_string_equal(rpmdb_backend_name(b), "bdb");
        touch_db("Packages.db");
        assert_int_equal(rpmdb_detect_backend(root, &b), 0);
        assert_int_equal(b, RPMDB_BACKEND_NDB);
        /* Mid-conversion directories hold both: the newest format wins. */
        touch_db("rpmdb.sqlite");
        assert_int_equal(rpmdb_detect_backend(root, &b), 0);
        assert_int_equal(b, RPMDB_BACKEND_SQLITE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_is_below_root),
                cmocka_unit_test(test_detection_order),
        };
        return cmocka_run_group_tests_name("rpmdb", tests, setup, teardown);
}
