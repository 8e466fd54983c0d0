/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rpm commits every transaction element to its sqlite rpmdb and, by
 * default, fsyncs the write-ahead log at each commit (synchronous=FULL):
 * two fsyncs per upgraded package, thousands in a release upgrade. The
 * upgrader does not need them. Its journal's checkpoints syncfs() the
 * file system, the rpmdb's WAL with it, and whatever came after the last
 * checkpoint is done again by the next attempt (docs/journal.md). In WAL
 * mode, synchronous=NORMAL keeps the database consistent across a power
 * cut (the newest commits may be rolled back, none is half-applied), and
 * that is all a resume needs.
 */
#pragma once

#include <stdbool.h>

/* While on, every rpmdb (sqlite) connection rpm opens commits without
 * syncing; rpm turns syncing back on when it closes the database. */
int rpmdb_commits_unsynced(bool on);
