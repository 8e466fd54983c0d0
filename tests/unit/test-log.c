/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What log.c lets through to a terminal, the log file and the sinks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static char sunk[8192];

static void sink(enum log_level level, const char *line, void *userdata) {
        snprintf(sunk, sizeof(sunk), "%s", line);
}

/* The log file's line for one message, timestamp cut off. */
static char *logged(const char *name) {
        char *buf = NULL, *text;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        log_set_file(f);
        log_warning("cannot read %s", name);
        log_set_file(NULL);
        fclose(f);
        text = strchr(buf, ']');
        assert_non_null(text);
        text = strdup(text + 2);
        free(buf);
        return text;
}

static void test_escape_sequences_are_spelled_out(void **state) {
        _cleanup_free_ char *line = logged("a\033[2Jb.rpm");

        assert_string_equal(line, "warning: cannot read a\\x1b[2Jb.rpm\n");
        assert_string_equal(sunk, "warning: cannot read a\\x1b[2Jb.rpm");
}

static void test_carriage_return_bell_and_del(void **state) {
        _cleanup_free_ char *line = logged("x\ry\az\177");

        assert_string_equal(line, "warning: cannot read x\\x0dy\\x07z\\x7f\n");
}

static void test_c1_controls_in_utf8(void **state) {
        /* U+009B (CSI) and U+0085 (NEL); U+00E9 and U+20AC stay. */
        _cleanup_free_ char *line = logged("\xc2\x9b" "2J \xc2\x85 caf\xc3\xa9 \xe2\x82\xac");

        assert_string_equal(line, "warning: cannot read \\xc2\\x9b2J \\xc2\\x85 caf\xc3\xa9 \xe2\x82\xac\n");
}

static void test_tab_and_newline_stay(void **state) {
        _cleanup_free_ char *line = logged("a\tb\nc");

        assert_string_equal(line, "warning: cannot read a\tb\nc\n");
}

static void test_long_name_is_cut_not_overrun(void **state) {
        char name[6000];
        _cleanup_free_ char *line = NULL;

        memset(name, '\033', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        line = logged(name);
        assert_true(strlen(line) < 8192 + 64);
        assert_non_null(strstr(line, "\\x1b\\x1b"));
        assert_null(strchr(line, '\033'));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape_sequences_are_spelled_out),
                cmocka_unit_test(test_carriage_return_bell_and_del),
                cmocka_unit_test(test_c1_controls_in_utf8),
                cmocka_unit_test(test_tab_and_newline_stay),
                cmocka_unit_test(test_long_name_is_cut_not_overrun),
        };

        log_set_max_level(LOG_LEVEL_ERROR);
        log_add_sink(sink, NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
