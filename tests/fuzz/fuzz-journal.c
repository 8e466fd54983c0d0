/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The upgrade journal (upgrader/journal.c): read by the upgrader at the
 * start of every upgrade boot, after whatever a power cut left of the
 * last write. Besides memory safety: the good part ends inside the input
 * and on a line boundary; durable entries are among those done; and the
 * good part alone parses into the same journal (what the writer keeps
 * when it cuts off a torn tail). The CRC check makes most mutations
 * damage; the harness also tries each input with every line's CRC made
 * right, so the record grammar behind it is reached.
 */
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "fuzz.h"
#include "journal.h"
#include "macro.h"

static void check(const char *data, size_t size) {
        struct journal j, again;
        int r;

        r = journal_parse(data, size, &j);
        fuzz_check(r == 0 || r == -EBADMSG || r == -EFBIG || r == -ENOMEM);
        if (r < 0)
                return;
        fuzz_check(j.valid_size <= size);
        fuzz_check(j.valid_size == 0 || data[j.valid_size - 1] == '\n');
        fuzz_check(j.n_durable <= j.n_done);
        fuzz_check(strnlen(j.plan_sha256, sizeof(j.plan_sha256)) < sizeof(j.plan_sha256));
        for (size_t i = 0; i < j.n_durable; i++)
                fuzz_check(journal_is_durable(&j, j.done[i]));

        fuzz_check(journal_parse(data, j.valid_size, &again) == 0);
        fuzz_check(again.attempts == j.attempts && again.n_done == j.n_done && again.n_durable == j.n_durable);
        fuzz_check(again.n_tids == j.n_tids && again.n_erase == j.n_erase && again.result == j.result);
        fuzz_check(strcmp(again.plan_sha256, j.plan_sha256) == 0);
        journal_done(&again);
        journal_done(&j);
}

/* Each line's first 8 bytes replaced by the CRC of what follows its space. */
static char *with_right_crcs(const char *data, size_t size) {
        char *out = malloc(size + 1);
        size_t pos = 0;

        fuzz_check(out);
        memcpy(out, data, size);
        out[size] = '\0';
        while (pos < size) {
                char *nl = memchr(out + pos, '\n', size - pos);
                size_t len = nl ? (size_t) (nl - (out + pos)) : size - pos;

                if (len >= 10 && out[pos + 8] == ' ') {
                        char crc[9];
                        uLong c = crc32(crc32(0L, Z_NULL, 0), (const Bytef *) out + pos + 9, (uInt) (len - 9));
                        snprintf(crc, sizeof(crc), "%08lx", c & 0xffffffffUL);
                        memcpy(out + pos, crc, 8);
                }
                pos += len + 1;
        }
        return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *fixed = NULL;

        check((const char *) data, size);
        fixed = with_right_crcs((const char *) data, size);
        check(fixed, size);
        return 0;
}
