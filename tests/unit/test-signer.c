/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The source distribution's key ids (host-prep/signer.c): Leapp's
 * gpg-signatures JSON read for its "keys" (the real file from
 * SHARED_FIXTURES; without it that test skips), a list of ids one a line,
 * short ids matching long ones, and what is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-root.h"

#include "fsutil.h"
#include "signer.h"
#include "strv.h"

/* The file at path, NUL-terminated. */
static char *read_text(const char *path, size_t *len) {
        char *text = NULL;

        assert_int_equal(read_regular_file_full(path, SIGNER_FILE_MAX, READ_NUL_TERMINATE, &text, len), 0);
        return text;
}

static void test_parse_ids(void **state) {
        char **ids = NULL, *error = NULL;
        size_t n = 0;
        const char *lines = "# CentOS 7\n24C6A8A7F4A80EB5\nf4a80eb5\nnot-a-key 123 deadbeefdeadbeef0\n";
        const char *bad = "{\"keys\": [\"24c6a8a7f4a80eb5\"]}";

        assert_int_equal(signer_parse_ids(lines, strlen(lines), &ids, &n, &error), 0);
        assert_int_equal(n, 2);
        assert_string_equal(ids[0], "24c6a8a7f4a80eb5");
        assert_string_equal(ids[1], "f4a80eb5");
        assert_true(signer_is_source(ids, n, "24c6a8a7f4a80eb5"));
        assert_true(signer_is_source(ids, n, "f4a80eb5"));
        assert_false(signer_is_source(ids, n, "a4a80eb5"));
        strv_free(ids, n);
        ids = NULL;
        n = 0;
        assert_int_equal(signer_parse_ids(bad, strlen(bad), &ids, &n, &error), -EBADMSG);
        assert_string_equal(error, "a JSON file without a \"keys\" object: give Leapp's gpg-signatures.json");
        free(error);
        error = NULL;
        assert_int_equal(signer_parse_ids("{\"keys\": {", 10, &ids, &n, &error), -EBADMSG);
        assert_non_null(strstr(error, "not JSON"));
        free(error);
        error = NULL;
        assert_int_equal(signer_parse_ids("{\"keys\": {\"f4a80eb5\": []}}", 26, &ids, &n, &error), -EBADMSG);
        assert_string_equal(error, "name 1 of \"keys\" is not a key id of 16 hex digits");
        free(error);
        assert_int_equal(n, 0);
}

static void test_real_gpg_signatures(void **state) {
        _cleanup_free_ char *path = shared_fixture("leapp-data/oamg-leapp-repository/gpg-signatures.centos.json");
        _cleanup_free_ char *text = NULL, *error = NULL;
        char **ids = NULL;
        size_t n = 0, len = 0;

        if (!path)
                skip();
        text = read_text(path, &len);
        assert_int_equal(signer_parse_ids(text, len, &ids, &n, &error), 0);
        /* The four keys; not 8483c65d or 5ccc5b19 out of the names
         * gpg-pubkey-8483c65d-5ccc5b19 (5ccc5b19 is a date). */
        assert_int_equal(n, 4);
        assert_true(strv_contains(ids, n, "24c6a8a7f4a80eb5"));
        assert_true(strv_contains(ids, n, "4eb84e71f2ee9d55"));
        assert_true(strv_contains(ids, n, "05b555b38483c65d"));
        assert_true(strv_contains(ids, n, "1ff6a2171d997668"));
        assert_false(signer_is_source(ids, n, "5ccc5b19"));
        assert_true(signer_is_source(ids, n, "f4a80eb5")); /* CentOS 7's, as rpm -qi shows it */
        strv_free(ids, n);
}

static void test_key_file_ids(void **state) {
        _cleanup_free_ char *path = shared_fixture("keys/rpm.org-rsa-2048-test.pub");
        _cleanup_free_ char *redhat = shared_fixture("el/keys/RPM-GPG-KEY-redhat8-release");
        _cleanup_free_ char *text = NULL;
        char **ids = NULL;
        size_t n = 0, len = 0;

        if (!path || !redhat)
                skip();
        /* The key's id, as gpg --show-keys shows it; its one subkey
         * (185e6146f00650f8) is for encryption, and librpm takes none. */
        text = read_text(path, &len);
        signer_key_file_ids(text, &ids, &n);
        assert_int_equal(n, 1);
        assert_string_equal(ids[0], "4344591e1964c5fc");
        free(text);
        text = NULL;
        /* Red Hat's file holds two keys; librpm reads the first, the
         * release key that signs RHEL 7 and 8. */
        text = read_text(redhat, &len);
        signer_key_file_ids(text, &ids, &n);
        assert_int_equal(n, 2);
        assert_string_equal(ids[1], "199e2f91fd431d51");
        /* Not a key: nothing. */
        signer_key_file_ids("24c6a8a7f4a80eb5\n", &ids, &n);
        assert_int_equal(n, 2);
        strv_free(ids, n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_ids),
                cmocka_unit_test(test_real_gpg_signatures),
                cmocka_unit_test(test_key_file_ids),
        };
        return cmocka_run_group_tests_name("signer", tests, NULL, NULL);
}
