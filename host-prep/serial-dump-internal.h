/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pieces of serial-dump.c below serial_dump_parse(), for the unit tests
 * and the fuzz harness: how a captured line is cleaned, and the base64 of
 * one data line (the format itself is liboslift/serial-dump-format.h). host-prep itself calls only
 * serial-dump.h.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * s without escape sequences and control characters (a tab is a space),
 * trailing spaces cut, into out (room for n bytes). Nothing of a dump is a
 * control character, so this only ever takes away noise. The length of out.
 */
size_t serial_dump_normalize(const char *s, size_t n, char *out);

/* The last needle (NUL-terminated) in s (n bytes, may hold NULs), or NULL. */
const char *serial_dump_memmem_last(const char *s, size_t n, const char *needle);

/* RFC 4648 with padding, each line on its own: the bytes decoded into out
 * (room for n / 4 * 3), or -1. */
int serial_dump_b64_decode(const char *s, size_t n, uint8_t *out);
