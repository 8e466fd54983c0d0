/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The serial dump decoder (host-prep/serial-dump.c), behind host-prep log
 * --from-serial: it reads whatever an operator saved from a console,
 * binary noise, other boots and terminal codes included.
 *
 * Each data line carries a CRC-32, which mutations never keep right; so
 * every input is decoded as it is, and again with the checksum of each
 * line that looks like a data line recomputed, so that mutations of the
 * base64 and of the compressed stream reach the decoder's later stages.
 * Small inputs also go through the writer (serial_dump_write(), the
 * upgrader's side) and must decode back to themselves.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "console.h"
#include "fuzz.h"
#include "serial-dump-format.h"
#include "serial-dump.h"
#include "serial-dump-internal.h"

/* Round trips cost a compression at level 9: only for small inputs. */
#define ROUND_TRIP_MAX (16u * 1024u)

static void decode(const char *capture, size_t len, const char *expected, size_t expected_len) {
        _cleanup_free_ char *log = NULL, *error = NULL;
        size_t n = 0;
        int r = serial_dump_decode(capture, len, &log, &n, &error);

        fuzz_check(r == 0 || r == -ENODATA || r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EFBIG ||
                   r == -ENOMEM);
        if (log) {
                fuzz_check(log[n] == '\0');
                fuzz_check(n <= SERIAL_DUMP_TEXT_MAX);
        }
        if (r == 0) {
                fuzz_check(log && !error);
        } else {
                fuzz_check(error || r == -ENOMEM);
                if (error)
                        fuzz_check(fuzz_printable(error));
        }
        if (expected) {
                if (r != 0)
                        fprintf(stderr, "own dump refused: %s\n", error ?: "(no message)");
                fuzz_check(r == 0 && n == expected_len && memcmp(log, expected, n) == 0);
        }
}

/* The input with the CRC-32 of each line ending in " XXXXXXXX" after an
 * "OSL" made right, as parse_data_line() computes it. */
static char *fix_checksums(const char *capture, size_t len) {
        char *s = malloc(len ? len : 1);
        size_t start = 0;

        fuzz_check(s);
        memcpy(s, capture, len);
        while (start < len) {
                size_t end = start, n;
                const char *osl;
                uint32_t crc;
                char hex[9];

                while (end < len && s[end] != '\n' && s[end] != '\r')
                        end++;
                n = end - start;
                if (n >= SERIAL_DUMP_LINE_MIN && s[end - 9] == ' ') {
                        osl = serial_dump_memmem_last(s + start, n - 9, "OSL");
                        if (osl) {
                                crc = (uint32_t) crc32(0, (const Bytef *) osl, (uInt) (s + end - 9 - osl));
                                snprintf(hex, sizeof(hex), "%08x", crc);
                                memcpy(s + end - 8, hex, 8);
                        }
                }
                start = end + 1;
        }
        return s;
}

static int memfd(void) {
        static int fd = -1;

        if (fd < 0)
                fd = memfd_create("fuzz-serial-dump", MFD_CLOEXEC);
        fuzz_check(fd >= 0);
        return fd;
}

static void round_trip(const char *text, size_t len) {
        int fd = memfd();
        _cleanup_free_ char *dump = NULL;
        off_t n;

        fuzz_check(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
        fuzz_check(serial_dump_write(fd, text, len) == 0);
        n = lseek(fd, 0, SEEK_CUR);
        fuzz_check(n > 0);
        dump = malloc((size_t) n);
        fuzz_check(dump);
        fuzz_check(pread(fd, dump, (size_t) n, 0) == n);
        decode(dump, (size_t) n, text, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *capture = (const char *) data;
        char *fixed;

        decode(capture, size, NULL, 0);
        fixed = fix_checksums(capture, size);
        decode(fixed, size, NULL, 0);
        free(fixed);
        if (size <= ROUND_TRIP_MAX)
                round_trip(capture, size);
        return 0;
}
