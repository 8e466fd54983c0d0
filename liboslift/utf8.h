/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UTF-8 as RFC 3629 defines it, for text that must reach strict readers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The length of the UTF-8 sequence at s (n > 0 bytes left), or 0 when it is
 * not valid UTF-8: no overlong forms, surrogates or code points beyond
 * U+10FFFF. */
size_t utf8_char_len(const char *s, size_t n);

/* Whether all n bytes of s are valid UTF-8 (NUL bytes included). */
bool utf8_valid(const char *s, size_t n);

/* An ASCII control byte, C0 or DEL: what a terminal may obey, what no name,
 * message or field of ours may carry as it is. Each writer decides what
 * it becomes (dropped, '?', \xNN); this is the one test. */
static inline bool ascii_is_control(unsigned char c) {
        return c < 0x20 || c == 0x7f;
}
