/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The upgrade boot's LVM activation: which lvm binary is found, that it
 * runs once with vgchange -ay when a device does not appear, and what it
 * says on the console (a stand-in lvm: a shell script that records its
 * arguments). */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device-wait.h"
#include "fake-root.h"
#include "log.h"
#include "lvm.h"

/* Every message logged at info level or above, one a line. */
static char console[8192];

static void sink(enum log_level level, const char *line, void *userdata) {
        size_t n = strlen(console);

        (void) userdata;
        if (level <= LOG_LEVEL_INFO)
                snprintf(console + n, sizeof(console) - n, "%s\n", line);
}

struct fx {
        char root[FAKE_ROOT_SIZE];
};

static int setup(void **state) {
        static const char *const dirs[] = { "/usr/sbin", "/sbin", NULL };
        struct fx *fx = calloc(1, sizeof(*fx));

        if (!fx || fake_root_make(fx->root, "lvm", dirs) < 0)
                return -1;
        console[0] = '\0';
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fx *fx = *state;
        int r = fake_root_remove(fx->root);

        free(fx);
        return r;
}

/* A stand-in lvm at path (inside root): appends its arguments to
 * ROOT/ran, prints a line as vgchange does, exits with status. */
static void fake_lvm(const char *root, const char *path, int status, mode_t mode) {
        char file[256];
        FILE *f;

        snprintf(file, sizeof(file), "%s%s", root, path);
        f = fopen(file, "w");
        assert_non_null(f);
        fprintf(f, "#!/bin/sh\necho \"$*\" >>'%s/ran'\n"
                   "echo '  1 logical volume(s) in volume group \"data\" now active'\nexit %d\n",
                root, status);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(file, mode), 0);
}

static char *ran(const char *root) {
        static char buf[512];
        char file[256];
        FILE *f;
        size_t n;

        snprintf(file, sizeof(file), "%s/ran", root);
        f = fopen(file, "r");
        if (!f)
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static void test_find(void **state) {
        struct fx *fx = *state;
        char expected[256];
        char *lvm = NULL;

        assert_int_equal(lvm_find(fx->root, &lvm), -ENOENT);
        /* Not executable: not an lvm to run. */
        fake_lvm(fx->root, "/sbin/lvm", 0, 0644);
        assert_int_equal(lvm_find(fx->root, &lvm), -ENOENT);
        fake_lvm(fx->root, "/sbin/lvm", 0, 0755);
        assert_int_equal(lvm_find(fx->root, &lvm), 0);
        snprintf(expected, sizeof(expected), "%s/sbin/lvm", fx->root);
        assert_string_equal(lvm, expected);
        free(lvm);
        /* /usr/sbin first (EL 8-9; EL 7's /sbin is a link to it). */
        fake_lvm(fx->root, "/usr/sbin/lvm", 0, 0755);
        assert_int_equal(lvm_find(fx->root, &lvm), 0);
        snprintf(expected, sizeof(expected), "%s/usr/sbin/lvm", fx->root);
        assert_string_equal(lvm, expected);
        free(lvm);
}

static void test_activates_once(void **state) {
        struct fx *fx = *state;
        bool tried = false;
        char *dev = NULL;

        fake_lvm(fx->root, "/usr/sbin/lvm", 0, 0755);
        assert_int_equal(device_wait_activating(fx->root, "/dev/mapper/oslift-no-such-lv", 0, &tried, &dev), -ENODEV);
        assert_null(dev);
        assert_true(tried);
        assert_string_equal(ran(fx->root), "vgchange -ay --sysinit\n");
        assert_non_null(strstr(console, "/dev/mapper/oslift-no-such-lv has not appeared within 0 s: "
                                        "activating every LVM volume group"));
        /* lvm's own output on the console, and the outcome. */
        assert_non_null(strstr(console, "lvm:   1 logical volume(s) in volume group \"data\" now active\n"));
        assert_non_null(strstr(console, "activated the LVM volume groups in "));

        /* Once per boot: the next missing device is only waited for. */
        console[0] = '\0';
        assert_int_equal(device_wait_activating(fx->root, "UUID=0e2e0e2e-dead-4bad-8000-0000000000a1", 0, &tried, &dev),
                         -ENODEV);
        assert_string_equal(ran(fx->root), "vgchange -ay --sysinit\n");
        assert_null(strstr(console, "activating"));
}

static void test_lvm_fails(void **state) {
        struct fx *fx = *state;
        bool tried = false;
        char *dev = NULL;

        fake_lvm(fx->root, "/sbin/lvm", 5, 0755);
        assert_int_equal(device_wait_activating(fx->root, "/dev/mapper/oslift-no-such-lv", 0, &tried, &dev), -ENODEV);
        assert_true(tried);
        assert_string_equal(ran(fx->root), "vgchange -ay --sysinit\n");
        assert_non_null(strstr(console, "failed with exit status 5"));
        assert_non_null(strstr(console, "activating the LVM volume groups failed"));
        assert_null(strstr(console, "activated the LVM volume groups in "));
}

static void test_no_lvm(void **state) {
        struct fx *fx = *state;
        bool tried = false;
        char *dev = NULL;

        /* No lvm in the initramfs (a system without LVM): only the wait. */
        assert_int_equal(device_wait_activating(fx->root, "/dev/mapper/oslift-no-such-lv", 0, &tried, &dev), -ENODEV);
        assert_false(tried);
        assert_null(ran(fx->root));
        assert_null(strstr(console, "LVM"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_find, setup, teardown),
                cmocka_unit_test_setup_teardown(test_activates_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lvm_fails, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_lvm, setup, teardown),
        };

        log_set_quiet(true);
        log_add_sink(sink, NULL);
        return cmocka_run_group_tests_name("lvm", tests, NULL, NULL);
}
