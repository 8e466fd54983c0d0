/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict number parsing for the files oslift writes and reads back: the
 * whole string is the number, or it is rejected (no sign, no spaces, no
 * wrap-around, no nan). */
#pragma once

#include <stdbool.h>

/* 1 to 9 decimal digits. */
bool parse_unsigned(const char *s, unsigned *ret);

/* A finite, non-negative decimal number such as "12.345". */
bool parse_seconds(const char *s, double *ret);
