/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growable lists of strings, kept as (char **v, size_t n) pairs. */
#pragma once

#include <stddef.h>

/* Appends a copy of s; -ENOMEM. */
int strv_push(char ***v, size_t *n, const char *s);
void strv_free(char **v, size_t n);
/* Whether s is in the list. */
int strv_contains(char *const *v, size_t n, const char *s);

/* Frees a NULL-terminated list (as boot-entry.c splits a command line
 * into) and its strings, for _cleanup_(strv_freep). */
void strv_freep(char ***v);
