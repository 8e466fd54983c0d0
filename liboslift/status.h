/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The status file, ROOT/var/lib/oslift/status.json: where an upgrade stands,
 * for fleet tools and `host-prep status`. host-prep stage creates it, the
 * upgrader updates it while it works, host-prep restore finishes it.
 *
 * The writer emits a flat JSON object, one key per line, in a fixed order:
 *
 *   {
 *     "version": 1,
 *     "state": "applying",
 *     "packages_total": 123,
 *     "packages_done": 45,
 *     "scriptlet_failures": 0,
 *     "started": "2026-11-23T12:00:00Z",
 *     "updated": "2026-11-23T12:03:10Z",
 *     "message": "upgrading bash-5.2.15-2.fc39.x86_64",
 *     "log": "/var/log/oslift/upgrade.log"
 *   }
 *
 * started and updated are null until set. The reader takes any flat object
 * with these keys (in any order, with any JSON whitespace, ignoring unknown
 * keys whose values are strings, numbers or null) and refuses everything else.
 */
#pragma once

#include <stdio.h>

#include "paths.h"

#define STATUS_FORMAT_VERSION 1
/* A bigger file is not ours: the reader refuses it without parsing. */
#define STATUS_FILE_SIZE_MAX (64u * 1024u)

/* Buffer sizes, including the terminating NUL. */
#define STATUS_TIMESTAMP_SIZE 32 /* "YYYY-MM-DDTHH:MM:SSZ" */
#define STATUS_MESSAGE_SIZE 512
#define STATUS_LOG_SIZE 256

enum upgrade_state {
        UPGRADE_STAGED,   /* host-prep stage is done, the upgrade has not started */
        UPGRADE_APPLYING, /* the upgrader is running, or was interrupted */
        UPGRADE_APPLIED,  /* the upgrader finished; restore has not run yet */
        UPGRADE_FAILED,   /* the upgrader gave up */
        UPGRADE_RESTORED, /* host-prep restore finished on the first boot */
        UPGRADE_REFUSED,  /* the upgrader refused the plan before changing anything */
        /* The upgrader finished the transaction, but rpm failed some of its
         * elements (those stay at their old version); restore has not run. */
        UPGRADE_APPLIED_WITH_PROBLEMS,
        UPGRADE_RESTORED_WITH_PROBLEMS, /* host-prep restore finished after that */
        /* host-prep rollback asked for the old system back; the upgrader
         * is putting it back, or was interrupted doing so. */
        UPGRADE_ROLLING_BACK,
        UPGRADE_ROLLED_BACK, /* the old system is back, every file verified */
        /* The old system is back but files did not verify: the message and
         * the log name them. */
        UPGRADE_ROLLED_BACK_WITH_PROBLEMS,
        _UPGRADE_STATE_MAX,
};

struct upgrade_status {
        enum upgrade_state state;
        unsigned packages_total, packages_done, scriptlet_failures;
        char started[STATUS_TIMESTAMP_SIZE]; /* UTC, "" for null */
        char updated[STATUS_TIMESTAMP_SIZE]; /* UTC, "" for null */
        char message[STATUS_MESSAGE_SIZE];   /* the last message, "" for none */
        char log[STATUS_LOG_SIZE];           /* inside the root; "" means OSLIFT_UPGRADE_LOG */
};

/* "staged", "applying", "applied", "failed", "restored", "refused", "applied-with-problems",
 * "restored-with-problems"; NULL for anything else. */
const char *upgrade_state_name(enum upgrade_state s);
/* The inverse of upgrade_state_name(); -EINVAL for an unknown name or NULL. */
int upgrade_state_from_name(const char *name, enum upgrade_state *ret);


/*
 * Parses len bytes (need not be NUL-terminated) into *ret, which is changed
 * only on success. Returns -EBADMSG for anything but a complete status object
 * of version STATUS_FORMAT_VERSION whose values all fit *ret: missing,
 * duplicate or mistyped keys, bad escapes, invalid UTF-8, \u0000, oversized
 * strings, numbers that are not plain decimal unsigned ints, trailing bytes,
 * more than STATUS_FILE_SIZE_MAX bytes. Reads nothing outside text[0..len).
 */
int status_parse(const char *text, size_t len, struct upgrade_status *ret);

/*
 * Reads and parses the status file. status_read_at() takes an open staging
 * directory (see staging_dir_open()). Returns -ENOENT when there is none (no
 * staging directory or no status.json in it), -EBADMSG when it cannot be
 * parsed (or is larger than STATUS_FILE_SIZE_MAX), -ELOOP when status.json
 * is a symlink, -EBADFD when it is not a regular file, or another negative
 * errno from opening or reading it.
 */
int status_read(const char *root, struct upgrade_status *ret);
int status_read_at(int state_dir_fd, struct upgrade_status *ret);

/*
 * Writes s to f in the format above, with s->updated as it is (null when
 * empty). The text status_write() puts on disk, for `host-prep --json status`.
 * Returns -EINVAL when s cannot be written so that status_parse() reads it
 * back: a state out of range, started or updated neither empty nor a valid
 * timestamp, a string without its NUL, or a log that is neither empty nor
 * an absolute path in valid UTF-8. Bytes of message that are not valid
 * UTF-8 are written as '?', so the output is always valid JSON.
 */
int status_emit(FILE *f, const struct upgrade_status *s);

/*
 * Replaces the status file atomically with s, setting updated to now
 * (s itself is not changed): writes a temporary file (0600) in the staging
 * directory, fsyncs it, renames it over status.json and fsyncs the
 * directory, so a reader or a crash sees the old file or the new one,
 * never a mix. The staging directory must exist (-ENOENT otherwise).
 * Returns -EINVAL as status_emit() does, or a negative errno.
 */
int status_write(const char *root, const struct upgrade_status *s);
int status_write_at(int state_dir_fd, const struct upgrade_status *s);

/*
 * Opens ROOT/var/lib/oslift as a directory, not following a symlink in its
 * last component. Returns the fd (O_CLOEXEC), -ENOENT when nothing is
 * staged, -ELOOP when it is a symlink, -ENOTDIR when it is something else
 * that is not a directory, or another negative errno.
 */
int staging_dir_open(const char *root);

/* Counts the regular files named *.rpm in the staging directory's
 * packages/ (0 when it does not exist). */
int staging_count_packages(int state_dir_fd, unsigned *ret);

/*
 * root + path for messages and for APIs that want a path string: path is
 * absolute (one of the constants in paths.h), and root's trailing slashes
 * are dropped, so "/" + "/var/lib/oslift" is "/var/lib/oslift" and not
 * "//var/lib/oslift". NULL when out of memory.
 */
