/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 through librpm's rpmio digest API, so both programs use the same
 * (already linked) crypto backend as rpm itself and carry no hash code of
 * their own. Digests are 64 lowercase hex characters plus NUL.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_SIZE 65

/*
 * Hashes the regular file path, opened relative to dirfd (AT_FDCWD works)
 * without following a symlink in its last component. Stores the digest in
 * hex and, unless ret_size is NULL, the number of bytes hashed. Returns 0 or
 * a negative errno: -ELOOP for a symlink, -EISDIR for a directory, -EBADFD
 * for anything else that is not a regular file, -ENOMEM when no digest
 * context can be had, or whatever open/read reported. On error hex is "".
 */
int sha256_file(int dirfd, const char *path, char hex[static SHA256_HEX_SIZE], uint64_t *ret_size);

/*
 * Hashes the open file fd from its start to its end (the offset is moved);
 * the caller has made sure it is a regular file. As sha256_file() otherwise.
 */
int sha256_fd(int fd, char hex[static SHA256_HEX_SIZE], uint64_t *ret_size);

/*
 * Hashes len bytes at data. Returns 0, or -ENOMEM when librpm cannot set up a
 * digest context (then hex is "", which never equals a real digest).
 */
int sha256_buffer(const void *data, size_t len, char hex[static SHA256_HEX_SIZE]);

/*
 * The digest of the regular file path (opened as sha256_file() opens it)
 * with librpm's hash algorithm algo (a PGPHASHALGO_* value, as
 * rpmfiDigestAlgo() gives a package's file digests), as lowercase hex in
 * a new string *ret. Returns 0 or a negative errno: as sha256_file(), and
 * -EOPNOTSUPP when librpm has no such algorithm. On error *ret is NULL.
 */
int digest_file_hex(int dirfd, const char *path, int algo, char **ret);
