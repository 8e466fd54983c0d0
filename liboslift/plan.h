/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The upgrade plan: what `host-prep stage` decided and the upgrader carries
 * out at the next boot. One parser and one writer, shared by both programs,
 * so the two can never disagree about the format. The format itself is
 * documented in docs/plan-format.md.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PLAN_FORMAT_VERSION 1
/* Bounds that keep a corrupt or hostile plan from exhausting the initrd. */
#define PLAN_SIZE_MAX (64u * 1024u * 1024u)
#define PLAN_RECORDS_MAX 1000000u
#define PLAN_FILE_NAME_MAX 255u
#define PLAN_NEVRA_MAX 1024u

enum plan_op {
        PLAN_OP_UPGRADE,
        PLAN_OP_INSTALL,
        PLAN_OP_INSTALL_ONLY, /* kernels: installed beside the old version */
        PLAN_OP_ERASE,
        _PLAN_OP_MAX,
};

struct plan_package {
        enum plan_op op;
        char *file;        /* plain name in the staging dir's packages/, ending in ".rpm"; NULL for erase */
        uint64_t size;     /* 0 for erase */
        char sha256[65];   /* lowercase hex; "" for erase */
        char *nevra;
};

/* What the upgrader keeps to undo the upgrade (docs/plan-format.md's
 * "rollback" line): nothing, or the undo set of links and copies. */
enum plan_rollback {
        PLAN_ROLLBACK_NONE, /* also a plan without the line: older stages */
        PLAN_ROLLBACK_LINKS,
        _PLAN_ROLLBACK_MAX,
};

/* Owned by the plan and freed by plan_free(). Grow keys and packages only
 * through plan_add_*(): their allocation size is implied by the counts. */
struct plan {
        char *created;            /* "YYYY-MM-DDTHH:MM:SSZ", UTC */
        char *source_backend;     /* "bdb", "ndb" or "sqlite" */
        char *source_fingerprint; /* rpmdbCookie() of the source rpmdb */
        char *target_backend;     /* "bdb", "ndb" or "sqlite" */
        enum plan_rollback rollback;
        /* The operator's health check for the first boot of the new
         * release (docs/plan-format.md's "verify" line): a shell command,
         * NULL for none, and how long it may take to succeed. */
        char *verify;
        unsigned verify_timeout;
        char **keys;              /* plain file names in the staging dir's keys/ */
        size_t n_keys;
        struct plan_package *packages;
        size_t n_packages;
};

/* The bounds of verify_timeout, in seconds, and of the command's length. */
#define PLAN_VERIFY_TIMEOUT_MIN 1
#define PLAN_VERIFY_TIMEOUT_MAX 86400
#define PLAN_VERIFY_TIMEOUT_DEFAULT 300
#define PLAN_VERIFY_MAX 4096

/* Whether cmd can be a verify command: 1 to PLAN_VERIFY_MAX bytes of
 * UTF-8 text without control characters but tab. */
bool plan_verify_is_valid(const char *cmd);

/* "upgrade", "install", "install-only", "erase"; NULL for anything else. */
const char *plan_op_name(enum plan_op op);

/* A plain file name: non-empty, at most 255 bytes, not "." or "..", no '/',
 * space, control character or DEL. Used for keys. */
bool plan_file_name_is_valid(const char *name);
/* plan_file_name_is_valid() and ends in ".rpm" after at least one byte. */
bool plan_package_file_name_is_valid(const char *name);
/* What is wrong with name as a package file name in the plan ("is not a
 * plain file name (contains a space)"), or NULL when nothing is. */
const char *plan_package_file_name_problem(const char *name);

/* An empty plan (all fields NULL/0), or NULL when out of memory. */
struct plan *plan_new(void);
void plan_free(struct plan *p); /* NULL-safe */
void plan_freep(struct plan **p);

/*
 * Sets (copies) the four header fields, replacing earlier values. created
 * is UTC in the form strftime("%Y-%m-%dT%H:%M:%SZ") produces; the backends
 * are "bdb", "ndb" or "sqlite"; the fingerprint is 40 to 128 lowercase hex
 * characters. Returns -EINVAL for an invalid value (and changes nothing).
 */
int plan_set_header(struct plan *p, const char *created, const char *source_backend,
                    const char *source_fingerprint, const char *target_backend);

/*
 * Appends a package record. For PLAN_OP_ERASE file and sha256 must be NULL
 * and size 0. Returns -EINVAL for an invalid argument, -EEXIST when another
 * record already uses file, or another record with a file names the same
 * NEVRA, -E2BIG beyond PLAN_RECORDS_MAX, -ENOMEM.
 */
int plan_add_package(struct plan *p, enum plan_op op, const char *file, uint64_t size,
                     const char *sha256, const char *nevra);
/* Appends a key file name; -EINVAL, -EEXIST, -E2BIG or -ENOMEM as above. */
int plan_add_key(struct plan *p, const char *file);

/*
 * Parses len bytes of text. On success stores a new plan in *ret and NULL in
 * *ret_error. If the text is not a complete, unmodified, valid plan returns
 * -EBADMSG and, unless ret_error is NULL, stores a malloc'd message such as
 * `line 7: file name "../x.rpm" is not a plain file name (contains '/')`.
 * -ENOMEM otherwise (then *ret_error is NULL).
 */
int plan_parse(const char *text, size_t len, struct plan **ret, char **ret_error);

/*
 * Reads the regular file path relative to dirfd (not following a symlink
 * in its last component) and parses it. Returns what plan_parse() returns,
 * or the negative errno of opening/reading it (-ENOENT, -ELOOP, -EISDIR,
 * -EBADFD for a non-regular file, ...) with *ret_error NULL.
 */
int plan_load(int dirfd, const char *path, struct plan **ret, char **ret_error);

/*
 * Writes p to f in canonical form, ending with the end line, and flushes f.
 * What it writes plan_parse() reads back into an identical plan. Returns
 * -EINVAL if p could not be parsed back (a missing or invalid field),
 * -EEXIST for a duplicate file name, -E2BIG/-EFBIG beyond the limits,
 * -ENOMEM, or the negative errno of a write error.
 */
int plan_write(const struct plan *p, FILE *f);
