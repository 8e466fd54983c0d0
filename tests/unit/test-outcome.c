/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The outcome file: what the upgrader writes, restore reads back, the
 * failed elements of an applied-with-problems upgrade included; a failed
 * line that is not "NEVRA KEPT REASON" is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-root.h"
#include "macro.h"
#include "outcome.h"
#include "paths.h"

static void test_round_trip(void **state) {
        static const char *const dirs[] = { OSLIFT_STATE_DIR, NULL };
        char root[FAKE_ROOT_SIZE];
        struct upgrade_outcome o = { .installed = 10, .erased = 9, .seconds = 1.5 }, back;

        assert_int_equal(fake_root_make(root, "outcome", dirs), 0);
        snprintf(o.result, sizeof(o.result), OUTCOME_RESULT_APPLIED_WITH_PROBLEMS);
        assert_int_equal(upgrade_outcome_add_failure(&o, "a-8-1.noarch", "a-7-1.noarch",
                                                     "%prein(a-8-1.noarch) scriptlet failed, exit status 2"),
                         0);
        assert_int_equal(upgrade_outcome_add_failure(&o, "new-8-1.noarch", NULL, "line one\nline two"), 0);
        assert_int_equal(upgrade_outcome_add_failure(&o, "b c", "-", "x"), -EINVAL);
        assert_int_equal(upgrade_outcome_add_failure(&o, "b", "x y", "x"), -EINVAL);
        assert_int_equal(o.n_failures, 2);
        assert_int_equal(upgrade_outcome_write(root, &o), 0);

        assert_int_equal(upgrade_outcome_read(root, &back), 0);
        assert_string_equal(back.result, "applied-with-problems");
        assert_int_equal(back.installed, 10);
        assert_int_equal(back.n_failures, 2);
        assert_string_equal(back.failures[0].nevra, "a-8-1.noarch");
        assert_string_equal(back.failures[0].kept, "a-7-1.noarch");
        assert_string_equal(back.failures[0].reason, "%prein(a-8-1.noarch) scriptlet failed, exit status 2");
        assert_string_equal(back.failures[1].kept, "-");
        assert_string_equal(back.failures[1].reason, "line one"); /* one line in the file */
        upgrade_outcome_done(&back);
        upgrade_outcome_done(&o);
        assert_int_equal(fake_root_remove(root), 0);
}

static void test_bad_failed_lines(void **state) {
        static const char *const bad[] = {
                "result applied-with-problems\nfailed\n",
                "result applied-with-problems\nfailed onlynevra\n",
                "result applied-with-problems\nfailed a  reason\n",
        };
        static const char good[] = "result applied-with-problems\nfailed a-1-1.noarch - \n";
        struct upgrade_outcome o;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(upgrade_outcome_parse(bad[i], strlen(bad[i]), &o), -EBADMSG);
        assert_int_equal(upgrade_outcome_parse(good, strlen(good), &o), 0);
        assert_int_equal(o.n_failures, 1);
        assert_string_equal(o.failures[0].reason, "");
        upgrade_outcome_done(&o);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_bad_failed_lines),
        };
        return cmocka_run_group_tests_name("outcome", tests, NULL, NULL);
}
