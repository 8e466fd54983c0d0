/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SHA-256 through librpm against the FIPS 180-2 test vectors. */
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
#include <unistd.h>

#include "digest.h"
#include "macro.h"

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_TWO_BLOCKS "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define SHA256_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

struct fixture {
        char dir[64];
        int dirfd;
};

static int setup(void **state) {
        struct fixture *fx = calloc(1, sizeof(*fx));

        if (!fx)
                return -1;
        strcpy(fx->dir, "/tmp/oslift-unit-digest.XXXXXX");
        if (!mkdtemp(fx->dir))
                return -1;
        fx->dirfd = open(fx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fx->dirfd < 0)
                return -1;
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;
        char cmd[128];

        close(fx->dirfd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
        if (system(cmd) != 0)
                return -1;
        free(fx);
        return 0;
}

static void write_file(int dirfd, const char *name, const void *data, size_t len) {
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t) len);
        assert_int_equal(close(fd), 0);
}

static void test_buffer_vectors(void **state _unused_) {
        static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        char hex[SHA256_HEX_SIZE];

        assert_int_equal(sha256_buffer("abc", 3, hex), 0);
        assert_string_equal(hex, SHA256_ABC);
        assert_int_equal(sha256_buffer("", 0, hex), 0);
        assert_string_equal(hex, SHA256_EMPTY);
        assert_int_equal(sha256_buffer(two_blocks, strlen(two_blocks), hex), 0);
        assert_string_equal(hex, SHA256_TWO_BLOCKS);
}

static void test_buffer_repeatable(void **state _unused_) {
        char a[SHA256_HEX_SIZE], b[SHA256_HEX_SIZE];

        /* Contexts are independent: no state leaks from one call to the next. */
        assert_int_equal(sha256_buffer("abc", 3, a), 0);
        assert_int_equal(sha256_buffer("abd", 3, b), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(sha256_buffer("abc", 3, b), 0);
        assert_string_equal(a, b);
}

static void test_file_million_a(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *data = malloc(1000000);
        char hex[SHA256_HEX_SIZE];
        uint64_t size = 0;

        /* 1,000,000 bytes: several 256 KiB reads and a partial last one. */
        assert_non_null(data);
        memset(data, 'a', 1000000);
        write_file(fx->dirfd, "a.rpm", data, 1000000);
        assert_int_equal(sha256_file(fx->dirfd, "a.rpm", hex, &size), 0);
        assert_string_equal(hex, SHA256_MILLION_A);
        assert_int_equal(size, 1000000);
}

static void test_file_small_and_empty(void **state) {
        struct fixture *fx = *state;
        char hex[SHA256_HEX_SIZE], path[128];
        uint64_t size = 99;

        write_file(fx->dirfd, "abc", "abc", 3);
        assert_int_equal(sha256_file(fx->dirfd, "abc", hex, &size), 0);
        assert_string_equal(hex, SHA256_ABC);
        assert_int_equal(size, 3);

        write_file(fx->dirfd, "empty", "", 0);
        assert_int_equal(sha256_file(fx->dirfd, "empty", hex, &size), 0);
        assert_string_equal(hex, SHA256_EMPTY);
        assert_int_equal(size, 0);

        /* ret_size is optional; an absolute path ignores dirfd. */
        snprintf(path, sizeof(path), "%s/abc", fx->dir);
        assert_int_equal(sha256_file(-1, path, hex, NULL), 0);
        assert_string_equal(hex, SHA256_ABC);
        assert_int_equal(sha256_file(AT_FDCWD, path, hex, NULL), 0);
        assert_string_equal(hex, SHA256_ABC);
}

static void test_file_exactly_one_chunk(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *data = malloc(256 * 1024);
        char a[SHA256_HEX_SIZE], b[SHA256_HEX_SIZE];
        uint64_t size = 0;

        assert_non_null(data);
        for (size_t i = 0; i < 256 * 1024; i++)
                data[i] = (char) (i * 7 + i / 251);
        write_file(fx->dirfd, "chunk", data, 256 * 1024);
        assert_int_equal(sha256_file(fx->dirfd, "chunk", a, &size), 0);
        assert_int_equal(sha256_buffer(data, 256 * 1024, b), 0);
        assert_string_equal(a, b);
        assert_int_equal(size, 256 * 1024);
}

static void test_file_refusals(void **state) {
        struct fixture *fx = *state;
        char hex[SHA256_HEX_SIZE];
        uint64_t size = 42;

        assert_int_equal(sha256_file(fx->dirfd, "missing", hex, &size), -ENOENT);
        assert_string_equal(hex, "");
        assert_int_equal(size, 42);

        write_file(fx->dirfd, "target", "abc", 3);
        assert_int_equal(symlinkat("target", fx->dirfd, "link"), 0);
        assert_int_equal(sha256_file(fx->dirfd, "link", hex, &size), -ELOOP);

        assert_int_equal(mkdirat(fx->dirfd, "dir", 0755), 0);
        assert_int_equal(sha256_file(fx->dirfd, "dir", hex, &size), -EISDIR);

        /* Must return at once, not wait for a writer. */
        assert_int_equal(mkfifoat(fx->dirfd, "fifo", 0600), 0);
        assert_int_equal(sha256_file(fx->dirfd, "fifo", hex, &size), -EBADFD);
        assert_string_equal(hex, "");
        assert_int_equal(size, 42);
}

/* digest_file_hex: the algorithm a package's file digests name (rpm's
 * PGPHASHALGO_* numbers), the file opened as sha256_file() opens it. */
static void test_file_hex_algorithms(void **state) {
        struct fixture *fx = *state;
        char *hex = NULL;

        write_file(fx->dirfd, "abc", "abc", 3);
        assert_int_equal(digest_file_hex(fx->dirfd, "abc", 8 /* SHA-256 */, &hex), 0);
        assert_string_equal(hex, SHA256_ABC);
        free(hex);
        assert_int_equal(digest_file_hex(fx->dirfd, "abc", 1 /* MD5, EL 5's packages */, &hex), 0);
        assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
        free(hex);

        assert_int_equal(digest_file_hex(fx->dirfd, "missing", 8, &hex), -ENOENT);
        assert_null(hex);
        assert_int_equal(symlinkat("abc", fx->dirfd, "link"), 0);
        assert_int_equal(digest_file_hex(fx->dirfd, "link", 8, &hex), -ELOOP);
        assert_int_equal(mkfifoat(fx->dirfd, "fifo", 0600), 0);
        assert_int_equal(digest_file_hex(fx->dirfd, "fifo", 8, &hex), -EBADFD);
        assert_int_equal(digest_file_hex(fx->dirfd, "abc", 12345, &hex), -EOPNOTSUPP);
        assert_null(hex);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_buffer_vectors),
                cmocka_unit_test(test_buffer_repeatable),
                cmocka_unit_test_setup_teardown(test_file_million_a, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_small_and_empty, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_exactly_one_chunk, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_hex_algorithms, setup, teardown),
        };
        return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
