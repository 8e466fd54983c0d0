/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arming and disarming the one-time GRUB boot in fake root directories (no
 * device, no dracut): custom.cfg and grubenv keep everything that is not
 * ours, grubenv keeps its inode, and disarm gives back the very bytes that
 * were there before. boot-entry.c comes from host-prep's internal archive.
 */
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
#include <sys/utsname.h>
#include <unistd.h>

#include "boot-common.h"
#include "boot-entry.h"
#include "boot-entry-internal.h"
#include "grubenv.h"
#include "fake-root.h"
#include "run.h"

#define KVER "6.1.0-test"
#define IMAGE "/boot/oslift-upgrade-" KVER ".img"

static const char grub_cfg[] =
        "### BEGIN /etc/grub.d/00_header ###\n"
        "if [ -s $prefix/grubenv ]; then\n"
        "  set have_grubenv=true\n"
        "  load_env\n"
        "fi\n"
        "if [ \"${next_entry}\" ] ; then\n"
        "   set default=\"${next_entry}\"\n"
        "   set next_entry=\n"
        "   save_env next_entry\n"
        "   set boot_once=true\n"
        "else\n"
        "   set default=\"0\"\n"
        "fi\n"
        "### END /etc/grub.d/00_header ###\n"
        "### BEGIN /etc/grub.d/10_linux ###\n"
        "menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-1234' {\n"
        "\tinsmod gzio\n"
        "\tsearch --no-floppy --fs-uuid --set=root 1234\n"
        "\tlinux\t/boot/vmlinuz-" KVER " root=UUID=1234 ro  quiet\n"
        "\tinitrd\t/boot/initrd.img-" KVER "\n"
        "}\n"
        "### END /etc/grub.d/10_linux ###\n"
        "### BEGIN /etc/grub.d/41_custom ###\n"
        "if [ -f  ${config_directory}/custom.cfg ]; then\n"
        "  source ${config_directory}/custom.cfg\n"
        "elif [ -z \"${config_directory}\" -a -f  $prefix/custom.cfg ]; then\n"
        "  source $prefix/custom.cfg\n"
        "fi\n"
        "### END /etc/grub.d/41_custom ###\n";

static const char admin_custom[] =
        "menuentry 'Rescue shell (admin)' --id admin-rescue {\n"
        "\tlinux /boot/vmlinuz-" KVER " root=/dev/vda1 ro single\n"
        "}\n";

static const char admin_env[] = "saved_entry=gnulinux-simple-1234\nboot_success=1\n";

static const struct boot_entry_spec spec = {
        .kver = KVER,
        .cmdline = "BOOT_IMAGE=/boot/vmlinuz-" KVER " root=UUID=1234 ro quiet rd.oslift.debug\n",
        .extra_args = "console=ttyS0,115200",
};

struct fixture {
        char root[64];
        char grub_dir[128]; /* full path */
};

/* ---- helpers --------------------------------------------------------------- */

static void full_path(const struct fixture *fx, const char *path, char *buf, size_t size) {
        assert_true((size_t) snprintf(buf, size, "%s%s", fx->root, path) < size);
}

static void put_file(const struct fixture *fx, const char *path, const void *data, size_t size) {
        char full[256];
        int fd;

        full_path(fx, path, full, sizeof(full));
        fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, size), (ssize_t) size);
        close(fd);
}

static void put_text(const struct fixture *fx, const char *path, const char *text) {
        put_file(fx, path, text, strlen(text));
}

/* The file's bytes, NUL-terminated; NULL when it does not exist. */
static char *get_file(const struct fixture *fx, const char *path, size_t *ret_size) {
        char full[256];
        char *buf;
        struct stat st;
        int fd;

        full_path(fx, path, full, sizeof(full));
        fd = open(full, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                assert_int_equal(errno, ENOENT);
                return NULL;
        }
        assert_int_equal(fstat(fd, &st), 0);
        buf = malloc((size_t) st.st_size + 1);
        assert_non_null(buf);
        assert_int_equal(read(fd, buf, (size_t) st.st_size), st.st_size);
        buf[st.st_size] = '\0';
        close(fd);
        if (ret_size)
                *ret_size = (size_t) st.st_size;
        return buf;
}

static bool file_exists(const struct fixture *fx, const char *path) {
        char full[256];
        struct stat st;

        full_path(fx, path, full, sizeof(full));
        return lstat(full, &st) == 0;
}

static mode_t mode_of(const struct fixture *fx, const char *path) {
        char full[256];
        struct stat st;

        full_path(fx, path, full, sizeof(full));
        assert_int_equal(stat(full, &st), 0);
        return st.st_mode & 07777;
}

static ino_t inode_of(const struct fixture *fx, const char *path) {
        char full[256];
        struct stat st;

        full_path(fx, path, full, sizeof(full));
        assert_int_equal(stat(full, &st), 0);
        return st.st_ino;
}

static void make_dir(const struct fixture *fx, const char *path) {
        char full[256];

        full_path(fx, path, full, sizeof(full));
        assert_int_equal(mkdir(full, 0755), 0);
}

static void put_grubenv(const struct fixture *fx, const char *path, const char *content) {
        char block[GRUBENV_SIZE];
        size_t n = strlen(content), h = strlen(GRUBENV_HEADER);

        memcpy(block, GRUBENV_HEADER, h);
        memcpy(block + h, content, n);
        memset(block + h + n, '#', GRUBENV_SIZE - h - n);
        put_file(fx, path, block, sizeof(block));
}

static size_t count(const char *haystack, const char *needle) {
        size_t n = 0;

        for (const char *p = haystack; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

/* A Debian-like root: /boot/grub, a kernel, the upgrade image. */
static int setup_bare(void **state) {
        static const char *const dirs[] = { "/boot/grub", "/var/lib", NULL };
        struct fixture *fx = calloc(1, sizeof(*fx));

        if (!fx || fake_root_make(fx->root, "boot", dirs) < 0)
                return -1;
        snprintf(fx->grub_dir, sizeof(fx->grub_dir), "%s/boot/grub", fx->root);
        *state = fx;
        put_text(fx, "/boot/grub/grub.cfg", grub_cfg);
        put_text(fx, "/boot/vmlinuz-" KVER, "kernel");
        put_text(fx, IMAGE, "upgrade initramfs");
        return 0;
}

/* ... plus someone else's custom.cfg and grubenv. */
static int setup(void **state) {
        if (setup_bare(state) < 0)
                return -1;
        put_text(*state, "/boot/grub/custom.cfg", admin_custom);
        put_grubenv(*state, "/boot/grub/grubenv", admin_env);
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;
        int r = fake_root_remove(fx->root);

        free(fx);
        return r;
}

/* boot_read_file: all of a file up to max, NUL-terminated, its size and
 * mode; -EFBIG beyond max, -EBADMSG for what is not a regular file. */
static void test_read_file(void **state) {
        struct fixture *fx = *state;
        char *text = NULL, full[256];
        size_t size = 0;
        mode_t mode = 0;
        struct stat st;

        assert_int_equal(boot_read_file(fx->root, "/boot/grub/grub.cfg", strlen(grub_cfg), &text, &size, &mode), 0);
        assert_string_equal(text, grub_cfg);
        assert_int_equal(size, strlen(grub_cfg));
        snprintf(full, sizeof(full), "%s/grub.cfg", fx->grub_dir);
        assert_int_equal(stat(full, &st), 0);
        assert_int_equal(mode, st.st_mode & 07777);
        free(text);
        text = NULL;
        assert_int_equal(boot_read_file(fx->root, "/boot/grub/grub.cfg", strlen(grub_cfg) - 1, &text, NULL, NULL),
                         -EFBIG);
        assert_null(text);
        assert_int_equal(boot_read_file(fx->root, "/boot/grub/absent", 100, &text, NULL, NULL), -ENOENT);
        assert_int_equal(boot_read_file(fx->root, "/boot/grub", 100, &text, NULL, NULL), -EBADMSG);
        assert_null(text);
}

/* ---- arm and disarm --------------------------------------------------------- */

static void test_arm_disarm(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *custom_before = get_file(fx, "/boot/grub/custom.cfg", NULL);
        _cleanup_free_ char *env_before = get_file(fx, "/boot/grub/grubenv", NULL);
        _cleanup_free_ char *custom = NULL, *env = NULL, *custom_after = NULL, *env_after = NULL;
        _cleanup_(grubenv_freep) struct grubenv *ge = NULL;
        ino_t ino = inode_of(fx, "/boot/grub/grubenv");
        size_t size;

        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);

        custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_non_null(custom);
        assert_true(strncmp(custom, admin_custom, strlen(admin_custom)) == 0);
        assert_int_equal(count(custom, BOOT_ENTRY_BEGIN_MARKER "\n"), 1);
        assert_int_equal(count(custom, BOOT_ENTRY_END_MARKER "\n"), 1);
        assert_non_null(strstr(custom, "menuentry 'oslift upgrade (" KVER ")' --id oslift-upgrade {\n"));
        assert_int_equal(mode_of(fx, "/boot/grub/custom.cfg"), 0644); /* the admin's, kept */

        env = get_file(fx, "/boot/grub/grubenv", &size);
        assert_int_equal(size, GRUBENV_SIZE);
        assert_int_equal(inode_of(fx, "/boot/grub/grubenv"), ino);
        assert_int_equal(grubenv_parse(env, size, &ge), 0);
        assert_string_equal(grubenv_get(ge, "next_entry"), "oslift-upgrade");
        assert_string_equal(grubenv_get(ge, "saved_entry"), "gnulinux-simple-1234");
        assert_string_equal(grubenv_get(ge, "boot_success"), "1");
        assert_true(file_exists(fx, BOOT_ENTRY_RECORD));

        /* Again: still one block, the same bytes. */
        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        custom_after = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_string_equal(custom_after, custom);
        env_after = get_file(fx, "/boot/grub/grubenv", NULL);
        assert_memory_equal(env_after, env, GRUBENV_SIZE);
        free(custom_after);
        free(env_after);

        /* Disarm: exactly what was there before, the image gone. */
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        custom_after = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_string_equal(custom_after, custom_before);
        env_after = get_file(fx, "/boot/grub/grubenv", &size);
        assert_int_equal(size, GRUBENV_SIZE);
        assert_memory_equal(env_after, env_before, GRUBENV_SIZE);
        assert_int_equal(inode_of(fx, "/boot/grub/grubenv"), ino);
        assert_false(file_exists(fx, IMAGE));
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
        free(custom_after);
        free(env_after);

        /* Again: nothing to do, nothing changes. */
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        custom_after = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_string_equal(custom_after, custom_before);
        env_after = get_file(fx, "/boot/grub/grubenv", NULL);
        assert_memory_equal(env_after, env_before, GRUBENV_SIZE);
        assert_int_equal(inode_of(fx, "/boot/grub/grubenv"), ino);
}

static void test_entry_text(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *custom = NULL;
        struct boot_entry_spec s = spec;
        static const char want_block[] =
                BOOT_ENTRY_BEGIN_MARKER "\n"
                "# The one-time boot into the oslift upgrade environment: 'host-prep stage'\n"
                "# wrote this block and set next_entry=oslift-upgrade in grubenv; 'host-prep cancel'\n"
                "# removes both. oslift replaces the whole block: do not edit it.\n"
                "menuentry 'oslift upgrade (" KVER ")' --id oslift-upgrade {\n"
                "\tinsmod gzio\n"
                "\tsearch --no-floppy --file --set=root " IMAGE "\n"
                "\techo 'Loading the oslift upgrade environment ...'\n"
                "\tlinux /boot/vmlinuz-" KVER " 'root=UUID=1234' 'ro' 'quiet' 'rd.oslift.upgrade' "
                "'rd.shell=0' 'rd.emergency=reboot' 'rd.timeout=300' 'console=ttyS0,115200'\n"
                "\tinitrd " IMAGE "\n"
                "}\n" BOOT_ENTRY_END_MARKER "\n";

        /* No UUID known (no device behind a root directory): by file. */
        assert_int_equal(boot_entry_arm(fx->root, &s), 0);
        custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_true(strncmp(custom, admin_custom, strlen(admin_custom)) == 0);
        assert_string_equal(custom + strlen(admin_custom), want_block);
        free(custom);

        /* A UUID given: by UUID; the block replaced in place. */
        s.fs_uuid = "0f5e6a7c-2d1b-4e8f-9a0b-1c2d3e4f5a6b";
        s.extra_args = NULL;
        assert_int_equal(boot_entry_arm(fx->root, &s), 0);
        custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_non_null(strstr(custom, "\tsearch --no-floppy --fs-uuid --set=root "
                                       "0f5e6a7c-2d1b-4e8f-9a0b-1c2d3e4f5a6b\n"));
        assert_null(strstr(custom, "--file"));
        assert_non_null(strstr(custom, " 'quiet' 'rd.oslift.upgrade' 'rd.shell=0' 'rd.emergency=reboot' 'rd.timeout=300'\n"));
        assert_int_equal(count(custom, "--id oslift-upgrade"), 1);
        assert_int_equal(count(custom, "menuentry"), 2);

        /* Bad UUIDs and images are refused before anything is written. */
        s.fs_uuid = "1234; reboot";
        assert_int_equal(boot_entry_arm(fx->root, &s), -EINVAL);
        s.fs_uuid = NULL;
        s.initramfs = "/etc/passwd";
        assert_int_equal(boot_entry_arm(fx->root, &s), -EINVAL);
        s.initramfs = "/boot/../etc/x.img";
        assert_int_equal(boot_entry_arm(fx->root, &s), -EINVAL);
        s.initramfs = "/boot/missing.img";
        assert_int_equal(boot_entry_arm(fx->root, &s), -ENOENT);
        s.initramfs = NULL;
        s.kver = "6.1.0 test";
        assert_int_equal(boot_entry_arm(fx->root, &s), -EINVAL);
        s.kver = "../../etc";
        assert_int_equal(boot_entry_arm(fx->root, &s), -EINVAL);
        {
                _cleanup_free_ char *after = get_file(fx, "/boot/grub/custom.cfg", NULL);
                assert_string_equal(after, custom);
        }
        assert_int_equal(boot_entry_disarm(fx->root), 0);
}

/* Nothing there before: arm creates both files, disarm removes both. */
static void test_arm_creates(void **state) {
        struct fixture *fx = *state;
        _cleanup_(grubenv_freep) struct grubenv *ge = NULL;
        size_t size;

        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        free(get_file(fx, "/boot/grub/grubenv", &size));
        assert_int_equal(size, GRUBENV_SIZE);
        assert_int_equal(grubenv_read(fx->root, "/boot/grub/grubenv", &ge), 0);
        assert_string_equal(grubenv_get(ge, "next_entry"), "oslift-upgrade");
        {
                _cleanup_free_ char *custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
                assert_non_null(custom);
                assert_true(strncmp(custom, BOOT_ENTRY_BEGIN_MARKER "\n", strlen(BOOT_ENTRY_BEGIN_MARKER) + 1) == 0);
                assert_int_equal(mode_of(fx, "/boot/grub/custom.cfg"), 0600);
        }
        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        assert_false(file_exists(fx, "/boot/grub/grubenv"));
        assert_false(file_exists(fx, "/boot/grub/custom.cfg"));
        assert_false(file_exists(fx, IMAGE));
        assert_int_equal(boot_entry_disarm(fx->root), 0);
}

/* next_entry set before (grub-reboot, or GRUB's empty one after a one-time
 * boot): put back in place. A custom.cfg without a final newline. */
static void test_previous_values_restored(void **state) {
        struct fixture *fx = *state;
        static const char *const envs[] = {
                "saved_entry=a\nnext_entry=\nboot_success=1\n",
                "next_entry=gnulinux-advanced>older-kernel\nsaved_entry=a\n",
                "next_entry=oslift-upgrade\n", /* ours, from an arm whose record is gone */
        };
        static const char unended[] = "set timeout=5";

        for (size_t i = 0; i < ELEMENTSOF(envs); i++) {
                _cleanup_free_ char *env_before = NULL, *env_after = NULL, *custom_after = NULL;
                _cleanup_(grubenv_freep) struct grubenv *ge = NULL;

                put_grubenv(fx, "/boot/grub/grubenv", envs[i]);
                put_text(fx, "/boot/grub/custom.cfg", unended);
                put_text(fx, IMAGE, "upgrade initramfs");
                env_before = get_file(fx, "/boot/grub/grubenv", NULL);

                assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
                assert_int_equal(grubenv_read(fx->root, "/boot/grub/grubenv", &ge), 0);
                assert_string_equal(grubenv_get(ge, "next_entry"), "oslift-upgrade");
                custom_after = get_file(fx, "/boot/grub/custom.cfg", NULL);
                assert_true(strncmp(custom_after, "set timeout=5\n" BOOT_ENTRY_BEGIN_MARKER "\n",
                                    strlen("set timeout=5\n" BOOT_ENTRY_BEGIN_MARKER "\n")) == 0);
                free(custom_after);

                assert_int_equal(boot_entry_disarm(fx->root), 0);
                custom_after = get_file(fx, "/boot/grub/custom.cfg", NULL);
                assert_string_equal(custom_after, unended);
                env_after = get_file(fx, "/boot/grub/grubenv", NULL);
                if (i < 2)
                        assert_memory_equal(env_after, env_before, GRUBENV_SIZE);
                else {
                        /* Ours is no "before": removed. */
                        grubenv_freep(&ge);
                        ge = NULL;
                        assert_int_equal(grubenv_parse(env_after, GRUBENV_SIZE, &ge), 0);
                        assert_true(grubenv_is_empty(ge));
                }
        }
}

/* After the upgrade boot GRUB has cleared next_entry: disarm (restore on
 * the new system) leaves grubenv alone and removes the rest. */
static void test_disarm_after_boot(void **state) {
        struct fixture *fx = *state;
        _cleanup_(grubenv_freep) struct grubenv *ge = NULL;
        _cleanup_free_ char *custom = NULL, *env_booted = NULL, *env_after = NULL;

        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        assert_int_equal(grubenv_read(fx->root, "/boot/grub/grubenv", &ge), 0);
        assert_int_equal(grubenv_set(ge, "next_entry", ""), 0); /* save_env next_entry */
        assert_int_equal(grubenv_write(fx->root, "/boot/grub/grubenv", ge), 0);
        env_booted = get_file(fx, "/boot/grub/grubenv", NULL);

        assert_int_equal(boot_entry_disarm(fx->root), 0);
        env_after = get_file(fx, "/boot/grub/grubenv", NULL);
        assert_memory_equal(env_after, env_booted, GRUBENV_SIZE);
        custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_string_equal(custom, admin_custom);
        assert_false(file_exists(fx, IMAGE));
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
}

/* The record lost: disarm still removes what is recognisably ours. */
static void test_disarm_without_record(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *custom = NULL;
        _cleanup_(grubenv_freep) struct grubenv *ge = NULL;
        char full[256];

        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        full_path(fx, BOOT_ENTRY_RECORD, full, sizeof(full));
        assert_int_equal(unlink(full), 0);

        assert_int_equal(boot_entry_disarm(fx->root), 0);
        custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_string_equal(custom, admin_custom);
        assert_int_equal(grubenv_read(fx->root, "/boot/grub/grubenv", &ge), 0);
        assert_null(grubenv_get(ge, "next_entry"));
        assert_string_equal(grubenv_get(ge, "saved_entry"), "gnulinux-simple-1234");
        assert_false(file_exists(fx, IMAGE));

        /* A record that is not ours: the same, with a warning. */
        put_text(fx, IMAGE, "upgrade initramfs");
        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        put_text(fx, BOOT_ENTRY_RECORD, "garbage\n");
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        free(custom);
        custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_string_equal(custom, admin_custom);
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
}

/* A BEGIN marker without its END: neither arm nor disarm guesses. */
static void test_broken_block_refused(void **state) {
        struct fixture *fx = *state;
        static const char broken[] = "x\n" BOOT_ENTRY_BEGIN_MARKER "\nmenuentry 'half' {\n}\n";
        _cleanup_free_ char *env_before = get_file(fx, "/boot/grub/grubenv", NULL);
        _cleanup_free_ char *custom = NULL, *env = NULL;

        put_text(fx, "/boot/grub/custom.cfg", broken);
        assert_int_equal(boot_entry_arm(fx->root, &spec), -EBADMSG);
        custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_string_equal(custom, broken);
        env = get_file(fx, "/boot/grub/grubenv", NULL);
        assert_memory_equal(env, env_before, GRUBENV_SIZE);
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
        assert_int_equal(boot_entry_disarm(fx->root), -EBADMSG);
        free(custom);
        custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_string_equal(custom, broken);
}

/* EL: /boot/grub2 with grub.cfg wins over an empty /boot/grub; grubenv a
 * link into the ESP (EL 8 on UEFI) stays a link; linux16 as grub.cfg's own
 * entries use it. */
static void test_el_layout(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *custom = NULL, *env_before = NULL, *env_after = NULL, *debian_env = NULL;
        _cleanup_free_ char *debian_custom = NULL;
        char full[256];
        struct stat st;

        make_dir(fx, "/boot/grub2");
        make_dir(fx, "/boot/efi");
        make_dir(fx, "/boot/efi/EFI");
        make_dir(fx, "/boot/efi/EFI/centos");
        put_text(fx, "/boot/grub2/grub.cfg", "if [ \"${next_entry}\" ] ; then\nfi\n"
                                              "source ${config_directory}/custom.cfg\n"
                                              "menuentry 'CentOS' {\n\tlinux16 /vmlinuz-x root=/dev/sda1\n}\n");
        full_path(fx, "/boot/grub/grub.cfg", full, sizeof(full));
        assert_int_equal(unlink(full), 0);
        put_grubenv(fx, "/boot/efi/EFI/centos/grubenv", "saved_entry=centos\n");
        full_path(fx, "/boot/grub2/grubenv", full, sizeof(full));
        assert_int_equal(symlink("../efi/EFI/centos/grubenv", full), 0);
        env_before = get_file(fx, "/boot/efi/EFI/centos/grubenv", NULL);
        debian_env = get_file(fx, "/boot/grub/grubenv", NULL);

        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        custom = get_file(fx, "/boot/grub2/custom.cfg", NULL);
        assert_non_null(custom);
        assert_non_null(strstr(custom, "\tlinux16 /boot/vmlinuz-" KVER " "));
        assert_non_null(strstr(custom, "\tinitrd16 " IMAGE "\n"));
        assert_int_equal(lstat(full, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        {
                _cleanup_(grubenv_freep) struct grubenv *ge = NULL;
                assert_int_equal(grubenv_read(fx->root, "/boot/efi/EFI/centos/grubenv", &ge), 0);
                assert_string_equal(grubenv_get(ge, "next_entry"), "oslift-upgrade");
        }
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        env_after = get_file(fx, "/boot/efi/EFI/centos/grubenv", NULL);
        assert_memory_equal(env_after, env_before, GRUBENV_SIZE);
        assert_false(file_exists(fx, "/boot/grub2/custom.cfg"));
        /* The other directory was never touched. */
        debian_custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_string_equal(debian_custom, admin_custom);
        free(env_after);
        env_after = get_file(fx, "/boot/grub/grubenv", NULL);
        assert_memory_equal(env_after, debian_env, GRUBENV_SIZE);
}

/* ---- layouts: where GRUB reads grub.cfg and grubenv ------------------------ */

/* EL 7 on UEFI: grub.cfg's own entries, 00_header and 41_custom. */
static const char el7_efi_cfg[] =
        "if [ -s $prefix/grubenv ]; then\n  load_env\nfi\n"
        "if [ \"${next_entry}\" ] ; then\n   set default=\"${next_entry}\"\n   set next_entry=\n"
        "   save_env next_entry\nfi\n"
        "menuentry 'CentOS Linux (" KVER ") 7 (Core)' {\n"
        "\tlinuxefi /vmlinuz-" KVER " root=/dev/mapper/centos-root ro\n"
        "\tinitrdefi /initramfs-" KVER ".img\n}\n"
        "if [ -f  ${config_directory}/custom.cfg ]; then\n  source ${config_directory}/custom.cfg\nfi\n";

/* EL 8 on UEFI: BLS entries, no menuentry of its own. */
static const char el8_efi_cfg[] =
        "if [ -f ${config_directory}/grubenv ]; then\n  load_env -f ${config_directory}/grubenv\nfi\n"
        "if [ \"${next_entry}\" ] ; then\n   set default=\"${next_entry}\"\n   set next_entry=\n"
        "   save_env next_entry\nfi\n"
        "blscfg\n"
        "if [ -f  ${config_directory}/custom.cfg ]; then\n  source ${config_directory}/custom.cfg\nfi\n";

/* EL 9 and Debian on UEFI: the ESP's grub.cfg hands over to /boot's. */
static const char el9_stub[] = "search --no-floppy --fs-uuid --set=dev 0123-4567\n"
                               "set prefix=($dev)/grub2\nexport $prefix\nconfigfile $prefix/grub.cfg\n";
static const char debian_stub[] = "search.fs_uuid 89ab-cdef root hd0,gpt2\n"
                                  "set prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n";

static void assert_check_fails(const struct fixture *fx, const char *kver, int want, const char *phrase) {
        _cleanup_free_ char *reason = NULL;

        assert_int_equal(boot_entry_check(fx->root, kver, &reason), want);
        assert_non_null(reason);
        if (!strstr(reason, phrase))
                fail_msg("reason '%s' does not say '%s'", reason, phrase);
}

static void unlink_in_fx(const struct fixture *fx, const char *path) {
        char full[256];

        full_path(fx, path, full, sizeof(full));
        assert_int_equal(unlink(full), 0);
}

static void link_in_fx(const struct fixture *fx, const char *target, const char *path) {
        char full[256];

        full_path(fx, path, full, sizeof(full));
        assert_int_equal(symlink(target, full), 0);
}

static void make_dirs(const struct fixture *fx, const char *path) {
        assert_int_equal(mkdir_in_root(fx->root, path, 0755), 0);
}

/* Makes the root a UEFI machine (SYS/firmware/efi) with its ESP in fstab
 * and mounted (PROC/self/mountinfo), as far as boot-entry.c looks. */
static void fake_uefi(const struct fixture *fx, bool in_fstab, bool mounted) {
        char sys[128], proc[128], line[512];

        make_dirs(fx, "/fake/sys/firmware/efi/efivars");
        make_dirs(fx, "/fake/proc/self");
        make_dirs(fx, "/boot/efi");
        make_dirs(fx, "/etc");
        put_text(fx, "/etc/fstab", in_fstab ? "UUID=1234 / ext4 defaults 1 1\n"
                                              "UUID=0123-4567 /boot/efi vfat umask=0077,shortname=winnt 0 2\n"
                                            : "UUID=1234 / ext4 defaults 1 1\n");
        snprintf(line, sizeof(line),
                 "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
                 "%s35 22 8:1 / %s/boot/efi rw,relatime shared:2 - vfat /dev/sda1 rw,umask=0077\n",
                 mounted ? "" : "#", fx->root);
        put_text(fx, "/fake/proc/self/mountinfo", mounted ? line : "22 1 8:2 / / rw - ext4 /dev/sda2 rw\n");
        snprintf(sys, sizeof(sys), "%s/fake/sys", fx->root);
        snprintf(proc, sizeof(proc), "%s/fake/proc", fx->root);
        assert_int_equal(setenv("OSLIFT_SYSFS", sys, 1), 0);
        assert_int_equal(setenv("OSLIFT_PROC", proc, 1), 0);
}

static void unfake_uefi(void) {
        unsetenv("OSLIFT_SYSFS");
        unsetenv("OSLIFT_PROC");
}

static void assert_found(const struct fixture *fx, const char *dir, const char *env, bool on_esp) {
        _cleanup_(boot_grub_done) struct boot_grub g = {};
        _cleanup_free_ char *reason = NULL;

        if (boot_grub_find(fx->root, &g, &reason) < 0)
                fail_msg("boot_grub_find: %s", reason ?: "(no reason)");
        assert_string_equal(g.grub_dir, dir);
        assert_string_equal(g.grubenv, env);
        assert_int_equal(g.on_esp, on_esp);
}

static void assert_not_found(const struct fixture *fx, int want, const char *phrase) {
        _cleanup_(boot_grub_done) struct boot_grub g = {};
        _cleanup_free_ char *reason = NULL;

        assert_int_equal(boot_grub_find(fx->root, &g, &reason), want);
        assert_non_null(reason);
        if (!strstr(reason, phrase))
                fail_msg("reason '%s' does not say '%s'", reason, phrase);
}

/* An EL 7 root on UEFI: no grub.cfg on /boot, the ESP's in EFI/centos. */
static void make_el7_uefi(const struct fixture *fx) {
        unlink_in_fx(fx, "/boot/grub/grub.cfg");
        make_dirs(fx, "/boot/efi/EFI/centos");
        make_dirs(fx, "/boot/efi/EFI/BOOT");
        make_dirs(fx, "/boot/grub2");
        put_text(fx, "/boot/efi/EFI/centos/grub.cfg", el7_efi_cfg);
        put_text(fx, "/boot/efi/EFI/BOOT/grub.cfg", el7_efi_cfg); /* the fallback loader's: not it */
        put_grubenv(fx, "/boot/efi/EFI/centos/grubenv", "saved_entry=CentOS Linux\n");
        link_in_fx(fx, "../efi/EFI/centos/grubenv", "/boot/grub2/grubenv");
}

/* EL 7 on BIOS: /boot/grub2 with its own grubenv; a leftover ESP
 * grub.cfg (a hybrid image) is not what a BIOS GRUB reads. */
static void test_layout_el7_bios(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *custom = NULL, *env = NULL;

        unlink_in_fx(fx, "/boot/grub/grub.cfg");
        make_dirs(fx, "/boot/grub2");
        make_dirs(fx, "/boot/efi/EFI/centos");
        put_text(fx, "/boot/grub2/grub.cfg", "if [ \"${next_entry}\" ] ; then\nfi\n"
                                              "source ${config_directory}/custom.cfg\n"
                                              "menuentry 'CentOS' {\n\tlinux16 /vmlinuz-x root=/dev/sda1\n}\n");
        put_grubenv(fx, "/boot/grub2/grubenv", "saved_entry=CentOS\n");
        put_text(fx, "/boot/efi/EFI/centos/grub.cfg", "menuentry 'x' {\n\tlinuxefi /vmlinuz\n}\n");
        assert_found(fx, "/boot/grub2", "/boot/grub2/grubenv", false);
        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        custom = get_file(fx, "/boot/grub2/custom.cfg", NULL);
        assert_non_null(strstr(custom, "\tlinux16 /boot/vmlinuz-" KVER " "));
        assert_non_null(strstr(custom, "\tinitrd16 " IMAGE "\n"));
        assert_false(file_exists(fx, "/boot/efi/EFI/centos/custom.cfg"));
        env = get_file(fx, "/boot/grub2/grubenv", NULL);
        assert_non_null(strstr(env, "next_entry=oslift-upgrade\n"));
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        assert_false(file_exists(fx, "/boot/grub2/custom.cfg"));
}

static void test_layout_el7_uefi(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *env_before = NULL, *env = NULL, *custom = NULL, *record = NULL;
        _cleanup_(grubenv_freep) struct grubenv *ge = NULL;
        _cleanup_(boot_record_done) struct boot_record rec = {};
        ino_t ino;
        size_t size;

        make_el7_uefi(fx);
        env_before = get_file(fx, "/boot/efi/EFI/centos/grubenv", NULL);
        ino = inode_of(fx, "/boot/efi/EFI/centos/grubenv");
        /* Without efivars (a root directory) and with them: the same. */
        assert_found(fx, "/boot/efi/EFI/centos", "/boot/efi/EFI/centos/grubenv", true);
        fake_uefi(fx, true, true);
        assert_found(fx, "/boot/efi/EFI/centos", "/boot/efi/EFI/centos/grubenv", true);

        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        custom = get_file(fx, "/boot/efi/EFI/centos/custom.cfg", NULL);
        assert_non_null(custom);
        assert_non_null(strstr(custom, "\tlinuxefi /boot/vmlinuz-" KVER " "));
        assert_non_null(strstr(custom, "\tinitrdefi " IMAGE "\n"));
        assert_false(file_exists(fx, "/boot/grub2/custom.cfg"));
        env = get_file(fx, "/boot/efi/EFI/centos/grubenv", &size);
        assert_int_equal(size, GRUBENV_SIZE);
        assert_int_equal(inode_of(fx, "/boot/efi/EFI/centos/grubenv"), ino);
        assert_int_equal(grubenv_parse(env, size, &ge), 0);
        assert_string_equal(grubenv_get(ge, "next_entry"), "oslift-upgrade");
        assert_string_equal(grubenv_get(ge, "saved_entry"), "CentOS Linux");
        assert_int_equal(boot_record_read(fx->root, &rec), 0);
        assert_string_equal(rec.grub_dir, "/boot/efi/EFI/centos");
        assert_string_equal(rec.grubenv, "/boot/efi/EFI/centos/grubenv");

        /* The upgrader's switch, from the record. */
        assert_int_equal(boot_switch_off(fx->root, rec.grubenv, NULL), 0);
        free(env);
        env = get_file(fx, "/boot/efi/EFI/centos/grubenv", NULL);
        assert_null(strstr(env, "next_entry="));
        assert_int_equal(boot_switch_on(fx->root, rec.grubenv), 0);
        free(env);
        env = get_file(fx, "/boot/efi/EFI/centos/grubenv", NULL);
        assert_non_null(strstr(env, "next_entry=oslift-upgrade\n"));
        assert_int_equal(inode_of(fx, "/boot/efi/EFI/centos/grubenv"), ino);

        /* The ESP not mounted: nothing can be undone there, so nothing is
         * (the record and the image stay), and disarm says so. */
        {
                char esp[256], away[256];
                full_path(fx, "/boot/efi/EFI", esp, sizeof(esp));
                full_path(fx, "/boot/efi-away", away, sizeof(away));
                assert_int_equal(rename(esp, away), 0);
                assert_int_equal(boot_entry_disarm(fx->root), -ENOENT);
                assert_true(file_exists(fx, BOOT_ENTRY_RECORD));
                assert_true(file_exists(fx, IMAGE));
                assert_false(file_exists(fx, "/boot/efi/EFI"));
                assert_int_equal(rename(away, esp), 0);
        }
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        free(env);
        env = get_file(fx, "/boot/efi/EFI/centos/grubenv", NULL);
        assert_memory_equal(env, env_before, GRUBENV_SIZE);
        assert_false(file_exists(fx, IMAGE));
        assert_int_equal(inode_of(fx, "/boot/efi/EFI/centos/grubenv"), ino);
        assert_false(file_exists(fx, "/boot/efi/EFI/centos/custom.cfg"));
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
        unfake_uefi();
}

/* EL 8 on UEFI: BLS, grubenv on the ESP and /boot/grub2/grubenv a link
 * to it; a stale /boot/grub2/grub.cfg is not what the firmware's GRUB reads. */
static void test_layout_el8_uefi(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *custom = NULL, *env = NULL;
        struct stat st;
        char full[256];

        unlink_in_fx(fx, "/boot/grub/grub.cfg");
        make_dirs(fx, "/boot/efi/EFI/redhat");
        make_dirs(fx, "/boot/grub2");
        make_dirs(fx, "/boot/loader/entries");
        put_text(fx, "/boot/efi/EFI/redhat/grub.cfg", el8_efi_cfg);
        put_grubenv(fx, "/boot/efi/EFI/redhat/grubenv", "saved_entry=abc-" KVER "\nkernelopts=root=/dev/sda2 ro\n");
        link_in_fx(fx, "../efi/EFI/redhat/grubenv", "/boot/grub2/grubenv");
        assert_found(fx, "/boot/efi/EFI/redhat", "/boot/efi/EFI/redhat/grubenv", true);

        /* Without efivars /boot's grub.cfg goes first, its grubenv the
         * link, followed inside the root. */
        put_text(fx, "/boot/grub2/grub.cfg", el8_efi_cfg);
        assert_found(fx, "/boot/grub2", "/boot/efi/EFI/redhat/grubenv", false);
        /* The firmware runs the ESP's GRUB. */
        fake_uefi(fx, true, true);
        assert_found(fx, "/boot/efi/EFI/redhat", "/boot/efi/EFI/redhat/grubenv", true);

        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        custom = get_file(fx, "/boot/efi/EFI/redhat/custom.cfg", NULL);
        assert_non_null(custom);
        assert_non_null(strstr(custom, "\tlinux /boot/vmlinuz-" KVER " "));
        env = get_file(fx, "/boot/efi/EFI/redhat/grubenv", NULL);
        assert_non_null(strstr(env, "next_entry=oslift-upgrade\n"));
        full_path(fx, "/boot/grub2/grubenv", full, sizeof(full));
        assert_int_equal(lstat(full, &st), 0);
        assert_true(S_ISLNK(st.st_mode)); /* written through, never replaced */
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        free(env);
        env = get_file(fx, "/boot/efi/EFI/redhat/grubenv", NULL);
        assert_null(strstr(env, "next_entry="));
        assert_false(file_exists(fx, "/boot/efi/EFI/redhat/custom.cfg"));
        unfake_uefi();
}

/* EL 9 and Debian: the stub on the ESP hands over to /boot's grub.cfg. */
static void test_layout_stub(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *custom = NULL;

        fake_uefi(fx, true, true);
        make_dirs(fx, "/boot/efi/EFI/debian");
        put_text(fx, "/boot/efi/EFI/debian/grub.cfg", debian_stub);
        assert_found(fx, "/boot/grub", "/boot/grub/grubenv", false);
        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_non_null(strstr(custom, "menuentry 'oslift upgrade"));
        assert_false(file_exists(fx, "/boot/efi/EFI/debian/custom.cfg"));
        assert_int_equal(boot_entry_disarm(fx->root), 0);

        unlink_in_fx(fx, "/boot/efi/EFI/debian/grub.cfg");
        unlink_in_fx(fx, "/boot/grub/grub.cfg");
        make_dirs(fx, "/boot/efi/EFI/rocky");
        make_dirs(fx, "/boot/grub2");
        put_text(fx, "/boot/efi/EFI/rocky/grub.cfg", el9_stub);
        assert_not_found(fx, -ENOENT, "hands over to a grub.cfg in /boot that does not exist");
        put_text(fx, "/boot/grub2/grub.cfg", grub_cfg);
        assert_found(fx, "/boot/grub2", "/boot/grub2/grubenv", false);
        unfake_uefi();
        assert_found(fx, "/boot/grub2", "/boot/grub2/grubenv", false);
}

/* Two vendors' grub.cfg on the ESP: os-release says which, or neither. */
static void test_layout_two_vendors(void **state) {
        struct fixture *fx = *state;

        make_el7_uefi(fx);
        make_dirs(fx, "/boot/efi/EFI/redhat");
        make_dirs(fx, "/etc");
        put_text(fx, "/boot/efi/EFI/redhat/grub.cfg", el8_efi_cfg);
        fake_uefi(fx, true, true);
        assert_not_found(fx, -EEXIST, "/boot/efi/EFI/centos/grub.cfg");
        assert_not_found(fx, -EEXIST, "/boot/efi/EFI/redhat/grub.cfg");
        put_text(fx, "/etc/os-release", "NAME=\"CentOS Linux\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n");
        assert_found(fx, "/boot/efi/EFI/centos", "/boot/efi/EFI/centos/grubenv", true);
        put_text(fx, "/etc/os-release", "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\n");
        assert_found(fx, "/boot/efi/EFI/redhat", "/boot/efi/EFI/redhat/grubenv", true);
        put_text(fx, "/etc/os-release", "ID=fedora\n");
        assert_not_found(fx, -EEXIST, "names none of them");
        {
                _cleanup_free_ char *reason = NULL;
                assert_int_equal(boot_entry_check(fx->root, KVER, &reason), -EEXIST);
        }
        assert_int_equal(boot_entry_arm(fx->root, &spec), -EEXIST);
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
        unfake_uefi();
}

/* A grubenv link that leads out of /boot (or out of the root, which
 * resolving inside the root turns into a place in it) is refused. */
static void test_grubenv_link_outside(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *custom_before = get_file(fx, "/boot/grub/custom.cfg", NULL), *custom = NULL;
        char outside[128];
        struct stat st;

        snprintf(outside, sizeof(outside), "/tmp/oslift-unit-outside-%d", (int) getpid());
        unlink_in_fx(fx, "/boot/grub/grubenv");
        link_in_fx(fx, "../../../../../../../../..//tmp/oslift-unit-outside-grubenv", "/boot/grub/grubenv");
        assert_not_found(fx, -EXDEV, "outside /boot");
        assert_int_equal(boot_entry_arm(fx->root, &spec), -EXDEV);
        unlink_in_fx(fx, "/boot/grub/grubenv");
        link_in_fx(fx, outside, "/boot/grub/grubenv");
        assert_check_fails(fx, KVER, -EXDEV, "outside /boot, where GRUB cannot read it");
        assert_int_equal(boot_entry_arm(fx->root, &spec), -EXDEV);
        /* Nothing written anywhere: not on the host, not in the root. */
        assert_int_equal(lstat(outside, &st), -1);
        assert_int_equal(lstat("/tmp/oslift-unit-outside-grubenv", &st), -1);
        assert_false(file_exists(fx, "/tmp"));
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
        custom = get_file(fx, "/boot/grub/custom.cfg", NULL);
        assert_string_equal(custom, custom_before);
}

/* On a UEFI machine the ESP must be in fstab and mounted. */
static void test_esp_checks(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *reason = NULL;

        make_el7_uefi(fx);
        fake_uefi(fx, false, true);
        assert_check_fails(fx, KVER, -ENOENT, "has no entry for the EFI system partition on /boot/efi");
        assert_int_equal(boot_entry_arm(fx->root, &spec), -ENOENT);
        fake_uefi(fx, true, false);
        assert_check_fails(fx, KVER, -ENOENT, "the EFI system partition is not mounted on");
        assert_int_equal(boot_entry_arm(fx->root, &spec), -ENOENT);
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
        assert_false(file_exists(fx, "/boot/efi/EFI/centos/custom.cfg"));
        fake_uefi(fx, true, true);
        assert_int_equal(boot_entry_check(fx->root, KVER, &reason), 0);
        /* A BIOS machine: no ESP needed. */
        unfake_uefi();
        unlink_in_fx(fx, "/etc/fstab");
        assert_int_equal(boot_entry_check(fx->root, KVER, &reason), 0);
}

/* A GRUB directory on /boot that was removed after arming does not keep
 * cancel from finishing (only an ESP that is not mounted does). */
static void test_disarm_grub_dir_gone(void **state) {
        struct fixture *fx = *state;
        char dir[256], away[256];

        assert_int_equal(boot_entry_arm(fx->root, &spec), 0);
        full_path(fx, "/boot/grub", dir, sizeof(dir));
        full_path(fx, "/boot/grub-away", away, sizeof(away));
        assert_int_equal(rename(dir, away), 0);
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
        assert_false(file_exists(fx, IMAGE));
        assert_int_equal(rename(away, dir), 0);
}

/* An image the operator gave (--boot-initramfs) is theirs: disarm removes
 * the entry and leaves the image, even one named like ours. */
static void test_disarm_keeps_given_image(void **state) {
        struct fixture *fx = *state;
        struct boot_entry_spec s = spec;
        _cleanup_(boot_record_done) struct boot_record rec = {};

        put_text(fx, "/boot/mine.img", "the operator's image");
        s.initramfs = "/boot/mine.img";
        assert_int_equal(boot_entry_arm(fx->root, &s), 0);
        assert_int_equal(boot_record_read(fx->root, &rec), 0);
        assert_false(rec.initramfs_built);
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
        assert_true(file_exists(fx, "/boot/mine.img"));
        /* Named like oslift's own and not the armed one: left by an arm
         * whose record is gone, removed as before. */
        assert_false(file_exists(fx, IMAGE));

        /* Given, with the name oslift's own images have: kept. */
        put_text(fx, IMAGE, "upgrade initramfs");
        s.initramfs = IMAGE;
        assert_int_equal(boot_entry_arm(fx->root, &s), 0);
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        assert_true(file_exists(fx, IMAGE));

        /* Built by stage: removed. */
        s.initramfs_built = true;
        assert_int_equal(boot_entry_arm(fx->root, &s), 0);
        assert_int_equal(boot_entry_disarm(fx->root), 0);
        assert_false(file_exists(fx, IMAGE));
        assert_true(file_exists(fx, "/boot/mine.img"));
}

/* initramfs_built round-trips; a record from before the key says "not
 * built" (an image then goes only by oslift's own name, remove_images()). */
static void test_record_initramfs_built(void **state) {
        struct fixture *fx = *state;
        struct boot_record rec = {
                .grub_dir = (char *) "/boot/grub", .grubenv = (char *) "/boot/grub/grubenv",
                .next_entry = (char *) "", .kver = (char *) KVER, .initramfs = (char *) IMAGE,
        };
        struct boot_record back = {};
        char old[] = "grub_dir=/boot/grub2\nnext_entry=\nkver=1\ninitramfs=/boot/x.img\n";
        char bad[] = "grub_dir=/boot/grub2\nnext_entry=\ninitramfs_built=maybe\n";

        for (int built = 0; built <= 1; built++) {
                rec.initramfs_built = built;
                assert_int_equal(boot_record_write(fx->root, &rec), 0);
                assert_int_equal(boot_record_read(fx->root, &back), 0);
                assert_int_equal(back.initramfs_built, built);
                assert_string_equal(back.initramfs, IMAGE);
                boot_record_done(&back);
        }
        assert_int_equal(boot_record_parse(old, &back), 0);
        assert_false(back.initramfs_built);
        boot_record_done(&back);
        assert_int_equal(boot_record_parse(bad, &back), -EBADMSG);
}

/* The record: an ESP directory is one, a path out of it is not; a record
 * written before grubenv was recorded means GRUB_DIR/grubenv. */
static void test_record_layouts(void **state) {
        struct boot_record rec = {};
        char old[] = "grub_dir=/boot/grub2\nnext_entry=\nkver=1\ninitramfs=/boot/x.img\n";
        char esp[] = "grub_dir=/boot/efi/EFI/centos\ngrubenv=/boot/efi/EFI/centos/grubenv\nnext_entry=\n";
        char escape[] = "grub_dir=/boot/efi/EFI/..\nnext_entry=\n";
        char env_out[] = "grub_dir=/boot/grub2\ngrubenv=/etc/grubenv\nnext_entry=\n";
        char env_dots[] = "grub_dir=/boot/grub2\ngrubenv=/boot/../etc/grubenv\nnext_entry=\n";

        assert_int_equal(boot_record_parse(old, &rec), 0);
        assert_string_equal(rec.grubenv, "/boot/grub2/grubenv");
        boot_record_done(&rec);
        assert_int_equal(boot_record_parse(esp, &rec), 0);
        assert_string_equal(rec.grub_dir, "/boot/efi/EFI/centos");
        assert_string_equal(rec.grubenv, "/boot/efi/EFI/centos/grubenv");
        boot_record_done(&rec);
        assert_int_equal(boot_record_parse(escape, &rec), -EBADMSG);
        assert_int_equal(boot_record_parse(env_out, &rec), -EBADMSG);
        assert_int_equal(boot_record_parse(env_dots, &rec), -EBADMSG);
        assert_true(boot_grub_dir_valid("/boot/efi/EFI/redhat"));
        assert_false(boot_grub_dir_valid("/boot/efi/EFI/"));
        assert_false(boot_grub_dir_valid("/boot/efi/EFI/a/b"));
        assert_false(boot_grub_dir_valid("/boot/efi/EFI/a b"));
        assert_false(boot_grub_dir_valid("/boot/efi"));
}

/* A stub is recognised by what it lacks and what it does. */
static void test_stub_detection(void **state) {
        assert_true(boot_entry_grub_cfg_is_stub(el9_stub));
        assert_true(boot_entry_grub_cfg_is_stub(debian_stub));
        assert_false(boot_entry_grub_cfg_is_stub(el7_efi_cfg));
        assert_false(boot_entry_grub_cfg_is_stub(el8_efi_cfg));
        assert_false(boot_entry_grub_cfg_is_stub(grub_cfg));
        assert_false(boot_entry_grub_cfg_is_stub("set timeout=5\n"));
}

/* ---- readiness -------------------------------------------------------------- */

static void test_check(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *reason = NULL;
        char full[256], block[GRUBENV_SIZE + 1];

        assert_int_equal(boot_entry_check(fx->root, KVER, &reason), 0);
        assert_null(reason);
        /* The only kernel in the root, when none is named. */
        assert_int_equal(boot_entry_check(fx->root, NULL, &reason), 0);

        assert_check_fails(fx, "6.1.0-other", -ENOENT, "/boot/vmlinuz-6.1.0-other is missing");
        put_text(fx, "/boot/vmlinuz-6.1.0-other", "k");
        put_text(fx, "/boot/vmlinuz-0-rescue-0123456789abcdef", "k");
        assert_check_fails(fx, NULL, -EINVAL, "more than one kernel");
        assert_int_equal(boot_entry_check(fx->root, "6.1.0-other", &reason), 0);

        /* grubenv: wrong size, full. */
        memset(block, '#', sizeof(block));
        put_file(fx, "/boot/grub/grubenv", block, sizeof(block));
        assert_check_fails(fx, KVER, -EBADMSG, "is not a 1024-byte GRUB environment block");
        memset(block, 'x', sizeof(block));
        memcpy(block, "f=", 2);
        block[GRUBENV_SIZE - strlen(GRUBENV_HEADER) - 1] = '\n';
        block[GRUBENV_SIZE - strlen(GRUBENV_HEADER)] = '\0';
        put_grubenv(fx, "/boot/grub/grubenv", block);
        assert_check_fails(fx, KVER, -ENOSPC, "no room for next_entry=oslift-upgrade");
        put_grubenv(fx, "/boot/grub/grubenv", admin_env);

        /* grub.cfg that would never see the entry or next_entry. */
        put_text(fx, "/boot/grub/grub.cfg", "if [ \"${next_entry}\" ] ; then\nfi\n");
        assert_check_fails(fx, KVER, -EOPNOTSUPP, "does not read custom.cfg");
        put_text(fx, "/boot/grub/grub.cfg", "source ${config_directory}/custom.cfg\n");
        assert_check_fails(fx, KVER, -EOPNOTSUPP, "ignores next_entry");

        /* No GRUB 2 at all. */
        full_path(fx, "/boot/grub/grub.cfg", full, sizeof(full));
        assert_int_equal(unlink(full), 0);
        assert_check_fails(fx, KVER, -ENOENT, "no GRUB 2 configuration");
        assert_int_equal(boot_entry_arm(fx->root, &spec), -ENOENT);
        assert_false(file_exists(fx, BOOT_ENTRY_RECORD));
}

static void test_space_check(void **state) {
        struct fixture *fx = *state;
        uint64_t needed = 0, available = 0;
        char *big = calloc(1, 300000);

        assert_non_null(big);
        /* No current initramfs: the fallback estimate. */
        assert_int_equal(boot_space_check(fx->root, KVER, &needed, &available), 0);
        assert_int_equal(needed, BOOT_INITRAMFS_UNKNOWN + BOOT_INITRAMFS_SLACK);
        assert_true(available > 0);
        put_file(fx, "/boot/initrd.img-" KVER, big, 300000);
        assert_int_equal(boot_space_check(fx->root, KVER, &needed, &available), 0);
        assert_int_equal(needed, 300000 + BOOT_INITRAMFS_SLACK);
        put_file(fx, "/boot/initramfs-" KVER ".img", big, 1000);
        assert_int_equal(boot_space_check(fx->root, NULL, &needed, &available), 0);
        assert_int_equal(needed, 1000 + BOOT_INITRAMFS_SLACK);
        assert_int_equal(boot_space_check(fx->root, "bad kver", &needed, &available), -EINVAL);
        free(big);
}

/* ---- pieces ----------------------------------------------------------------- */

static void test_cmdline(void **state) {
        static const struct {
                const char *current, *extra, *want;
        } cases[] = {
                { "BOOT_IMAGE=(hd0,msdos1)/vmlinuz-3.10.0 root=/dev/mapper/cl-root ro crashkernel=auto rhgb quiet\n",
                  NULL, "root=/dev/mapper/cl-root ro crashkernel=auto rhgb quiet rd.oslift.upgrade rd.shell=0 rd.emergency=reboot rd.timeout=300" },
                { "  rd.oslift.upgrade rd.oslift=1 rd.oslift rd.osliftx=1 ro  ", "console=ttyS0,115200 a=b",
                  "rd.osliftx=1 ro rd.oslift.upgrade rd.shell=0 rd.emergency=reboot rd.timeout=300 console=ttyS0,115200 a=b" },
                { "", NULL, "rd.oslift.upgrade rd.shell=0 rd.emergency=reboot rd.timeout=300" },
                { "foo=\"a b\" \"BOOT_IMAGE=x y\" ro", NULL, "foo=\"a b\" \"BOOT_IMAGE=x y\" ro rd.oslift.upgrade rd.shell=0 rd.emergency=reboot rd.timeout=300" },
                { "ro\tquiet\n", "", "ro quiet rd.oslift.upgrade rd.shell=0 rd.emergency=reboot rd.timeout=300" },
                /* After "--" come init's arguments: ours go before. */
                { "ro quiet -- single rd.oslift.x", "console=ttyS0", "ro quiet rd.oslift.upgrade rd.shell=0 rd.emergency=reboot rd.timeout=300 console=ttyS0 -- "
                  "single rd.oslift.x" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *got = NULL;
                assert_int_equal(boot_entry_make_cmdline(cases[i].current, cases[i].extra, &got), 0);
                assert_string_equal(got, cases[i].want);
        }
        {
                char *got = NULL;
                assert_int_equal(boot_entry_make_cmdline("a=\\x", NULL, &got), -EINVAL);
                assert_int_equal(boot_entry_make_cmdline("ro", "it's", &got), -EINVAL);
                assert_int_equal(boot_entry_make_cmdline("a=\x01", NULL, &got), -EINVAL);
                /* An open quote would swallow rd.oslift.upgrade. */
                assert_int_equal(boot_entry_make_cmdline("ro a=\"b -- single", NULL, &got), -EINVAL);
                assert_int_equal(boot_entry_make_cmdline("ro", "console=\"ttyS0", &got), -EINVAL);
                assert_null(got);
        }
}

/* What GRUB receives: one single-quoted word per kernel word, the double
 * quotes left to GRUB's linux command to put back around blanks. */
static void test_grub_words(void **state) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        boot_entry_put_grub_word(f, "ro");
        boot_entry_put_grub_word(f, "foo=\"a b\"");
        boot_entry_put_grub_word(f, "$x;reboot");
        fclose(f);
        assert_string_equal(text, " 'ro' 'foo=a b' '$x;reboot'");
}

static void test_find_block(void **state) {
        static const char text[] = "a\n" BOOT_ENTRY_BEGIN_MARKER "\nx\n" BOOT_ENTRY_END_MARKER "\nb\n";
        size_t begin, end;

        assert_int_equal(boot_entry_find_block(text, strlen(text), &begin, &end), 1);
        assert_int_equal(begin, 2);
        assert_int_equal(end, strlen(text) - 2);
        assert_int_equal(boot_entry_find_block("a\n", 2, &begin, &end), 0);
        assert_int_equal(boot_entry_find_block("", 0, &begin, &end), 0);
        /* Markers count only as whole lines. */
        assert_int_equal(boot_entry_find_block("# " BOOT_ENTRY_BEGIN_MARKER "\n", strlen(BOOT_ENTRY_BEGIN_MARKER) + 3, &begin, &end), 0);
        assert_int_equal(boot_entry_find_block(BOOT_ENTRY_BEGIN_MARKER "\nx\n", strlen(BOOT_ENTRY_BEGIN_MARKER) + 3, &begin, &end), -EBADMSG);
        /* An END without a final newline still ends it. */
        assert_int_equal(boot_entry_find_block(BOOT_ENTRY_BEGIN_MARKER "\n" BOOT_ENTRY_END_MARKER, strlen(BOOT_ENTRY_BEGIN_MARKER BOOT_ENTRY_END_MARKER) + 1, &begin,
                                    &end), 1);
        assert_int_equal(end, strlen(BOOT_ENTRY_BEGIN_MARKER BOOT_ENTRY_END_MARKER) + 1);
        /* Saved with CRLF line ends: still ours, CR and all. */
        {
                static const char crlf[] = "a\r\n" BOOT_ENTRY_BEGIN_MARKER "\r\nx\r\n" BOOT_ENTRY_END_MARKER " \r\nb\r\n";
                assert_int_equal(boot_entry_find_block(crlf, strlen(crlf), &begin, &end), 1);
                assert_int_equal(begin, 3);
                assert_int_equal(end, strlen(crlf) - 3);
        }
}

static void test_linux_commands(void **state) {
        const char *l, *i;

        boot_entry_linux_commands("menuentry 'x' {\n\tlinuxefi /vmlinuz ro\n\tinitrdefi /i\n}\n", &l, &i);
        assert_string_equal(l, "linuxefi");
        assert_string_equal(i, "initrdefi");
        boot_entry_linux_commands("\tlinux16 /vmlinuz\n", &l, &i);
        assert_string_equal(l, "linux16");
        assert_string_equal(i, "initrd16");
        boot_entry_linux_commands("\tlinux\t/vmlinuz\n", &l, &i);
        assert_string_equal(l, "linux");
        boot_entry_linux_commands("blscfg\n# linux16 in a comment does not count\nlinuxfoo x\n", &l, &i);
        assert_string_equal(l, "linux");
        assert_string_equal(i, "initrd");
}

static void test_run_logged(void **state) {
        assert_int_equal(run_logged((char *const[]) { (char *) "/bin/sh", (char *) "-c",
                                           (char *) "echo out; echo err >&2", NULL }),
                         0);
        assert_int_equal(run_logged((char *const[]) { (char *) "/bin/sh", (char *) "-c",
                                           (char *) "for i in $(seq 30); do echo line $i; done; exit 3",
                                           NULL }),
                         -EIO);
        assert_int_equal(run_logged((char *const[]) { (char *) "/nonexistent/dracut", NULL }), -EIO);
}

static void test_build_initramfs_root_dir(void **state) {
        struct fixture *fx = *state;
        char *path = NULL;

        /* dracut builds for the system it runs on only. */
        assert_int_equal(boot_entry_build_initramfs(fx->root, KVER, &path), -EOPNOTSUPP);
        assert_null(path);
}

static void test_default_kver(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *k = NULL;
        struct utsname u;
        char full[256];

        assert_int_equal(boot_entry_default_kver(fx->root, &k), 0);
        assert_string_equal(k, KVER);
        free(k);
        k = NULL;
        assert_int_equal(boot_entry_default_kver("/", &k), 0);
        assert_int_equal(uname(&u), 0);
        assert_string_equal(k, u.release);
        full_path(fx, "/boot/vmlinuz-" KVER, full, sizeof(full));
        assert_int_equal(unlink(full), 0);
        free(k);
        k = NULL;
        assert_int_equal(boot_entry_default_kver(fx->root, &k), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_read_file, setup_bare, teardown),
                cmocka_unit_test_setup_teardown(test_arm_disarm, setup, teardown),
                cmocka_unit_test_setup_teardown(test_entry_text, setup, teardown),
                cmocka_unit_test_setup_teardown(test_arm_creates, setup_bare, teardown),
                cmocka_unit_test_setup_teardown(test_previous_values_restored, setup, teardown),
                cmocka_unit_test_setup_teardown(test_disarm_after_boot, setup, teardown),
                cmocka_unit_test_setup_teardown(test_disarm_without_record, setup, teardown),
                cmocka_unit_test_setup_teardown(test_broken_block_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_el_layout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_layout_el7_bios, setup, teardown),
                cmocka_unit_test_setup_teardown(test_layout_el7_uefi, setup, teardown),
                cmocka_unit_test_setup_teardown(test_layout_el8_uefi, setup, teardown),
                cmocka_unit_test_setup_teardown(test_layout_stub, setup, teardown),
                cmocka_unit_test_setup_teardown(test_layout_two_vendors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_grubenv_link_outside, setup, teardown),
                cmocka_unit_test_setup_teardown(test_esp_checks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_disarm_grub_dir_gone, setup, teardown),
                cmocka_unit_test(test_record_layouts),
                cmocka_unit_test_setup_teardown(test_disarm_keeps_given_image, setup, teardown),
                cmocka_unit_test_setup_teardown(test_record_initramfs_built, setup, teardown),
                cmocka_unit_test(test_stub_detection),
                cmocka_unit_test_setup_teardown(test_check, setup, teardown),
                cmocka_unit_test_setup_teardown(test_space_check, setup, teardown),
                cmocka_unit_test(test_cmdline),
                cmocka_unit_test(test_grub_words),
                cmocka_unit_test(test_find_block),
                cmocka_unit_test(test_linux_commands),
                cmocka_unit_test(test_run_logged),
                cmocka_unit_test_setup_teardown(test_build_initramfs_root_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_default_kver, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
