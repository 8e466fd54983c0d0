/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stage's progress: the bar and the lines from given numbers, the tenths
 * a log gets, and the bar making way for an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "log.h"
#include "macro.h"
#include "terminal.h"

#define MiB (1024ull * 1024)

static struct progress at(unsigned items_done, unsigned items, uint64_t bytes_done, uint64_t bytes) {
        return (struct progress) {
                .mode = PROGRESS_BAR, .verb = "verifying", .past = "verified", .items = items,
                .items_done = items_done, .bytes = bytes, .bytes_done = bytes_done, .active = true,
        };
}

static void test_bytes(void **state) {
        char b[BYTES_SIZE];

        assert_string_equal(format_bytes(b, 0), "0 B");
        assert_string_equal(format_bytes(b, 1023), "1023 B");
        assert_string_equal(format_bytes(b, 1536), "1.5 KiB");
        assert_string_equal(format_bytes(b, 250 * MiB), "250.0 MiB");
        assert_string_equal(format_bytes(b, 1280 * MiB), "1.25 GiB");
        assert_string_equal(format_bytes(b, UINT64_MAX), "16777216.00 TiB");
}

static void test_bar(void **state) {
        struct progress p = at(12, 40, 125 * MiB, 250 * MiB);
        char buf[512];

        progress_format_bar(buf, sizeof(buf), 80, &p, 5.0);
        assert_int_equal(strlen(buf), 79); /* never wraps */
        assert_string_equal(buf, "verifying [=======>       ]  50% 12/40  125.0/250.0 MiB 25.0 MiB/s  ETA 0:05   ");

        /* Nothing to go by yet. */
        p = at(0, 40, 0, 250 * MiB);
        progress_format_bar(buf, sizeof(buf), 80, &p, 0.0);
        /* The same widths: the bar does not jump about. */
        assert_string_equal(buf, "verifying [>              ]   0%  0/40    0.0/250.0 MiB          -  ETA --:--  ");

        p = at(40, 40, 250 * MiB, 250 * MiB);
        progress_format_bar(buf, sizeof(buf), 80, &p, 10.0);
        assert_string_equal(buf, "verifying [===============] 100% 40/40  250.0/250.0 MiB 25.0 MiB/s  ETA 0:00   ");
}

static void test_bar_narrow(void **state) {
        struct progress p = at(1, 3, 1 * MiB, 3 * MiB);
        char buf[512];

        /* No room for ten columns of bar: the numbers alone. */
        progress_format_bar(buf, sizeof(buf), 60, &p, 1.0);
        assert_string_equal(buf, "verifying  33% 1/3  1.0/3.0 MiB  1.0 MiB/s  ETA 0:02   ");
        /* Narrower still: cut, never wrapped. */
        progress_format_bar(buf, sizeof(buf), 20, &p, 1.0);
        assert_string_equal(buf, "verifying  33% 1/3 ");
        progress_format_bar(buf, sizeof(buf), 0, &p, 1.0);
        assert_string_equal(buf, "");
}

static void test_eta_hours(void **state) {
        struct progress p = at(1, 1000, 1 * MiB, 1001 * MiB);
        char buf[512];

        progress_format_bar(buf, sizeof(buf), 200, &p, 10.0);
        assert_non_null(strstr(buf, "ETA 2:46:40"));
}

static void test_line(void **state) {
        struct progress p = at(20, 40, 100 * MiB, 250 * MiB);
        char buf[512];

        progress_format_line(buf, sizeof(buf), &p, 0.1);
        assert_string_equal(buf, "verifying: 40% (20/40 packages, 100.0/250.0 MiB)");
        progress_format_line(buf, sizeof(buf), &p, 4.0);
        assert_string_equal(buf, "verifying: 40% (20/40 packages, 100.0/250.0 MiB), 25.0 MiB/s, ETA 0:06");

        p = at(40, 40, 250 * MiB, 250 * MiB);
        progress_format_done(buf, sizeof(buf), &p, 10.0);
        assert_string_equal(buf, "verified 40 packages (250.0 MiB) in 10.0 s (25.0 MiB/s)");
        p = at(1, 1, 700, 700);
        progress_format_done(buf, sizeof(buf), &p, 0.01);
        assert_string_equal(buf, "verified 1 package (700 B) in 0.0 s");
}

/* Without bytes (empty files) the elements count. */
static void test_no_bytes(void **state) {
        struct progress p = at(1, 4, 0, 0);
        char buf[512];

        progress_format_line(buf, sizeof(buf), &p, 1.0);
        assert_string_equal(buf, "verifying: 25% (1/4 packages, 0/0 B)");
}

static char *run_steps(enum progress_mode mode, unsigned n, uint64_t each) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        struct progress p;

        assert_non_null(f);
        progress_init_mode(&p, mode, f);
        progress_begin(&p, "copying", "copied", n, n * each);
        for (unsigned i = 0; i < n; i++)
                progress_advance(&p, each);
        progress_end(&p);
        /* Once ended, nothing more. */
        progress_advance(&p, each);
        progress_end(&p);
        fclose(f);
        return text;
}

/* For logs: a line at every tenth, once, and the last line saying what was done. */
static void test_lines_tenths(void **state) {
        char *text = run_steps(PROGRESS_LINES, 25, 1000);
        const char *want[] = { "copying: 12% (3/25 packages", "copying: 20% (5/25", "copying: 32% (8/25",
                               "copying: 40% (10/25", "copying: 52% (13/25", "copying: 60% (15/25",
                               "copying: 72% (18/25", "copying: 80% (20/25", "copying: 92% (23/25",
                               "copied 25 packages (24.4 KiB) in " };
        const char *p = text;

        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                assert_true(strncmp(p, want[i], strlen(want[i])) == 0);
                p = strchr(p, '\n');
                assert_non_null(p);
                p++;
        }
        assert_string_equal(p, "");
        free(text);
}

static void test_off(void **state) {
        char *text = run_steps(PROGRESS_OFF, 5, 1000);

        assert_string_equal(text, "");
        free(text);
        /* NULL is a progress that is off. */
        progress_begin(NULL, "a", "b", 1, 1);
        progress_advance(NULL, 1);
        progress_end(NULL);
        /* And no elements, no output. */
        text = run_steps(PROGRESS_LINES, 0, 1000);
        assert_string_equal(text, "");
        free(text);
}

/* On a terminal: redrawn in place, ending on a line of its own. */
static void test_bar_steps(void **state) {
        char *text = run_steps(PROGRESS_BAR, 3, 1000);

        assert_true(strncmp(text, "\rcopying [>", 11) == 0);
        assert_non_null(strstr(text, "\rcopied 3 packages (2.9 KiB) in "));
        assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1); /* one line in the end */
        free(text);
}

/* An error or a warning while the bar is drawn: the bar is wiped first.
 * (Warnings here: with the level at errors they reach the sink, not the
 * test's output.) */
static void test_bar_makes_way(void **state) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        struct progress p;
        size_t drawn;

        assert_non_null(f);
        log_set_max_level(LOG_LEVEL_ERROR);
        progress_init_mode(&p, PROGRESS_BAR, f);
        progress_begin(&p, "copying", "copied", 2, 2000);
        fflush(f);
        drawn = strlen(text) - 1; /* less the \r */
        log_warning("a disk went away");
        fflush(f);
        assert_false(p.drawn);
        assert_int_equal(text[drawn + 1], '\r');
        for (size_t i = 0; i < drawn; i++)
                assert_int_equal(text[drawn + 2 + i], ' ');
        assert_int_equal(text[2 * drawn + 2], '\r');
        /* Information and debug messages leave the bar alone. */
        progress_advance(&p, 1000);
        assert_true(p.drawn);
        log_debug("not shown");
        log_info("not shown either");
        assert_true(p.drawn);
        progress_end(&p);
        fclose(f);
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bytes),
                cmocka_unit_test(test_bar),
                cmocka_unit_test(test_bar_narrow),
                cmocka_unit_test(test_eta_hours),
                cmocka_unit_test(test_line),
                cmocka_unit_test(test_no_bytes),
                cmocka_unit_test(test_lines_tenths),
                cmocka_unit_test(test_off),
                cmocka_unit_test(test_bar_steps),
                cmocka_unit_test(test_bar_makes_way),
        };
        return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
