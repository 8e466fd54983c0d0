/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <rpm/rpmpgp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "macro.h"

/* Large enough that a multi-gigabyte package costs few syscalls, small
 * enough to live comfortably in the initrd's memory. */
#define READ_CHUNK_SIZE (256u * 1024u)

static DIGEST_CTX digest_begin(int algo) {
        /* librpm calls this from rpmReadConfigFiles(), which a caller that only
         * wants a digest may never have run. It is idempotent and cheap. */
        if (rpmInitCrypto() < 0)
                return NULL;
        return rpmDigestInit(algo, RPMDIGEST_NONE);
}

static DIGEST_CTX sha256_begin(void) {
        return digest_begin(RPM_HASH_SHA256);
}

/* A SHA-256 digest librpm made, into hex. */
static int sha256_hex(const char *s, char hex[static SHA256_HEX_SIZE]) {
        if (!s || strlen(s) != SHA256_HEX_SIZE - 1)
                return -ENOMEM;
        memcpy(hex, s, SHA256_HEX_SIZE);
        return 0;
}

/* Consumes ctx whatever happens, as rpmDigestFinal() does. */
static int sha256_end(DIGEST_CTX ctx, char hex[static SHA256_HEX_SIZE]) {
        _cleanup_free_ char *s = NULL;

        if (rpmDigestFinal(ctx, (void **) &s, NULL, 1) < 0)
                return -ENOMEM;
        return sha256_hex(s, hex);
}

int sha256_buffer(const void *data, size_t len, char hex[static SHA256_HEX_SIZE]) {
        DIGEST_CTX ctx;

        hex[0] = '\0';
        ctx = sha256_begin();
        if (!ctx)
                return -ENOMEM;
        /* rpmDigestUpdate() cannot fail for a valid context. */
        rpmDigestUpdate(ctx, data, len);
        return sha256_end(ctx, hex);
}

struct digest_feed {
        DIGEST_CTX ctx;
        uint64_t size;
};

static int digest_piece(const void *piece, size_t n, void *userdata) {
        struct digest_feed *feed = userdata;

        rpmDigestUpdate(feed->ctx, piece, n);
        feed->size += n;
        return 0;
}

/* Reads fd to its end into ctx and hands out the hex digest (a new
 * string) and, unless NULL, the bytes read. Consumes ctx whatever happens. */
static int digest_fd(DIGEST_CTX ctx, int fd, char **ret_hex, uint64_t *ret_size) {
        _cleanup_free_ void *buf = malloc(READ_CHUNK_SIZE);
        struct digest_feed feed = { .ctx = ctx };
        int r;

        *ret_hex = NULL;
        r = buf ? read_fd_pieces(fd, buf, READ_CHUNK_SIZE, digest_piece, &feed) : -ENOMEM;
        if (r < 0) {
                (void) rpmDigestFinal(ctx, NULL, NULL, 0); /* frees ctx */
                return r;
        }
        if (rpmDigestFinal(ctx, (void **) ret_hex, NULL, 1) < 0 || !*ret_hex) {
                free(*ret_hex);
                *ret_hex = NULL;
                return -ENOMEM;
        }
        if (ret_size)
                *ret_size = feed.size;
        return 0;
}

int sha256_fd(int fd, char hex[static SHA256_HEX_SIZE], uint64_t *ret_size) {
        _cleanup_free_ char *s = NULL;
        DIGEST_CTX ctx;
        int r;

        hex[0] = '\0';
        if (lseek(fd, 0, SEEK_SET) < 0)
                return negative_errno();
        ctx = sha256_begin();
        if (!ctx)
                return -ENOMEM;
        r = digest_fd(ctx, fd, &s, ret_size);
        return r < 0 ? r : sha256_hex(s, hex);
}

int digest_file_hex(int dirfd, const char *path, int algo, char **ret) {
        _cleanup_close_ int fd = -1;
        DIGEST_CTX ctx;

        *ret = NULL;
        fd = open_regular_at(dirfd, path);
        if (fd < 0)
                return fd;
        ctx = digest_begin(algo);
        if (!ctx)
                return -EOPNOTSUPP;
        return digest_fd(ctx, fd, ret, NULL);
}

int sha256_file(int dirfd, const char *path, char hex[static SHA256_HEX_SIZE], uint64_t *ret_size) {
        _cleanup_close_ int fd = -1;

        hex[0] = '\0';
        fd = open_regular_at(dirfd, path);
        if (fd < 0)
                return fd;
        return sha256_fd(fd, hex, ret_size);
}

