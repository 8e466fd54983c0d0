/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who signed an installed package, and whether that is the source
 * distribution: the one reading of a header's signing key id and of the
 * source distribution's key ids (--source-keys), for the third-party check
 * (syscheck-signatures.c) and the per-package verdicts (verdict.h).
 */
#pragma once

#include <rpm/header.h>
#include <rpm/rpmts.h>
#include <stdbool.h>
#include <stddef.h>

/* The key id of h's header signature (RSAHEADER, DSAHEADER, SIGPGP or
 * SIGGPG, as rpm -q --qf '%{SIGPGP:pgpsig}' shows it), lower-case hex, or
 * NULL when h is unsigned. */
char *signer_key_id(Header h);

/*
 * The key ids in a --source-keys text of len bytes (NUL-terminated),
 * lower-cased, appended to (*ids, *n) without repeats: of Leapp's
 * gpg-signatures.DISTRO.json (a JSON object: the names in its "keys"
 * object, read with json-c; not the gpg-pubkey-ID-DATE names, whose date
 * looks like a short id), else every run of exactly 8 or 16 hex digits
 * (ids one a line). Returns 0, -EBADMSG with *ret_error (malloc'd) for
 * JSON that is not that format, or -ENOMEM.
 */
#define SIGNER_FILE_MAX (1024u * 1024u)
int signer_parse_ids(const char *text, size_t len, char ***ids, size_t *n, char **ret_error);

/*
 * The source distribution's key ids into (*ids, *n): those in the
 * --source-keys files when any are given, else the signers of the
 * installed packages providing system-release (ts may be NULL: none).
 * Returns 0, or -EINVAL after saying which file cannot be read.
 */
int signer_source_keys(char *const *files, size_t n_files, rpmts ts, char ***ids, size_t *n);

/* The key ids of an ASCII-armoured public key (a --key file, already
 * checked by keyring_load()) and of its subkeys, appended: the target's
 * keys, which count as the distribution's too (assess.c). */
void signer_key_file_ids(const char *armor, char ***ids, size_t *n);

/* Whether id is one of ids: a 16-digit id matches a short 8-digit one by
 * its tail. */
bool signer_is_source(char *const *ids, size_t n, const char *id);
