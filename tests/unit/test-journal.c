/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The upgrade journal: what the writer appends reads back; a torn last
 * line is dropped, damage before good lines refuses the whole journal; a
 * new attempt forgets what the last one did after its last checkpoint. */
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
#include <zlib.h>

#include "journal.h"
#include "macro.h"

#define PLAN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Appends "CRC text\n" to buf, as the writer does. */
static void add(char *buf, size_t size, const char *text) {
        size_t n = strlen(buf);
        uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *) text, (uInt) strlen(text));

        snprintf(buf + n, size - n, "%08lx %s\n", crc, text);
}

static void make(char *buf, size_t size, const char *const *lines) {
        buf[0] = '\0';
        for (; *lines; lines++)
                add(buf, size, *lines);
}

static const char *const good[] = {
        "journal 1 " PLAN,
        "attempt 1 2026-11-23T12:00:00Z",
        "backup",
        "converted",
        "erase a-7-1.noarch",
        "begin 6b045e6a 4",
        "done a-8-1.noarch",
        "done b-8-1.noarch",
        "checkpoint 2",
        "done c-8-1.noarch",
        NULL,
};

static void test_good(void **state) {
        char buf[4096];
        struct journal j;

        make(buf, sizeof(buf), good);
        assert_int_equal(journal_parse(buf, strlen(buf), &j), 0);
        assert_string_equal(j.plan_sha256, PLAN);
        assert_int_equal(j.attempts, 1);
        assert_true(j.backup && j.converted && j.begun);
        assert_int_equal(j.total, 4);
        assert_int_equal(j.n_tids, 1);
        assert_int_equal(j.tids[0], 0x6b045e6a);
        assert_int_equal(j.n_erase, 1);
        assert_int_equal(j.n_done, 3);
        assert_int_equal(j.n_durable, 2);
        assert_int_equal(j.last_checkpoint, 2);
        assert_true(journal_is_durable(&j, "b-8-1.noarch"));
        assert_false(journal_is_durable(&j, "c-8-1.noarch"));
        assert_int_equal(j.result, JOURNAL_RESULT_NONE);
        assert_int_equal(j.valid_size, strlen(buf));
        journal_done(&j);
}

static void test_torn_last_line(void **state) {
        char buf[4096];
        size_t good_size;
        struct journal j;

        make(buf, sizeof(buf), good);
        good_size = strlen(buf);
        strcat(buf, "1234abcd done d-8-"); /* no newline: cut mid-write */
        assert_int_equal(journal_parse(buf, strlen(buf), &j), 0);
        assert_int_equal(j.valid_size, good_size);
        assert_int_equal(j.n_done, 3);
        journal_done(&j);

        /* A complete last line with a wrong CRC is torn too (the CRC
         * reached the disk, the rest did not). */
        make(buf, sizeof(buf), good);
        strcat(buf, "00000000 done d-8-1.noarch\n");
        assert_int_equal(journal_parse(buf, strlen(buf), &j), 0);
        assert_int_equal(j.valid_size, good_size);
        journal_done(&j);
}

static void test_damage_in_the_middle(void **state) {
        char buf[4096];
        struct journal j;

        make(buf, sizeof(buf), good);
        buf[strlen(buf) / 2] ^= 0x01;
        assert_int_equal(journal_parse(buf, strlen(buf), &j), -EBADMSG);
}

static void test_torn_header_is_empty(void **state) {
        struct journal j;

        assert_int_equal(journal_parse("77caf2a8 journal 1 01", 21, &j), 0);
        assert_string_equal(j.plan_sha256, "");
        assert_int_equal(j.valid_size, 0);
        journal_done(&j);
        assert_int_equal(journal_parse("", 0, &j), 0);
        journal_done(&j);
}

static void test_new_attempt_forgets_the_unsynced(void **state) {
        static const char *const lines[] = {
                "journal 1 " PLAN,
                "attempt 1 2026-11-23T12:00:00Z",
                "begin 6b045e6a 4",
                "done a-8-1.noarch",
                "checkpoint 1",
                "done b-8-1.noarch",
                "attempt 2 2026-11-23T12:05:00Z",
                "begin 6b045e70 3",
                "done c-8-1.noarch",
                "checkpoint 2",
                NULL,
        };
        char buf[4096];
        struct journal j;

        make(buf, sizeof(buf), lines);
        assert_int_equal(journal_parse(buf, strlen(buf), &j), 0);
        assert_int_equal(j.attempts, 2);
        assert_int_equal(j.total, 4); /* the first transaction's */
        assert_int_equal(j.n_tids, 2);
        assert_true(journal_is_durable(&j, "a-8-1.noarch"));
        /* b was done after attempt 1's last checkpoint: not durable, even
         * though attempt 2 made a checkpoint later. */
        assert_false(journal_is_durable(&j, "b-8-1.noarch"));
        assert_true(journal_is_durable(&j, "c-8-1.noarch"));
        journal_done(&j);
}

/* The sync behind a checkpoint runs while rpm goes on: the record comes
 * after later "done" lines and covers only the first N. */
static void test_checkpoint_counts_not_position(void **state) {
        static const char *const lines[] = {
                "journal 1 " PLAN,
                "attempt 1 2026-11-23T12:00:00Z",
                "begin 6b045e6a 4",
                "done a-8-1.noarch",
                "done b-8-1.noarch",
                "done c-8-1.noarch",
                "checkpoint 1",
                "attempt 2 2026-11-23T12:05:00Z",
                "begin 6b045e70 3",
                "done b-8-1.noarch",
                "done c-8-1.noarch",
                "checkpoint 3",
                NULL,
        };
        char buf[4096];
        struct journal j;

        make(buf, sizeof(buf), lines);
        assert_int_equal(journal_parse(buf, strlen(buf), &j), 0);
        assert_int_equal(j.n_done, 3);
        assert_int_equal(j.n_durable, 3);
        assert_int_equal(j.last_checkpoint, 3);
        assert_true(journal_is_durable(&j, "a-8-1.noarch"));
        assert_true(journal_is_durable(&j, "c-8-1.noarch"));
        journal_done(&j);

        /* Cut after "checkpoint 1": b and c are forgotten by the next attempt. */
        make(buf, sizeof(buf), (const char *const[]) { lines[0], lines[1], lines[2], lines[3], lines[4], lines[5],
                                                        lines[6], "attempt 2 2026-11-23T12:05:00Z", NULL });
        assert_int_equal(journal_parse(buf, strlen(buf), &j), 0);
        assert_int_equal(j.n_done, 1);
        assert_true(journal_is_durable(&j, "a-8-1.noarch"));
        assert_false(journal_is_durable(&j, "b-8-1.noarch"));
        journal_done(&j);
}

static void test_out_of_place(void **state) {
        static const char *const cases[][5] = {
                { "attempt 1 2026-11-23T12:00:00Z", NULL },                  /* no header */
                { "journal 2 " PLAN, NULL },                                 /* unknown version */
                { "journal 1 " PLAN, "done a-8-1.noarch", NULL },            /* outside an attempt */
                { "journal 1 " PLAN, "attempt 2 2026-11-23T12:00:00Z", NULL }, /* count skips */
                { "journal 1 " PLAN, "attempt 1 yesterday", NULL },          /* bad timestamp */
                { "journal 1 " PLAN, "attempt 1 2026-11-23T12:00:00Z", "converted", NULL }, /* no backup */
                /* a checkpoint beyond what is done */
                { "journal 1 " PLAN, "attempt 1 2026-11-23T12:00:00Z", "begin 6b045e6a 4", "checkpoint 1", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[1024];
                struct journal j;

                make(buf, sizeof(buf), cases[i]);
                /* Followed by a good line, so that it is not "torn". */
                add(buf, sizeof(buf), "attempt 9 2026-11-23T12:00:00Z");
                assert_int_equal(journal_parse(buf, strlen(buf), &j), -EBADMSG);
        }
}

/* A new empty state directory in dir (a mkdtemp() template), open. */
static int new_state_dir(char *dir) {
        int dfd;

        assert_non_null(mkdtemp(dir));
        dfd = open(dir, O_RDONLY | O_DIRECTORY);
        assert_true(dfd >= 0);
        return dfd;
}

static void test_write_read_back(void **state) {
        char dir[] = "/tmp/oslift-journal.XXXXXX";
        struct journal_writer *w = NULL;
        struct journal j;
        int dfd = new_state_dir(dir);

        assert_int_equal(journal_read_at(dfd, &j), -ENOENT);
        assert_int_equal(journal_open_at(dfd, PLAN, 0, &w), 0);
        assert_int_equal(journal_append(w, true, "attempt %u %s", 1u, "2026-11-23T12:00:00Z"), 0);
        assert_int_equal(journal_append(w, false, "begin %08x %u", 0xabcdefu, 2u), 0);
        assert_int_equal(journal_append(w, false, "done %s", "a-8-1.noarch"), 0);
        assert_int_equal(journal_append(w, true, "checkpoint 1"), 0);
        assert_int_equal(journal_append(w, false, "two\nlines"), -EINVAL);
        journal_close(w);
        assert_int_equal(journal_read_at(dfd, &j), 0);
        assert_int_equal(j.attempts, 1);
        assert_true(journal_is_durable(&j, "a-8-1.noarch"));

        /* A torn tail is cut off before the next append. */
        {
                int fd = openat(dfd, "journal", O_WRONLY | O_APPEND);
                assert_int_equal(write(fd, "12", 2), 2);
                close(fd);
        }
        assert_int_equal(journal_open_at(dfd, PLAN, j.valid_size, &w), 0);
        journal_done(&j);
        assert_int_equal(journal_append(w, true, "finished applied"), 0);
        journal_close(w);
        assert_int_equal(journal_read_at(dfd, &j), 0);
        assert_int_equal(j.result, JOURNAL_RESULT_APPLIED);
        journal_done(&j);
        assert_int_equal(journal_remove_at(dfd), 0);
        assert_int_equal(journal_read_at(dfd, &j), -ENOENT);
        close(dfd);
        rmdir(dir);
}

/* Notes carry what rpm said across attempts: any text, written as one
 * word, read back once each, kept when a new attempt begins. */
static void test_notes(void **state) {
        static const char config[] = "warning: /etc/a b.conf created as /etc/a b.conf.rpmnew";
        static const char script[] = "warning: %post(x-8-1.noarch) scriptlet failed, exit status 7 \"quoted\" 'too' \\ \x1b";
        char dir[] = "/tmp/oslift-journal.XXXXXX";
        struct journal_writer *w = NULL;
        struct journal j;
        int dfd = new_state_dir(dir);

        assert_int_equal(journal_open_at(dfd, PLAN, 0, &w), 0);
        assert_int_equal(journal_append(w, true, "attempt 1 2026-11-23T12:00:00Z"), 0);
        assert_int_equal(journal_append(w, false, "begin 0000abcd 2"), 0);
        assert_int_equal(journal_append_note(w, JOURNAL_NOTE_CONFIG, config), 0);
        assert_int_equal(journal_append_note(w, JOURNAL_NOTE_SCRIPT, script), 0);
        /* A new attempt, whose redone element says the same again. */
        assert_int_equal(journal_append(w, true, "attempt 2 2026-11-23T12:05:00Z"), 0);
        assert_int_equal(journal_append_note(w, JOURNAL_NOTE_CONFIG, config), 0);
        assert_int_equal(journal_append_note(w, JOURNAL_NOTE_ERROR, "error: one"), 0);
        assert_int_equal(journal_append_note(w, JOURNAL_NOTE_ERROR, ""), -EINVAL);
        assert_int_equal(journal_append_note(w, JOURNAL_NOTE_ERROR, "two\nlines"), -EINVAL);
        journal_close(w);

        assert_int_equal(journal_read_at(dfd, &j), 0);
        assert_int_equal(j.attempts, 2);
        assert_int_equal(j.n_notes[JOURNAL_NOTE_CONFIG], 1);
        assert_string_equal(j.notes[JOURNAL_NOTE_CONFIG][0], config);
        assert_int_equal(j.n_notes[JOURNAL_NOTE_SCRIPT], 1);
        assert_string_equal(j.notes[JOURNAL_NOTE_SCRIPT][0], script);
        assert_int_equal(j.n_notes[JOURNAL_NOTE_ERROR], 1);
        assert_string_equal(j.notes[JOURNAL_NOTE_ERROR][0], "error: one");
        journal_done(&j);
        assert_int_equal(journal_remove_at(dfd), 0);
        close(dfd);
        rmdir(dir);
}

/* A note's word has one spelling: bad or needless escapes are damage. */
static void test_bad_notes(void **state) {
        static const char *const bad[] = {
                "note config a%zz", "note config a%4", "note config %41", "note config a%0a", "note config a%00",
                "note colour a", "note config",
        };
        char buf[4096];
        struct journal j;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *lines[] = { "journal 1 " PLAN, "attempt 1 2026-11-23T12:00:00Z", bad[i], "backup", NULL };

                make(buf, sizeof(buf), lines);
                assert_int_equal(journal_parse(buf, strlen(buf), &j), -EBADMSG);
        }
        {
                const char *lines[] = { "journal 1 " PLAN, "attempt 1 2026-11-23T12:00:00Z", "note script a%20b%25", NULL };

                make(buf, sizeof(buf), lines);
                assert_int_equal(journal_parse(buf, strlen(buf), &j), 0);
                assert_string_equal(j.notes[JOURNAL_NOTE_SCRIPT][0], "a b%");
                journal_done(&j);
        }
}

/* Both ends of a transaction rpm ran to its end; nothing may follow. */
static void test_finished(void **state) {
        static const struct {
                const char *line;
                int result;
        } cases[] = {
                { "finished applied", JOURNAL_RESULT_APPLIED },
                { "finished applied-with-problems", JOURNAL_RESULT_APPLIED_WITH_PROBLEMS },
                { "finished partly", -1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[4096];
                struct journal j;

                make(buf, sizeof(buf), good);
                add(buf, sizeof(buf), cases[i].line);
                if (cases[i].result < 0) {
                        add(buf, sizeof(buf), "checkpoint 3");
                        assert_int_equal(journal_parse(buf, strlen(buf), &j), -EBADMSG);
                        continue;
                }
                assert_int_equal(journal_parse(buf, strlen(buf), &j), 0);
                assert_int_equal(j.result, cases[i].result);
                journal_done(&j);
                /* After the end, another attempt is damage. */
                add(buf, sizeof(buf), "attempt 2 2026-11-23T12:00:00Z");
                add(buf, sizeof(buf), "backup");
                assert_int_equal(journal_parse(buf, strlen(buf), &j), -EBADMSG);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_finished),
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_torn_last_line),
                cmocka_unit_test(test_damage_in_the_middle),
                cmocka_unit_test(test_torn_header_is_empty),
                cmocka_unit_test(test_new_attempt_forgets_the_unsynced),
                cmocka_unit_test(test_checkpoint_counts_not_position),
                cmocka_unit_test(test_out_of_place),
                cmocka_unit_test(test_write_read_back),
                cmocka_unit_test(test_notes),
                cmocka_unit_test(test_bad_notes),
        };
        return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
