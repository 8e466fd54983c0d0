/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The system checks without an rpmdb or target packages, on a fake root
 * with fake /proc and /sys below it (as with --root and no OSLIFT_PROC):
 * each fires on its input and stays quiet without it; and --accept:
 * validation, what it marks, what it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-root.h"

#include "accept.h"
#include "findings.h"
#include "strv.h"
#include "syscheck.h"

struct fixture {
        char root[FAKE_ROOT_SIZE];
        struct findings f;
        struct syscheck_context c;
};

static int setup(void **state) {
        static const char *const dirs[] = { "/proc/sys/crypto", "/sys/class/net", "/etc", NULL };
        struct fixture *x = calloc(1, sizeof(*x));

        assert_non_null(x);
        assert_int_equal(fake_root_make(x->root, "syschecks", dirs), 0);
        x->c = (struct syscheck_context) {
                .root = x->root, .proc = syscheck_path(x->root, "proc"), .sys = syscheck_path(x->root, "sys"),
                .findings = &x->f,
        };
        *state = x;
        return 0;
}

static int teardown(void **state) {
        struct fixture *x = *state;

        findings_done(&x->f);
        free(x->c.proc);
        free(x->c.sys);
        assert_int_equal(fake_root_remove(x->root), 0);
        free(x);
        return 0;
}

static void put(const struct fixture *x, const char *path, const void *data, size_t len) {
        char *dir = syscheck_path(x->root, path), *slash = strrchr(dir, '/');
        FILE *f;

        *slash = '\0';
        assert_int_equal(mkdir_in_root("/", dir, 0755), 0);
        *slash = '/';
        f = fopen(dir, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
        free(dir);
}
#define PUT(x, path, s) put(x, path, s, strlen(s))

/* The finding of this id and severity, or NULL. */
static const struct finding *find(const struct fixture *x, const char *id, enum severity s) {
        for (size_t i = 0; i < x->f.n; i++)
                if (strcmp(x->f.items[i].id, id) == 0 && x->f.items[i].severity == s)
                        return &x->f.items[i];
        return NULL;
}

static void run(struct fixture *x) {
        findings_done(&x->f);
        syschecks_run_context(&x->c);
}

static void test_empty_root_quiet(void **state) {
        struct fixture *x = *state;

        run(x);
        for (size_t i = 0; i < x->f.n; i++)
                assert_int_equal(x->f.items[i].severity, SEVERITY_INFO);
        assert_non_null(find(x, "memory", SEVERITY_INFO)); /* "could not look" */
}

static void test_memory(void **state) {
        struct fixture *x = *state;

        PUT(x, "/proc/meminfo", "MemTotal:  131072 kB\nMemFree: 1 kB\n");
        run(x);
        assert_non_null(find(x, "memory-low", SEVERITY_BLOCKER));
        assert_true(find(x, "memory-low", SEVERITY_BLOCKER)->acceptable);
        PUT(x, "/proc/meminfo", "MemTotal:  1048576 kB\n");
        run(x);
        assert_null(find(x, "memory-low", SEVERITY_BLOCKER));
}

static void test_fips(void **state) {
        struct fixture *x = *state;

        PUT(x, "/proc/sys/crypto/fips_enabled", "1\n");
        run(x);
        assert_non_null(find(x, "fips-enabled", SEVERITY_BLOCKER));
        PUT(x, "/proc/sys/crypto/fips_enabled", "0\n");
        run(x);
        assert_null(find(x, "fips-enabled", SEVERITY_BLOCKER));
}

static void test_secure_boot(void **state) {
        struct fixture *x = *state;
        const char *var = "/sys/" SECURE_BOOT_VAR;

        put(x, var, "\x06\0\0\0\x01", 5);
        run(x);
        assert_non_null(find(x, "secure-boot", SEVERITY_WARNING));
        /* The upgrade boot itself boots: the running kernel, signed. */
        assert_non_null(find(x, "secure-boot-upgrade-boot", SEVERITY_INFO));
        assert_non_null(strstr(find(x, "secure-boot-upgrade-boot", SEVERITY_INFO)->title, "running kernel"));
        assert_null(find(x, "secure-boot-target-kernel", SEVERITY_WARNING)); /* no kernel in the target */
        put(x, var, "\x06\0\0\0\0", 5);
        run(x);
        assert_null(find(x, "secure-boot", SEVERITY_WARNING));
        assert_null(find(x, "secure-boot-upgrade-boot", SEVERITY_INFO));
        put(x, var, "\x06", 1); /* truncated: not looked at */
        run(x);
        assert_null(find(x, "secure-boot", SEVERITY_WARNING));
}

/* A PE32+ (PE32 with pe32) image's first page, its certificate table of
 * cert_size bytes. */
static void make_pe(unsigned char *p, size_t len, bool pe32, uint32_t cert_size) {
        size_t opt = 0x80 + 24, dirs = opt + (pe32 ? 96 : 112);

        memset(p, 0, len);
        p[0] = 'M', p[1] = 'Z';
        p[0x3c] = 0x80;
        memcpy(p + 0x80, "PE\0\0", 4);
        p[opt] = 0x0b, p[opt + 1] = pe32 ? 0x01 : 0x02;
        p[opt + (pe32 ? 92 : 108)] = 16;
        memcpy(p + dirs + 4 * 8 + 4, &(uint32_t) { cert_size }, 4); /* little-endian here */
}

static void test_pe_signature(void **state) {
        unsigned char page[4096];

        make_pe(page, sizeof(page), false, 0x2000);
        assert_int_equal(syscheck_pe_signature(page, sizeof(page)), PE_SIGNED);
        make_pe(page, sizeof(page), true, 0x2000);
        assert_int_equal(syscheck_pe_signature(page, sizeof(page)), PE_SIGNED);
        make_pe(page, sizeof(page), false, 0);
        assert_int_equal(syscheck_pe_signature(page, sizeof(page)), PE_UNSIGNED);
        page[0x80 + 24 + 108] = 4; /* no certificate table entry at all */
        assert_int_equal(syscheck_pe_signature(page, sizeof(page)), PE_UNSIGNED);
        make_pe(page, sizeof(page), false, 0x2000);
        assert_int_equal(syscheck_pe_signature(page, 0x100), PE_NOT_PE); /* cut before the directories */
        page[0x3c] = 0xff, page[0x3d] = 0xff; /* e_lfanew beyond what was read */
        assert_int_equal(syscheck_pe_signature(page, sizeof(page)), PE_NOT_PE);
        assert_int_equal(syscheck_pe_signature((const unsigned char *) "kernel\n", 7), PE_NOT_PE);
        memcpy(page, "\x7f" "ELF", 4);
        assert_int_equal(syscheck_pe_signature(page, sizeof(page)), PE_NOT_PE);

        assert_true(syscheck_is_kernel_image("/boot/vmlinuz-3.10.0-1160.el7.x86_64"));
        assert_true(syscheck_is_kernel_image("/lib/modules/5.14.0-362.el9.x86_64/vmlinuz"));
        assert_false(syscheck_is_kernel_image("/boot/vmlinuz-x/y"));
        assert_false(syscheck_is_kernel_image("/boot/.vmlinuz-3.10.0.hmac"));
        assert_false(syscheck_is_kernel_image("/lib/modules/5.14.0/vmlinuz.hmac"));
}

static void test_network_names(void **state) {
        struct fixture *x = *state;

        PUT(x, "/sys/class/net/eth1/device/vendor", "0x8086\n");
        PUT(x, "/sys/class/net/eth10/address", "x\n"); /* virtual */
        PUT(x, "/sys/class/net/enp1s0/device/vendor", "0x8086\n");
        run(x);
        assert_non_null(find(x, "network-interface-names", SEVERITY_WARNING));
        assert_string_equal(find(x, "network-interface-names", SEVERITY_WARNING)->subject, "eth1");
        assert_int_equal(findings_count(&x->f, SEVERITY_WARNING), 1);
        PUT(x, "/etc/udev/rules.d/70-persistent-net.rules",
            "SUBSYSTEM==\"net\", ATTR{address}==\"52:54:00:12:34:56\", NAME=\"eth1\"\n");
        run(x);
        assert_null(find(x, "network-interface-names", SEVERITY_WARNING));
        {
                _cleanup_free_ char *rules = syscheck_path(x->root, "etc/udev/rules.d/70-persistent-net.rules");
                assert_int_equal(unlink(rules), 0);
        }
        PUT(x, "/proc/cmdline", "ro net.ifnames=0 quiet\n");
        run(x);
        assert_null(find(x, "network-interface-names", SEVERITY_WARNING));
        PUT(x, "/proc/cmdline", "ro xnet.ifnames=0 quiet\n");
        run(x);
        assert_non_null(find(x, "network-interface-names", SEVERITY_WARNING));
}

static void test_selinux(void **state) {
        struct fixture *x = *state;

        PUT(x, "/etc/selinux/config", "# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n");
        run(x);
        assert_string_equal(find(x, "selinux-relabel", SEVERITY_WARNING)->subject, "enforcing");
        assert_null(find(x, "selinux-policy", SEVERITY_WARNING));
        PUT(x, "/etc/selinux/config", "SELINUX=disabled\nSELINUXTYPE='mine'\n");
        run(x);
        assert_null(find(x, "selinux-relabel", SEVERITY_WARNING));
        assert_string_equal(find(x, "selinux-policy", SEVERITY_WARNING)->subject, "mine");
}

static void test_fstab(void **state) {
        struct fixture *x = *state;

        PUT(x, "/etc/fstab", "# fstab\nUUID=1 / xfs defaults 0 0\n"
                             "fs:/home /home nfs4 _netdev 0 0\n"
                             "//srv/x /srv/x cifs ro 0 0\n"
                             "/dev/sdb /tmp xfs nodev,noexec 0 0\n"
                             "/dev/sdc /data xfs noexec 0 0\n"
                             "/dev/sdd /usr xfs noexecx 0 0\n");
        run(x);
        assert_int_equal(findings_count(&x->f, SEVERITY_WARNING), 3); /* /home, /srv/x, /tmp */
        assert_string_equal(find(x, "noexec-mount", SEVERITY_WARNING)->subject, "/tmp");
        assert_null(find(x, "noexec-mount", SEVERITY_BLOCKER));
        assert_null(find(x, "network-mount-written", SEVERITY_BLOCKER)); /* no targets */
}

static void test_storage_md(void **state) {
        struct fixture *x = *state;
        char link[PATH_MAX * 2], target[PATH_MAX * 2];

        PUT(x, "/proc/mounts", "/dev/md127 / xfs rw 0 0\n");
        PUT(x, "/sys/devices/virtual/block/md127/md/level", "raid1\n");
        PUT(x, "/sys/devices/virtual/block/md127/slaves/.keep", "");
        snprintf(link, sizeof(link), "%s/sys/class/block/md127", x->root);
        snprintf(target, sizeof(target), "%s/sys/devices/virtual/block/md127", x->root);
        assert_int_equal(mkdir_in_root(x->root, "/sys/class/block", 0755), 0);
        assert_int_equal(symlink(target, link), 0);
        run(x);
        assert_non_null(find(x, "storage-unassemblable", SEVERITY_BLOCKER));
        assert_false(find(x, "storage-unassemblable", SEVERITY_BLOCKER)->acceptable);
        assert_non_null(strstr(find(x, "storage-stack", SEVERITY_INFO)->title, "md127 (MD RAID)"));
        PUT(x, "/usr/sbin/mdadm", "");
        run(x);
        assert_null(find(x, "storage-unassemblable", SEVERITY_BLOCKER));
}

static void test_accept(void **state) {
        struct fixture *x = *state;
        char *accepts[] = { (char *) "fips-enabled", (char *) "secure-boot:x", (char *) "kernel-not-newest" };

        assert_int_equal(accept_validate("fips-enabled", "--accept"), 0);
        assert_int_equal(accept_validate("kernel-module-missing:floppy", "--accept"), 0);
        assert_int_equal(accept_validate("Fips", "--accept"), -EINVAL);
        assert_int_equal(accept_validate("fips-enabled:", "--accept"), -EINVAL);
        assert_int_equal(accept_validate(":x", "--accept"), -EINVAL);
        assert_int_equal(accept_validate("root-driver-missing:ahci", "--accept"), -EPERM);
        assert_int_equal(accept_validate("disk-space", "--accept"), -EPERM);

        PUT(x, "/proc/sys/crypto/fips_enabled", "1\n");
        put(x, "/sys/" SECURE_BOOT_VAR, "\x06\0\0\0\x01", 5);
        run(x);
        findings_add(&x->f, SEVERITY_BLOCKER, "disk-space", "m", "a", "t");
        accept_mark(&x->f, accepts, ELEMENTSOF(accepts));
        accept_note_unused(&x->f, accepts, ELEMENTSOF(accepts));
        assert_true(find(x, "fips-enabled", SEVERITY_BLOCKER)->accepted);
        assert_false(find(x, "secure-boot", SEVERITY_WARNING)->accepted); /* no subject "x" */
        assert_false(find(x, "disk-space", SEVERITY_BLOCKER)->accepted);
        assert_int_equal(findings_count(&x->f, SEVERITY_BLOCKER), 1);
        assert_int_equal(findings_count_accepted(&x->f), 1);
        assert_int_equal(findings_count(&x->f, SEVERITY_INFO) >= 2, 1); /* two unused */
}

static void test_accept_file(void **state) {
        struct fixture *x = *state;
        char **v = NULL;
        size_t n = 0;
        char *path = syscheck_path(x->root, "etc/accepted");

        PUT(x, "/etc/accepted", "# decided 2026-12-01\n  fips-enabled  # later\n\nsecure-boot\r\n");
        assert_int_equal(accept_read_file(path, &v, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(v[0], "fips-enabled");
        assert_string_equal(v[1], "secure-boot");
        strv_free(v, n);
        v = NULL, n = 0;
        PUT(x, "/etc/accepted", "fips-enabled\nfile-conflict\n");
        assert_int_equal(accept_read_file(path, &v, &n), -EPERM);
        strv_free(v, n);
        v = NULL, n = 0;
        put(x, "/etc/accepted", "fips\0enabled\n", 13);
        assert_int_equal(accept_read_file(path, &v, &n), -EINVAL);
        strv_free(v, n);
        free(path);
}

/* syscheck_read: the first MiB of a larger file, NUL-terminated, and
 * its length; a directory or an absent file is an error. */
static void test_read(void **state) {
        struct fixture *x = *state;
        size_t big = (1u << 20) + 100;
        _cleanup_free_ char *data = malloc(big);
        char *text = NULL;

        assert_non_null(data);
        memset(data, 'a', big);
        put(x, "/etc/big", data, big);
        assert_int_equal(syscheck_read(x->root, "etc/big", &text), 1 << 20);
        assert_int_equal(strlen(text), 1 << 20);
        free(text);
        PUT(x, "/etc/small", "one\ntwo\n");
        assert_int_equal(syscheck_read(x->root, "/etc/small", &text), 8);
        assert_string_equal(text, "one\ntwo\n");
        free(text);
        assert_true(syscheck_read(x->root, "etc", &text) < 0);
        assert_int_equal(syscheck_read(x->root, "etc/absent", &text), -ENOENT);
}

static void test_env_value(void **state) {
        _cleanup_free_ char *a = syscheck_env_value("NAME=\"CentOS Linux\"\nID=centos\n  VERSION_ID='7'\n", "VERSION_ID");
        _cleanup_free_ char *b = syscheck_env_value("IDX=1\nID=centos\n", "ID");
        _cleanup_free_ char *c = syscheck_env_value("ID=\n", "NAME");

        assert_string_equal(a, "7");
        assert_string_equal(b, "centos");
        assert_null(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_empty_root_quiet, setup, teardown),
                cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fips, setup, teardown),
                cmocka_unit_test_setup_teardown(test_secure_boot, setup, teardown),
                cmocka_unit_test(test_pe_signature),
                cmocka_unit_test_setup_teardown(test_network_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_selinux, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fstab, setup, teardown),
                cmocka_unit_test_setup_teardown(test_storage_md, setup, teardown),
                cmocka_unit_test_setup_teardown(test_accept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_accept_file, setup, teardown),
                cmocka_unit_test(test_env_value),
                cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
