/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mount point paths and strings; see mount-util.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mount-util.h"

bool path_is_below(const char *child, const char *parent) {
        size_t n = strlen(parent);

        if (strcmp(parent, "/") == 0)
                return strcmp(child, "/") != 0;
        return strncmp(child, parent, n) == 0 && child[n] == '/';
}

/* Collapses "//", drops "." and a trailing "/"; ".." is refused (-EINVAL):
 * an fstab mount point with ".." is not worth guessing about. */
int path_normalize(const char *path, char **ret) {
        char *out = malloc(strlen(path) + 2), *o = out;

        if (!out)
                return -ENOMEM;
        for (const char *p = path; *p;) {
                size_t n;

                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (n == 0)
                        break;
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        free(out);
                        return -EINVAL;
                }
                if (!(n == 1 && p[0] == '.')) {
                        *o++ = '/';
                        memcpy(o, p, n);
                        o += n;
                }
                p += n;
        }
        if (o == out)
                *o++ = '/';
        *o = '\0';
        *ret = out;
        return 0;
}

bool has_prefix(const char *s, const char *prefix) {
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

int strdup_or_null(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}
