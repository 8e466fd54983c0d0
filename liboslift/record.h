/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The small records oslift keeps in its state directory from one run or
 * program to the next: the boot record (boot-record.h), the restore record
 * (host-prep/restore-record.h) and the outcome (outcome.h). One field a
 * line, KEY SEP VALUE, with SEP the record's own ('=' for the two records,
 * ' ' for the outcome, as their files have always been written); lines
 * starting with '#' and empty lines are comments. The value is escaped so
 * that one line holds any string: "\\" for a backslash, "\n" for a newline;
 * any other backslash stands for itself, so files written before values
 * were escaped read the same. One writer and one reader for all three, so
 * that they cannot disagree on a file another program wrote.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes one field. key is a word without SEP, written as it is. */
void record_put(FILE *f, char sep, const char *key, const char *value);
/* A boolean field, "yes" or "no". */
void record_put_bool(FILE *f, char sep, const char *key, bool value);
/* "yes" or "no"; -EBADMSG for anything else. */
int record_parse_bool(const char *value, bool *ret);

/*
 * The next field of the NUL-terminated text at *p, which it changes in
 * place: 1 with *ret_key and *ret_value (unescaped) pointing into the text,
 * and *p moved past the line; 0 at the end; -EBADMSG for a line without
 * SEP or with an empty key. Comments are skipped.
 */
int record_next(char **p, char sep, char **ret_key, char **ret_value);

/*
 * The record file at path inside root, NUL-terminated: a regular file (no
 * symlink in its last component, no FIFO), at most max bytes, without a NUL
 * byte; -EBADMSG when it is anything else, -ENOENT when there is none.
 */
int record_read_file(const char *root, const char *path, size_t max, char **ret);

/* The same checks on len bytes given by a caller (a fuzzer, a test): a
 * NUL-terminated copy in *ret, -EBADMSG for a NUL byte. */
int record_copy_text(const char *text, size_t len, char **ret);
