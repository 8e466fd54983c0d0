/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GRUB 2 environment block (grubenv), as grub-editenv and GRUB's own
 * load_env/save_env read and write it: exactly GRUBENV_SIZE bytes, the
 * header line, "name=value\n" lines (a backslash or newline in a value is
 * escaped with a backslash), comment lines starting with '#', and '#'
 * padding to the end.
 *
 * Lines are kept as they were read and written back unchanged unless they
 * are set or unset, so a set followed by the opposite edit gives back the
 * same bytes. A block that is anything else (another size, no header, an
 * unterminated or nameless line, a NUL byte, padding that is not all '#')
 * is refused rather than guessed at: GRUB itself gives up on such blocks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

#define GRUBENV_SIZE 1024
#define GRUBENV_HEADER "# GRUB Environment Block\n"

struct grubenv;

/* An empty block: header and padding only. NULL when out of memory. */
struct grubenv *grubenv_new(void);
void grubenv_free(struct grubenv *env); /* NULL-safe */
void grubenv_freep(struct grubenv **env);

/* Parses a block: -EBADMSG unless it is exactly GRUBENV_SIZE well-formed
 * bytes, -ENOMEM. Reads nothing outside data[0..size). */
int grubenv_parse(const void *data, size_t size, struct grubenv **ret);

/* The value of name (owned by env), NULL when unset. With duplicates, the
 * last one: what GRUB's load_env ends up with. */
const char *grubenv_get(const struct grubenv *env, const char *name);

/* Sets name: in place when it is set already (duplicates are dropped),
 * appended otherwise. -EINVAL for a name GRUB could not read back (empty,
 * starting with '#', holding '=' or a newline), -ENOSPC when the block
 * would no longer fit in GRUBENV_SIZE (env is then unchanged). */
int grubenv_set(struct grubenv *env, const char *name, const char *value);

/* Removes every line setting name: 1 if there was one, 0 if not. */
int grubenv_unset(struct grubenv *env, const char *name);

/* Whether the block sets any variable at all. */
bool grubenv_is_empty(const struct grubenv *env);

/* Exactly GRUBENV_SIZE bytes; -ENOSPC if the content does not fit. */
int grubenv_serialize(const struct grubenv *env, char buf[static GRUBENV_SIZE]);

/*
 * The file path inside root. A symlink as the last component is followed
 * inside root (EL's /boot/grub2/grubenv may point into the ESP).
 *
 * grubenv_read: -ENOENT when there is none, -EBADMSG when it is not a
 * regular file of a well-formed block.
 *
 * grubenv_write: rewrites the file in place, like GRUB's save_env: opened
 * read-write without truncating, GRUBENV_SIZE bytes written at offset 0,
 * fsync. Never replaced or resized: GRUB writes to the sectors it found the
 * file in, so the file must keep its inode and blocks. A missing file is
 * created (what grub-editenv create does); an existing file of another
 * size is refused (-EBADMSG).
 */
int grubenv_read(const char *root, const char *path, struct grubenv **ret);
int grubenv_write(const char *root, const char *path, const struct grubenv *env);

/* grubenv_read(), or grubenv_new() when there is no file (which
 * grubenv_write() creates): 1 when it was read, 0 when it is new, or
 * grubenv_read()'s negative errno. Not logged. */
int grubenv_read_or_new(const char *root, const char *path, struct grubenv **ret);
