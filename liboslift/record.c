/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "macro.h"
#include "record.h"

void record_put(FILE *f, char sep, const char *key, const char *value) {
        fprintf(f, "%s%c", key, sep);
        for (; *value; value++)
                if (*value == '\\')
                        fputs("\\\\", f);
                else if (*value == '\n')
                        fputs("\\n", f);
                else
                        fputc(*value, f);
        fputc('\n', f);
}

void record_put_bool(FILE *f, char sep, const char *key, bool value) {
        record_put(f, sep, key, value ? "yes" : "no");
}

int record_parse_bool(const char *value, bool *ret) {
        if (strcmp(value, "yes") == 0)
                *ret = true;
        else if (strcmp(value, "no") == 0)
                *ret = false;
        else
                return -EBADMSG;
        return 0;
}

/* In place: the result is never longer than the escaped text. */
static void unescape(char *s) {
        char *q = s;

        for (; *s; s++) {
                if (*s == '\\' && (s[1] == '\\' || s[1] == 'n')) {
                        *q++ = s[1] == 'n' ? '\n' : '\\';
                        s++;
                } else
                        *q++ = *s;
        }
        *q = '\0';
}

int record_next(char **p, char sep, char **ret_key, char **ret_value) {
        for (;;) {
                char *line = *p, *end, *value;

                if (!*line)
                        return 0;
                end = strchrnul(line, '\n');
                *p = *end ? end + 1 : end;
                *end = '\0';
                if (line[0] == '#' || line[0] == '\0')
                        continue;
                value = strchr(line, sep);
                if (!value || value == line)
                        return -EBADMSG;
                *value++ = '\0';
                unescape(value);
                *ret_key = line;
                *ret_value = value;
                return 1;
        }
}

int record_copy_text(const char *text, size_t len, char **ret) {
        char *t;

        if (memchr(text, '\0', len))
                return -EBADMSG;
        t = strndup(text, len);
        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}

int record_read_file(const char *root, const char *path, size_t max, char **ret) {
        _cleanup_close_ int fd = open_in_root(root, path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0);
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if (fd == -EBADFD || fd == -ELOOP || fd == -EISDIR)
                return -EBADMSG;
        if (fd < 0)
                return fd;
        r = read_bounded(fd, max + 1, 4096, &text, &len);
        if (r < 0)
                return r;
        if (len > max)
                return -EBADMSG;
        return record_copy_text(text, len, ret);
}
