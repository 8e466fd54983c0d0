/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole-package verification: every digest and, when keys are given, a
 * valid signature by one of them. The same check `rpmkeys -K` makes. */
#pragma once

#include <rpm/rpmkeyring.h>

/* A key file's text as it was read, for staging exactly what was used. */
struct key_text {
        char *text; /* NUL-terminated */
        size_t len;
};

/* A keyring holding the public keys (and their subkeys) in the given
 * ASCII-armoured files, each read once: ret_texts (room for n) receives
 * the text of each, which the caller frees. On error nothing is returned
 * and *ret_error says what is wrong. */
int keyring_load(char *const *key_files, size_t n, rpmKeyring *ret, struct key_text *ret_texts,
                 char **ret_error);

/*
 * Verifies the package at path completely, payload included. With a
 * keyring, a signature by one of its keys is required; without, digests
 * only. Returns 0, or -EBADMSG with *ret_error saying what failed.
 */
int package_verify(const char *path, rpmKeyring keyring, char **ret_error);

/* The same for the package open as fd, a regular file: librpm reads it
 * through /proc/self/fd, so the bytes verified are those of the file fd
 * refers to, whatever has happened to its name since it was opened. */
int package_verify_fd(int fd, rpmKeyring keyring, char **ret_error);
