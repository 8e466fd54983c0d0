/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Durable progress during the transaction. rpm writes files without fsync
 * (and must: an fsync per file makes a large upgrade several times
 * slower), so after a power cut the last packages' files may be missing or
 * empty although the rpmdb lists them. Every `every` elements a flusher
 * thread syncfs()es each file system below the root while rpm goes on with
 * the next packages; once the sync has returned, the main thread appends
 * "checkpoint N" to the journal: the first N elements are on disk, what
 * came after them is done again by the next attempt. The flusher only
 * syncs; every journal write stays on the thread that runs rpm.
 */
#pragma once

#include "journal.h"

/* Measured with make bench (docs/journal.md): each sync runs beside the
 * transaction, so the count mostly bounds what a power cut makes the next
 * attempt redo. */
#define CHECKPOINT_EVERY_DEFAULT 16

struct checkpoint;

/* The file systems mounted at or below root (now: the transaction mounts
 * nothing of its own), and the journal to record in (not owned). Checkpoints
 * count on from done_before, what earlier attempts made durable. Starts
 * the flusher thread. */
int checkpoint_new(const char *root, struct journal_writer *journal, unsigned every, unsigned done_before,
                   struct checkpoint **ret);
void checkpoint_free(struct checkpoint *c); /* NULL-safe; stops the flusher */

/* Records that nevra is through; every `every` calls, starts a sync in the
 * background, and records the checkpoint of a sync that has finished. */
int checkpoint_element_done(struct checkpoint *c, const char *nevra);

/* syncfs() on every file system below the root, here and now. */
int checkpoint_sync(struct checkpoint *c);
