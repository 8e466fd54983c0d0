/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs a harness on files, without libFuzzer: `make check` links each
 * fuzz-NAME.c with this (gcc, ASan and UBSan) and replays the committed
 * corpus, so that every input that once crashed a parser keeps being tried.
 *
 *   replay FILE...    exit status 0 when every input went through
 *
 * Each input is in a buffer of exactly its size, as libFuzzer passes it, so
 * that ASan sees a read past its end. A crash aborts with ASan's report
 * naming the harness's stack; the file is printed first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static int read_input(const char *path, uint8_t **ret, size_t *ret_size) {
        struct stat st;
        uint8_t *buf;
        size_t done = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EBADF;
        }
        /* malloc(0) may be NULL; one byte, of which the harness sees none. */
        buf = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (done < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + done, (size_t) st.st_size - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        free(buf);
                        close(fd);
                        return n < 0 ? -errno : -EIO;
                }
                done += (size_t) n;
        }
        close(fd);
        *ret = buf;
        *ret_size = done;
        return 0;
}

int main(int argc, char **argv) {
        int failed = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                uint8_t *data;
                size_t size;
                int r = read_input(argv[i], &data, &size);

                if (r < 0) {
                        fprintf(stderr, "%s: cannot read: %s\n", argv[i], strerror(-r));
                        failed = 1;
                        continue;
                }
                /* Named before it runs: ASan's report ends the process. */
                fprintf(stderr, "replay: %s (%zu bytes)\n", argv[i], size);
                LLVMFuzzerTestOneInput(data, size);
                free(data);
        }
        return failed;
}
