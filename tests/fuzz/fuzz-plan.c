/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan (liboslift/plan.c): what the upgrader reads from the staging
 * directory at boot, after a reboot that anything may have happened in.
 *
 * The end line carries a SHA-256 of everything above it, which no mutation
 * ever gets right: each input is parsed as it is, and once more with its
 * end line replaced by the one it would need, so that the records
 * themselves are what the parser meets. A plan that parses must write back (plan_write)
 * into text that parses into the same plan, and writing that again must
 * give the same bytes: the canonical form docs/plan-format.md promises.
 */
#include <errno.h>
#include <string.h>

#include "digest.h"
#include "fuzz.h"
#include "macro.h"
#include "plan.h"

/* Sealing hashes the input; beyond this it would only slow the fuzzer. */
#define SEAL_MAX (1u << 20)

static void check_same(const struct plan *a, const struct plan *b) {
        fuzz_check(strcmp(a->created, b->created) == 0);
        fuzz_check(strcmp(a->source_backend, b->source_backend) == 0);
        fuzz_check(strcmp(a->source_fingerprint, b->source_fingerprint) == 0);
        fuzz_check(strcmp(a->target_backend, b->target_backend) == 0);
        fuzz_check(a->n_keys == b->n_keys);
        for (size_t i = 0; i < a->n_keys; i++)
                fuzz_check(strcmp(a->keys[i], b->keys[i]) == 0);
        fuzz_check(a->n_packages == b->n_packages);
        for (size_t i = 0; i < a->n_packages; i++) {
                const struct plan_package *x = &a->packages[i], *y = &b->packages[i];

                fuzz_check(x->op == y->op && x->size == y->size);
                fuzz_check(strcmp(x->sha256, y->sha256) == 0 && strcmp(x->nevra, y->nevra) == 0);
                fuzz_check(!x->file == !y->file && (!x->file || strcmp(x->file, y->file) == 0));
        }
}

static char *write_plan(const struct plan *p, size_t *ret_len) {
        char *text = NULL;
        FILE *f = open_memstream(&text, ret_len);

        fuzz_check(f);
        fuzz_check(plan_write(p, f) == 0);
        fuzz_check(fclose(f) == 0);
        return text;
}

static void check_round_trip(const struct plan *p) {
        _cleanup_(plan_freep) struct plan *again = NULL;
        _cleanup_free_ char *text = NULL, *text2 = NULL, *error = NULL;
        size_t len, len2;

        text = write_plan(p, &len);
        if (plan_parse(text, len, &again, &error) != 0) {
                fprintf(stderr, "written plan refused: %s\n", error ?: "(no message)");
                abort();
        }
        check_same(p, again);
        text2 = write_plan(again, &len2);
        fuzz_check(len == len2 && memcmp(text, text2, len) == 0);
}

static void parse(const char *text, size_t len) {
        _cleanup_(plan_freep) struct plan *p = NULL;
        _cleanup_free_ char *error = NULL;
        int r = plan_parse(text, len, &p, &error);

        fuzz_check(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r == 0) {
                fuzz_check(p && !error);
                check_round_trip(p);
                return;
        }
        fuzz_check(!p);
        /* Messages quote the plan: they must be safe to print. */
        if (r == -EBADMSG)
                fuzz_check(error && fuzz_printable(error));
}

/*
 * text with its end lines left out and the one it needs appended, as
 * tests/lib.sh's t_reseal_plan does: a record is every line that is
 * neither empty nor a comment (docs/plan-format.md). The seeds are
 * complete plans, so most inputs carry an end line already: left in, the
 * appended one would only ever meet "the end line must be the last line".
 */
static char *seal(const char *text, size_t len, size_t *ret_len) {
        char hex[SHA256_HEX_SIZE], *sealed = NULL;
        size_t records = 0, n = 0;
        FILE *f;

        f = open_memstream(&sealed, &n);
        fuzz_check(f);
        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t end = nl ? (size_t) (nl - text) : len;

                if (end - i >= 4 && memcmp(text + i, "end ", 4) == 0) {
                        i = end + 1;
                        continue;
                }
                if (end > i && text[i] != '#')
                        records++;
                fwrite(text + i, 1, end - i, f);
                fputc('\n', f);
                i = end + 1;
        }
        fuzz_check(fflush(f) == 0);
        fuzz_check(sha256_buffer(sealed, n, hex) == 0);
        fprintf(f, "end %zu %s\n", records, hex);
        fuzz_check(fclose(f) == 0);
        *ret_len = n;
        return sealed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *sealed = NULL;
        size_t len;

        parse((const char *) data, size);
        if (size > SEAL_MAX)
                return 0;
        sealed = seal((const char *) data, size, &len);
        parse(sealed, len);
        return 0;
}
