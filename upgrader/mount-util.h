/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What fstab.c and mounts.c share: mount point paths as they compare them,
 * and two string helpers. */
#pragma once

#include <stdbool.h>

/* child is strictly below parent (both normalized): "/a/b" below "/a" and "/". */
bool path_is_below(const char *child, const char *parent);

/* Collapses "//", drops "." and a trailing "/"; ".." is refused (-EINVAL):
 * an fstab mount point with ".." is not worth guessing about. 0, or
 * -ENOMEM; *ret is newly allocated. */
int path_normalize(const char *path, char **ret);

/* s starts with prefix; false for a NULL s. */
bool has_prefix(const char *s, const char *prefix);

/* *ret a copy of s, NULL for a NULL s. 0 or -ENOMEM. */
int strdup_or_null(const char *s, char **ret);
