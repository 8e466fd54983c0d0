/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rollback request's one line; see rollback-request.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "macro.h"
#include "paths.h"
#include "rollback-request.h"
#include "utf8.h"

#define PREFIX "rollback requested "

int rollback_request_write_at(int state_dir_fd, const char *why) {
        char now[TIMESTAMP_SIZE], text[ROLLBACK_REQUEST_LINE_MAX];
        int r, n;

        r = timestamp_now(now);
        if (r < 0)
                return r;
        n = snprintf(text, sizeof(text), PREFIX "%s%s%s\n", now, why ? ": " : "", why ?: "");
        if (n < 0)
                return -EINVAL;
        if ((size_t) n >= sizeof(text)) {
                /* A long reason is cut, the line still ends. */
                n = sizeof(text) - 1;
                text[n - 1] = '\n';
        }
        for (char *c = text; c < text + n - 1; c++)
                if ((unsigned char) *c < 0x20)
                        *c = ' ';
        return write_file_atomic_at(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_ROLLBACK_REQUEST), text, (size_t) n,
                                    0600);
}

int rollback_request_read_at(int state_dir_fd, char line[static ROLLBACK_REQUEST_LINE_MAX]) {
        _cleanup_close_ int fd = openat(state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_ROLLBACK_REQUEST),
                                        O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        ssize_t n;

        line[0] = '\0';
        if (fd < 0)
                return negative_errno();
        n = read_retry(fd, line, ROLLBACK_REQUEST_LINE_MAX - 1);
        if (n < 0)
                return (int) n;
        line[n] = '\0';
        line[strcspn(line, "\n")] = '\0';
        for (char *c = line; *c; c++)
                if ((unsigned char) *c < 0x20)
                        *c = ' ';
        return 0;
}

const char *rollback_request_reason(const char *line) {
        const char *why = strstr(line, "Z: ");

        if (strncmp(line, PREFIX, strlen(PREFIX)) != 0 || !why || !why[3] || !utf8_valid(why + 3, strlen(why + 3)))
                return NULL;
        return why + 3;
}
