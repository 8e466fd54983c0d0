/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verdicts on installed packages (host-prep/verdict.c): what each
 * reason may explain, the signature classes, the text report's counts
 * and its list of kept foreign packages, and the JSON.
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

#include "json.h"
#include "verdict.h"

/* A small system: every verdict kind once or twice. */
static void fill(struct verdicts *x) {
        verdict_set(verdicts_add(x, "bash-4.2.46-34.el7.x86_64", "bash", "24c6a8a7f4a80eb5"), VERDICT_MOVE,
                    VERDICT_NAME, "bash-4.4.20-4.el8.x86_64", 0, 0);
        verdict_set(verdicts_add(x, "coreutils-8.22-24.el7.x86_64", "coreutils", "24c6a8a7f4a80eb5"),
                    VERDICT_MOVE, VERDICT_NAME, "coreutils-8.30-12.el8.x86_64", 0, 0);
        verdict_set(verdicts_add(x, "ntp-4.2.6p5-29.el7.x86_64", "ntp", "24c6a8a7f4a80eb5"), VERDICT_MOVE,
                    VERDICT_PES_EVENT, "chrony-4.1-1.el8.x86_64", 1234, 0);
        verdict_set(verdicts_add(x, "oldname-7.0-1.noarch", "oldname", NULL), VERDICT_MOVE, VERDICT_PACKAGE_MAP,
                    "newname-8.0-1.noarch", 0, 3);
        verdict_set(verdicts_add(x, "python-libs-2.7.5-89.el7.x86_64", "python-libs", "f4a80eb5"), VERDICT_MOVE,
                    VERDICT_OBSOLETES, "python2-libs-2.7.18-1.el8.x86_64", 0, 0);
        verdict_set(verdicts_add(x, "legacy-7.0-1.noarch", "legacy", NULL), VERDICT_ERASE, VERDICT_ERASE_OPTION,
                    NULL, 0, 0);
        verdict_set(verdicts_add(x, "gone-7.0-1.noarch", "gone", "24c6a8a7f4a80eb5"), VERDICT_ERASE,
                    VERDICT_PES_EVENT, NULL, 77, 0);
        verdicts_add(x, "vendor-app-3.1-1.x86_64", "vendor-app", "1964c5fc1964c5fc");
        verdicts_add(x, "homemade-1.0-1.noarch", "homemade", NULL);
        verdicts_add(x, "tzdata-2020a-1.el7.noarch", "tzdata", "f4a80eb5"); /* a short id */
        verdict_set(verdicts_add(x, "kernel-3.10.0-1160.el7.x86_64", "kernel", "24c6a8a7f4a80eb5"), VERDICT_KEEP,
                    VERDICT_INSTALL_ONLY, NULL, 0, 0);
        verdict_set(verdicts_add(x, "same-1.0-1.noarch", "same", "24c6a8a7f4a80eb5"), VERDICT_KEEP,
                    VERDICT_SAME_VERSION, NULL, 0, 0);
        verdicts_sort(x);
}

static void test_set_and_find(void **state) {
        struct verdicts x = {};
        struct verdict *v;

        fill(&x);
        assert_int_equal(x.n, 12);
        v = verdicts_find(&x, "ntp-4.2.6p5-29.el7.x86_64");
        assert_non_null(v);
        assert_int_equal(v->action, VERDICT_MOVE);
        assert_string_equal(verdict_reason_name(v->reason), "pes-event");
        assert_int_equal(v->event, 1234);
        assert_int_equal(v->map_line, 0);
        assert_string_equal(v->target, "chrony-4.1-1.el8.x86_64");
        v = verdicts_find(&x, "oldname-7.0-1.noarch");
        assert_int_equal(v->map_line, 3);
        assert_int_equal(v->event, 0);
        /* A second verdict replaces the first whole: no event left over. */
        verdict_set(v, VERDICT_ERASE, VERDICT_ALLOW_ERASING, NULL, 9, 9);
        assert_null(v->target);
        assert_int_equal(v->map_line, 0);
        assert_int_equal(v->event, 0);
        assert_null(verdicts_find(&x, "ntp-4.2.6p5-29.el7"));
        v = verdicts_find(&x, "homemade-1.0-1.noarch");
        assert_int_equal(v->action, VERDICT_KEEP);
        assert_string_equal(verdict_reason_name(v->reason), "not-in-target");
        assert_int_equal(verdicts_count(&x, VERDICT_MOVE, VERDICT_NAME), 2);
        assert_int_equal(verdicts_count(&x, VERDICT_ERASE, VERDICT_ALLOW_ERASING), 1);
        assert_string_equal(verdict_action_name(VERDICT_ERASE), "erase");
        assert_null(verdict_signature_name(VERDICT_SIGNATURE_UNKNOWN));
        verdicts_done(&x);
        assert_int_equal(x.n, 0);
}

static void test_classify(void **state) {
        char *ids[] = { "24c6a8a7f4a80eb5", "8483c65d" };
        struct verdicts x = {};

        fill(&x);
        verdicts_classify(&x, ids, 0);
        assert_int_equal(verdicts_find(&x, "homemade-1.0-1.noarch")->signature, VERDICT_SIGNATURE_UNKNOWN);
        assert_int_equal(verdicts_count_foreign_kept(&x), 0);
        verdicts_classify(&x, ids, 2);
        assert_int_equal(verdicts_find(&x, "bash-4.2.46-34.el7.x86_64")->signature, VERDICT_SIGNATURE_SOURCE);
        /* A short id matches a long one by its tail, either way round. */
        assert_int_equal(verdicts_find(&x, "tzdata-2020a-1.el7.noarch")->signature, VERDICT_SIGNATURE_SOURCE);
        assert_int_equal(verdicts_find(&x, "python-libs-2.7.5-89.el7.x86_64")->signature, VERDICT_SIGNATURE_SOURCE);
        assert_int_equal(verdicts_find(&x, "vendor-app-3.1-1.x86_64")->signature, VERDICT_SIGNATURE_OTHER);
        assert_int_equal(verdicts_find(&x, "homemade-1.0-1.noarch")->signature, VERDICT_SIGNATURE_UNSIGNED);
        assert_int_equal(verdicts_find(&x, "legacy-7.0-1.noarch")->signature, VERDICT_SIGNATURE_UNSIGNED);
        /* Foreign and kept: vendor-app and homemade; legacy is erased. */
        assert_int_equal(verdicts_count_foreign_kept(&x), 2);
        /* Unsigned, but the same in the target, or beside a new one: not
         * left behind. */
        verdicts_find(&x, "same-1.0-1.noarch")->key_id[0] = 'x';
        verdicts_classify(&x, ids, 2);
        assert_int_equal(verdicts_find(&x, "same-1.0-1.noarch")->signature, VERDICT_SIGNATURE_OTHER);
        assert_int_equal(verdicts_count_foreign_kept(&x), 2);
        verdicts_done(&x);
}

static char *text_of(const struct verdicts *x, bool all) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        verdicts_print_text(x, f, all);
        fclose(f);
        return buf;
}

static void test_text(void **state) {
        char *ids[] = { "24c6a8a7f4a80eb5" };
        struct verdicts x = {};
        char *t;

        fill(&x);
        verdicts_classify(&x, ids, 1);
        t = text_of(&x, false);
        assert_string_equal(t,
                            "packages: 12 installed: 5 move (2 by name, 1 by Obsoletes, 1 by PES event, 1 by "
                            "package map); 2 erase (1 by PES event, 1 by --erase); 5 keep (3 not in the target, 1 "
                            "the same in the target, 1 install-only)\n"
                            "kept, not in the target and not signed by the source distribution (2): they stay as "
                            "built for the old release\n"
                            "  homemade-1.0-1.noarch (unsigned)\n"
                            "  vendor-app-3.1-1.x86_64 (key 1964c5fc1964c5fc, third-party)\n");
        free(t);
        t = text_of(&x, true);
        assert_non_null(strstr(t, "\n  move  ntp-4.2.6p5-29.el7.x86_64 -> chrony-4.1-1.el8.x86_64 (by PES event 1234)\n"));
        assert_non_null(strstr(t, "\n  move  oldname-7.0-1.noarch -> newname-8.0-1.noarch (by package map line 3)\n"));
        assert_non_null(strstr(t, "\n  erase legacy-7.0-1.noarch (by --erase)\n"));
        assert_non_null(strstr(t, "\n  keep  tzdata-2020a-1.el7.noarch (not in the target; key f4a80eb5, the source "
                                  "distribution's)\n"));
        free(t);
        verdicts_done(&x);
        /* Nothing installed: no section. */
        t = text_of(&x, true);
        assert_string_equal(t, "");
        free(t);
}

static void test_json(void **state) {
        char *ids[] = { "24c6a8a7f4a80eb5" };
        struct verdicts x = {};
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        fill(&x);
        verdicts_classify(&x, ids, 1);
        verdicts_print_json(&x, f);
        fclose(f);
        assert_true(json_valid(buf, len));
        assert_non_null(strstr(buf, "{\"nevra\":\"ntp-4.2.6p5-29.el7.x86_64\",\"name\":\"ntp\",\"verdict\":\"move\","
                                    "\"target\":\"chrony-4.1-1.el8.x86_64\",\"reason\":\"pes-event\",\"event\":1234,"
                                    "\"map_line\":null,\"signature\":\"source\",\"key_id\":\"24c6a8a7f4a80eb5\"}"));
        assert_non_null(strstr(buf, "{\"nevra\":\"homemade-1.0-1.noarch\",\"name\":\"homemade\",\"verdict\":\"keep\","
                                    "\"target\":null,\"reason\":\"not-in-target\",\"event\":null,\"map_line\":null,"
                                    "\"signature\":\"unsigned\",\"key_id\":null}"));
        assert_non_null(strstr(buf, "\"reason\":\"package-map\",\"event\":null,\"map_line\":3,"));
        free(buf);
        verdicts_done(&x);
}

/* An epoch of 0: rpm's NEVRA shows it when the package states it,
 * libsolv's does not; both spellings find the verdict, and a target is
 * named as rpm names the candidate. */
static void test_zero_epoch(void **state) {
        struct verdicts x = {};

        verdicts_add(&x, "grub2-1:2.02-0.87.el7.x86_64", "grub2", NULL);
        verdicts_add(&x, "perl-Carp-0:1.26-244.el7.noarch", "perl-Carp", NULL);
        verdict_set(verdicts_add(&x, "dhclient-12:4.2.5-83.el7.x86_64", "dhclient", NULL), VERDICT_MOVE,
                    VERDICT_NAME, "dhcp-client-4.3.6-47.el8.x86_64", 0, 0);
        verdict_set(verdicts_add(&x, "tar-2:1.26-35.el7.x86_64", "tar", NULL), VERDICT_MOVE, VERDICT_NAME,
                    "tar-1.30-5.el8.x86_64", 0, 0);
        verdicts_add(&x, "zlib-1.2.7-18.el7.x86_64", "zlib", NULL);
        verdicts_sort(&x);

        assert_non_null(verdicts_find(&x, "perl-Carp-1.26-244.el7.noarch"));
        assert_string_equal(verdicts_find(&x, "perl-Carp-1.26-244.el7.noarch")->nevra,
                            "perl-Carp-0:1.26-244.el7.noarch");
        assert_non_null(verdicts_find(&x, "zlib-0:1.2.7-18.el7.x86_64"));
        assert_non_null(verdicts_find(&x, "grub2-1:2.02-0.87.el7.x86_64"));
        assert_null(verdicts_find(&x, "grub2-2.02-0.87.el7.x86_64")); /* epoch 1 is not 0 */
        assert_null(verdicts_find(&x, "grub2-0:2.02-0.87.el7.x86_64"));
        assert_null(verdicts_find(&x, "zlib"));

        verdicts_name_targets(&x, "dhcp-client-12:4.3.6-47.el8.x86_64"); /* not 0: left alone */
        verdicts_name_targets(&x, "tar-0:1.30-5.el8.x86_64");
        verdicts_name_targets(&x, "zlib-1.2.11-40.el8.x86_64");
        assert_string_equal(verdicts_find(&x, "dhclient-12:4.2.5-83.el7.x86_64")->target,
                            "dhcp-client-4.3.6-47.el8.x86_64");
        assert_string_equal(verdicts_find(&x, "tar-2:1.26-35.el7.x86_64")->target, "tar-0:1.30-5.el8.x86_64");
        verdicts_done(&x);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_and_find), cmocka_unit_test(test_classify),
                cmocka_unit_test(test_zero_epoch),
                cmocka_unit_test(test_text),         cmocka_unit_test(test_json),
        };
        return cmocka_run_group_tests_name("verdict", tests, NULL, NULL);
}
