/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decisions on record: check --accept ID[:SUBJECT] and --accept-file turn
 * a named finding into an accepted risk. It is still reported ("accepted"),
 * but no longer blocks check or stage. Every warning can be accepted; a
 * blocker only when losing data or an unbootable system is not what is at
 * stake (the table in accept.c says which, and why not for the others).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "findings.h"

/* Whether a blocker of this id may be accepted; when not, *why (if not
 * NULL) says what is at stake. Ids this table does not know are not. */
bool accept_id_acceptable(const char *id, const char **why);

/*
 * Validates one ID[:SUBJECT] as given to --accept (source: where it came
 * from, for the message, e.g. "--accept" or "FILE:3"). Returns 0, or
 * -EINVAL (malformed) or -EPERM (a blocker that cannot be accepted) after
 * saying so and what to do instead.
 */
int accept_validate(const char *spec, const char *source);

/* Reads an --accept-file: one ID[:SUBJECT] a line, blank lines and '#'
 * comments ignored, each validated; appended to (*v, *n). Returns 0 or a
 * negative errno after saying what is wrong. */
int accept_read_file(const char *path, char ***v, size_t *n);

/* Marks the acceptable findings the list names as accepted. Idempotent. */
void accept_mark(struct findings *f, char *const *accepts, size_t n);

/* An info finding for each entry of the list that matched nothing. */
void accept_note_unused(struct findings *f, char *const *accepts, size_t n);
