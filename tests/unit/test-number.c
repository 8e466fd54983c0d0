/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The number parsers every reader of ours uses (liboslift/number.h): the
 * whole text is the number, digits only, within its bounds, or nothing is
 * stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "macro.h"
#include "number.h"

static void test_range(void **state) {
        static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "1x", "0x10", "1e3", "1.0",
                                           "1234567890", "3601" };
        unsigned v = 42;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_false(parse_unsigned_range(bad[i], 0, 3600, &v));
                assert_int_equal(v, 42); /* untouched */
        }
        assert_true(parse_unsigned_range("0", 0, 3600, &v));
        assert_int_equal(v, 0);
        assert_true(parse_unsigned_range("3600", 0, 3600, &v));
        assert_int_equal(v, 3600);
        assert_false(parse_unsigned_range("0", 1, 10, &v));
        assert_true(parse_unsigned("999999999", &v));
        assert_int_equal(v, 999999999u);
        assert_false(parse_unsigned("1000000000", &v));
}

/* A span of a longer text: what follows it does not count. */
static void test_span(void **state) {
        const char *s = "8.10";
        unsigned v = 0;

        assert_true(parse_unsigned_span(s, 1, 0, 1000, &v));
        assert_int_equal(v, 8);
        assert_false(parse_unsigned_span(s, 2, 0, 1000, &v));
        assert_false(parse_unsigned_span(s, 0, 0, 1000, &v));
        assert_true(parse_unsigned_span(s + 2, 2, 0, 1000, &v));
        assert_int_equal(v, 10);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_range),
                cmocka_unit_test(test_span),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
