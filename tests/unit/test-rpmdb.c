/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Backend detection against fake roots; librpm reads our travelling config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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

static void write_db(const char *name, const void *data, size_t len) {
        char path[512];
        int fd;

        snprintf(path, sizeof(path), "%s/var/lib/rpm/%s", root, name);
        fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t) len);
        close(fd);
}

static void put32(unsigned char *p, uint32_t v, bool big_endian) {
        for (int i = 0; i < 4; i++)
                p[big_endian ? 3 - i : i] = (unsigned char) (v >> (8 * i));
}

/* What the databases record, from synthetic files shaped as the real
 * ones (the integration tests use real ones). */
static void test_recorded_count(void **state) {
        static unsigned char page[2 * 4096];
        uint64_t n = 0;

        /* Berkeley DB hash: nelem counts key 0 (the instance counter) too. */
        memset(page, 0, sizeof(page));
        put32(page + 12, 0x00061561, false);
        put32(page + 88, 36, false);
        write_db("Packages", page, 4096);
        assert_int_equal(rpmdb_recorded_count(root, RPMDB_BACKEND_BDB, &n), 0);
        assert_int_equal(n, 35);
        /* Written on a big-endian machine. */
        put32(page + 12, 0x00061561, true);
        put32(page + 88, 3, true);
        write_db("Packages", page, 4096);
        assert_int_equal(rpmdb_recorded_count(root, RPMDB_BACKEND_BDB, &n), 0);
        assert_int_equal(n, 2);
        /* Not a hash database (a btree's magic): no count to compare with. */
        put32(page + 12, 0x00053162, false);
        write_db("Packages", page, 4096);
        assert_int_equal(rpmdb_recorded_count(root, RPMDB_BACKEND_BDB, &n), -ENODATA);
        write_db("Packages", page, 40);
        assert_int_equal(rpmdb_recorded_count(root, RPMDB_BACKEND_BDB, &n), -ENODATA);

        /* ndb: two slot pages, three slots in use. */
        memset(page, 0, sizeof(page));
        memcpy(page, "RpmP", 4);
        put32(page + 12, 2, false);
        for (size_t o = 32; o < sizeof(page); o += 16)
                memcpy(page + o, "Slot", 4);
        put32(page + 32 + 8, 100, false);
        put32(page + 48 + 8, 200, false);
        put32(page + 4096 + 16 + 8, 300, false);
        write_db("Packages.db", page, sizeof(page));
        assert_int_equal(rpmdb_recorded_count(root, RPMDB_BACKEND_NDB, &n), 0);
        assert_int_equal(n, 3);
        /* Cut inside its slot pages. */
        write_db("Packages.db", page, 4096 + 100);
        assert_int_equal(rpmdb_recorded_count(root, RPMDB_BACKEND_NDB, &n), -ENODATA);
        /* A damaged slot. */
        memcpy(page + 64, "XXXX", 4);
        write_db("Packages.db", page, sizeof(page));
        assert_int_equal(rpmdb_recorded_count(root, RPMDB_BACKEND_NDB, &n), -ENODATA);

        assert_int_equal(rpmdb_recorded_count(root, RPMDB_BACKEND_NONE, &n), -ENODATA);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_is_below_root),
                cmocka_unit_test(test_detection_order),
                cmocka_unit_test(test_recorded_count),
        };
        return cmocka_run_group_tests_name("rpmdb", tests, setup, teardown);
}
