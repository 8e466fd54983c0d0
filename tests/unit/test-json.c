/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

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

static char *json_of_len(const char *s, size_t n) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        json_write_string_len(f, s, n);
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

/* Logs carry whatever bytes scriptlets printed: strict readers must
 * still take the output. */
static void test_invalid_utf8_replaced(void **state) {
        char *s = json_of("a\xff b\xc3 c\xe2\x82 d\xed\xa0\x80 e\xc0\xaf f\xf4\x90\x80\x80");
        assert_string_equal(s, "\"a\\ufffd b\\ufffd c\\ufffd\\ufffd d\\ufffd\\ufffd\\ufffd e\\ufffd\\ufffd "
                               "f\\ufffd\\ufffd\\ufffd\\ufffd\"");
        free(s);
}

static void test_len_keeps_nul(void **state) {
        char *s = json_of_len("a\0b\x7f", 4);
        assert_string_equal(s, "\"a\\u0000b\x7f\"");
        free(s);
        s = json_of_len("", 0);
        assert_string_equal(s, "\"\"");
        free(s);
}

static bool valid(const char *s) {
        return json_valid(s, strlen(s));
}

static void test_valid_accepts(void **state) {
        static const char *const good[] = {
                "{}", "[]", "0", "-0", "1.5e-3", "-12E+2", "\"\"", "true", "false", "null",
                " \n\t{ \"a\" : [1, 2.0, {\"b\": null}], \"c\": \"\\u00e9\\n\\/\" } \r\n",
                "{\"version\":1,\"result\":\"applied\",\"config_files\":[]}\n",
                "\"caf\xc3\xa9\"",
        };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                if (!valid(good[i]))
                        fail_msg("refused: %s", good[i]);
}

static void test_valid_refuses(void **state) {
        static const char *const bad[] = {
                "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "{\"a\"}", "[1 2]",
                "01", "1.", ".5", "-", "1e", "+1", "0x10", "NaN", "tru", "nul", "True",
                "\"a", "\"\\x\"", "\"\\u12g4\"", "\"\\u12\"", "\"tab\there\"", "\"\xff\"",
                "{} {}", "[] x", "{}\v", "'a'",
        };
        char deep[2 * JSON_DEPTH_MAX + 8];
        size_t n = 0;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (valid(bad[i]))
                        fail_msg("accepted: %s", bad[i]);
        assert_false(json_valid("{}\0", 3));
        assert_false(json_valid(NULL, 0));

        for (unsigned i = 0; i < JSON_DEPTH_MAX; i++)
                deep[n++] = '[';
        for (unsigned i = 0; i < JSON_DEPTH_MAX; i++)
                deep[n++] = ']';
        assert_true(json_valid(deep, n));
        memmove(deep + 1, deep, n);
        deep[0] = '[';
        deep[++n] = ']';
        assert_false(json_valid(deep, n + 1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_escapes),
                cmocka_unit_test(test_null),
                cmocka_unit_test(test_utf8_passes_through),
                cmocka_unit_test(test_invalid_utf8_replaced),
                cmocka_unit_test(test_len_keeps_nul),
                cmocka_unit_test(test_valid_accepts),
                cmocka_unit_test(test_valid_refuses),
        };
        return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
