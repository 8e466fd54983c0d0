/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The serial dump, both ends: dumps made by the upgrader's own writer
 * (serial_dump_write(), and the console + ring path that boot.c uses) are
 * read back by host-prep's decoder byte for byte, through the noise a real
 * serial capture has; every damaged or cut-off capture fails with a message
 * naming the problem, never with a wrong log and never with a crash.
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
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "console.h"
#include "log.h"
#include "serial-dump.h"
#include "serial-dump-internal.h"

static const char end_line[] = "-----END OSLIFT LOG v1-----";

/* A growing byte buffer for building captures. */
struct buf {
        char *p;
        size_t n, size;
};

static void buf_add(struct buf *b, const void *p, size_t n) {
        if (b->n + n + 1 > b->size) {
                b->size = (b->n + n + 1) * 2;
                b->p = realloc(b->p, b->size);
                assert_non_null(b->p);
        }
        memcpy(b->p + b->n, p, n);
        b->n += n;
        b->p[b->n] = '\0';
}

static void buf_adds(struct buf *b, const char *s) {
        buf_add(b, s, strlen(s));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rng(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (uint32_t) (rng_state >> 11);
}

/*
 * A log as the ring holds it: timestamped lines, UTF-8 and a tab passed
 * through; with noisy, some random hex that does not compress, so that the
 * dump runs to many lines.
 */
static char *make_log(size_t target, bool noisy, size_t *ret_len) {
        struct buf b = {};
        char line[256];

        for (unsigned i = 0; b.n < target; i++) {
                int n = snprintf(line, sizeof(line),
                                 "[%6u.%03u] info: upgrading paquet-é-%u-1.%u-%u.x86_64 (%u of 812)\tüber %08x%08x\n",
                                 i / 10, (i * 37) % 1000, i, i % 7, i % 3, i + 1, noisy ? rng() : 0u,
                                 noisy ? rng() : 0u);
                buf_add(&b, line, (size_t) n);
        }
        if (!b.p)
                buf_add(&b, "", 0);
        *ret_len = b.n;
        return b.p;
}

static char *read_fd(int fd, size_t *ret_len) {
        struct buf b = {};
        char chunk[65536];
        ssize_t k;

        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        while ((k = read(fd, chunk, sizeof(chunk))) > 0)
                buf_add(&b, chunk, (size_t) k);
        assert_true(k == 0);
        if (!b.p)
                buf_add(&b, "", 0);
        *ret_len = b.n;
        return b.p;
}

/* The dump of text as the upgrader writes it (into a temporary file). */
static char *dump_of(const char *text, size_t len, size_t *ret_len) {
        FILE *f = tmpfile();
        char *dump;

        assert_non_null(f);
        assert_int_equal(serial_dump_write(fileno(f), text, len), 0);
        dump = read_fd(fileno(f), ret_len);
        fclose(f);
        return dump;
}

/* Decodes capture and checks it gives back text exactly. */
static void expect_log(const char *capture, size_t n, const char *text, size_t len, struct serial_dump *d) {
        int r = serial_dump_parse("console.txt", capture, n, d);

        if (r != 0)
                print_error("decoding failed (%d): %s\n", r, d->error ? d->error : "(no message)");
        assert_int_equal(r, 0);
        assert_null(d->error);
        assert_non_null(d->log);
        assert_int_equal(d->len, len);
        assert_memory_equal(d->log, text, len);
        assert_int_equal(d->log[len], '\0');
}

static void expect_ok(const char *capture, size_t n, const char *text, size_t len) {
        struct serial_dump d;

        expect_log(capture, n, text, len, &d);
        serial_dump_done(&d);
}

/* Decodes capture and checks it fails with r and a message holding each
 * of the NULL-terminated substrings. */
static void expect_error(const char *capture, size_t n, int r_want, struct serial_dump *d, ...) {
        int r = serial_dump_parse("console.txt", capture, n, d);
        va_list ap;

        if (r != r_want)
                print_error("got %d, want %d: %s\n", r, r_want, d->error ? d->error : "(no message)");
        assert_int_equal(r, r_want);
        assert_non_null(d->error);
        va_start(ap, d);
        for (const char *want; (want = va_arg(ap, const char *));)
                if (!strstr(d->error, want)) {
                        print_error("message lacks '%s': %s\n", want, d->error);
                        fail();
                }
        va_end(ap);
}

/* Line number (1-based) of the line holding needle. */
static size_t line_of(const char *s, const char *needle) {
        const char *at = strstr(s, needle);
        size_t line = 1;

        assert_non_null(at);
        for (const char *p = s; p < at; p++)
                line += *p == '\n';
        return line;
}

static void test_round_trip_sizes(void **state) {
        static const size_t sizes[] = { 0, 1, 41, 42, 43, 100, 4096, 65536, LOG_RING_SIZE };

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
                for (int noisy = 0; noisy <= 1; noisy++) {
                        _cleanup_free_ char *text = NULL, *dump = NULL;
                        size_t len, n;

                        text = make_log(sizes[i], noisy, &len);
                        len = sizes[i]; /* cut to the size exactly, mid-line */
                        dump = dump_of(text, len, &n);
                        expect_ok(dump, n, text, len);
                }
}

static void test_round_trip_binary(void **state) {
        /* Whatever the bytes: NULs, invalid UTF-8, escape codes logged. */
        char text[3000];
        _cleanup_free_ char *dump = NULL;
        size_t n;

        for (size_t i = 0; i < sizeof(text); i++)
                text[i] = (char) rng();
        dump = dump_of(text, sizeof(text), &n);
        expect_ok(dump, n, text, sizeof(text));
}

/* The dump's lines: as the writer promised, at most 74 columns. */
static void test_writer_lines_fit(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL;
        size_t len, n, lines = 0;
        char *save = NULL;

        text = make_log(20000, true, &len);
        dump = dump_of(text, len, &n);
        for (char *l = strtok_r(dump, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                assert_true(strlen(l) <= 74);
                lines++;
        }
        assert_true(lines > 10);
}

/* The real path of boot.c: messages on the console, the ring overflowing,
 * then log_ring_dump() on that console. */
static void test_console_and_ring(void **state) {
        char path[] = "/tmp/oslift-unit-serial-dump.XXXXXX";
        _cleanup_free_ char *text = NULL, *capture = NULL;
        struct serial_dump d;
        size_t len, n;
        int fd;

        fd = mkstemp(path);
        assert_true(fd >= 0);
        log_set_max_level(LOG_LEVEL_ERROR); /* nothing on the test's stdout */
        assert_int_equal(console_open(path, LOG_LEVEL_INFO), 0);
        assert_int_equal(log_ring_open(16384), 0);
        for (unsigned i = 0; i < 600; i++)
                log_info("upgrading paquet-é-%u: unpacking /usr/share/doc/paquet-é/%u", i, i * 31);
        log_warning("cannot write this log to /var/log/oslift/boot.log (Read-only file system); here it is, "
                    "compressed: 'host-prep log --from-serial FILE' reads it from a capture of this console");
        text = log_ring_text(&len);
        assert_non_null(text);
        assert_int_equal(strncmp(text, "(the first ", 11), 0);
        assert_int_equal(log_ring_dump(), 0);

        capture = read_fd(fd, &n);
        close(fd);
        unlink(path);
        assert_non_null(strstr(capture, "warning: cannot write this log"));
        expect_log(capture, n, text, len, &d);
        assert_int_equal(d.n_dumps, 1);
        assert_int_equal(d.begin_line, line_of(capture, "-----BEGIN OSLIFT LOG v1"));
        serial_dump_done(&d);
}

/* A capture of text's dump, every line passed through mangle(). */
typedef void (*mangle_fn)(struct buf *out, const char *line, size_t n, size_t index);

static char *capture_of(const char *dump, size_t dump_len, const char *before, const char *after, mangle_fn mangle,
                        size_t *ret_len) {
        struct buf b = {};
        size_t index = 0;

        buf_adds(&b, before);
        for (const char *p = dump, *e; p < dump + dump_len; p = e + 1, index++) {
                e = memchr(p, '\n', (size_t) (dump + dump_len - p));
                assert_non_null(e);
                mangle(&b, p, (size_t) (e - p), index);
        }
        buf_adds(&b, after);
        *ret_len = b.n;
        return b.p;
}

static void mangle_crlf(struct buf *out, const char *line, size_t n, size_t index) {
        buf_add(out, line, n);
        buf_adds(out, index % 3 == 2 ? "\r\r\n" : "\r\n");
}

static const char *const console_noise[] = {
        "[   41.207311] EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.\n",
        "\x1b[0;32m  OK  \x1b[0m] Reached target \x1b[0;1;39mSystem Initialization\x1b[0m.\r\n",
        "[  *** ] A start job is running for /sysroot (12s / 1min 30s)\r\x1b[K",
        "[   42.000001] random: crng init done\n",
        "\x1b]0;ttyS0\a\x1b(B\x1b[m\x1b[?25l\n",
        "oslift: upgrading website (3 of 12)\n",
        "\0\0\0\n",
        "[   43.5] sd 0:0:0:0: [sda] Synchronizing SCSI cache\r\n",
};

/* Kernel and systemd lines between ours, and escape codes on ours. */
static void mangle_noise(struct buf *out, const char *line, size_t n, size_t index) {
        const char *noise = console_noise[index % ELEMENTSOF(console_noise)];

        if (index % 2 == 0)
                buf_add(out, noise, noise[0] ? strlen(noise) : 4);
        if (index % 5 == 1)
                buf_adds(out, "\x1b[0m");
        if (index % 7 == 3 && strncmp(line, "OSL", 3) == 0) { /* a NUL and a colour change inside */
                buf_add(out, line, n / 2);
                buf_add(out, "\0\x1b[1;31m", 8);
                buf_add(out, line + n / 2, n - n / 2);
        } else
                buf_add(out, line, n);
        buf_adds(out, index % 3 == 0 ? "\x1b[K\r\n" : "\n");
}

static void test_crlf(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL, *capture = NULL;
        size_t len, n, cn;

        text = make_log(20000, true, &len);
        dump = dump_of(text, len, &n);
        capture = capture_of(dump, n, "login: \r\n", "\r\n[   99.1] reboot: Restarting system\r\n", mangle_crlf,
                             &cn);
        expect_ok(capture, cn, text, len);
}

static void test_noise(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL, *capture = NULL;
        size_t len, n, cn;

        text = make_log(20000, true, &len);
        dump = dump_of(text, len, &n);
        capture = capture_of(dump, n, "\xff\xfe binary garbage \x01\x02 no newline",
                             "[  100.000000] reboot: Restarting system\n\x1b[2J\x1b[H", mangle_noise, &cn);
        expect_ok(capture, cn, text, len);
}

/* Kernel messages that came in the middle of data lines: put back. Cut
 * after "OSL", before and after the space after the number, in the base64,
 * before and after the space before the checksum, in the checksum. */
static unsigned splits;

static void mangle_split(struct buf *out, const char *line, size_t n, size_t index) {
        static const size_t cuts[] = { 3, 8, 9, 10, 30, 64, 65, 66, 70 };
        size_t cut = cuts[index % ELEMENTSOF(cuts)];

        if (index == 0 || strncmp(line, "OSL", 3) != 0 || index % 3 != 1 || cut >= n) {
                buf_add(out, line, n);
                buf_adds(out, "\n");
                return;
        }
        splits++;
        buf_add(out, line, cut);
        if (index % 2)
                buf_adds(out, "[   41.207311] usb 1-1: new high-speed USB device number 2 using ehci-pci\n");
        else
                buf_adds(out, "\r\n[   41.3] random: crng init done\r\n\x1b[0;32m  OK  \x1b[0m] Started foo.\r\n");
        buf_add(out, line + cut, n - cut);
        buf_adds(out, "\r\n");
}

static void test_split_lines(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL, *capture = NULL;
        struct serial_dump d;
        size_t len, n, cn;

        text = make_log(30000, true, &len);
        dump = dump_of(text, len, &n);
        splits = 0;
        capture = capture_of(dump, n, "", "", mangle_split, &cn);
        expect_log(capture, cn, text, len, &d);
        assert_true(splits > 20);
        assert_int_equal(d.rejoined, splits);
        serial_dump_done(&d);
}

static void test_missing_end(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL;
        struct serial_dump d;
        size_t len, n;

        text = make_log(5000, true, &len);
        dump = dump_of(text, len, &n);
        n -= strlen(end_line) + 1;
        expect_error(dump, n, -EBADMSG, &d, "the dump in console.txt is incomplete (the END line is missing)",
                     "the capture was cut off", NULL);
        /* Every data line is there: the whole log, for --partial. */
        assert_true(d.log_complete);
        assert_int_equal(d.len, len);
        assert_memory_equal(d.log, text, len);
        serial_dump_done(&d);
}

static void test_cut_off(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL;
        struct serial_dump d;
        size_t len, n;

        text = make_log(20000, true, &len);
        dump = dump_of(text, len, &n);
        n /= 2;
        expect_error(dump, n, -EBADMSG, &d, "incomplete (the END line is missing)", "data lines)", NULL);
        assert_false(d.log_complete);
        /* What the lines so far carry: the start of the log, exactly. */
        assert_non_null(d.log);
        assert_true(d.len > 0 && d.len < len);
        assert_memory_equal(d.log, text, d.len);
        serial_dump_done(&d);
}

/* One base64 character changed: its line's checksum catches it. */
static void test_corrupted_char(void **state) {
        static const char replacement[] = { 'A', 'z', '!', '=', ' ', '\0', '~' };

        for (size_t i = 0; i < ELEMENTSOF(replacement); i++) {
                _cleanup_free_ char *text = NULL, *dump = NULL;
                struct serial_dump d;
                char *line3, want[64];
                size_t len, n;

                text = make_log(8000, true, &len);
                dump = dump_of(text, len, &n);
                line3 = strstr(dump, "OSL00003 ");
                assert_non_null(line3);
                line3[20] = line3[20] == replacement[i] ? 'B' : replacement[i];
                snprintf(want, sizeof(want), "OSL00003 at line %zu does not match its checksum", (size_t) 4);
                expect_error(dump, n, -EBADMSG, &d, "does not match its checksums", want,
                             "cannot be recovered past OSL00003", NULL);
                /* Lines 1 and 2 carry the start of the log. */
                if (d.log)
                        assert_memory_equal(d.log, text, d.len);
                serial_dump_done(&d);
        }
}

static void test_missing_line(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL;
        struct serial_dump d;
        char *l5, *l6;
        size_t len, n;

        text = make_log(8000, true, &len);
        dump = dump_of(text, len, &n);
        l5 = strstr(dump, "OSL00005 ");
        l6 = strstr(dump, "OSL00006 ");
        assert_non_null(l5);
        assert_non_null(l6);
        memmove(l5, l6, (size_t) (dump + n - l6));
        n -= (size_t) (l6 - l5);
        expect_error(dump, n, -EBADMSG, &d, "1 of its", "OSL00005 is missing", NULL);
        serial_dump_done(&d);
}

/* A line kept twice (a terminal redrawn) does no harm. */
static void test_repeated_line(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL;
        struct buf b = {};
        char *l2, *l3;
        size_t len, n;

        text = make_log(8000, true, &len);
        dump = dump_of(text, len, &n);
        l2 = strstr(dump, "OSL00002 ");
        l3 = strstr(dump, "OSL00003 ");
        buf_add(&b, dump, (size_t) (l3 - dump));
        buf_add(&b, l2, (size_t) (l3 - l2));
        buf_add(&b, l3, (size_t) (dump + n - l3));
        expect_ok(b.p, b.n, text, len);
        free(b.p);
}

/* A BEGIN line that lies about the log's size or checksum. */
static void test_header_mismatch(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL;
        struct serial_dump d;
        size_t len, n;
        char *crc;

        text = make_log(8000, true, &len);
        dump = dump_of(text, len, &n);
        crc = strstr(dump, "crc32=") + strlen("crc32=");
        crc[7] = crc[7] == '0' ? '1' : '0';
        expect_error(dump, n, -EBADMSG, &d, "the dump's checksum does not match", NULL);
        assert_null(d.log);
        serial_dump_done(&d);

        /* One byte less announced, with that shorter text's checksum: the
         * byte too many is not cut off quietly. */
        {
                struct buf b = {};
                char header[128];

                snprintf(header, sizeof(header), "-----BEGIN OSLIFT LOG v1 bytes=%zu lines=%s", len - 1,
                         strstr(dump, "lines=") + strlen("lines="));
                snprintf(strstr(header, "crc32=") + strlen("crc32="), 16, "%08lx-----\n",
                         crc32(0, (const Bytef *) text, (uInt) (len - 1)));
                buf_adds(&b, header);
                buf_adds(&b, strchr(dump, '\n') + 1);
                expect_error(b.p, b.n, -EBADMSG, &d, "the dump's checksum does not match", NULL);
                assert_null(d.log);
                serial_dump_done(&d);
                free(b.p);
        }
}

/* Cut at every byte: it fails, with a message, until the END line is
 * whole; then the log comes back. */
static void test_truncated_everywhere(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL, *capture = NULL;
        size_t len, n, cn, complete, ok = 0;

        text = make_log(3000, true, &len);
        dump = dump_of(text, len, &n);
        capture = capture_of(dump, n, "[    1.0] booting\r\n", "[  100.0] reboot: Restarting system\r\n",
                             mangle_noise, &cn);
        complete = (size_t) ((char *) memmem(capture, cn, end_line, strlen(end_line)) - capture) + strlen(end_line);
        for (size_t cut = 0; cut <= cn; cut++) {
                /* Its own copy, so that ASan sees any read past the cut. */
                char *part = malloc(cut ? cut : 1);
                struct serial_dump d;
                int r;

                assert_non_null(part);
                memcpy(part, capture, cut);
                r = serial_dump_parse("console.txt", part, cut, &d);
                if (cut >= complete) {
                        if (r != 0)
                                print_error("cut at %zu: %s\n", cut, d.error);
                        assert_int_equal(r, 0);
                        assert_int_equal(d.len, len);
                        assert_memory_equal(d.log, text, len);
                        ok++;
                } else {
                        if (r == 0)
                                print_error("cut at %zu of %zu decoded\n", cut, cn);
                        assert_true(r == -ENODATA || r == -EBADMSG);
                        assert_non_null(d.error);
                        if (d.log)
                                assert_memory_equal(d.log, text, d.len);
                }
                serial_dump_done(&d);
                free(part);
        }
        assert_int_equal(ok, cn - complete + 1);
}

static void test_two_dumps(void **state) {
        _cleanup_free_ char *text1 = NULL, *text2 = NULL, *dump1 = NULL, *dump2 = NULL;
        struct serial_dump d;
        struct buf b = {};
        size_t len1, len2, n1, n2, end1;
        char *begin2;

        text1 = make_log(3000, false, &len1);
        text2 = make_log(7000, true, &len2);
        dump1 = dump_of(text1, len1, &n1);
        dump2 = dump_of(text2, len2, &n2);
        buf_adds(&b, "[    3.1] boot 1\n");
        buf_add(&b, dump1, n1);
        buf_adds(&b, "[    9.9] reboot: Restarting system\n[    0.0] Linux version 6.1.0\n");
        buf_add(&b, dump2, n2);
        buf_adds(&b, "[    9.9] reboot: Restarting system\n");
        end1 = line_of(b.p, end_line);
        begin2 = strstr(strstr(b.p, end_line), "-----BEGIN");

        /* The last one. */
        expect_log(b.p, b.n, text2, len2, &d);
        assert_int_equal(d.n_dumps, 2);
        assert_int_equal(d.begin_line, line_of(b.p, "Linux version") + 1);
        assert_int_equal(d.earlier_end_line, end1);
        serial_dump_done(&d);

        /* The last one cut off: an error, not the first one instead. */
        expect_error(b.p, (size_t) (strstr(begin2, end_line) - b.p), -EBADMSG, &d, "incomplete", NULL);
        assert_int_equal(d.earlier_end_line, end1);
        serial_dump_done(&d);

        /* The last one's BEGIN line lost: the same. */
        begin2[5] = 'X';
        expect_error(b.p, b.n, -ENODATA, &d, "has lost its BEGIN line", NULL);
        serial_dump_done(&d);
        free(b.p);
}

static void test_no_dump(void **state) {
        static const char kernel_only[] = "[    0.000000] Linux version 6.1.0-18-amd64\r\n"
                                          "[    1.2] EXT4-fs (vda1): mounted filesystem\r\n"
                                          "oslift: upgrading website (3 of 12)\n";
        struct serial_dump d;

        expect_error("", 0, -ENODATA, &d, "no oslift log dump in console.txt (it is empty)", NULL);
        serial_dump_done(&d);
        expect_error(kernel_only, strlen(kernel_only), -ENODATA, &d, "no oslift log dump in console.txt", NULL);
        serial_dump_done(&d);
        expect_error("\0\0\0\0", 4, -ENODATA, &d, "no oslift log dump", NULL);
        serial_dump_done(&d);
}

static void test_capture_started_late(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL;
        struct serial_dump d;
        size_t len, n;
        char *l1;

        text = make_log(5000, true, &len);
        dump = dump_of(text, len, &n);
        l1 = strstr(dump, "OSL00002 ");
        expect_error(l1, n - (size_t) (l1 - dump), -ENODATA, &d, "has lost its BEGIN line",
                     "data lines start at line 1", NULL);
        serial_dump_done(&d);
}

static void test_bad_headers(void **state) {
        static const struct {
                const char *capture;
                int r;
                const char *message;
        } cases[] = {
                { "-----BEGIN OSLIFT LOG v2 bytes=10 lines=1 crc32=00000000-----\nOSL00001 AAAA 00000000\n"
                  "-----END OSLIFT LOG v2-----\n",
                  -EPROTONOSUPPORT, "is version 2; this host-prep reads version 1" },
                { "-----BEGIN OSLIFT LOG v1 bytes=10 lines=1 crc32=0000[  1.0] kernel\n", -EBADMSG,
                  "BEGIN line of the oslift log dump in console.txt (line 1) is garbled" },
                { "x-----BEGIN OSLIFT LOG v1 bytes=10 lines=0 crc32=00000000-----\n", -EBADMSG,
                  "announces 0 data lines" },
                { "-----BEGIN OSLIFT LOG v1 bytes=10 lines=100000 crc32=00000000-----\n", -EBADMSG,
                  "announces 100000 data lines" },
                { "-----BEGIN OSLIFT LOG v1 bytes=99999999999 lines=1 crc32=00000000-----\n", -EBADMSG,
                  "is garbled" },
                { "-----BEGIN OSLIFT LOG v1 bytes=999999999 lines=1 crc32=00000000-----\n", -EBADMSG,
                  "more than the 64 MiB" },
                { "-----BEGIN OSLIFT LOG v1 bytes=1 lines=1 crc32=ABCDEF01-----\n", -EBADMSG, "is garbled" },
                { "-----BEGIN OSLIFT LOG v", -EBADMSG, "is garbled" },
                { "-----BEGIN OSLIFT LOG v99999999999", -EBADMSG, "is garbled" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct serial_dump d;

                expect_error(cases[i].capture, strlen(cases[i].capture), cases[i].r, &d, cases[i].message, NULL);
                serial_dump_done(&d);
        }
}

/* Lines with a right checksum that are not what our writer makes. */
static void test_forged_lines(void **state) {
        struct serial_dump d;
        struct buf b = {};
        char line[128];
        uLong crc;

        /* A right checksum on base64 that does not decode. */
        buf_adds(&b, "-----BEGIN OSLIFT LOG v1 bytes=1 lines=1 crc32=00000000-----\n");
        crc = crc32(0, (const Bytef *) "OSL00001 A=AA", 13);
        snprintf(line, sizeof(line), "OSL00001 A=AA %08lx\n%s\n", crc, end_line);
        buf_adds(&b, line);
        expect_error(b.p, b.n, -EBADMSG, &d, "OSL00001 at line 2 is not base64", NULL);
        serial_dump_done(&d);

        /* Valid base64, not a zlib stream. */
        b.n = 0;
        buf_adds(&b, "-----BEGIN OSLIFT LOG v1 bytes=1 lines=1 crc32=00000000-----\n");
        crc = crc32(0, (const Bytef *) "OSL00001 AAAA", 13);
        snprintf(line, sizeof(line), "OSL00001 AAAA %08lx\n%s\n", crc, end_line);
        buf_adds(&b, line);
        expect_error(b.p, b.n, -EBADMSG, &d, "the dump's checksum does not match", NULL);
        assert_null(d.log);
        serial_dump_done(&d);
        free(b.p);
}

/* A zlib bomb claiming a small size stops at that size. */
static void test_bomb(void **state) {
        _cleanup_free_ char *zeros = calloc(1, 8u << 20), *dump = NULL;
        char *bytes;
        struct serial_dump d;
        size_t n;

        assert_non_null(zeros);
        dump = dump_of(zeros, 8u << 20, &n);
        bytes = strstr(dump, "bytes=");
        memcpy(bytes, "bytes=1000", 10); /* 8388608 -> 1000608 */
        expect_error(dump, n, -EBADMSG, &d, "the dump's checksum does not match", NULL);
        serial_dump_done(&d);
}

static void test_huge_garbage(void **state) {
        const size_t size = 24u << 20;
        _cleanup_free_ char *g = malloc(size);
        struct serial_dump d;
        struct timespec t0, t1;
        size_t o = 0;

        assert_non_null(g);
        /* Random bytes, long lines, and the pieces of a dump everywhere. */
        while (o < size) {
                static const char *const pieces[] = {
                        "OSL00001 ", "OSL00002 AAAA", "-----BEGIN OSLIFT LOG v", "\r\n", "\x1b[", "AAAA 0000000",
                        "-----END OSLIFT LOG v1-----", "\x1b]", "OSL99999 AAAAAAAA 12345678\n",
                };
                uint32_t x = rng();

                if (x % 4 == 0) {
                        const char *p = pieces[(x >> 8) % ELEMENTSOF(pieces)];
                        size_t k = strlen(p) < size - o ? strlen(p) : size - o;

                        memcpy(g + o, p, k);
                        o += k;
                } else
                        g[o++] = (char) (x >> 16);
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_true(serial_dump_parse("console.txt", g, size, &d) < 0);
        assert_non_null(d.error);
        serial_dump_done(&d);

        /* Half data lines after a BEGIN of 99999 lines: the rejoining stays
         * within its budget. */
        o = (size_t) snprintf(g, size, "-----BEGIN OSLIFT LOG v1 bytes=100 lines=99999 crc32=00000000-----\n");
        while (o + 64 < size)
                o += (size_t) snprintf(g + o, size - o, "OSL%05u AAAAAAAAAAAAAAAA\nAAAAAAAA 0000000%u\n",
                                       rng() % 99999 + 1, rng() % 10);
        assert_int_equal(serial_dump_parse("console.txt", g, o, &d), -EBADMSG);
        serial_dump_done(&d);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_true(t1.tv_sec - t0.tv_sec < 60);
}

static void test_too_large(void **state) {
        _cleanup_free_ char *g = calloc(1, SERIAL_DUMP_CAPTURE_MAX + 1u);
        struct serial_dump d;

        assert_non_null(g);
        expect_error(g, SERIAL_DUMP_CAPTURE_MAX + 1u, -EFBIG, &d, "larger than 64 MiB", NULL);
        serial_dump_done(&d);
}

/* Random damage: it may fail, but what it decodes is always the log. */
static void test_mutations(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL, *capture = NULL;
        size_t len, n, cn;
        unsigned decoded = 0;

        text = make_log(4000, true, &len);
        dump = dump_of(text, len, &n);
        capture = capture_of(dump, n, "[ 1.0] boot\n", "[ 9.0] end\n", mangle_noise, &cn);
        for (unsigned i = 0; i < 3000; i++) {
                struct buf b = {};
                struct serial_dump d;
                unsigned k = rng() % 4 + 1;

                buf_add(&b, capture, cn);
                while (k-- > 0 && b.n > 1) {
                        size_t at = rng() % b.n;

                        switch (rng() % 5) {
                        case 0: /* a byte changed */
                                b.p[at] = (char) rng();
                                break;
                        case 1: /* a byte gone */
                                memmove(b.p + at, b.p + at + 1, b.n - at - 1);
                                b.n--;
                                break;
                        case 2: /* a line break or a message in between */
                        case 3: {
                                const char *in = rng() % 2 ? "\n" : "[  5.5] ata1: link up\r\n";
                                size_t m = strlen(in);

                                buf_add(&b, in, m); /* grows; then shift */
                                memmove(b.p + at + m, b.p + at, b.n - m - at);
                                memcpy(b.p + at, in, m);
                                break;
                        }
                        default: /* cut */
                                b.n = at + 1;
                        }
                }
                if (serial_dump_parse("console.txt", b.p, b.n, &d) == 0) {
                        assert_int_equal(d.len, len);
                        assert_memory_equal(d.log, text, len);
                        decoded++;
                } else {
                        assert_non_null(d.error);
                        if (d.log)
                                assert_memory_equal(d.log, text, d.len);
                }
                serial_dump_done(&d);
                free(b.p);
        }
        /* Much of the damage hits noise, or is put right. */
        assert_true(decoded > 100);
}

static void test_decode_wrapper(void **state) {
        _cleanup_free_ char *text = NULL, *dump = NULL;
        char *log = NULL, *error = NULL;
        size_t len, n, log_len = 0;

        text = make_log(1000, false, &len);
        dump = dump_of(text, len, &n);
        assert_int_equal(serial_dump_decode(dump, n, &log, &log_len, &error), 0);
        assert_null(error);
        assert_int_equal(log_len, len);
        assert_memory_equal(log, text, len);
        free(log);

        assert_int_equal(serial_dump_decode("nothing\n", 8, &log, &log_len, &error), -ENODATA);
        assert_null(log);
        assert_string_equal(error, "no oslift log dump in the capture");
        free(error);
}

static void test_normalize(void **state) {
        static const char in[] = "\x1b[0;32m  OK  \x1b[0m]\tStarted\r\x1b]0;title\a x\0y\x1b(B\x1b[?25l\x1b"
                                 "7z\x7f   \t ";
        char out[sizeof(in)];
        size_t n = serial_dump_normalize(in, sizeof(in) - 1, out);

        assert_int_equal(n, strlen("  OK  ] Started xyz"));
        assert_memory_equal(out, "  OK  ] Started xyz", n);
        /* An escape at the very end, unterminated ones. */
        assert_int_equal(serial_dump_normalize("ab\x1b", 3, out), 2);
        assert_int_equal(serial_dump_normalize("ab\x1b[12", 5, out), 2);
        assert_int_equal(serial_dump_normalize("ab\x1b]never ends", 14, out), 12);
}

static void test_base64(void **state) {
        static const struct {
                const char *in;
                int n;
                const char *out;
        } cases[] = {
                { "QQ==", 1, "A" }, { "QUI=", 2, "AB" }, { "QUJD", 3, "ABC" }, { "QUJDQUI=", 5, "ABCAB" },
                { "Q===", -1, NULL }, { "QQ=A", -1, NULL }, { "QQ", -1, NULL }, { "=QQQ", -1, NULL },
                { "QQ==QUJD", -1, NULL }, { "QU-D", -1, NULL }, { "", -1, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint8_t out[64];
                int n = serial_dump_b64_decode(cases[i].in, strlen(cases[i].in), out);

                assert_int_equal(n, cases[i].n);
                if (n > 0)
                        assert_memory_equal(out, cases[i].out, (size_t) n);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip_sizes),
                cmocka_unit_test(test_round_trip_binary),
                cmocka_unit_test(test_writer_lines_fit),
                cmocka_unit_test(test_console_and_ring),
                cmocka_unit_test(test_crlf),
                cmocka_unit_test(test_noise),
                cmocka_unit_test(test_split_lines),
                cmocka_unit_test(test_missing_end),
                cmocka_unit_test(test_cut_off),
                cmocka_unit_test(test_corrupted_char),
                cmocka_unit_test(test_missing_line),
                cmocka_unit_test(test_repeated_line),
                cmocka_unit_test(test_header_mismatch),
                cmocka_unit_test(test_truncated_everywhere),
                cmocka_unit_test(test_two_dumps),
                cmocka_unit_test(test_no_dump),
                cmocka_unit_test(test_capture_started_late),
                cmocka_unit_test(test_bad_headers),
                cmocka_unit_test(test_forged_lines),
                cmocka_unit_test(test_bomb),
                cmocka_unit_test(test_huge_garbage),
                cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_mutations),
                cmocka_unit_test(test_decode_wrapper),
                cmocka_unit_test(test_normalize),
                cmocka_unit_test(test_base64),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
