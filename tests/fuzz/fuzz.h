/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every harness shares. A harness is one file, fuzz-NAME.c, holding
 * LLVMFuzzerTestOneInput() and nothing with a main(): `make fuzz` links it
 * with libFuzzer, `make check` with replay.c, which feeds it the committed
 * corpus (tests/fuzz/README.md).
 *
 * Harnesses free everything they allocate (leaks are reported as crashes)
 * and check, besides memory safety, what the parser promises: abort() on a
 * broken promise is a crash like any other, with the input saved.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Not assert(): it must hold in every build, NDEBUG or not. */
#define fuzz_check(expr)                                                                      \
        do {                                                                                  \
                if (!(expr)) {                                                                \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        abort();                                                              \
                }                                                                             \
        } while (0)

/* Whether s (NUL-terminated) has no control character: what a message
 * made from hostile input must be to reach a terminal. */
static inline int fuzz_printable(const char *s) {
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        return 0;
        return 1;
}
