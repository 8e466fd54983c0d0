/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GRUB environment block: byte-exact round trips, GRUB's escaping,
 * refusal of anything that is not a well-formed 1024-byte block, a block
 * that must not overflow, and files rewritten in place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grubenv.h"
#include "macro.h"
#include "fake-root.h"

#define HEADER_LEN (sizeof(GRUBENV_HEADER) - 1)

/* header + content + '#' padding, as grub-editenv writes it. */
static void make_block(char buf[static GRUBENV_SIZE], const char *content) {
        size_t n = strlen(content);

        assert_true(HEADER_LEN + n <= GRUBENV_SIZE);
        memcpy(buf, GRUBENV_HEADER, HEADER_LEN);
        memcpy(buf + HEADER_LEN, content, n);
        memset(buf + HEADER_LEN + n, '#', GRUBENV_SIZE - HEADER_LEN - n);
}

static struct grubenv *parse_content(const char *content) {
        char buf[GRUBENV_SIZE];
        struct grubenv *env = NULL;

        make_block(buf, content);
        assert_int_equal(grubenv_parse(buf, sizeof(buf), &env), 0);
        assert_non_null(env);
        return env;
}

/* The block env serializes to equals header + content + padding. */
static void assert_block(const struct grubenv *env, const char *content) {
        char want[GRUBENV_SIZE], got[GRUBENV_SIZE];

        make_block(want, content);
        assert_int_equal(grubenv_serialize(env, got), 0);
        assert_memory_equal(got, want, GRUBENV_SIZE);
}

static const char *const fedora_like = "saved_entry=0f5e6a7c2d1b4e8f9a0b1c2d3e4f5a6b-5.14.0-362.el9.x86_64\n"
                                       "menu_auto_hide=1\n"
                                       "boot_success=0\n"
                                       "boot_indeterminate=0\n";

static void test_new_is_empty_block(void **state) {
        _cleanup_(grubenv_freep) struct grubenv *env = grubenv_new();
        char buf[GRUBENV_SIZE];

        assert_non_null(env);
        assert_true(grubenv_is_empty(env));
        assert_int_equal(grubenv_serialize(env, buf), 0);
        assert_memory_equal(buf, GRUBENV_HEADER, HEADER_LEN);
        for (size_t i = HEADER_LEN; i < GRUBENV_SIZE; i++)
                assert_int_equal(buf[i], '#');
        assert_null(grubenv_get(env, "next_entry"));
}

static void test_round_trip(void **state) {
        static const char *const contents[] = {
                "",
                "saved_entry=CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)\n",
                "saved_entry=gnulinux-advanced-1234>gnulinux-6.1.0-18-amd64-advanced-1234\nnext_entry=\n",
                "# a comment line\nkernelopts=root=/dev/mapper/cl-root ro crashkernel=auto\n#\n",
                "weird=a\\qb\\\\c\\\nd\n", /* escapes GRUB would not write, kept as they are */
                "empty=\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(contents); i++) {
                _cleanup_(grubenv_freep) struct grubenv *env = parse_content(contents[i]);
                assert_block(env, contents[i]);
        }
        {
                _cleanup_(grubenv_freep) struct grubenv *env = parse_content(fedora_like);
                assert_block(env, fedora_like);
                assert_string_equal(grubenv_get(env, "menu_auto_hide"), "1");
                assert_string_equal(grubenv_get(env, "saved_entry"),
                                    "0f5e6a7c2d1b4e8f9a0b1c2d3e4f5a6b-5.14.0-362.el9.x86_64");
                assert_false(grubenv_is_empty(env));
        }
}

static void test_block_without_padding(void **state) {
        /* Content that ends exactly at byte 1024, newline included. */
        char content[GRUBENV_SIZE - HEADER_LEN + 1];
        size_t n = sizeof(content) - 1;
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;

        memcpy(content, "fill=", 5);
        memset(content + 5, 'x', n - 6);
        content[n - 1] = '\n';
        content[n] = '\0';
        env = parse_content(content);
        assert_block(env, content);
        assert_int_equal(strlen(grubenv_get(env, "fill")), n - 6);
}

static void test_set_unset(void **state) {
        _cleanup_(grubenv_freep) struct grubenv *env = parse_content(fedora_like);
        _cleanup_free_ char *appended = NULL;

        /* New: appended after the last line. */
        assert_int_equal(grubenv_set(env, "next_entry", "oslift-upgrade"), 0);
        assert_string_equal(grubenv_get(env, "next_entry"), "oslift-upgrade");
        assert_int_not_equal(asprintf(&appended, "%snext_entry=oslift-upgrade\n", fedora_like), -1);
        assert_block(env, appended);

        /* Unset gives back exactly what was there. */
        assert_int_equal(grubenv_unset(env, "next_entry"), 1);
        assert_null(grubenv_get(env, "next_entry"));
        assert_block(env, fedora_like);
        assert_int_equal(grubenv_unset(env, "next_entry"), 0);

        /* Existing: in place, a longer and a shorter value. */
        assert_int_equal(grubenv_set(env, "menu_auto_hide", "a much longer value"), 0);
        assert_block(env, "saved_entry=0f5e6a7c2d1b4e8f9a0b1c2d3e4f5a6b-5.14.0-362.el9.x86_64\n"
                          "menu_auto_hide=a much longer value\n"
                          "boot_success=0\n"
                          "boot_indeterminate=0\n");
        assert_int_equal(grubenv_set(env, "menu_auto_hide", ""), 0);
        assert_string_equal(grubenv_get(env, "menu_auto_hide"), "");
        assert_int_equal(grubenv_set(env, "menu_auto_hide", "1"), 0);
        assert_block(env, fedora_like);
}

static void test_set_keeps_comments(void **state) {
        _cleanup_(grubenv_freep) struct grubenv *env = parse_content("a=1\n# keep me\nb=2\n");

        assert_int_equal(grubenv_set(env, "b", "3"), 0);
        assert_int_equal(grubenv_set(env, "c", "4"), 0);
        assert_int_equal(grubenv_unset(env, "a"), 1);
        assert_block(env, "# keep me\nb=3\nc=4\n");
}

static void test_duplicates(void **state) {
        _cleanup_(grubenv_freep) struct grubenv *env = parse_content("a=1\nb=x\na=2\n");

        /* load_env sets them in order: the last one is what GRUB sees. */
        assert_string_equal(grubenv_get(env, "a"), "2");
        assert_int_equal(grubenv_set(env, "a", "3"), 0);
        assert_block(env, "a=3\nb=x\n");
        assert_string_equal(grubenv_get(env, "a"), "3");
        {
                _cleanup_(grubenv_freep) struct grubenv *e2 = parse_content("a=1\nb=x\na=2\n");
                assert_int_equal(grubenv_unset(e2, "a"), 1);
                assert_block(e2, "b=x\n");
        }
}

static void test_escaping(void **state) {
        _cleanup_(grubenv_freep) struct grubenv *env = grubenv_new();
        _cleanup_(grubenv_freep) struct grubenv *back = NULL;
        char buf[GRUBENV_SIZE];

        assert_non_null(env);
        assert_int_equal(grubenv_set(env, "v", "a\\b\nc"), 0);
        assert_int_equal(grubenv_set(env, "w", "\\"), 0);
        assert_int_equal(grubenv_set(env, "x", "\n"), 0);
        assert_int_equal(grubenv_set(env, "y", "#=#"), 0);
        /* Escaped as GRUB's grub_envblk_set() escapes them. */
        assert_block(env, "v=a\\\\b\\\nc\nw=\\\\\nx=\\\n\ny=#=#\n");

        assert_int_equal(grubenv_serialize(env, buf), 0);
        assert_int_equal(grubenv_parse(buf, sizeof(buf), &back), 0);
        assert_string_equal(grubenv_get(back, "v"), "a\\b\nc");
        assert_string_equal(grubenv_get(back, "w"), "\\");
        assert_string_equal(grubenv_get(back, "x"), "\n");
        assert_string_equal(grubenv_get(back, "y"), "#=#");

        /* GRUB drops any escaping backslash. */
        {
                _cleanup_(grubenv_freep) struct grubenv *e = parse_content("q=a\\qb\\=\n");
                assert_string_equal(grubenv_get(e, "q"), "aqb=");
        }
}

static void test_invalid_names(void **state) {
        _cleanup_(grubenv_freep) struct grubenv *env = grubenv_new();
        static const char *const bad[] = { "", "#x", "a=b", "a\nb", "=" };

        assert_non_null(env);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(grubenv_set(env, bad[i], "v"), -EINVAL);
        assert_true(grubenv_is_empty(env));
        assert_block(env, "");
}

static void assert_refused(const void *data, size_t size) {
        struct grubenv *env = NULL;

        assert_int_equal(grubenv_parse(data, size, &env), -EBADMSG);
        assert_null(env);
}

static void assert_content_refused(const char *content) {
        char buf[GRUBENV_SIZE];

        make_block(buf, content);
        assert_refused(buf, sizeof(buf));
}

static void test_refuses_wrong_size_or_header(void **state) {
        char buf[GRUBENV_SIZE + 1];

        make_block(buf, "a=1\n");
        buf[GRUBENV_SIZE] = '#';
        assert_refused(buf, GRUBENV_SIZE - 1);
        assert_refused(buf, GRUBENV_SIZE + 1);
        assert_refused(buf, 0);
        assert_refused(buf, HEADER_LEN);

        make_block(buf, "a=1\n");
        buf[2] = 'g'; /* "# gRUB" */
        assert_refused(buf, GRUBENV_SIZE);
        make_block(buf, "a=1\n");
        buf[HEADER_LEN - 1] = '#'; /* header without its newline */
        assert_refused(buf, GRUBENV_SIZE);
        memset(buf, '#', GRUBENV_SIZE);
        assert_refused(buf, GRUBENV_SIZE);
}

static void test_refuses_malformed(void **state) {
        char buf[GRUBENV_SIZE];

        assert_content_refused("novalue\n");          /* GRUB would read on into the next line */
        assert_content_refused("=nameless\n");
        assert_content_refused("\n");
        assert_content_refused("a=1\nb=2");            /* unterminated, padding glued on */
        assert_content_refused("a=ends in backslash\\"); /* escapes the padding */
        assert_content_refused("# comment without newline");

        make_block(buf, "a=1\n");
        buf[GRUBENV_SIZE - 1] = 'x'; /* padding that is not all '#' */
        assert_refused(buf, sizeof(buf));
        make_block(buf, "a=1\n");
        buf[HEADER_LEN + 2] = '\0';
        assert_refused(buf, sizeof(buf));
        make_block(buf, "a=1\n");
        buf[GRUBENV_SIZE - 1] = '\0';
        assert_refused(buf, sizeof(buf));

        /* A value filling the block whose last newline is escaped: it never
         * ends. */
        make_block(buf, "");
        memcpy(buf + HEADER_LEN, "a=", 2);
        memset(buf + HEADER_LEN + 2, 'v', GRUBENV_SIZE - HEADER_LEN - 4);
        memcpy(buf + GRUBENV_SIZE - 2, "\\\n", 2);
        assert_refused(buf, sizeof(buf));
        buf[GRUBENV_SIZE - 2] = 'v';
        {
                struct grubenv *env = NULL;
                assert_int_equal(grubenv_parse(buf, sizeof(buf), &env), 0);
                grubenv_free(env);
        }

        /* A comment that looks like a variable stays a comment, as in GRUB. */
        make_block(buf, "");
        memcpy(buf + GRUBENV_SIZE - 4, "a=\\\n", 4);
        {
                _cleanup_(grubenv_freep) struct grubenv *env = NULL;
                assert_int_equal(grubenv_parse(buf, sizeof(buf), &env), 0);
                assert_null(grubenv_get(env, "a"));
        }
}

static void test_overflow(void **state) {
        _cleanup_(grubenv_freep) struct grubenv *env = parse_content(fedora_like);
        size_t room = GRUBENV_SIZE - HEADER_LEN - strlen(fedora_like);
        char *value = malloc(GRUBENV_SIZE + 1);
        char block[GRUBENV_SIZE];

        assert_non_null(value);
        /* "n=" + value + "\n" fills the block to the last byte. */
        memset(value, 'v', room - 3);
        value[room - 3] = '\0';
        assert_int_equal(grubenv_set(env, "n", value), 0);
        assert_int_equal(grubenv_serialize(env, block), 0);
        assert_int_equal(block[GRUBENV_SIZE - 1], '\n');

        /* One more byte does not fit: refused, the block unchanged. */
        memset(value, 'v', room - 2);
        value[room - 2] = '\0';
        assert_int_equal(grubenv_set(env, "n", value), -ENOSPC);
        assert_int_equal(strlen(grubenv_get(env, "n")), room - 3);
        assert_int_equal(grubenv_set(env, "m", ""), -ENOSPC);
        assert_null(grubenv_get(env, "m"));
        {
                char again[GRUBENV_SIZE];
                assert_int_equal(grubenv_serialize(env, again), 0);
                assert_memory_equal(again, block, GRUBENV_SIZE);
        }
        /* Escapes count: a newline takes two bytes. */
        assert_int_equal(grubenv_unset(env, "n"), 1);
        memset(value, '\n', (room - 3) / 2 + 1);
        value[(room - 3) / 2 + 1] = '\0';
        assert_int_equal(grubenv_set(env, "n", value), -ENOSPC);
        value[(room - 3) / 2] = '\0';
        assert_int_equal(grubenv_set(env, "n", value), 0);

        /* Far too long. */
        memset(value, 'v', GRUBENV_SIZE);
        value[GRUBENV_SIZE] = '\0';
        assert_int_equal(grubenv_set(env, "big", value), -ENOSPC);
        free(value);
}

/* Every block the parser accepts serializes back to the same bytes, and
 * nothing it is fed makes it crash (ASan watches): a poor man's fuzzer
 * until libFuzzer runs over it. */
static void test_mutations(void **state) {
        static const char alphabet[] = "#=\\\na\0 ";
        char base[GRUBENV_SIZE], buf[GRUBENV_SIZE];
        unsigned seed = 12345, accepted = 0;

        make_block(base, "saved_entry=x\n# c\nnext_entry=\nv=a\\\\b\\\nc\n");
        for (unsigned i = 0; i < 20000; i++) {
                _cleanup_(grubenv_freep) struct grubenv *env = NULL;
                unsigned flips = 1 + (seed = seed * 1103515245 + 12345) % 4;

                memcpy(buf, base, sizeof(buf));
                for (unsigned f = 0; f < flips; f++) {
                        seed = seed * 1103515245 + 12345;
                        size_t at = HEADER_LEN + (seed >> 8) % (GRUBENV_SIZE - HEADER_LEN);
                        seed = seed * 1103515245 + 12345;
                        buf[at] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
                }
                if (grubenv_parse(buf, sizeof(buf), &env) == 0) {
                        char out[GRUBENV_SIZE];
                        accepted++;
                        assert_int_equal(grubenv_serialize(env, out), 0);
                        assert_memory_equal(out, buf, GRUBENV_SIZE);
                        (void) grubenv_set(env, "next_entry", "oslift-upgrade");
                        (void) grubenv_unset(env, "v");
                        assert_int_equal(grubenv_serialize(env, out), 0);
                } else
                        assert_null(env);
        }
        assert_true(accepted > 0);
}

/* ---- files ---------------------------------------------------------------- */

struct fixture {
        char root[64];
};

static int setup(void **state) {
        static const char *const dirs[] = { "/boot/grub2", NULL };
        struct fixture *fx = calloc(1, sizeof(*fx));

        if (!fx || fake_root_make(fx->root, "grubenv", dirs) < 0)
                return -1;
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;
        int r = fake_root_remove(fx->root);

        free(fx);
        return r;
}

static void write_bytes(const char *path, const void *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, size), (ssize_t) size);
        close(fd);
}

static void assert_file_bytes(const char *path, const void *want, size_t size) {
        char buf[GRUBENV_SIZE * 2];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        assert_true(fd >= 0);
        n = read(fd, buf, sizeof(buf));
        close(fd);
        assert_int_equal(n, (ssize_t) size);
        assert_memory_equal(buf, want, size);
}

static void test_file_in_place(void **state) {
        struct fixture *fx = *state;
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        char path[128], block[GRUBENV_SIZE], want[GRUBENV_SIZE];
        struct stat before, after;

        snprintf(path, sizeof(path), "%s/boot/grub2/grubenv", fx->root);
        make_block(block, fedora_like);
        write_bytes(path, block, sizeof(block));
        assert_int_equal(stat(path, &before), 0);

        assert_int_equal(grubenv_read(fx->root, "/boot/grub2/grubenv", &env), 0);
        assert_string_equal(grubenv_get(env, "boot_success"), "0");
        assert_int_equal(grubenv_set(env, "next_entry", "oslift-upgrade"), 0);
        assert_int_equal(grubenv_write(fx->root, "/boot/grub2/grubenv", env), 0);

        assert_int_equal(stat(path, &after), 0);
        assert_int_equal(after.st_ino, before.st_ino);
        assert_int_equal(after.st_size, GRUBENV_SIZE);
        assert_int_equal(grubenv_serialize(env, want), 0);
        assert_file_bytes(path, want, GRUBENV_SIZE);

        assert_int_equal(grubenv_unset(env, "next_entry"), 1);
        assert_int_equal(grubenv_write(fx->root, "/boot/grub2/grubenv", env), 0);
        assert_int_equal(stat(path, &after), 0);
        assert_int_equal(after.st_ino, before.st_ino);
        assert_file_bytes(path, block, GRUBENV_SIZE);
}

static void test_file_created(void **state) {
        struct fixture *fx = *state;
        _cleanup_(grubenv_freep) struct grubenv *env = grubenv_new();
        _cleanup_(grubenv_freep) struct grubenv *back = NULL;
        char path[128], want[GRUBENV_SIZE];
        struct stat st;

        assert_non_null(env);
        assert_int_equal(grubenv_read(fx->root, "/boot/grub2/grubenv", &back), -ENOENT);
        assert_int_equal(grubenv_set(env, "next_entry", "x"), 0);
        assert_int_equal(grubenv_write(fx->root, "/boot/grub2/grubenv", env), 0);
        snprintf(path, sizeof(path), "%s/boot/grub2/grubenv", fx->root);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        make_block(want, "next_entry=x\n");
        assert_file_bytes(path, want, GRUBENV_SIZE);
        assert_int_equal(grubenv_read(fx->root, "/boot/grub2/grubenv", &back), 0);
        assert_string_equal(grubenv_get(back, "next_entry"), "x");
}

static void test_file_refused(void **state) {
        struct fixture *fx = *state;
        _cleanup_(grubenv_freep) struct grubenv *env = grubenv_new();
        struct grubenv *none = NULL;
        char path[128], block[GRUBENV_SIZE + 10];

        assert_non_null(env);
        snprintf(path, sizeof(path), "%s/boot/grub2/grubenv", fx->root);

        /* Another size: neither read nor overwritten. */
        make_block(block, "a=1\n");
        memset(block + GRUBENV_SIZE, '#', 10);
        write_bytes(path, block, GRUBENV_SIZE + 10);
        assert_int_equal(grubenv_read(fx->root, "/boot/grub2/grubenv", &none), -EBADMSG);
        assert_int_equal(grubenv_write(fx->root, "/boot/grub2/grubenv", env), -EBADMSG);
        assert_file_bytes(path, block, GRUBENV_SIZE + 10);

        write_bytes(path, "", 0);
        assert_int_equal(grubenv_read(fx->root, "/boot/grub2/grubenv", &none), -EBADMSG);
        assert_int_equal(grubenv_write(fx->root, "/boot/grub2/grubenv", env), -EBADMSG);

        /* The right size, the wrong content. */
        memset(block, 'x', GRUBENV_SIZE);
        write_bytes(path, block, GRUBENV_SIZE);
        assert_int_equal(grubenv_read(fx->root, "/boot/grub2/grubenv", &none), -EBADMSG);

        /* A directory. */
        assert_int_equal(unlink(path), 0);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(grubenv_read(fx->root, "/boot/grub2/grubenv", &none), -EBADMSG);
        assert_true(grubenv_write(fx->root, "/boot/grub2/grubenv", env) < 0);
        assert_null(none);
}

/* EL on UEFI: /boot/grub2/grubenv -> ../efi/EFI/redhat/grubenv. Followed,
 * inside the root, and the link stays a link. */
static void test_file_symlink_in_root(void **state) {
        struct fixture *fx = *state;
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        char link_path[128], target[128], block[GRUBENV_SIZE], want[GRUBENV_SIZE], cmd[256];
        static const char *const links[] = { "../efi/EFI/redhat/grubenv", "/boot/efi/EFI/redhat/grubenv",
                                             "../../../../../../boot/efi/EFI/redhat/grubenv" };
        struct stat st;

        snprintf(cmd, sizeof(cmd), "mkdir -p '%s/boot/efi/EFI/redhat'", fx->root);
        assert_int_equal(system(cmd), 0);
        snprintf(link_path, sizeof(link_path), "%s/boot/grub2/grubenv", fx->root);
        snprintf(target, sizeof(target), "%s/boot/efi/EFI/redhat/grubenv", fx->root);

        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                grubenv_freep(&env);
                env = NULL;
                make_block(block, "saved_entry=a\n");
                write_bytes(target, block, sizeof(block));
                (void) unlink(link_path);
                assert_int_equal(symlink(links[i], link_path), 0);

                assert_int_equal(grubenv_read(fx->root, "/boot/grub2/grubenv", &env), 0);
                assert_string_equal(grubenv_get(env, "saved_entry"), "a");
                assert_int_equal(grubenv_set(env, "next_entry", "b"), 0);
                assert_int_equal(grubenv_write(fx->root, "/boot/grub2/grubenv", env), 0);
                make_block(want, "saved_entry=a\nnext_entry=b\n");
                assert_file_bytes(target, want, GRUBENV_SIZE);
                assert_int_equal(lstat(link_path, &st), 0);
                assert_true(S_ISLNK(st.st_mode));
        }

        /* A loop is refused, not followed forever. */
        assert_int_equal(unlink(link_path), 0);
        assert_int_equal(symlink("grubenv", link_path), 0);
        assert_int_equal(grubenv_read(fx->root, "/boot/grub2/grubenv", &env), -ELOOP);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new_is_empty_block),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_block_without_padding),
                cmocka_unit_test(test_set_unset),
                cmocka_unit_test(test_set_keeps_comments),
                cmocka_unit_test(test_duplicates),
                cmocka_unit_test(test_escaping),
                cmocka_unit_test(test_invalid_names),
                cmocka_unit_test(test_refuses_wrong_size_or_header),
                cmocka_unit_test(test_refuses_malformed),
                cmocka_unit_test(test_overflow),
                cmocka_unit_test(test_mutations),
                cmocka_unit_test_setup_teardown(test_file_in_place, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_created, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_symlink_in_root, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
