/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "json.h"

static char *json_of(const char *s) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        json_write_string(f, s);
        fclose(f);
        return buf;
}

static void test_plain(void **state) {
        char *s = json_of("bash-5.1-2.el8.x86_64");
        assert_string_equal(s, "\"bash-5.1-2.el8.x86_64\"");
        free(s);
}

static void test_escapes(void **state) {
        char *s = json_of("a\"b\\c\nd\te\x01");
        assert_string_equal(s, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
        free(s);
}

static void test_null(void **state) {
        char *s = json_of(NULL);
        assert_string_equal(s, "null");
        free(s);
}

static void test_utf8_passes_through(void **state) {
        char *s = json_of("caf\xc3\xa9 \xe2\x86\x92");
        assert_string_equal(s, "\"caf\xc3\xa9 \xe2\x86\x92\"");
        free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_escapes),
                cmocka_unit_test(test_null),
                cmocka_unit_test(test_utf8_passes_through),
        };
        return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
