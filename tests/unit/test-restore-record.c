/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The restore record's module streams (host-prep/restore-record.c): what
 * stage may write and restore acts on, a file name made from each; what
 * else a record says is refused whole.
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

#include "restore-record.h"

static void test_module_valid(void **state) {
        assert_true(restore_module_valid("tool:2"));
        assert_true(restore_module_valid("perl-DBD-SQLite:1.58"));
        assert_true(restore_module_valid("python27:2.7"));
        assert_true(restore_module_valid("gcc-toolset_12+x:rhel8"));
        assert_false(restore_module_valid("tool"));
        assert_false(restore_module_valid(":2"));
        assert_false(restore_module_valid("tool:"));
        assert_false(restore_module_valid("tool:2:3"));
        assert_false(restore_module_valid("../x:2"));
        assert_false(restore_module_valid("a/b:2"));
        assert_false(restore_module_valid(".hidden:2"));
        assert_false(restore_module_valid("-x:2"));
        assert_false(restore_module_valid("x:-2"));
        assert_false(restore_module_valid("x y:2"));
        assert_false(restore_module_valid("x:2\n"));
}

static int parse(const char *text, struct restore_record *r) {
        return restore_record_parse(text, strlen(text), r);
}

static void test_parse_modules(void **state) {
        static struct restore_record r;
        char *many = NULL;
        size_t len = 0;
        FILE *out;

        assert_int_equal(parse("selinux=\nsource-backend=bdb\ntarget-backend=bdb\nmodule=tool:2\nmodule=libmod:b\n", &r),
                         0);
        assert_int_equal(r.n_modules, 2);
        assert_string_equal(r.modules[0], "tool:2");
        assert_string_equal(r.modules[1], "libmod:b");
        /* A record without modules (stage before them) has none. */
        assert_int_equal(parse("selinux=enforcing\nsource-backend=bdb\ntarget-backend=bdb\n", &r), 0);
        assert_int_equal(r.n_modules, 0);
        assert_int_equal(parse("selinux=\nmodule=../../etc/passwd:x\n", &r), -EBADMSG);
        assert_int_equal(parse("selinux=\nmodule=tool\n", &r), -EBADMSG);

        assert_non_null(out = open_memstream(&many, &len));
        for (int i = 0; i <= RESTORE_MODULES_MAX; i++)
                fprintf(out, "module=m%d:1\n", i);
        fclose(out);
        assert_int_equal(parse(many, &r), -EBADMSG);
        free(many);
}

static int trial(const char *text, struct kernel_trial *t) {
        return kernel_trial_parse(text, strlen(text), t);
}

/* The new kernel's trial boot: what restore writes reads back, nothing
 * else does. */
static void test_kernel_trial(void **state) {
        struct kernel_trial t;

        (void) state;
        assert_int_equal(trial("kernel=6.1.0-57-cloud-amd64\nentry=0e2e-6.1.0-57-cloud-amd64\n"
                               "old-kernel=6.1.0-18-amd64\nresult=pending\n", &t), 0);
        assert_int_equal(t.result, KERNEL_TRIAL_PENDING);
        assert_string_equal(t.kernel, "6.1.0-57-cloud-amd64");
        assert_string_equal(t.entry, "0e2e-6.1.0-57-cloud-amd64");
        assert_string_equal(t.old_kernel, "6.1.0-18-amd64");
        assert_string_equal(t.booted, "");
        assert_int_equal(trial("kernel=a\nentry=b\nold-kernel=c\nresult=failed\nbooted=c\n", &t), 0);
        assert_int_equal(t.result, KERNEL_TRIAL_FAILED);
        assert_string_equal(t.booted, "c");
        /* A failed trial names the kernel that came up; a pending one none. */
        assert_int_equal(trial("kernel=a\nentry=b\nold-kernel=c\nresult=failed\n", &t), -EBADMSG);
        assert_int_equal(trial("kernel=a\nentry=b\nold-kernel=c\nresult=pending\nbooted=c\n", &t), -EBADMSG);
        assert_int_equal(trial("kernel=a\nentry=b\nold-kernel=c\nresult=done\n", &t), -EBADMSG);
        assert_int_equal(trial("kernel=a\nentry=b\nresult=pending\n", &t), -EBADMSG);
        assert_int_equal(trial("kernel=a\\nb\nentry=b\nold-kernel=c\nresult=pending\n", &t), -EBADMSG);
        assert_int_equal(trial("kernel a\n", &t), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_module_valid),
                cmocka_unit_test(test_parse_modules),
                cmocka_unit_test(test_kernel_trial),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
