/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Durable progress during the transaction. rpm writes files without fsync
 * (and must: an fsync per file makes a large upgrade several times
 * slower), so after a power cut the last packages' files may be missing or
 * empty although the rpmdb, which commits each package with fsync, lists
 * them. Every `every` elements we syncfs() each file system below the root
 * and then append a checkpoint to the journal: what is before a checkpoint
 * is on disk; what is after it is done again by the next attempt.
 */
#pragma once

#include "journal.h"

/* Measured with make bench (docs/journal.md): a syncfs costs about as
 * much as installing a small package; 16 keeps it under a few percent. */
#define CHECKPOINT_EVERY_DEFAULT 16

struct checkpoint;

/* The file systems mounted at or below root (now: the transaction mounts
 * nothing of its own), and the journal to record in (not owned). Checkpoints
 * count on from done_before, what earlier attempts made durable. */
int checkpoint_new(const char *root, struct journal_writer *journal, unsigned every, unsigned done_before,
                   struct checkpoint **ret);
void checkpoint_free(struct checkpoint *c); /* NULL-safe */

/* Records that nevra is through; every `every` calls, a checkpoint. */
int checkpoint_element_done(struct checkpoint *c, const char *nevra);

/* syncfs() on every file system below the root. */
int checkpoint_sync(struct checkpoint *c);

/* checkpoint_sync(), then a checkpoint record, durable. */
int checkpoint_now(struct checkpoint *c);
