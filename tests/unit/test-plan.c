/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plan format: round trips, and every way a plan must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "macro.h"
#include "plan.h"

#define SHA_A "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_B "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define FINGERPRINT "0123456789abcdef0123456789abcdef01234567"

#define HEADER                                      \
        "oslift-plan 1\n"                           \
        "created 2026-11-23T12:00:00Z\n"            \
        "source-rpmdb bdb " FINGERPRINT "\n"        \
        "target-backend sqlite\n"

/* ---- Helpers ---- */

static struct plan *sample_plan(void) {
        struct plan *p = plan_new();

        assert_non_null(p);
        assert_int_equal(plan_set_header(p, "2026-11-23T12:00:00Z", "bdb", FINGERPRINT, "sqlite"), 0);
        assert_int_equal(plan_add_key(p, "RPM-GPG-KEY-fedora-40-primary"), 0);
        assert_int_equal(plan_add_key(p, "RPM-GPG-KEY-EPEL-9"), 0);
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "bash-5.2.26-3.fc40.x86_64.rpm", 1917253, SHA_A,
                                          "bash-0:5.2.26-3.fc40.x86_64"),
                         0);
        assert_int_equal(plan_add_package(p, PLAN_OP_INSTALL, "libnew-1.0-1.fc40.x86_64.rpm", 0, SHA_B,
                                          "libnew-0:1.0-1.fc40.x86_64"),
                         0);
        assert_int_equal(plan_add_package(p, PLAN_OP_INSTALL_ONLY, "kernel-core-6.8.5-301.fc40.x86_64.rpm", UINT64_MAX,
                                          SHA_A, "kernel-core-0:6.8.5-301.fc40.x86_64"),
                         0);
        /* Non-ASCII UTF-8 is allowed in names. */
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "caf\xc3\xa9-2-1.noarch.rpm", 12, SHA_B,
                                          "caf\xc3\xa9-0:2-1.noarch"),
                         0);
        assert_int_equal(plan_add_package(p, PLAN_OP_ERASE, NULL, 0, NULL, "python2-0:2.7.18-1.el8.x86_64"), 0);
        return p;
}

static char *plan_to_text(const struct plan *p, size_t *ret_len) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        assert_int_equal(plan_write(p, f), 0);
        assert_int_equal(fclose(f), 0);
        if (ret_len)
                *ret_len = len;
        return buf;
}

/* Appends the end line that makes body (a plan without one) valid. */
static char *with_end(const char *body) {
        char hex[SHA256_HEX_SIZE], *text = NULL;
        size_t records = 0;

        for (const char *line = body; *line;) {
                const char *nl = strchr(line, '\n');
                size_t n = nl ? (size_t) (nl - line) : strlen(line);

                if (n > 0 && line[0] != '#')
                        records++;
                line += n + (nl ? 1 : 0);
        }
        assert_int_equal(sha256_buffer(body, strlen(body), hex), 0);
        assert_true(asprintf(&text, "%send %zu %s\n", body, records, hex) > 0);
        return text;
}

static void expect_reject_raw(const char *text, size_t len, const char *expected) {
        struct plan *p = (struct plan *) 0x1; /* must stay untouched */
        _cleanup_free_ char *error = NULL;

        assert_int_equal(plan_parse(text, len, &p, &error), -EBADMSG);
        assert_ptr_equal(p, (struct plan *) 0x1);
        assert_non_null(error);
        if (!strstr(error, expected))
                fail_msg("error \"%s\" does not contain \"%s\"", error, expected);
        /* Messages are safe to print: no raw control characters. */
        for (const char *c = error; *c; c++)
                assert_false((unsigned char) *c < 0x20 || *c == 0x7f);
}

/* body gets a correct end line, so the refusal is due to body itself. */
static void expect_reject(const char *body, const char *expected) {
        _cleanup_free_ char *text = with_end(body);

        expect_reject_raw(text, strlen(text), expected);
}

static struct plan *expect_accept(const char *body) {
        _cleanup_free_ char *text = with_end(body), *error = NULL;
        struct plan *p = NULL;

        if (plan_parse(text, strlen(text), &p, &error) != 0)
                fail_msg("plan refused: %s", error ? error : "(no message)");
        assert_null(error);
        assert_non_null(p);
        return p;
}

static void assert_plans_equal(const struct plan *a, const struct plan *b) {
        assert_string_equal(a->created, b->created);
        assert_string_equal(a->source_backend, b->source_backend);
        assert_string_equal(a->source_fingerprint, b->source_fingerprint);
        assert_string_equal(a->target_backend, b->target_backend);
        assert_int_equal(a->n_keys, b->n_keys);
        for (size_t i = 0; i < a->n_keys; i++)
                assert_string_equal(a->keys[i], b->keys[i]);
        assert_int_equal(a->n_packages, b->n_packages);
        for (size_t i = 0; i < a->n_packages; i++) {
                const struct plan_package *x = a->packages + i, *y = b->packages + i;

                assert_int_equal(x->op, y->op);
                if (x->file || y->file) {
                        assert_non_null(x->file);
                        assert_non_null(y->file);
                        assert_string_equal(x->file, y->file);
                }
                assert_true(x->size == y->size);
                assert_string_equal(x->sha256, y->sha256);
                assert_string_equal(x->nevra, y->nevra);
        }
}

/* ---- Round trip and accepted input ---- */

static void test_round_trip(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = sample_plan(), *q = NULL;
        _cleanup_free_ char *text = NULL, *again = NULL, *error = NULL;
        size_t len, len_again;

        text = plan_to_text(p, &len);
        assert_int_equal(strlen(text), len);
        assert_int_equal(strncmp(text, "oslift-plan 1\n", 14), 0);
        assert_non_null(strstr(text, "\nend 11 "));
        assert_int_equal(text[len - 1], '\n');

        assert_int_equal(plan_parse(text, len, &q, &error), 0);
        assert_null(error);
        assert_plans_equal(p, q);
        assert_null(q->packages[4].file);
        assert_int_equal(q->packages[4].size, 0);
        assert_string_equal(q->packages[4].sha256, "");
        assert_true(q->packages[2].size == UINT64_MAX);

        /* Byte for byte the same when written again. */
        again = plan_to_text(q, &len_again);
        assert_int_equal(len, len_again);
        assert_memory_equal(text, again, len);
}

static void test_exact_text(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = plan_new();
        _cleanup_free_ char *text = NULL, *expected = NULL;

        assert_non_null(p);
        assert_int_equal(plan_set_header(p, "2026-11-23T12:00:00Z", "bdb", FINGERPRINT, "sqlite"), 0);
        assert_int_equal(plan_add_key(p, "RPM-GPG-KEY-a"), 0);
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "a-1-1.noarch.rpm", 7, SHA_A, "a-0:1-1.noarch"), 0);
        assert_int_equal(plan_add_package(p, PLAN_OP_ERASE, NULL, 0, NULL, "b-0:1-1.noarch"), 0);
        text = plan_to_text(p, NULL);
        /* with_end() computes the end line independently of the library. */
        expected = with_end("oslift-plan 1\n"
                            "# oslift upgrade plan; format: oslift's docs/plan-format.md. "
                            "Do not edit: the end line checks every byte above it.\n"
                            "created 2026-11-23T12:00:00Z\n"
                            "source-rpmdb bdb " FINGERPRINT "\n"
                            "target-backend sqlite\n"
                            "key RPM-GPG-KEY-a\n"
                            "upgrade a-1-1.noarch.rpm 7 " SHA_A " a-0:1-1.noarch\n"
                            "erase b-0:1-1.noarch\n");
        assert_string_equal(text, expected);
}

static void test_minimal_plan(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = expect_accept(HEADER);

        assert_string_equal(p->created, "2026-11-23T12:00:00Z");
        assert_string_equal(p->source_backend, "bdb");
        assert_string_equal(p->source_fingerprint, FINGERPRINT);
        assert_string_equal(p->target_backend, "sqlite");
        assert_int_equal(p->n_keys, 0);
        assert_int_equal(p->n_packages, 0);
}

/* The optional rollback line: read, written back, refused out of place. */
static void test_rollback_line(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *none = expect_accept(HEADER);
        _cleanup_(plan_freep) struct plan *links = expect_accept(HEADER "rollback links\nkey K\n");
        _cleanup_(plan_freep) struct plan *back = NULL, *sample = sample_plan();
        _cleanup_free_ char *text = NULL, *error = NULL, *plain = NULL;
        size_t len;

        assert_int_equal(none->rollback, PLAN_ROLLBACK_NONE);
        assert_int_equal(links->rollback, PLAN_ROLLBACK_LINKS);
        /* none is never written: the text of a plan without the line. */
        plain = plan_to_text(sample, NULL);
        assert_null(strstr(plain, "rollback"));
        sample->rollback = PLAN_ROLLBACK_LINKS;
        text = plan_to_text(sample, &len);
        assert_non_null(strstr(text, "\ntarget-backend sqlite\nrollback links\nkey "));
        assert_int_equal(plan_parse(text, len, &back, &error), 0);
        assert_int_equal(back->rollback, PLAN_ROLLBACK_LINKS);
        assert_plans_equal(sample, back);

        expect_reject(HEADER "rollback snapshot\n", "line 5: unknown rollback mode \"snapshot\" (expected links)");
        expect_reject(HEADER "rollback links\nrollback links\n", "line 6: \"rollback\" may appear only once");
        expect_reject(HEADER "key K\nrollback links\n", "line 6: the rollback line must come before key and package lines");
        expect_reject(HEADER "erase a-1-1.noarch\nrollback links\n", "line 6: the rollback line must come before");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00Z\nsource-rpmdb bdb " FINGERPRINT "\nrollback links\n",
                      "line 4: expected \"target-backend\" here, found \"rollback\"");
}

/* The optional verify line: the command escaped as one field, read back
 * as given; refused out of place, with a bad escape or timeout. */
static void test_verify_line(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = expect_accept(HEADER "rollback links\nverify 60 curl%20-fsS%20'http://localhost/?a=1%25'%09x\nkey K\n");
        _cleanup_(plan_freep) struct plan *back = NULL, *sample = sample_plan();
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t len;

        assert_string_equal(p->verify, "curl -fsS 'http://localhost/?a=1%'\tx");
        assert_int_equal(p->verify_timeout, 60);
        sample->verify = strdup("test -e /run/ok && echo 100%");
        sample->verify_timeout = 5;
        text = plan_to_text(sample, &len);
        assert_non_null(strstr(text, "\ntarget-backend sqlite\nverify 5 test%20-e%20/run/ok%20&&%20echo%20100%25\nkey "));
        assert_int_equal(plan_parse(text, len, &back, &error), 0);
        assert_string_equal(back->verify, sample->verify);
        assert_int_equal(back->verify_timeout, 5);
        assert_plans_equal(sample, back);
        assert_false(plan_verify_is_valid("a\nb"));
        assert_false(plan_verify_is_valid(""));
        assert_true(plan_verify_is_valid("a\tb"));

        expect_reject(HEADER "verify 0 true\n", "line 5: the verify timeout must be a whole number of seconds from 1 to 86400");
        expect_reject(HEADER "verify 86401 true\n", "line 5: the verify timeout must be");
        expect_reject(HEADER "verify 5 a%0ab\n", "line 5: the verify command is empty, too long or holds control characters");
        expect_reject(HEADER "verify 5 a%00b\n", "line 5: the verify command has a bad %XX escape");
        expect_reject(HEADER "verify 5 a%2\n", "line 5: the verify command has a bad %XX escape");
        expect_reject(HEADER "verify 5 a\nverify 5 b\n", "line 6: \"verify\" may appear only once");
        expect_reject(HEADER "key K\nverify 5 a\n", "line 6: the verify line must come before key and package lines");
        expect_reject(HEADER "verify 5\n", "line 5: \"verify\" takes 2 fields after the directive, found 1");
}

static void test_comments_and_blank_lines(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = expect_accept(
                "# leading comment\n"
                "\n"
                "oslift-plan 1\n"
                "#\n"
                "created 2026-02-28T23:59:60Z\n"
                "source-rpmdb ndb " FINGERPRINT FINGERPRINT "\n"
                "target-backend bdb\n"
                "\n"
                "erase foo-1-1.noarch\n"
                "# trailing comment, before the end line\n");

        assert_string_equal(p->source_backend, "ndb");
        assert_int_equal(p->n_packages, 1);
        assert_int_equal(p->packages[0].op, PLAN_OP_ERASE);
        assert_string_equal(p->packages[0].nevra, "foo-1-1.noarch");

        /* They count for line numbers. */
        expect_reject("# one\n\n# three\n" HEADER "bogus\n", "line 8: unknown directive \"bogus\"");
}

static void test_numbers(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = expect_accept(
                HEADER
                "install a.rpm 0 " SHA_A " a-1-1.noarch\n"
                "install b.rpm 18446744073709551615 " SHA_A " b-1-1.noarch\n"
                "install c.rpm 10 " SHA_A " c-1-1.noarch\n");

        assert_int_equal(p->packages[0].size, 0);
        assert_true(p->packages[1].size == UINT64_MAX);
        assert_int_equal(p->packages[2].size, 10);
}

static void test_op_names(void **state _unused_) {
        assert_string_equal(plan_op_name(PLAN_OP_UPGRADE), "upgrade");
        assert_string_equal(plan_op_name(PLAN_OP_INSTALL), "install");
        assert_string_equal(plan_op_name(PLAN_OP_INSTALL_ONLY), "install-only");
        assert_string_equal(plan_op_name(PLAN_OP_ERASE), "erase");
        assert_null(plan_op_name(_PLAN_OP_MAX));
        assert_null(plan_op_name((enum plan_op) - 1));
}

/* ---- File names ---- */

static void test_file_name_validity(void **state _unused_) {
        char long_name[300];

        assert_true(plan_package_file_name_is_valid("bash-5.2-1.x86_64.rpm"));
        assert_true(plan_package_file_name_is_valid("x.rpm"));
        assert_true(plan_package_file_name_is_valid(".hidden.rpm"));
        assert_true(plan_package_file_name_is_valid("caf\xc3\xa9.rpm"));
        assert_true(plan_file_name_is_valid("RPM-GPG-KEY-fedora"));
        assert_true(plan_file_name_is_valid("key.asc"));

        assert_false(plan_file_name_is_valid(NULL));
        assert_false(plan_file_name_is_valid(""));
        assert_false(plan_file_name_is_valid("."));
        assert_false(plan_file_name_is_valid(".."));
        assert_false(plan_file_name_is_valid("a/b"));
        assert_false(plan_file_name_is_valid("/etc/passwd"));
        assert_false(plan_file_name_is_valid("a b"));
        assert_false(plan_file_name_is_valid("a\tb"));
        assert_false(plan_file_name_is_valid("a\nb"));
        assert_false(plan_file_name_is_valid("a\x7f"));
        assert_false(plan_file_name_is_valid("a\x1b[2J"));
        assert_false(plan_file_name_is_valid("\xc3"));         /* truncated UTF-8 */
        assert_false(plan_file_name_is_valid("\xc0\xaf.rpm")); /* overlong '/' */

        assert_false(plan_package_file_name_is_valid(NULL));
        assert_false(plan_package_file_name_is_valid("../x.rpm"));
        assert_false(plan_package_file_name_is_valid("a/b.rpm"));
        assert_false(plan_package_file_name_is_valid("a b.rpm"));
        assert_false(plan_package_file_name_is_valid("a\x01.rpm"));
        assert_false(plan_package_file_name_is_valid(".rpm"));
        assert_false(plan_package_file_name_is_valid("bash.rpm.sig"));
        assert_false(plan_package_file_name_is_valid("bash.RPM"));
        assert_false(plan_package_file_name_is_valid("bash"));
        assert_false(plan_package_file_name_is_valid("."));
        assert_false(plan_package_file_name_is_valid(".."));

        /* 255 bytes is the limit. */
        memset(long_name, 'a', sizeof(long_name));
        strcpy(long_name + 251, ".rpm");
        assert_int_equal(strlen(long_name), 255);
        assert_true(plan_package_file_name_is_valid(long_name));
        memset(long_name, 'a', sizeof(long_name));
        strcpy(long_name + 252, ".rpm");
        assert_false(plan_package_file_name_is_valid(long_name));
}

static void test_reject_file_names(void **state _unused_) {
        static const struct {
                const char *name;
                const char *expected;
        } cases[] = {
                { "../etc/passwd", "line 5: file name \"../etc/passwd\" is not a plain file name (contains '/')" },
                { "../x.rpm", "line 5: file name \"../x.rpm\" is not a plain file name (contains '/')" },
                { "a/b.rpm", "line 5: file name \"a/b.rpm\" is not a plain file name (contains '/')" },
                { "/abs.rpm", "line 5: file name \"/abs.rpm\" is not a plain file name (contains '/')" },
                { ".", "line 5: file name \".\" is not a plain file name" },
                { "..", "line 5: file name \"..\" is not a plain file name" },
                { "a\x01.rpm", "line 5: file name \"a\\x01.rpm\" is not a plain file name (contains a control character)" },
                { "a\x1b[2J.rpm", "line 5: file name \"a\\x1b[2J.rpm\" is not a plain file name (contains a control character)" },
                { "a\t.rpm", "line 5: file name \"a\\x09.rpm\" is not a plain file name (contains a control character)" },
                { "a\r.rpm", "line 5: file name \"a\\x0d.rpm\" is not a plain file name (contains a control character)" },
                { "a\x7f.rpm", "line 5: file name \"a\\x7f.rpm\" is not a plain file name (contains a control character)" },
                { "bash", "line 5: file name \"bash\" does not end in \".rpm\"" },
                { "bash.rpm.sig", "line 5: file name \"bash.rpm.sig\" does not end in \".rpm\"" },
                { ".rpm", "line 5: file name \".rpm\" does not end in \".rpm\"" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *body = NULL;

                assert_true(asprintf(&body, HEADER "upgrade %s 1 " SHA_A " x-1-1.noarch\n", cases[i].name) > 0);
                expect_reject(body, cases[i].expected);
        }

        /* A space splits the name: one field too many. */
        expect_reject(HEADER "upgrade a b.rpm 1 " SHA_A " x-1-1.noarch\n",
                      "line 5: \"upgrade\" takes 4 fields after the directive, found 5");

        /* Too long. */
        {
                char name[300], *body = NULL;

                memset(name, 'a', sizeof(name));
                strcpy(name + 252, ".rpm");
                assert_true(asprintf(&body, HEADER "install %s 1 " SHA_A " x-1-1.noarch\n", name) > 0);
                expect_reject(body, "is longer than 255 bytes");
                free(body);
        }

        /* Key file names follow the same rules, without ".rpm". */
        expect_reject(HEADER "key ../RPM-GPG-KEY\n", "line 5: key file name \"../RPM-GPG-KEY\" is not a plain file name");
        expect_reject(HEADER "key ..\n", "line 5: key file name \"..\" is not a plain file name");
}

/* ---- Fields ---- */

static void test_reject_sha256(void **state _unused_) {
        static const char *const bad[] = {
                "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", /* upper case */
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",  /* 63 */
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015add", /* 65 */
                "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", /* not hex */
                "-",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *body = NULL;

                assert_true(asprintf(&body, HEADER "upgrade a.rpm 1 %s a-1-1.noarch\n", bad[i]) > 0);
                expect_reject(body, "line 5: invalid SHA-256");
        }
}

static void test_reject_size(void **state _unused_) {
        static const char *const bad[] = {
                "-1", "+1", "01", "00", "007", "1a", "0x10", "1.5", "18446744073709551616", "99999999999999999999999",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *body = NULL, *expected = NULL;

                assert_true(asprintf(&body, HEADER "install a.rpm %s " SHA_A " a-1-1.noarch\n", bad[i]) > 0);
                assert_true(asprintf(&expected, "line 5: invalid size \"%s\"", bad[i]) > 0);
                expect_reject(body, expected);
        }
}

static void test_reject_nevra(void **state _unused_) {
        _cleanup_free_ char *body = NULL, *nevra = malloc(1026);

        expect_reject(HEADER "erase a\tb\n", "line 5: NEVRA \"a\\x09b\" contains whitespace or a control character");
        expect_reject(HEADER "erase a\x02\n", "contains whitespace or a control character");

        /* 1024 bytes pass, 1025 do not; the message stays short. */
        assert_non_null(nevra);
        memset(nevra, 'n', 1025);
        nevra[1024] = '\0';
        assert_true(asprintf(&body, HEADER "erase %s\n", nevra) > 0);
        plan_free(expect_accept(body));
        free(body);
        nevra[1024] = 'n';
        nevra[1025] = '\0';
        assert_true(asprintf(&body, HEADER "erase %s\n", nevra) > 0);
        expect_reject(body, "is longer than 1024 bytes");
        {
                _cleanup_free_ char *text = with_end(body), *error = NULL;
                struct plan *p = NULL;

                assert_int_equal(plan_parse(text, strlen(text), &p, &error), -EBADMSG);
                assert_true(strlen(error) < 200);
                assert_non_null(strstr(error, "nnn\"..."));
        }
}

static void test_reject_header_values(void **state _unused_) {
        expect_reject("oslift-plan 2\n", "line 1: unsupported plan format version 2 (this program reads version 1)");
        expect_reject("oslift-plan 01\n", "line 1: invalid format version \"01\"");
        expect_reject("oslift-plan one\n", "line 1: invalid format version \"one\"");

        expect_reject("oslift-plan 1\ncreated 2026-11-23 12:00:00\n", "line 2: \"created\" takes 1 field");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00\n", "line 2: invalid creation time");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00+01:00\n", "line 2: invalid creation time");
        expect_reject("oslift-plan 1\ncreated 2026-13-23T12:00:00Z\n", "line 2: invalid creation time");
        expect_reject("oslift-plan 1\ncreated 2026-02-29T12:00:00Z\n", "line 2: invalid creation time");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T24:00:00Z\n", "line 2: invalid creation time");
        expect_reject("oslift-plan 1\ncreated yesterday\n", "line 2: invalid creation time \"yesterday\"");

        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00Z\nsource-rpmdb lmdb " FINGERPRINT "\n",
                      "line 3: unknown rpmdb backend \"lmdb\" (expected bdb, ndb or sqlite)");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00Z\nsource-rpmdb bdb ABCDEF0123456789ABCDEF0123456789ABCDEF01\n",
                      "line 3: invalid rpmdb fingerprint");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00Z\nsource-rpmdb bdb 0123456789abcdef0123456789abcdef0123456\n",
                      "line 3: invalid rpmdb fingerprint");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00Z\nsource-rpmdb bdb\n",
                      "line 3: \"source-rpmdb\" takes 2 fields after the directive, found 1");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00Z\nsource-rpmdb bdb " FINGERPRINT "\ntarget-backend BDB\n",
                      "line 4: unknown rpmdb backend \"BDB\"");
}

/* ---- Structure ---- */

static void test_reject_structure(void **state _unused_) {
        /* Header missing, incomplete or out of order. */
        expect_reject("created 2026-11-23T12:00:00Z\n", "line 1: not an oslift plan: the first record must be \"oslift-plan 1\"");
        expect_reject("#!/bin/sh\nrm -rf /\n", "line 2: not an oslift plan");
        expect_reject("oslift-plan 1\nsource-rpmdb bdb " FINGERPRINT "\n",
                      "line 2: expected \"created\" here, found \"source-rpmdb\"");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00Z\ntarget-backend sqlite\nsource-rpmdb bdb " FINGERPRINT "\n",
                      "line 3: expected \"source-rpmdb\" here, found \"target-backend\"");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00Z\nsource-rpmdb bdb " FINGERPRINT "\nerase a-1-1.noarch\n",
                      "line 4: expected \"target-backend\" here, found \"erase\"");
        expect_reject("oslift-plan 1\ncreated 2026-11-23T12:00:00Z\n",
                      "line 3: expected \"source-rpmdb\" here, found \"end\"");
        expect_reject("oslift-plan 1\noslift-plan 1\n", "line 2: expected \"created\" here, found \"oslift-plan\"");
        expect_reject(HEADER "created 2026-11-23T12:00:00Z\n", "line 5: \"created\" may appear only once, in the header");
        expect_reject(HEADER "oslift-plan 1\n", "line 5: \"oslift-plan\" may appear only once, in the header");

        /* Directives and fields. */
        expect_reject(HEADER "downgrade a.rpm 1 " SHA_A " a-1-1.noarch\n", "line 5: unknown directive \"downgrade\"");
        expect_reject(HEADER "Upgrade a.rpm 1 " SHA_A " a-1-1.noarch\n", "line 5: unknown directive \"Upgrade\"");
        expect_reject(HEADER "upgrade a.rpm 1 " SHA_A "\n", "line 5: \"upgrade\" takes 4 fields after the directive, found 3");
        expect_reject(HEADER "upgrade a.rpm 1 " SHA_A " a-1-1.noarch extra\n",
                      "line 5: \"upgrade\" takes 4 fields after the directive, found 5");
        expect_reject(HEADER "install-only a.rpm\n", "line 5: \"install-only\" takes 4 fields");
        expect_reject(HEADER "erase a-1-1.noarch b-1-1.noarch\n", "line 5: \"erase\" takes 1 field after the directive, found 2");
        expect_reject(HEADER "erase\n", "line 5: \"erase\" takes 1 field after the directive, found 0");
        expect_reject(HEADER "key\n", "line 5: \"key\" takes 1 field");
        expect_reject(HEADER "key a b\n", "line 5: \"key\" takes 1 field after the directive, found 2");
        expect_reject("oslift-plan 1 2\n", "line 1: \"oslift-plan\" takes 1 field");
        expect_reject(HEADER "erase  a-1-1.noarch\n", "line 5: empty field");
        expect_reject(HEADER "erase a-1-1.noarch \n", "line 5: empty field");
        expect_reject(HEADER " erase a-1-1.noarch\n", "line 5: empty field");
        expect_reject(HEADER " \n", "line 5: empty field");
        expect_reject(HEADER "erase\ta-1-1.noarch\n", "line 5: unknown directive \"erase\\x09a-1-1.noarch\"");
        expect_reject(HEADER " # indented comment\n", "line 5: empty field");

        /* Canonical order: keys first. */
        expect_reject(HEADER "erase a-1-1.noarch\nkey RPM-GPG-KEY\n", "line 6: key lines must come before package lines");

        /* Bytes that are not text. */
        expect_reject(HEADER "erase a-1-1.noarch\r\n", "line 5: NEVRA \"a-1-1.noarch\\x0d\" contains whitespace");
        expect_reject(HEADER "erase caf\xc3-1-1.noarch\n", "line 5: not valid UTF-8");
        expect_reject(HEADER "erase \xed\xa0\x80-1-1.noarch\n", "line 5: not valid UTF-8");
        expect_reject(HEADER "# caf\xe9\n", "line 5: not valid UTF-8");
        expect_reject(HEADER "# bell\a\n", "line 5: comment contains a control character");
        {
                static const char nul[] = HEADER "erase a\0b\n";
                _cleanup_free_ char *text = malloc(sizeof(nul) - 1);

                assert_non_null(text);
                memcpy(text, nul, sizeof(nul) - 1);
                expect_reject_raw(text, sizeof(nul) - 1, "line 5: contains a NUL byte");
        }

        /* Whole-file problems. */
        expect_reject_raw("", 0, "plan is empty");
        expect_reject_raw(NULL, 0, "plan is empty");
}

static void test_duplicates(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = NULL, *q = NULL;

        expect_reject(HEADER
                      "upgrade a.rpm 1 " SHA_A " a-2-1.noarch\n"
                      "upgrade b.rpm 1 " SHA_A " b-2-1.noarch\n"
                      "# the same file again\n"
                      "install a.rpm 1 " SHA_B " a-3-1.noarch\n",
                      "line 8: duplicate file name \"a.rpm\" (first on line 5)");
        /* The earliest second use is the one reported. */
        expect_reject(HEADER
                      "upgrade z.rpm 1 " SHA_A " z-2-1.noarch\n"
                      "upgrade a.rpm 1 " SHA_A " a-2-1.noarch\n"
                      "upgrade z.rpm 1 " SHA_A " z-2-1.noarch\n"
                      "upgrade a.rpm 1 " SHA_A " a-2-1.noarch\n"
                      "upgrade z.rpm 1 " SHA_A " z-2-1.noarch\n",
                      "line 7: duplicate file name \"z.rpm\" (first on line 5)");
        expect_reject(HEADER "key K\nkey L\nkey K\n", "line 7: duplicate key file name \"K\" (first on line 5)");
        /* One package from two files: which one rpm would take is chance. */
        expect_reject(HEADER
                      "upgrade a.rpm 1 " SHA_A " a-2-1.noarch\n"
                      "upgrade b.rpm 1 " SHA_A " b-2-1.noarch\n"
                      "upgrade a-again.rpm 1 " SHA_B " a-2-1.noarch\n",
                      "line 7: package \"a-2-1.noarch\" named twice (first on line 5), from two files");
        /* Erasing twice is harmless: the records carry no file. */
        plan_free(expect_accept(HEADER "erase old-1-1.noarch\nerase old-1-1.noarch\n"));

        /* Names only collide within their kind: keys live in keys/. */
        q = expect_accept(HEADER "key a.rpm\nupgrade a.rpm 1 " SHA_A " a-2-1.noarch\n"
                                 "erase old-1-1.noarch\nerase old2-1-1.noarch\n");
        assert_int_equal(q->n_keys, 1);
        assert_int_equal(q->n_packages, 3);

        p = sample_plan();
        assert_int_equal(plan_add_key(p, "RPM-GPG-KEY-EPEL-9"), -EEXIST);
        assert_int_equal(plan_add_package(p, PLAN_OP_INSTALL, "bash-5.2.26-3.fc40.x86_64.rpm", 1, SHA_A, "x-1-1.noarch"),
                         -EEXIST);
        assert_int_equal(plan_add_package(p, PLAN_OP_INSTALL, "other.rpm", 1, SHA_A, p->packages[0].nevra), -EEXIST);
        assert_int_equal(p->n_keys, 2);
        assert_int_equal(p->n_packages, 5);
}

/* ---- Truncation and tampering ---- */

static void test_truncated_at_every_byte(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = sample_plan();
        size_t len;
        _cleanup_free_ char *text = plan_to_text(p, &len);

        /* Every proper prefix, including the one missing only the final
         * newline; on the heap at its exact size so ASan sees overreads. */
        for (size_t n = 0; n < len; n++) {
                _cleanup_free_ char *prefix = malloc(n ? n : 1);
                _cleanup_free_ char *error = NULL;
                struct plan *q = NULL;

                assert_non_null(prefix);
                memcpy(prefix, text, n);
                assert_int_equal(plan_parse(prefix, n, &q, &error), -EBADMSG);
                assert_null(q);
                assert_non_null(error);
                if (n > 0 && !strstr(error, "plan is truncated or was edited"))
                        fail_msg("prefix of %zu bytes: unexpected message \"%s\"", n, error);
        }

        /* The two flavours of message. */
        expect_reject_raw(text, len - 1, "plan is truncated or was edited: line 13 has no newline at its end");
        {
                const char *end = strstr(text, "\nend ");

                assert_non_null(end);
                expect_reject_raw(text, (size_t) (end - text) + 1,
                                  "plan is truncated or was edited: end line missing (after line 12)");
        }
}

static void test_edited_at_every_byte(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = sample_plan();
        size_t len;
        _cleanup_free_ char *text = plan_to_text(p, &len);

        /* Any single changed byte, comment and end line included. */
        for (size_t i = 0; i < len; i++) {
                _cleanup_free_ char *copy = malloc(len), *error = NULL;
                struct plan *q = NULL;

                assert_non_null(copy);
                memcpy(copy, text, len);
                copy[i] ^= 0x01;
                if (plan_parse(copy, len, &q, &error) != -EBADMSG) {
                        plan_free(q);
                        fail_msg("plan with byte %zu changed was accepted", i);
                }
                assert_non_null(error);
        }
}

static void test_edited_messages(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = sample_plan();
        size_t len;
        _cleanup_free_ char *text = plan_to_text(p, &len), *edited = NULL, *deleted = NULL, *appended = NULL;
        char *s;

        /* A changed size: the checksum no longer matches. */
        edited = strdup(text);
        assert_non_null(edited);
        s = strstr(edited, " 1917253 ");
        assert_non_null(s);
        s[1] = '2';
        expect_reject_raw(edited, len, "line 13: end: checksum mismatch (plan was modified after staging)");

        /* A removed record: the count no longer matches. */
        deleted = strdup(text);
        assert_non_null(deleted);
        s = strstr(deleted, "erase ");
        assert_non_null(s);
        memmove(s, strchr(s, '\n') + 1, strlen(strchr(s, '\n') + 1) + 1);
        expect_reject_raw(deleted, strlen(deleted),
                          "line 12: end: record count mismatch: the plan has 10 records, the end line says 11");

        /* Anything after the end line. */
        assert_true(asprintf(&appended, "%serase bash-0:5.2.26-3.fc40.x86_64\n", text) > 0);
        expect_reject_raw(appended, strlen(appended), "line 14: the end line must be the last line");
        free(appended);
        assert_true(asprintf(&appended, "%s\n", text) > 0);
        expect_reject_raw(appended, strlen(appended), "line 14: the end line must be the last line");

        /* A malformed end line. */
        expect_reject(HEADER "end 4\n", "line 5: \"end\" takes 2 fields after the directive, found 1");
        expect_reject_raw(HEADER "end 04 " SHA_A "\n", strlen(HEADER "end 04 " SHA_A "\n"),
                          "line 5: end: invalid record count \"04\"");
        expect_reject_raw(HEADER "end 4 " SHA_A "\n", strlen(HEADER "end 4 " SHA_A "\n"),
                          "line 5: end: checksum mismatch (plan was modified after staging)");
        expect_reject_raw(HEADER "end 4 xyz\n", strlen(HEADER "end 4 xyz\n"), "line 5: end: invalid SHA-256 \"xyz\"");
}

/* ---- Building and writing ---- */

static void test_add_rejects_invalid(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = plan_new();
        char long_nevra[1100];

        assert_non_null(p);
        memset(long_nevra, 'n', sizeof(long_nevra) - 1);
        long_nevra[sizeof(long_nevra) - 1] = '\0';

        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "../x.rpm", 1, SHA_A, "x-1-1.noarch"), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "x", 1, SHA_A, "x-1-1.noarch"), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, NULL, 1, SHA_A, "x-1-1.noarch"), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "x.rpm", 1, "abc", "x-1-1.noarch"), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "x.rpm", 1, NULL, "x-1-1.noarch"), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "x.rpm", 1, SHA_A, "x 1"), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "x.rpm", 1, SHA_A, ""), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "x.rpm", 1, SHA_A, NULL), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_UPGRADE, "x.rpm", 1, SHA_A, long_nevra), -EINVAL);
        assert_int_equal(plan_add_package(p, _PLAN_OP_MAX, "x.rpm", 1, SHA_A, "x-1-1.noarch"), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_ERASE, "x.rpm", 0, NULL, "x-1-1.noarch"), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_ERASE, NULL, 1, NULL, "x-1-1.noarch"), -EINVAL);
        assert_int_equal(plan_add_package(p, PLAN_OP_ERASE, NULL, 0, SHA_A, "x-1-1.noarch"), -EINVAL);
        assert_int_equal(plan_add_key(p, "a/b"), -EINVAL);
        assert_int_equal(plan_add_key(p, ""), -EINVAL);
        assert_int_equal(plan_add_key(p, NULL), -EINVAL);
        assert_int_equal(p->n_packages, 0);
        assert_int_equal(p->n_keys, 0);

        assert_int_equal(plan_set_header(p, "2026-11-23 12:00:00", "bdb", FINGERPRINT, "sqlite"), -EINVAL);
        assert_int_equal(plan_set_header(p, "2026-11-23T12:00:00Z", "rpm", FINGERPRINT, "sqlite"), -EINVAL);
        assert_int_equal(plan_set_header(p, "2026-11-23T12:00:00Z", "bdb", "xyz", "sqlite"), -EINVAL);
        assert_int_equal(plan_set_header(p, "2026-11-23T12:00:00Z", "bdb", FINGERPRINT, NULL), -EINVAL);
        assert_null(p->created);
}

static void test_write_refuses_invalid(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = plan_new(), *q = sample_plan();
        _cleanup_fclose_ FILE *f = fopen("/dev/null", "we");
        char *saved;

        assert_non_null(p);
        assert_non_null(f);
        /* No header. */
        assert_int_equal(plan_write(p, f), -EINVAL);

        /* Fields changed behind the API's back. */
        saved = q->packages[0].file;
        q->packages[0].file = (char *) "../../etc/shadow";
        assert_int_equal(plan_write(q, f), -EINVAL);
        q->packages[0].file = (char *) "a.rpm\ninstall evil.rpm";
        assert_int_equal(plan_write(q, f), -EINVAL);
        q->packages[0].file = q->packages[1].file;
        assert_int_equal(plan_write(q, f), -EEXIST);
        q->packages[0].file = saved;
        q->packages[4].sha256[0] = 'a'; /* an erase with a checksum */
        assert_int_equal(plan_write(q, f), -EINVAL);
        q->packages[4].sha256[0] = '\0';
        assert_int_equal(plan_write(q, f), 0);
}

static void test_write_error(void **state _unused_) {
        _cleanup_(plan_freep) struct plan *p = sample_plan();
        _cleanup_fclose_ FILE *f = fopen("/dev/full", "we");

        assert_non_null(f);
        assert_int_equal(plan_write(p, f), -ENOSPC);
}

/* ---- Loading from a file ---- */

static void test_load(void **state _unused_) {
        char dir[] = "/tmp/oslift-unit-plan.XXXXXX", cmd[128];
        _cleanup_(plan_freep) struct plan *p = sample_plan(), *q = NULL;
        size_t len;
        _cleanup_free_ char *text = plan_to_text(p, &len), *error = NULL;
        _cleanup_close_ int dirfd = -1;
        int fd;

        assert_non_null(mkdtemp(dir));
        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dirfd >= 0);

        fd = openat(dirfd, "plan", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t) len);
        assert_int_equal(close(fd), 0);
        assert_int_equal(plan_load(dirfd, "plan", &q, &error), 0);
        assert_null(error);
        assert_plans_equal(p, q);

        fd = openat(dirfd, "cut", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len / 2), (ssize_t) (len / 2));
        assert_int_equal(close(fd), 0);
        assert_int_equal(plan_load(dirfd, "cut", &q, &error), -EBADMSG);
        assert_non_null(strstr(error, "plan is truncated or was edited"));
        free(error);
        error = NULL;

        /* One byte over 64 MiB, sparse. */
        fd = openat(dirfd, "huge", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, PLAN_SIZE_MAX + 1), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(plan_load(dirfd, "huge", &q, &error), -EBADMSG);
        assert_string_equal(error, "plan is larger than 64 MiB");
        free(error);
        error = NULL;

        assert_int_equal(plan_load(dirfd, "missing", &q, &error), -ENOENT);
        assert_null(error);
        assert_int_equal(symlinkat("plan", dirfd, "link"), 0);
        assert_int_equal(plan_load(dirfd, "link", &q, &error), -ELOOP);
        assert_null(error);
        assert_int_equal(mkdirat(dirfd, "dir", 0700), 0);
        assert_int_equal(plan_load(dirfd, "dir", &q, &error), -EISDIR);
        assert_int_equal(mkfifoat(dirfd, "fifo", 0600), 0);
        assert_int_equal(plan_load(dirfd, "fifo", &q, &error), -EBADFD);
        assert_null(error);
        /* The parsed plan is still the first one. */
        assert_plans_equal(p, q);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_exact_text),
                cmocka_unit_test(test_minimal_plan),
                cmocka_unit_test(test_rollback_line),
                cmocka_unit_test(test_verify_line),
                cmocka_unit_test(test_comments_and_blank_lines),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_op_names),
                cmocka_unit_test(test_file_name_validity),
                cmocka_unit_test(test_reject_file_names),
                cmocka_unit_test(test_reject_sha256),
                cmocka_unit_test(test_reject_size),
                cmocka_unit_test(test_reject_nevra),
                cmocka_unit_test(test_reject_header_values),
                cmocka_unit_test(test_reject_structure),
                cmocka_unit_test(test_duplicates),
                cmocka_unit_test(test_truncated_at_every_byte),
                cmocka_unit_test(test_edited_at_every_byte),
                cmocka_unit_test(test_edited_messages),
                cmocka_unit_test(test_add_rejects_invalid),
                cmocka_unit_test(test_write_refuses_invalid),
                cmocka_unit_test(test_write_error),
                cmocka_unit_test(test_load),
        };
        return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
