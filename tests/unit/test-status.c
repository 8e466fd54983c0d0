/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The status file: round trips through a temporary root, and a parser that
 * refuses everything that is not exactly a status object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "paths.h"
#include "fsutil.h"
#include "rollback-request.h"
#include "status.h"
#include "fake-root.h"

struct fixture {
        char root[64];
        char state_dir[128];
};

static int setup(void **state) {
        static const char *const dirs[] = { "/var/lib", NULL };
        struct fixture *fx = calloc(1, sizeof(*fx));

        if (!fx || fake_root_make(fx->root, "status", dirs) < 0)
                return -1;
        snprintf(fx->state_dir, sizeof(fx->state_dir), "%s%s", fx->root, OSLIFT_STATE_DIR);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;
        int r = fake_root_remove(fx->root);

        free(fx);
        return r;
}

static void make_state_dir(const struct fixture *fx) {
        assert_int_equal(mkdir(fx->state_dir, 0700), 0);
}

static void write_file(const char *dir, const char *name, const char *data, size_t len) {
        char path[256];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t) len);
        assert_int_equal(close(fd), 0);
}

static char *read_status_file(const struct fixture *fx) {
        char path[256], *buf = NULL;
        size_t size = 0;
        FILE *f, *m;
        int c;

        snprintf(path, sizeof(path), "%s/status.json", fx->state_dir);
        f = fopen(path, "re");
        assert_non_null(f);
        m = open_memstream(&buf, &size);
        assert_non_null(m);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return buf;
}

static struct upgrade_status sample(void) {
        struct upgrade_status s = {
                .state = UPGRADE_APPLYING,
                .packages_total = 123,
                .packages_done = 45,
                .scriptlet_failures = 2,
                .started = "2026-11-23T12:00:00Z",
        };

        strcpy(s.message, "upgrading bash-5.2.15-2.fc39.x86_64");
        return s;
}

/* A valid status text with the value of one key replaced (value NULL: the
 * key left out), to build near misses. */
static char *text_with(const char *key, const char *value) {
        static const char *const keys[] = { "version", "state", "packages_total", "packages_done",
                                            "scriptlet_failures", "started", "updated", "message", "log" };
        static const char *const values[] = { "1", "\"applying\"", "10", "3", "0",
                                              "\"2026-11-23T12:00:00Z\"", "null", "\"hello\"",
                                              "\"/var/log/oslift/upgrade.log\"" };
        char *buf = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&buf, &size);
        bool first = true;

        assert_non_null(m);
        fputs("{\n", m);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *v = key && strcmp(key, keys[i]) == 0 ? value : values[i];

                if (!v)
                        continue;
                fprintf(m, "%s  \"%s\": %s", first ? "" : ",\n", keys[i], v);
                first = false;
        }
        fputs("\n}\n", m);
        fclose(m);
        return buf;
}

/* Parses len bytes from a buffer of exactly that size, so that ASan
 * catches the parser reading one byte too far. */
static int parse_exact(const char *text, size_t len, struct upgrade_status *ret) {
        char *copy = malloc(len ? len : 1);
        int r;

        assert_non_null(copy);
        memcpy(copy, text, len);
        r = status_parse(copy, len, ret);
        free(copy);
        return r;
}

static int parse_text(const char *text) {
        struct upgrade_status s;
        return parse_exact(text, strlen(text), &s);
}

static int parse_with(const char *key, const char *value) {
        char *text = text_with(key, value);
        int r = parse_text(text);

        free(text);
        return r;
}

static void test_state_names(void **state _unused_) {
        enum upgrade_state s;

        for (int i = 0; i < _UPGRADE_STATE_MAX; i++) {
                const char *name = upgrade_state_name((enum upgrade_state) i);

                assert_non_null(name);
                assert_int_equal(upgrade_state_from_name(name, &s), 0);
                assert_int_equal(s, i);
        }
        assert_string_equal(upgrade_state_name(UPGRADE_STAGED), "staged");
        assert_string_equal(upgrade_state_name(UPGRADE_APPLYING), "applying");
        assert_string_equal(upgrade_state_name(UPGRADE_APPLIED), "applied");
        assert_string_equal(upgrade_state_name(UPGRADE_FAILED), "failed");
        assert_string_equal(upgrade_state_name(UPGRADE_RESTORED), "restored");
        assert_null(upgrade_state_name(_UPGRADE_STATE_MAX));
        assert_null(upgrade_state_name((enum upgrade_state) -1));
        assert_int_equal(upgrade_state_from_name("paused", &s), -EINVAL);
        assert_int_equal(upgrade_state_from_name("Staged", &s), -EINVAL);
        assert_int_equal(upgrade_state_from_name("", &s), -EINVAL);
        assert_int_equal(upgrade_state_from_name(NULL, &s), -EINVAL);
}

static void test_unknown_state_rejected(void **state _unused_) {
        assert_int_equal(parse_with("state", "\"applying\""), 0);
        assert_int_equal(parse_with("state", "\"paused\""), -EBADMSG);
        assert_int_equal(parse_with("state", "\"APPLYING\""), -EBADMSG);
        assert_int_equal(parse_with("state", "\"\""), -EBADMSG);
        assert_int_equal(parse_with("state", "null"), -EBADMSG);
        assert_int_equal(parse_with("state", "1"), -EBADMSG);
}

static void test_round_trip(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status s = sample(), got;
        char now[STATUS_TIMESTAMP_SIZE];

        make_state_dir(fx);
        assert_int_equal(timestamp_now(now), 0);
        assert_int_equal(status_write(fx->root, &s), 0);
        assert_int_equal(status_read(fx->root, &got), 0);

        assert_int_equal(got.state, UPGRADE_APPLYING);
        assert_int_equal(got.packages_total, 123);
        assert_int_equal(got.packages_done, 45);
        assert_int_equal(got.scriptlet_failures, 2);
        assert_string_equal(got.started, "2026-11-23T12:00:00Z");
        assert_string_equal(got.message, s.message);
        /* An empty log stands for the default. */
        assert_string_equal(got.log, OSLIFT_UPGRADE_LOG);
        /* updated is now (same second, or the next one). */
        assert_int_equal(strlen(got.updated), 20);
        assert_true(strcmp(got.updated, now) >= 0);
        assert_string_equal(s.updated, ""); /* s itself is left alone */

        /* Every state, and the extremes of the counters. */
        for (int i = 0; i < _UPGRADE_STATE_MAX; i++) {
                s.state = (enum upgrade_state) i;
                s.packages_total = UINT32_MAX;
                s.packages_done = 0;
                strcpy(s.log, "/var/log/other.log");
                assert_int_equal(status_write(fx->root, &s), 0);
                assert_int_equal(status_read(fx->root, &got), 0);
                assert_int_equal(got.state, i);
                assert_int_equal(got.packages_total, UINT32_MAX);
                assert_int_equal(got.packages_done, 0);
                assert_string_equal(got.log, "/var/log/other.log");
        }
}

static void test_root_with_trailing_slash(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status s = sample(), got;
        char root[80];

        make_state_dir(fx);
        snprintf(root, sizeof(root), "%s/", fx->root);
        assert_int_equal(status_write(root, &s), 0);
        assert_int_equal(status_read(fx->root, &got), 0);
        assert_int_equal(got.packages_done, 45);
}

static void test_null_timestamps(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status s = sample(), got;
        char *text;

        make_state_dir(fx);
        s.started[0] = '\0';
        assert_int_equal(status_write(fx->root, &s), 0);
        text = read_status_file(fx);
        assert_non_null(strstr(text, "\n  \"started\": null,\n"));
        free(text);
        assert_int_equal(status_read(fx->root, &got), 0);
        assert_string_equal(got.started, "");

        assert_int_equal(parse_with("updated", "null"), 0);
        assert_int_equal(parse_with("updated", "\"\""), -EBADMSG);
}

static void test_format_one_key_per_line(void **state) {
        static const char *const order[] = { "{",
                                             "  \"version\": 1,",
                                             "  \"state\": \"applying\",",
                                             "  \"packages_total\": 123,",
                                             "  \"packages_done\": 45,",
                                             "  \"scriptlet_failures\": 2,",
                                             "  \"started\": \"2026-11-23T12:00:00Z\",",
                                             "  \"updated\": \"",
                                             "  \"message\": \"upgrading bash-5.2.15-2.fc39.x86_64\",",
                                             "  \"log\": \"/var/log/oslift/upgrade.log\"",
                                             "}" };
        struct fixture *fx = *state;
        struct upgrade_status s = sample();
        char *text, *line, *save = NULL;
        size_t i = 0;

        make_state_dir(fx);
        assert_int_equal(status_write(fx->root, &s), 0);
        text = read_status_file(fx);
        assert_int_equal(text[strlen(text) - 1], '\n');
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
                assert_true(i < ELEMENTSOF(order));
                assert_int_equal(strncmp(line, order[i], strlen(order[i])), 0);
        }
        assert_int_equal(i, ELEMENTSOF(order));
        free(text);
}

static void test_escapes_round_trip(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status s = sample(), got;

        make_state_dir(fx);
        strcpy(s.message, "say \"hi\" \\ back\nslash\ttab\x01\x1f\x7f caf\xc3\xa9 \xf0\x9f\x98\x80 /");
        assert_int_equal(status_write(fx->root, &s), 0);
        assert_int_equal(status_read(fx->root, &got), 0);
        assert_string_equal(got.message, s.message);

        /* Bytes that are not UTF-8 become '?', so strict JSON parsers cope. */
        strcpy(s.message, "bad \xff byte, cut \xc3, overlong \xc0\xaf, surrogate \xed\xa0\x80");
        assert_int_equal(status_write(fx->root, &s), 0);
        assert_int_equal(status_read(fx->root, &got), 0);
        assert_string_equal(got.message, "bad ? byte, cut ?, overlong ??, surrogate ???");
}

static void test_unicode_escapes(void **state _unused_) {
        struct upgrade_status s;
        char *text;

        text = text_with("message", "\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\/\\b\\f\\r\"");
        assert_int_equal(parse_exact(text, strlen(text), &s), 0);
        assert_string_equal(s.message, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\b\f\r");
        free(text);

        assert_int_equal(parse_with("message", "\"\\u00E9\""), 0);
        assert_int_equal(parse_with("message", "\"\\u0000\""), -EBADMSG);    /* no NUL in C strings */
        assert_int_equal(parse_with("message", "\"\\ud800\""), -EBADMSG);    /* lone high surrogate */
        assert_int_equal(parse_with("message", "\"\\ud800x\""), -EBADMSG);
        assert_int_equal(parse_with("message", "\"\\ud800\\u0041\""), -EBADMSG);
        assert_int_equal(parse_with("message", "\"\\ude00\""), -EBADMSG);    /* lone low surrogate */
        assert_int_equal(parse_with("message", "\"\\u12\""), -EBADMSG);
        assert_int_equal(parse_with("message", "\"\\u12g4\""), -EBADMSG);
        assert_int_equal(parse_with("message", "\"\\x41\""), -EBADMSG);
        assert_int_equal(parse_with("message", "\"\\\""), -EBADMSG);
}

static void test_every_prefix_rejected(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status s = sample(), got;
        char *text;
        size_t len, object_end;

        make_state_dir(fx);
        strcpy(s.message, "esc \"\\\n\x01 caf\xc3\xa9");
        assert_int_equal(status_write(fx->root, &s), 0);
        text = read_status_file(fx);
        len = strlen(text);
        object_end = (size_t) (strrchr(text, '}') - text) + 1;

        assert_int_equal(parse_exact(text, len, &got), 0);
        for (size_t n = 0; n < object_end; n++)
                if (parse_exact(text, n, &got) != -EBADMSG)
                        fail_msg("a prefix of %zu of %zu bytes was accepted", n, len);
        /* Only the trailing newline may go. */
        assert_int_equal(parse_exact(text, object_end, &got), 0);
        free(text);
}

static void test_garbage_rejected(void **state _unused_) {
        static const char *const garbage[] = {
                "",
                " ",
                "{",
                "}",
                "{}",
                "[]",
                "null",
                "\"status\"",
                "{\"version\": 1}",
                "{\"version\":1,,\"state\":\"staged\"}",
        };
        char *text, *more;
        size_t len;

        for (size_t i = 0; i < ELEMENTSOF(garbage); i++)
                assert_int_equal(parse_text(garbage[i]), -EBADMSG);
        assert_int_equal(parse_exact("\0\1\2", 3, &(struct upgrade_status){}), -EBADMSG);

        /* Missing, duplicated and mistyped keys. */
        assert_int_equal(parse_with(NULL, NULL), 0);
        assert_int_equal(parse_with("version", NULL), -EBADMSG);
        assert_int_equal(parse_with("log", NULL), -EBADMSG);
        assert_int_equal(parse_with("started", NULL), -EBADMSG);
        assert_int_equal(parse_with("version", "1,\n  \"version\": 1"), -EBADMSG);
        assert_int_equal(parse_with("message", "\"a\",\n  \"message\": \"b\""), -EBADMSG);
        assert_int_equal(parse_with("version", "2"), -EBADMSG);
        assert_int_equal(parse_with("version", "\"1\""), -EBADMSG);
        assert_int_equal(parse_with("packages_done", "\"3\""), -EBADMSG);
        assert_int_equal(parse_with("packages_done", "null"), -EBADMSG);
        assert_int_equal(parse_with("message", "null"), -EBADMSG);
        assert_int_equal(parse_with("message", "7"), -EBADMSG);
        assert_int_equal(parse_with("log", "\"var/log/oslift/upgrade.log\""), -EBADMSG);
        assert_int_equal(parse_with("log", "\"\""), -EBADMSG);

        /* Numbers: plain unsigned decimal that fits. */
        assert_int_equal(parse_with("packages_total", "4294967295"), 0);
        assert_int_equal(parse_with("packages_total", "4294967296"), -EBADMSG);
        assert_int_equal(parse_with("packages_total", "99999999999999999999999"), -EBADMSG);
        assert_int_equal(parse_with("packages_total", "-1"), -EBADMSG);
        assert_int_equal(parse_with("packages_total", "+1"), -EBADMSG);
        assert_int_equal(parse_with("packages_total", "01"), -EBADMSG);
        assert_int_equal(parse_with("packages_total", "1.0"), -EBADMSG);
        assert_int_equal(parse_with("packages_total", "1e3"), -EBADMSG);
        assert_int_equal(parse_with("packages_total", "0x10"), -EBADMSG);
        assert_int_equal(parse_with("packages_total", "true"), -EBADMSG);
        assert_int_equal(parse_with("packages_total", "nul"), -EBADMSG);

        /* Timestamps: exactly the writer's form, of a real date. */
        assert_int_equal(parse_with("started", "\"2024-02-29T23:59:60Z\""), 0);
        assert_int_equal(parse_with("started", "\"2023-02-29T00:00:00Z\""), -EBADMSG);
        assert_int_equal(parse_with("started", "\"2026-13-01T00:00:00Z\""), -EBADMSG);
        assert_int_equal(parse_with("started", "\"2026-11-23T24:00:00Z\""), -EBADMSG);
        assert_int_equal(parse_with("started", "\"2026-11-23 12:00:00Z\""), -EBADMSG);
        assert_int_equal(parse_with("started", "\"2026-11-23T12:00:00\""), -EBADMSG);
        assert_int_equal(parse_with("started", "\"2026-11-23T12:00:00+00:00\""), -EBADMSG);

        /* Structure: values we never write, raw control bytes, bad UTF-8. */
        assert_int_equal(parse_with("message", "{}"), -EBADMSG);
        assert_int_equal(parse_with("message", "[\"a\"]"), -EBADMSG);
        assert_int_equal(parse_with("message", "\"tab\there\""), -EBADMSG);
        assert_int_equal(parse_with("message", "\"bad \xff\""), -EBADMSG);
        assert_int_equal(parse_with("message", "\"cut \xe2\x82\""), -EBADMSG);
        assert_int_equal(parse_with("message", "\"unterminated"), -EBADMSG);
        assert_int_equal(parse_with("message", "'single'"), -EBADMSG);

        /* Trailing bytes, a trailing comma, a missing colon, a NUL. */
        text = text_with(NULL, NULL);
        len = strlen(text);
        assert_true(asprintf(&more, "%sx", text) > 0);
        assert_int_equal(parse_text(more), -EBADMSG);
        free(more);
        assert_true(asprintf(&more, "%s{}", text) > 0);
        assert_int_equal(parse_text(more), -EBADMSG);
        free(more);
        text[len - 1] = '\0'; /* the newline after '}' becomes a NUL byte */
        assert_int_equal(parse_exact(text, len, &(struct upgrade_status){}), -EBADMSG);
        free(text);
        assert_int_equal(parse_with("log", "\"/l\",\n"), -EBADMSG);
        assert_int_equal(parse_text("{\"version\" 1}"), -EBADMSG);
}

static void test_oversized_rejected(void **state _unused_) {
        char value[STATUS_MESSAGE_SIZE + 8], key[200];
        char *text, *big;
        size_t len;

        /* The message holds 511 bytes and its NUL. */
        value[0] = '"';
        memset(value + 1, 'm', STATUS_MESSAGE_SIZE - 1);
        strcpy(value + STATUS_MESSAGE_SIZE, "\"");
        assert_int_equal(parse_with("message", value), 0);
        strcpy(value + STATUS_MESSAGE_SIZE, "m\"");
        assert_int_equal(parse_with("message", value), -EBADMSG);
        /* Escapes count as what they decode to: 510 + "é" is 512 bytes. */
        strcpy(value + STATUS_MESSAGE_SIZE - 1, "\\u00e9\"");
        assert_int_equal(parse_with("message", value), -EBADMSG);

        /* The log holds 255 bytes. */
        memset(value, 'l', sizeof(value));
        memcpy(value, "\"/", 2);
        strcpy(value + STATUS_LOG_SIZE, "\"");
        assert_int_equal(parse_with("log", value), 0);
        strcpy(value + STATUS_LOG_SIZE, "l\"");
        assert_int_equal(parse_with("log", value), -EBADMSG);

        /* Strings longer than any field, for unknown keys too. */
        memset(value, 'x', sizeof(value));
        value[0] = '"';
        strcpy(value + sizeof(value) - 2, "\"");
        assert_int_equal(parse_with("log", "\"/l\",\n  \"future\": \"short\""), 0);
        assert_true(asprintf(&text, "\"/l\",\n  \"future\": %s", value) > 0);
        assert_int_equal(parse_with("log", text), -EBADMSG);
        free(text);
        memset(key, 'k', sizeof(key));
        key[sizeof(key) - 1] = '\0';
        assert_true(asprintf(&text, "\"/l\",\n  \"%s\": 1", key) > 0);
        assert_int_equal(parse_with("log", text), -EBADMSG);
        free(text);

        /* The file: 64 KiB is the most, whitespace included. */
        text = text_with(NULL, NULL);
        len = strlen(text);
        big = malloc(STATUS_FILE_SIZE_MAX + 1);
        assert_non_null(big);
        memcpy(big, text, len);
        memset(big + len, ' ', STATUS_FILE_SIZE_MAX + 1 - len);
        assert_int_equal(parse_exact(big, STATUS_FILE_SIZE_MAX, &(struct upgrade_status){}), 0);
        assert_int_equal(parse_exact(big, STATUS_FILE_SIZE_MAX + 1, &(struct upgrade_status){}), -EBADMSG);
        free(big);
        free(text);
}

static void test_oversized_file_rejected(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status got;
        char *text = text_with(NULL, NULL);
        size_t len = strlen(text), big_len = 4 * STATUS_FILE_SIZE_MAX;
        char *big = malloc(big_len);

        make_state_dir(fx);
        assert_non_null(big);
        memcpy(big, text, len);
        memset(big + len, '\n', big_len - len);
        write_file(fx->state_dir, "status.json", big, big_len);
        assert_int_equal(status_read(fx->root, &got), -EBADMSG);
        write_file(fx->state_dir, "status.json", big, STATUS_FILE_SIZE_MAX);
        assert_int_equal(status_read(fx->root, &got), 0);
        free(big);
        free(text);
}

static void test_lenient_where_harmless(void **state _unused_) {
        struct upgrade_status s;
        static const char compact[] =
                "{\"log\":\"/var/log/oslift/upgrade.log\",\"message\":\"\",\"updated\":null,"
                "\"started\":null,\"scriptlet_failures\":0,\"packages_done\":0,"
                "\"packages_total\":0,\"state\":\"staged\",\"version\":1}";

        /* Any key order and whitespace, unknown keys with flat values. */
        assert_int_equal(parse_exact(compact, strlen(compact), &s), 0);
        assert_int_equal(s.state, UPGRADE_STAGED);
        assert_string_equal(s.message, "");
        assert_string_equal(s.started, "");
        assert_int_equal(parse_with("log", "\"/l\",\n  \"future\": \"x\", \"n\": 5, \"z\": null"), 0);
        assert_int_equal(parse_with("log", "\"/l\"\r\n\t"), 0);
        assert_int_equal(parse_with("log", "\"/l\",\n  \"future\": true"), -EBADMSG);
}

static void test_parse_leaves_result_alone_on_error(void **state _unused_) {
        struct upgrade_status s = { .packages_total = 77 };
        char *text = text_with("log", "\"relative\"");

        assert_int_equal(parse_exact(text, strlen(text), &s), -EBADMSG);
        assert_int_equal(s.packages_total, 77);
        free(text);
}

static size_t count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static void test_atomic_write_leaves_no_temporary(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status s = sample(), got;
        char path[256];
        struct stat st;

        make_state_dir(fx);
        for (unsigned i = 0; i < 20; i++) {
                s.packages_done = i;
                assert_int_equal(status_write(fx->root, &s), 0);
        }
        assert_int_equal(count_entries(fx->state_dir), 1);
        snprintf(path, sizeof(path), "%s/status.json", fx->state_dir);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(status_read(fx->root, &got), 0);
        assert_int_equal(got.packages_done, 19);

        /* Refused writes leave nothing behind either, and the old file stays. */
        s.state = _UPGRADE_STATE_MAX;
        assert_int_equal(status_write(fx->root, &s), -EINVAL);
        assert_int_equal(count_entries(fx->state_dir), 1);
        assert_int_equal(status_read(fx->root, &got), 0);
        assert_int_equal(got.packages_done, 19);
}

static void test_failed_rename_cleans_up(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status s = sample();
        char path[256];

        /* A directory in the way: the rename fails after the temporary
         * file was written, and the temporary file goes again. */
        make_state_dir(fx);
        snprintf(path, sizeof(path), "%s/status.json", fx->state_dir);
        assert_int_equal(mkdir(path, 0700), 0);
        write_file(path, "inside", "x", 1);
        assert_true(status_write(fx->root, &s) < 0);
        assert_int_equal(count_entries(fx->state_dir), 1);
}

static void test_write_does_not_follow_symlink(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status s = sample();
        char target[128], link[256];
        struct stat st;

        make_state_dir(fx);
        snprintf(target, sizeof(target), "%s/target", fx->root);
        write_file(fx->root, "target", "keep", 4);
        snprintf(link, sizeof(link), "%s/status.json", fx->state_dir);
        assert_int_equal(symlink(target, link), 0);

        assert_int_equal(status_read(fx->root, &(struct upgrade_status){}), -ELOOP);
        assert_int_equal(status_write(fx->root, &s), 0);
        assert_int_equal(lstat(link, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(stat(target, &st), 0);
        assert_int_equal(st.st_size, 4);
}

static void test_write_refuses_invalid(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status s;

        /* No staging directory: status_write() does not create one. */
        s = sample();
        assert_int_equal(status_write(fx->root, &s), -ENOENT);
        make_state_dir(fx);

        s = sample();
        s.state = (enum upgrade_state) -1;
        assert_int_equal(status_write(fx->root, &s), -EINVAL);
        s = sample();
        strcpy(s.started, "yesterday");
        assert_int_equal(status_write(fx->root, &s), -EINVAL);
        s = sample();
        memset(s.started, '1', sizeof(s.started));
        assert_int_equal(status_write(fx->root, &s), -EINVAL);
        s = sample();
        memset(s.message, 'm', sizeof(s.message));
        assert_int_equal(status_write(fx->root, &s), -EINVAL);
        s = sample();
        strcpy(s.log, "upgrade.log");
        assert_int_equal(status_write(fx->root, &s), -EINVAL);
        s = sample();
        strcpy(s.log, "/var/log/\xff");
        assert_int_equal(status_write(fx->root, &s), -EINVAL);
        s = sample();
        memset(s.log, 'l', sizeof(s.log));
        s.log[0] = '/';
        assert_int_equal(status_write(fx->root, &s), -EINVAL);
        assert_int_equal(count_entries(fx->state_dir), 0);
}

static void test_emit_is_what_parse_reads(void **state _unused_) {
        struct upgrade_status s = sample(), got;
        char *buf = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&buf, &size);

        assert_non_null(m);
        strcpy(s.updated, "2026-11-23T12:03:10Z");
        assert_int_equal(status_emit(m, &s), 0);
        fclose(m);
        assert_int_equal(parse_exact(buf, size, &got), 0);
        assert_string_equal(got.updated, "2026-11-23T12:03:10Z");
        assert_int_equal(got.scriptlet_failures, 2);
        free(buf);
}

static void test_read_missing(void **state) {
        struct fixture *fx = *state;
        struct upgrade_status got;
        char path[256];

        assert_int_equal(status_read(fx->root, &got), -ENOENT);
        make_state_dir(fx);
        assert_int_equal(status_read(fx->root, &got), -ENOENT);
        snprintf(path, sizeof(path), "%s/status.json", fx->state_dir);
        assert_int_equal(mkdir(path, 0700), 0);
        assert_int_equal(status_read(fx->root, &got), -EISDIR);
        assert_int_equal(rmdir(path), 0);
        assert_int_equal(mkfifo(path, 0600), 0);
        assert_int_equal(status_read(fx->root, &got), -EBADFD);
}

static void test_staging_dir_open(void **state) {
        struct fixture *fx = *state;
        char target[128];
        int fd;

        assert_int_equal(staging_dir_open(fx->root), -ENOENT);
        snprintf(target, sizeof(target), "%s/elsewhere", fx->root);
        assert_int_equal(mkdir(target, 0700), 0);
        assert_int_equal(symlink(target, fx->state_dir), 0);
        assert_int_equal(staging_dir_open(fx->root), -ELOOP);
        assert_int_equal(status_read(fx->root, &(struct upgrade_status){}), -ELOOP);
        assert_int_equal(unlink(fx->state_dir), 0);
        write_file(fx->root, "var/lib/oslift", "", 0);
        assert_int_equal(staging_dir_open(fx->root), -ENOTDIR);
        assert_int_equal(unlink(fx->state_dir), 0);
        make_state_dir(fx);
        fd = staging_dir_open(fx->root);
        assert_true(fd >= 0);
        close(fd);
}

static void test_count_packages(void **state) {
        struct fixture *fx = *state;
        char dir[256], path[300];
        unsigned n = 99;
        int fd;

        make_state_dir(fx);
        fd = staging_dir_open(fx->root);
        assert_true(fd >= 0);
        assert_int_equal(staging_count_packages(fd, &n), 0);
        assert_int_equal(n, 0);

        snprintf(dir, sizeof(dir), "%s%s", fx->root, OSLIFT_PACKAGES_DIR);
        assert_int_equal(mkdir(dir, 0700), 0);
        write_file(dir, "bash-5.2.15-2.fc39.x86_64.rpm", "x", 1);
        write_file(dir, "zlib-1.2.13-4.fc39.x86_64.rpm", "x", 1);
        write_file(dir, "notes.txt", "x", 1);
        write_file(dir, ".rpm", "x", 1);
        snprintf(path, sizeof(path), "%s/dir.rpm", dir);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s/link.rpm", dir);
        assert_int_equal(symlink("bash-5.2.15-2.fc39.x86_64.rpm", path), 0);
        assert_int_equal(staging_count_packages(fd, &n), 0);
        assert_int_equal(n, 2);
        close(fd);
}

static void test_root_path_join(void **state _unused_) {
        static const struct {
                const char *root, *path, *want;
        } cases[] = {
                { "/", OSLIFT_STATE_DIR, "/var/lib/oslift" },
                { "//", OSLIFT_STATUS_FILE, "/var/lib/oslift/status.json" },
                { "/mnt/sysimage", OSLIFT_STATE_DIR, "/mnt/sysimage/var/lib/oslift" },
                { "/mnt/sysimage/", OSLIFT_UPGRADE_LOG, "/mnt/sysimage/var/log/oslift/upgrade.log" },
                { "/", "", "/" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *p = root_path_join(cases[i].root, cases[i].path);

                assert_non_null(p);
                assert_string_equal(p, cases[i].want);
                free(p);
        }
}

/* The rollback request: one line, written by host-prep and by the
 * upgrader when it gives up, read back by both. */
static void test_rollback_request(void **state) {
        struct fixture *fx = *state;
        char line[ROLLBACK_REQUEST_LINE_MAX], long_why[2000];
        int dfd;

        make_state_dir(fx);
        dfd = open(fx->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        assert_int_equal(rollback_request_read_at(dfd, line), -ENOENT);

        assert_int_equal(rollback_request_write_at(dfd, "the upgrade gave up after 3 attempts"), 0);
        assert_int_equal(rollback_request_read_at(dfd, line), 0);
        assert_true(strncmp(line, "rollback requested ", 19) == 0);
        assert_non_null(strstr(line, "Z: the upgrade gave up"));
        assert_string_equal(rollback_request_reason(line), "the upgrade gave up after 3 attempts");

        /* The operator's, without a reason. */
        assert_int_equal(rollback_request_write_at(dfd, NULL), 0);
        assert_int_equal(rollback_request_read_at(dfd, line), 0);
        assert_null(strchr(line, '\n'));
        assert_null(rollback_request_reason(line));

        /* Control characters become spaces; a long reason is cut, the
         * line still ends. */
        assert_int_equal(rollback_request_write_at(dfd, "two\nlines\tand\033[31m"), 0);
        assert_int_equal(rollback_request_read_at(dfd, line), 0);
        assert_string_equal(rollback_request_reason(line), "two lines and [31m");
        memset(long_why, 'x', sizeof(long_why) - 1);
        long_why[sizeof(long_why) - 1] = '\0';
        assert_int_equal(rollback_request_write_at(dfd, long_why), 0);
        assert_int_equal(rollback_request_read_at(dfd, line), 0);
        assert_int_equal(strlen(line), ROLLBACK_REQUEST_LINE_MAX - 2);

        /* Someone else's text is no reason. */
        write_file(fx->state_dir, "rollback", "please: roll back\n", 18);
        assert_int_equal(rollback_request_read_at(dfd, line), 0);
        assert_null(rollback_request_reason(line));
        write_file(fx->state_dir, "rollback", "rollback requested 2026-12-04T10:00:00Z: \xff\xfe\n", 44);
        assert_int_equal(rollback_request_read_at(dfd, line), 0);
        assert_null(rollback_request_reason(line));
        close(dfd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_state_names),
                cmocka_unit_test(test_unknown_state_rejected),
                cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_root_with_trailing_slash, setup, teardown),
                cmocka_unit_test_setup_teardown(test_null_timestamps, setup, teardown),
                cmocka_unit_test_setup_teardown(test_format_one_key_per_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_escapes_round_trip, setup, teardown),
                cmocka_unit_test(test_unicode_escapes),
                cmocka_unit_test_setup_teardown(test_every_prefix_rejected, setup, teardown),
                cmocka_unit_test(test_garbage_rejected),
                cmocka_unit_test(test_oversized_rejected),
                cmocka_unit_test_setup_teardown(test_oversized_file_rejected, setup, teardown),
                cmocka_unit_test(test_lenient_where_harmless),
                cmocka_unit_test(test_parse_leaves_result_alone_on_error),
                cmocka_unit_test_setup_teardown(test_atomic_write_leaves_no_temporary, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failed_rename_cleans_up, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_does_not_follow_symlink, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_refuses_invalid, setup, teardown),
                cmocka_unit_test(test_emit_is_what_parse_reads),
                cmocka_unit_test_setup_teardown(test_read_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_staging_dir_open, setup, teardown),
                cmocka_unit_test_setup_teardown(test_count_packages, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rollback_request, setup, teardown),
                cmocka_unit_test(test_root_path_join),
        };
        return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
