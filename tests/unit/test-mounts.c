/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the upgrade initramfs mounts, decided without mounting anything:
 * which fstab entries, in which order, why the others are left out; and
 * paths inside the root resolved without escaping it. */
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

#include "mounts.h"
#include "macro.h"

static void parse_text(const char *text, struct fstab *t) {
        FILE *f = fmemopen((void *) text, strlen(text), "r");

        assert_non_null(f);
        assert_int_equal(fstab_parse(f, "fstab", t), 0);
        fclose(f);
}

/* The mount points in the order they would be mounted, joined by ' '. */
static void order_of(const struct fstab *t, char *out, size_t size) {
        size_t o = 0;

        out[0] = '\0';
        for (size_t k = 0; k < t->n_order; k++) {
                const struct fstab_entry *e = &t->entries[t->order[k]];

                assert_int_equal(e->verdict, FSTAB_MOUNT);
                o += (size_t) snprintf(out + o, size - o, "%s%s", k ? " " : "", e->target);
                assert_true(o < size);
        }
}

static const struct fstab_entry *entry(const struct fstab *t, const char *target) {
        for (size_t i = 0; i < t->n_entries; i++)
                if (strcmp(t->entries[i].target, target) == 0)
                        return &t->entries[i];
        fail_msg("no entry for %s", target);
        return NULL;
}

static void test_typical_el8(void **state) {
        static const char text[] =
                "#\n"
                "# /etc/fstab\n"
                "# Created by anaconda on Tue Mar  7 10:00:00 2023\n"
                "#\n"
                "/dev/mapper/cl-root     /                       xfs     defaults        0 0\n"
                "UUID=2b9c0a44-6d2e-4d3b-9d3f-0d5c8a8d1e21 /boot  xfs     defaults        0 0\n"
                "UUID=7A3B-1C2D          /boot/efi               vfat    umask=0077,shortname=winnt 0 2\n"
                "/dev/mapper/cl-home     /home                   xfs     defaults        0 0\n"
                "/dev/mapper/cl-var      /var                    xfs     defaults,nofail 0 0\n"
                "/dev/mapper/cl-swap     none                    swap    defaults        0 0\n"
                "tmpfs                   /tmp                    tmpfs   defaults,size=2G 0 0\n"
                "nas:/export/data        /mnt/data               nfs4    defaults,_netdev 0 0\n";
        struct fstab t;
        char order[512];

        parse_text(text, &t);
        assert_int_equal(t.n_entries, 8);
        assert_int_equal(t.n_bad_lines, 0);
        order_of(&t, order, sizeof(order));
        assert_string_equal(order, "/boot /boot/efi /home /var");

        assert_int_equal(entry(&t, "/")->verdict, FSTAB_SKIP_ROOT);
        assert_int_equal(t.entries[5].verdict, FSTAB_SKIP_SWAP);
        assert_int_equal(entry(&t, "/tmp")->verdict, FSTAB_SKIP_PSEUDO);
        assert_int_equal(entry(&t, "/mnt/data")->verdict, FSTAB_SKIP_NETWORK);

        assert_string_equal(entry(&t, "/boot")->source, "UUID=2b9c0a44-6d2e-4d3b-9d3f-0d5c8a8d1e21");
        assert_string_equal(entry(&t, "/boot")->fstype, "xfs");
        assert_string_equal(entry(&t, "/boot/efi")->options, "umask=0077,shortname=winnt");
        assert_false(entry(&t, "/boot")->nofail);
        assert_true(entry(&t, "/boot")->required);
        /* nofail, but the upgrade writes to /var. */
        assert_true(entry(&t, "/var")->nofail);
        assert_true(entry(&t, "/var")->required);
        fstab_done(&t);
}

static void test_skip_reasons(void **state) {
        static const struct {
                const char *line;
                enum fstab_verdict want;
        } cases[] = {
                { "/dev/sdb1 /data ext4 defaults 0 2", FSTAB_MOUNT },
                { "/dev/sdb1 /data auto defaults 0 2", FSTAB_MOUNT },
                { "LABEL=data /data xfs nofail,x-systemd.device-timeout=5 0 0", FSTAB_MOUNT },
                { "/dev/sdb1 /data ext4 ro 0 2", FSTAB_MOUNT },
                { "/dev/sdb1 /data ext4 noauto,x-systemd.automount 0 2", FSTAB_SKIP_NOAUTO },
                { "/dev/sdb1 /data ext4 x-systemd.automount 0 2", FSTAB_MOUNT },
                { "/dev/sdc1 swap swap defaults 0 0", FSTAB_SKIP_SWAP },
                { "/swapfile none swap sw 0 0", FSTAB_SKIP_SWAP },
                { "/dev/sdc1 none swap noauto 0 0", FSTAB_SKIP_SWAP },
                { "UUID=r / ext4 defaults 1 1", FSTAB_SKIP_ROOT },
                { "UUID=r // ext4 defaults 1 1", FSTAB_SKIP_ROOT },
                { "/srv/a /srv/b none bind 0 0", FSTAB_SKIP_BIND },
                { "/srv/a /srv/b none rbind,ro 0 0", FSTAB_SKIP_BIND },
                { "/srv/a /srv/b auto defaults,bind 0 0", FSTAB_SKIP_BIND },
                { "server:/export /mnt nfs defaults 0 0", FSTAB_SKIP_NETWORK },
                { "//server/share /mnt cifs credentials=/root/c 0 0", FSTAB_SKIP_NETWORK },
                { "/dev/sdd1 /iscsi xfs _netdev 0 0", FSTAB_SKIP_NETWORK },
                { "sshfs#u@h:/ /s fuse.sshfs defaults 0 0", FSTAB_SKIP_NETWORK },
                { "/dev/sde1 /win fuseblk defaults 0 0", FSTAB_SKIP_FUSE },
                { "none /f fuse defaults 0 0", FSTAB_SKIP_FUSE },
                { "tmpfs /tmp tmpfs defaults 0 0", FSTAB_SKIP_PSEUDO },
                { "proc /proc proc defaults 0 0", FSTAB_SKIP_PSEUDO },
                { "devpts /dev/pts devpts gid=5,mode=620 0 0", FSTAB_SKIP_PSEUDO },
                { "sysfs /sys sysfs defaults 0 0", FSTAB_SKIP_PSEUDO },
                { "overlay /o overlay lowerdir=/a,upperdir=/b,workdir=/c 0 0", FSTAB_SKIP_PSEUDO },
                { "/dev/sdf1 /run/media ext4 defaults 0 0", FSTAB_SKIP_API },
                { "/dev/sdf1 /dev/foo ext4 defaults 0 0", FSTAB_SKIP_API },
                { "/dev/sdf1 /sys ext4 defaults 0 0", FSTAB_SKIP_API },
                { "/dev/sdf1 /proc/x ext4 defaults 0 0", FSTAB_SKIP_API },
                { "/dev/sdf1 /runner ext4 defaults 0 0", FSTAB_MOUNT },
                { "/dev/sdf1 /devel ext4 defaults 0 0", FSTAB_MOUNT },
                { "/dev/sdq relative ext4 defaults 0 0", FSTAB_SKIP_BAD_TARGET },
                { "/dev/sdq none ext4 defaults 0 0", FSTAB_SKIP_BAD_TARGET },
                { "/dev/sdq /a/../etc ext4 defaults 0 0", FSTAB_SKIP_BAD_TARGET },
                { "/dev/sdq /.. ext4 defaults 0 0", FSTAB_SKIP_BAD_TARGET },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct fstab t;

                parse_text(cases[i].line, &t);
                assert_int_equal(t.n_entries, 1);
                if (t.entries[0].verdict != cases[i].want)
                        fail_msg("case %zu: \"%s\" is \"%s\", want \"%s\"", i, cases[i].line,
                                 fstab_verdict_reason(t.entries[0].verdict), fstab_verdict_reason(cases[i].want));
                assert_int_equal(t.n_order, cases[i].want == FSTAB_MOUNT ? 1 : 0);
                fstab_done(&t);
        }
}

static void test_required(void **state) {
        static const struct {
                const char *line;
                bool required;
        } cases[] = {
                { "/dev/a /data ext4 defaults", true },
                { "/dev/a /data ext4 nofail", false },
                { "/dev/a /data ext4 defaults,nofail,x-systemd.device-timeout=1", false },
                { "/dev/a /boot xfs nofail", true },
                { "/dev/a /boot/efi vfat nofail", true },
                { "/dev/a /usr xfs nofail", true },
                { "/dev/a /var xfs nofail", true },
                { "/dev/a /var/ xfs nofail", true },
                { "/dev/a /etc xfs nofail", true },
                { "/dev/a /var/log xfs nofail", false },
                { "/dev/a /usr/local xfs nofail", false },
                { "/dev/a /boot2 xfs nofail", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct fstab t;

                parse_text(cases[i].line, &t);
                assert_int_equal(t.n_entries, 1);
                if (t.entries[0].required != cases[i].required)
                        fail_msg("case %zu: \"%s\": required=%d", i, cases[i].line, t.entries[0].required);
                fstab_done(&t);
        }
}

static void test_parents_before_children(void **state) {
        static const struct {
                const char *text, *want;
        } cases[] = {
                /* File order where it is right... */
                { "a /var ext4 defaults\nb /var/log ext4 defaults\n", "/var /var/log" },
                /* ...and a child written before its parent waits for it,
                 * while unrelated entries keep their place. */
                { "b /var/log ext4 defaults\nc /home xfs defaults\na /var ext4 defaults\n", "/home /var /var/log" },
                { "c /a/b/c ext4 defaults\nb /a/b ext4 defaults\na /a ext4 defaults\n", "/a /a/b /a/b/c" },
                { "c /a/b/c ext4 defaults\nx /x ext4 defaults\na /a ext4 defaults\nb /a/b ext4 defaults\n",
                  "/x /a /a/b /a/b/c" },
                /* A prefix that is not a parent is no reason to wait. */
                { "a /var/lib2 ext4 defaults\nb /var/lib ext4 defaults\n", "/var/lib2 /var/lib" },
                { "a /boot/efi vfat defaults\nb /boot xfs defaults\nc /boo xfs defaults\n", "/boot /boot/efi /boo" },
                /* The same mount point twice: both, in file order, as mount -a. */
                { "a /data ext4 defaults\nb /data xfs defaults\n", "/data /data" },
                /* Spelled differently, the same path. */
                { "b /var//log/ ext4 defaults\na /var/./ ext4 defaults\n", "/var /var/log" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct fstab t;
                char order[512];

                parse_text(cases[i].text, &t);
                order_of(&t, order, sizeof(order));
                if (strcmp(order, cases[i].want) != 0)
                        fail_msg("case %zu: order \"%s\", want \"%s\"", i, order, cases[i].want);
                fstab_done(&t);
        }
}

static void test_below_skipped(void **state) {
        static const char text[] =
                "/dev/a /data ext4 noauto 0 0\n"
                "/dev/b /data/x ext4 defaults 0 0\n"
                "/dev/c /data/x/y ext4 defaults 0 0\n"
                "tmpfs /srv tmpfs defaults 0 0\n"
                "/dev/d /srv/www xfs defaults 0 0\n"
                "/dev/e /mnt/deep/er xfs defaults 0 0\n"
                "nas:/e /mnt/deep nfs defaults 0 0\n"
                "/dev/f /opt xfs defaults 0 0\n"
                "/dev/g /opt/app xfs defaults 0 0\n";
        struct fstab t;
        char order[256];

        parse_text(text, &t);
        order_of(&t, order, sizeof(order));
        assert_string_equal(order, "/opt /opt/app");
        assert_int_equal(entry(&t, "/data/x")->verdict, FSTAB_SKIP_PARENT);
        assert_int_equal(entry(&t, "/data/x")->parent, 0);
        assert_int_equal(entry(&t, "/data/x/y")->verdict, FSTAB_SKIP_PARENT);
        assert_int_equal(entry(&t, "/srv/www")->verdict, FSTAB_SKIP_PARENT);
        assert_int_equal(entry(&t, "/srv/www")->parent, 3);
        /* The parent may come later in the file. */
        assert_int_equal(entry(&t, "/mnt/deep/er")->verdict, FSTAB_SKIP_PARENT);
        assert_int_equal(entry(&t, "/mnt/deep/er")->parent, 6);
        fstab_done(&t);
}

static void test_parsing_details(void **state) {
        static const char text[] =
                "  # indented comment\n"
                "\n"
                "LABEL=boot\t/boot//  xfs ro,nofail 0 2\n"
                "/dev/x /a\\040b ext4 defaults 0 0\n"
                "/dev/y /auto auto defaults 0 0\n"
                "/dev/z /noopt ext4\n"
                "garbage\n"
                "/dev/w /data\n";
        struct fstab t;

        parse_text(text, &t);
        assert_int_equal(t.n_entries, 4);
        assert_int_equal(t.n_bad_lines, 2);
        assert_int_equal(t.first_bad_line, 7);
        assert_string_equal(t.entries[0].target, "/boot");
        assert_true(t.entries[0].read_only);
        assert_true(t.entries[0].nofail);
        assert_string_equal(t.entries[1].target, "/a b");
        assert_null(t.entries[2].fstype);
        assert_null(t.entries[3].options);
        assert_int_equal(t.n_order, 4);
        fstab_done(&t);

        parse_text("", &t);
        assert_int_equal(t.n_entries, 0);
        assert_int_equal(t.n_order, 0);
        fstab_done(&t);
}

static void test_too_many_entries(void **state) {
        size_t size = (FSTAB_ENTRIES_MAX + 1) * 32, o = 0;
        char *text = malloc(size);
        struct fstab t;
        FILE *f;

        assert_non_null(text);
        for (unsigned i = 0; i < FSTAB_ENTRIES_MAX + 1; i++)
                o += (size_t) snprintf(text + o, size - o, "/dev/x /m/%u ext4 defaults\n", i);
        f = fmemopen(text, o, "r");
        assert_non_null(f);
        assert_int_equal(fstab_parse(f, "fstab", &t), -E2BIG);
        fclose(f);

        /* Exactly the limit is fine, nested deep or not. */
        o = 0;
        for (unsigned i = 0; i < FSTAB_ENTRIES_MAX; i++)
                o += (size_t) snprintf(text + o, size - o, "/dev/x /m/%u ext4 defaults\n", i);
        f = fmemopen(text, o, "r");
        assert_non_null(f);
        assert_int_equal(fstab_parse(f, "fstab", &t), 0);
        assert_int_equal(t.n_order, FSTAB_ENTRIES_MAX);
        fclose(f);
        fstab_done(&t);
        free(text);
}

static void test_covering(void **state) {
        struct fstab t;

        parse_text("a / ext4 defaults\nb /boot xfs defaults\n", &t);
        assert_null(fstab_find_covering(&t, "/var/lib/oslift"));
        fstab_done(&t);

        parse_text("a / ext4 defaults\nb /var xfs defaults\nc /var/lib xfs defaults\nd /var/lib2 xfs defaults\n", &t);
        assert_string_equal(fstab_find_covering(&t, "/var/lib/oslift")->target, "/var/lib");
        assert_string_equal(fstab_find_covering(&t, "/var/log")->target, "/var");
        assert_string_equal(fstab_find_covering(&t, "/var")->target, "/var");
        assert_null(fstab_find_covering(&t, "/variable"));
        fstab_done(&t);

        /* Not mounted: does not count. */
        parse_text("b /var xfs noauto\n", &t);
        assert_null(fstab_find_covering(&t, "/var/lib/oslift"));
        fstab_done(&t);
}

/* xorshift: the same garbage on every run. */
static uint32_t next_random(uint32_t *x) {
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        return *x;
}

static void test_garbage(void **state) {
        static const char alphabet[] = "  \t\n\n#/\\0=,abdeftxUID/ /. ..swapnoautobind";
        uint32_t x = 0x1234567;

        for (unsigned round = 0; round < 3000; round++) {
                size_t n = next_random(&x) % 400;
                char *buf = malloc(n + 1);
                struct fstab t;
                FILE *f;

                assert_non_null(buf);
                for (size_t i = 0; i < n; i++)
                        buf[i] = round % 3 == 0 ? (char) next_random(&x)
                                                : alphabet[next_random(&x) % (sizeof(alphabet) - 1)];
                f = fmemopen(buf, n ? n : 1, "r");
                assert_non_null(f);
                if (fstab_parse(f, "fstab", &t) == 0) {
                        for (size_t k = 0; k < t.n_order; k++) {
                                const struct fstab_entry *e = &t.entries[t.order[k]];
                                assert_true(path_is_normalized(e->target));
                                /* Parents first. */
                                for (size_t j = k + 1; j < t.n_order; j++)
                                        assert_false(path_is_below(e->target, t.entries[t.order[j]].target));
                        }
                        fstab_done(&t);
                }
                fclose(f);
                free(buf);
        }
}

static void test_paths(void **state) {
        assert_true(path_is_normalized("/"));
        assert_true(path_is_normalized("/a"));
        assert_true(path_is_normalized("/a/b.c/..d"));
        assert_false(path_is_normalized(""));
        assert_false(path_is_normalized("a"));
        assert_false(path_is_normalized("/a/"));
        assert_false(path_is_normalized("//a"));
        assert_false(path_is_normalized("/a/./b"));
        assert_false(path_is_normalized("/a/.."));

        assert_true(path_is_below("/a", "/"));
        assert_true(path_is_below("/a/b", "/a"));
        assert_true(path_is_below("/a/b/c", "/a"));
        assert_false(path_is_below("/", "/"));
        assert_false(path_is_below("/a", "/a"));
        assert_false(path_is_below("/ab", "/a"));
        assert_false(path_is_below("/a", "/a/b"));
}

struct tree {
        char root[64];
};

static int setup_tree(void **state) {
        struct tree *t = calloc(1, sizeof(*t));
        char p[256];

        if (!t)
                return -1;
        strcpy(t->root, "/tmp/oslift-unit-mounts.XXXXXX");
        if (!mkdtemp(t->root))
                return -1;
#define MK(fmt, ...) (snprintf(p, sizeof(p), "%s" fmt, t->root, ##__VA_ARGS__), p)
        if (mkdir(MK("/b"), 0755) < 0 || mkdir(MK("/b/c"), 0755) < 0 || mkdir(MK("/etc"), 0755) < 0 ||
            mkdir(MK("/real"), 0755) < 0 || symlink("/b", MK("/abs")) < 0 || symlink("b", MK("/rel")) < 0 ||
            symlink("../../..", MK("/b/c/up")) < 0 || symlink("/", MK("/toroot")) < 0 ||
            symlink("l2", MK("/l1")) < 0 || symlink("l1", MK("/l2")) < 0 ||
            symlink("/real/fstab", MK("/etc/fstab")) < 0 || symlink("c/../c", MK("/b/cc")) < 0)
                return -1;
        {
                FILE *f = fopen(MK("/real/fstab"), "we");
                if (!f)
                        return -1;
                fputs("LABEL=x /inside ext4 defaults 0 0\n", f);
                fclose(f);
                f = fopen(MK("/file"), "we");
                if (!f)
                        return -1;
                fclose(f);
        }
#undef MK
        *state = t;
        return 0;
}

static int teardown_tree(void **state) {
        struct tree *t = *state;
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
        if (system(cmd) != 0)
                return -1;
        free(t);
        return 0;
}

static void test_chase(void **state) {
        struct tree *t = *state;
        static const struct {
                const char *in, *want;
        } cases[] = {
                { "/", "/" },
                { "/b/c", "/b/c" },
                { "//b/./c/", "/b/c" },
                { "/abs/c", "/b/c" },
                { "/rel/c", "/b/c" },
                { "/abs", "/b" },
                { "/b/cc", "/b/c" },
                /* Never above the root, however many "..". */
                { "/b/c/up/etc", "/etc" },
                { "/../../etc", "/etc" },
                { "/toroot", "/" },
                { "/toroot/b", "/b" },
                /* What does not exist is kept as written, normalized. */
                { "/b/new/deeper", "/b/new/deeper" },
                { "/abs/new/../c2", "/b/c2" },
                { "/nope", "/nope" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *got = NULL;
                int r = chase_in_root(t->root, cases[i].in, &got);

                if (r < 0)
                        fail_msg("case %zu: %s: %s", i, cases[i].in, strerror(-r));
                if (strcmp(got, cases[i].want) != 0)
                        fail_msg("case %zu: %s resolved to %s, want %s", i, cases[i].in, got, cases[i].want);
                free(got);
        }
}

static void test_chase_errors(void **state) {
        struct tree *t = *state;
        char *got = NULL;

        assert_int_equal(chase_in_root(t->root, "/l1", &got), -ELOOP);
        assert_int_equal(chase_in_root(t->root, "/l1/x", &got), -ELOOP);
        assert_int_equal(chase_in_root(t->root, "/file/x", &got), -ENOTDIR);
        assert_null(got);
}

static void test_fstab_read_stays_inside(void **state) {
        struct tree *t = *state;
        struct fstab tab;

        /* /etc/fstab -> /real/fstab: the root's, not the host's. */
        assert_int_equal(fstab_read(t->root, "/etc/fstab", &tab), 0);
        assert_int_equal(tab.n_entries, 1);
        assert_string_equal(tab.entries[0].target, "/inside");
        fstab_done(&tab);
        assert_int_equal(fstab_read(t->root, "/etc/nope", &tab), -ENOENT);
}

static void test_device_wait_gives_up(void **state) {
        char *dev = NULL;

        assert_int_equal(device_wait("/dev/oslift-no-such-device", 0, &dev), -ENODEV);
        /* A character device is not a block device. */
        assert_int_equal(device_wait("/dev/null", 0, &dev), -ENODEV);
        assert_null(dev);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_typical_el8),
                cmocka_unit_test(test_skip_reasons),
                cmocka_unit_test(test_required),
                cmocka_unit_test(test_parents_before_children),
                cmocka_unit_test(test_below_skipped),
                cmocka_unit_test(test_parsing_details),
                cmocka_unit_test(test_too_many_entries),
                cmocka_unit_test(test_covering),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_paths),
                cmocka_unit_test_setup_teardown(test_chase, setup_tree, teardown_tree),
                cmocka_unit_test_setup_teardown(test_chase_errors, setup_tree, teardown_tree),
                cmocka_unit_test_setup_teardown(test_fstab_read_stays_inside, setup_tree, teardown_tree),
                cmocka_unit_test(test_device_wait_gives_up),
        };
        return cmocka_run_group_tests_name("mounts", tests, NULL, NULL);
}
