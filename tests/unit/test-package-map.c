/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The package map's parser (docs/package-map.md): renames, splits and
 * removals, comments and blank lines, and a message naming the line for
 * everything it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "package-map.h"

static void test_rules(void **state) {
        struct package_map m;
        char *error = NULL;

        assert_int_equal(package_map_parse("# renames\n"
                                           "ntp -> chrony   # a rename\n"
                                           "\n"
                                           "\tpython-tools->x  \n", /* no spaces round the arrow */
                                           &m, &error),
                         -EBADMSG);
        assert_string_equal(error, "line 4: 'python-tools->x' is not a package name");
        free(error);

        assert_int_equal(package_map_parse("# renames\n"
                                           "ntp -> chrony   # a rename\n"
                                           "\n"
                                           "\tpython-tools\t->  python3-tools python3-devtools\r\n"
                                           "httpd -> httpd httpd-filesystem\n"
                                           "gone ->\n"
                                           "libfoo.so.1+x~y^z -> libfoo2",
                                           &m, &error),
                         0);
        assert_null(error);
        assert_int_equal(m.n, 5);
        assert_string_equal(m.entries[0].from, "ntp");
        assert_int_equal(m.entries[0].n_to, 1);
        assert_string_equal(m.entries[0].to[0], "chrony");
        assert_int_equal(m.entries[0].line, 2);
        assert_string_equal(m.entries[1].from, "python-tools");
        assert_int_equal(m.entries[1].n_to, 2);
        assert_string_equal(m.entries[1].to[1], "python3-devtools");
        assert_int_equal(m.entries[2].n_to, 2);
        assert_string_equal(m.entries[2].to[0], "httpd");
        assert_string_equal(m.entries[3].from, "gone");
        assert_int_equal(m.entries[3].n_to, 0);
        assert_string_equal(m.entries[4].from, "libfoo.so.1+x~y^z");
        assert_int_equal(m.entries[4].line, 7);
        package_map_done(&m);
}

static void test_empty(void **state) {
        struct package_map m;
        char *error = NULL;

        assert_int_equal(package_map_parse("", &m, &error), 0);
        assert_int_equal(m.n, 0);
        package_map_done(&m);
        assert_int_equal(package_map_parse("# nothing\n\n   \n", &m, &error), 0);
        assert_int_equal(m.n, 0);
        package_map_done(&m);
}

static void refused(const char *text, const char *want) {
        struct package_map m;
        char *error = NULL;

        assert_int_equal(package_map_parse(text, &m, &error), -EBADMSG);
        assert_non_null(error);
        assert_string_equal(error, want);
        free(error);
}

static void test_refused(void **state) {
        refused("ntp chrony\n", "line 1: one installed name before '->', not 'chrony'");
        refused("ntp\n", "line 1: no '->': want 'OLD -> NEW...' or 'OLD ->'");
        refused("-> chrony\n", "line 1: want 'OLD -> NEW...'");
        refused("a -> b -> c\n", "line 1: want 'OLD -> NEW...'");
        refused("a -> b b\n", "line 1: 'b' is named twice");
        refused("a -> b\n\na -> c\n", "line 3: 'a' is already mapped on line 1");
        refused("a/b -> c\n", "line 1: 'a/b' is not a package name");
        refused("a -> c>=2\n", "line 1: 'c>=2' is not a package name");
}

static void test_load(void **state) {
        char path[] = "/tmp/oslift-test-map.XXXXXX";
        struct package_map m;
        char *error = NULL;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "a -> b\n\0c -> d\n", 15), 15);
        close(fd);
        assert_int_equal(package_map_load(path, &m, &error), -EBADMSG);
        assert_string_equal(error, "the file contains a NUL byte");
        free(error);
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_int_equal(write(fd, "a -> b\n", 7), 7);
        close(fd);
        assert_int_equal(package_map_load(path, &m, &error), 0);
        assert_int_equal(m.n, 1);
        package_map_done(&m);
        unlink(path);
        assert_int_equal(package_map_load(path, &m, &error), -ENOENT);
        assert_int_equal(package_map_load("/tmp", &m, &error), -EBADFD);
}

/* Duplicates are found by hashing: 200,000 rules (about 4 MiB, a quarter
 * of the size limit) parse at once, and the first duplicate is the one
 * named, with the line of its first mapping. Quadratic scanning took most
 * of a minute here. */
static void test_many(void **state) {
        enum { N = 200000 };
        size_t size = (size_t) N * 40, len = 0;
        char *text = malloc(size), *error = NULL;
        struct package_map m;

        (void) state;
        assert_non_null(text);
        for (unsigned i = 0; i < N; i++)
                len += (size_t) snprintf(text + len, size - len, "pkg%u -> new%u\n", i, i);
        assert_int_equal(package_map_parse(text, &m, &error), 0);
        assert_int_equal(m.n, N);
        assert_string_equal(m.entries[N - 1].from, "pkg199999");
        package_map_done(&m);

        snprintf(text + len, size - len, "pkg7 -> other\npkg3 -> other\n");
        assert_int_equal(package_map_parse(text, &m, &error), -EBADMSG);
        assert_string_equal(error, "line 200001: 'pkg7' is already mapped on line 8");
        free(error);
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rules),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_load),
                cmocka_unit_test(test_many),
        };
        return cmocka_run_group_tests_name("package-map", tests, NULL, NULL);
}
