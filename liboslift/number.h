/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict number parsing for the files oslift writes and reads back: the
 * whole string is the number, or it is rejected (no sign, no spaces, no
 * wrap-around, no nan). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* 1 to 9 decimal digits. */
bool parse_unsigned(const char *s, unsigned *ret);
/* The same, and the value in [min, max]. */
bool parse_unsigned_range(const char *s, unsigned min, unsigned max, unsigned *ret);
/* The same for the n bytes at s (a span of a longer text: a kernel
 * argument's value, the part of "8.10" before the dot). */
bool parse_unsigned_span(const char *s, size_t n, unsigned min, unsigned max, unsigned *ret);

/* A finite, non-negative decimal number such as "12.345". */
bool parse_seconds(const char *s, double *ret);
