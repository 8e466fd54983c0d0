/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The upgrade journal, ROOT/var/lib/oslift/journal: what the upgrader has
 * done to the root so far, so that an upgrade cut short (power loss, a
 * hang, a crash) is finished by the next upgrade boot instead of leaving a
 * system that is neither release. docs/journal.md describes the whole
 * protocol; in short:
 *
 * The file is append-only text, one record per line, each line
 * "CRC32 TYPE ARG...\n" with the CRC (8 lowercase hex digits, zlib's
 * crc32) over "TYPE ARG..." so that a torn or damaged line is recognised:
 *
 *   1a2b3c4d journal 1 PLAN-SHA256    first line: the plan it belongs to
 *   ........ attempt N TIMESTAMP      an upgrade boot began changing things
 *   ........ backup                   the original rpmdb is copied, on disk
 *   ........ converted                the rpmdb is sqlite now, on disk
 *   ........ erase NEVRA              the transaction removes NEVRA
 *   ........ begin TID TOTAL          rpm runs TOTAL elements; its temporary
 *                                     files end in ";TID" (8 hex digits)
 *   ........ done NEVRA               NEVRA is installed (scriptlets run)
 *   ........ note KIND TEXT           what the report must tell (KIND:
 *                                     config, script or error; TEXT
 *                                     %XX-encoded), kept across attempts
 *   ........ checkpoint N             the first N "done" records (those
 *                                     kept from earlier attempts included)
 *                                     and everything before them are on
 *                                     disk (syncfs'd); later "done" lines
 *                                     may come before it
 *   ........ finished applied         the transaction is over
 *   ........ finished applied-with-problems
 *                                     over, but rpm failed some elements
 *   ........ gave-up N                N attempts failed; the upgrader stopped
 *
 * Records are appended without fsync except where the protocol needs it
 * (journal_append() says which); a torn write can only be the last line,
 * which the reader drops. A damaged line followed by good ones is not a
 * torn write but damage, and the reader refuses the whole journal.
 *
 * The input is untrusted as far as memory safety goes (it is fuzzed).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "paths.h"

#define JOURNAL_FORMAT_VERSION 1
/* Far above what an upgrade of 10,000 packages writes (~1 MiB). */
#define JOURNAL_SIZE_MAX (32u << 20)
#define JOURNAL_LINE_MAX 4096

/* A failed attempt writes no result: the next one resumes. */
enum journal_result {
        JOURNAL_RESULT_NONE,    /* not finished */
        JOURNAL_RESULT_APPLIED,
        JOURNAL_RESULT_APPLIED_WITH_PROBLEMS, /* over, with elements rpm failed */
};

/* What rpm said that the report tells, as the outcome's lists hold it. */
enum journal_note_kind {
        JOURNAL_NOTE_CONFIG, /* a .rpmnew or .rpmsave */
        JOURNAL_NOTE_SCRIPT, /* a scriptlet that failed without failing its element */
        JOURNAL_NOTE_ERROR,  /* another error rpm reported */
        _JOURNAL_NOTE_MAX,
};

struct journal {
        char plan_sha256[SHA256_HEX_SIZE];
        unsigned attempts;        /* "attempt" records */
        bool backup, converted;
        bool begun;               /* a transaction was started */
        unsigned total;           /* elements of the first transaction */
        uint32_t *tids;           /* every attempt's rpm transaction id */
        size_t n_tids;
        char **erase;             /* what the transaction removes */
        size_t n_erase;
        char **done;              /* every "done" NEVRA, in order */
        size_t n_done;
        size_t n_durable;         /* done[0..n_durable) are covered by a checkpoint */
        /* Every attempt's notes, each text once: what an attempt cut short
         * said still belongs in the report of the one that finishes. */
        char **notes[_JOURNAL_NOTE_MAX];
        size_t n_notes[_JOURNAL_NOTE_MAX];
        unsigned last_checkpoint; /* N of the last checkpoint, 0 if none */
        enum journal_result result;
        bool gave_up;
        size_t valid_size;        /* bytes up to the end of the last good line */
};

/*
 * Parses size bytes (a trailing torn line is dropped: valid_size tells
 * where the good part ends; a journal whose header was torn is empty, with
 * plan_sha256 "", as if there were none). -EBADMSG: not a journal (bad header, an
 * unknown version, a damaged line followed by good ones, a record out of
 * place, a bad argument), -EFBIG beyond JOURNAL_SIZE_MAX, -ENOMEM.
 * Reads nothing outside data[0..size).
 */
int journal_parse(const char *data, size_t size, struct journal *ret);
void journal_done(struct journal *j);

/* Whether nevra's "done" record is covered by a checkpoint. */
bool journal_is_durable(const struct journal *j, const char *nevra);

/*
 * Reads the journal in the open state directory: -ENOENT when there is
 * none, else as journal_parse() (or an error reading it).
 */
int journal_read_at(int state_dir_fd, struct journal *ret);

/*
 * A journal open for appending. journal_open_at() creates it (0600) with
 * its header when there is none, and otherwise cuts off a torn last line
 * (size valid_size from journal_read_at()) so that what follows starts on
 * a line of its own.
 */
struct journal_writer;
int journal_open_at(int state_dir_fd, const char *plan_sha256, size_t valid_size,
                    struct journal_writer **ret);
void journal_close(struct journal_writer *w); /* NULL-safe */

/* Appends "TYPE ARG...": sync makes it durable (fdatasync) before returning. */
int journal_append(struct journal_writer *w, bool sync, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Removes the journal (stage and cancel: it belongs to a plan). */
/* Appends "note KIND TEXT" (not synced: the next checkpoint covers it).
 * text is one line; -EINVAL when it is empty or too long for a record. */
int journal_append_note(struct journal_writer *w, enum journal_note_kind kind, const char *text);

int journal_remove_at(int state_dir_fd);
