/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse-error.h"

int parse_error_va(char **ret_error, const char *where, const char *fmt, va_list ap) {
        _cleanup_free_ char *what = NULL;

        *ret_error = NULL;
        if (vasprintf(&what, fmt, ap) < 0)
                return -ENOMEM;
        if (!where) {
                *ret_error = TAKE_PTR(what);
                return -EBADMSG;
        }
        if (asprintf(ret_error, "%s: %s", where, what) < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return -EBADMSG;
}

int parse_error_line_va(char **ret_error, unsigned long line, const char *fmt, va_list ap) {
        char where[32];

        if (line == 0)
                return parse_error_va(ret_error, NULL, fmt, ap);
        snprintf(where, sizeof where, "line %lu", line);
        return parse_error_va(ret_error, where, fmt, ap);
}

int parse_error_line(char **ret_error, unsigned long line, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = parse_error_line_va(ret_error, line, fmt, ap);
        va_end(ap);
        return r;
}
