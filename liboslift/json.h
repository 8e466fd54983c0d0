/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes s as a JSON string literal (quoted, escaped). NULL becomes null. */
void json_write_string(FILE *f, const char *s);

/*
 * The same for n bytes that may hold anything, as logs do: NUL bytes are
 * escaped, and bytes that are not valid UTF-8 become U+FFFD, so that strict
 * readers (Python's json, jq) take the output.
 */
void json_write_string_len(FILE *f, const char *s, size_t n);

/*
 * Whether the n bytes at s are exactly one JSON value (RFC 8259), with
 * whitespace around it allowed: before a file we did not write this time
 * goes into our output as it is. Nesting deeper than JSON_DEPTH_MAX is
 * refused; duplicate keys are not looked for.
 */
#define JSON_DEPTH_MAX 64
bool json_valid(const char *s, size_t n);
