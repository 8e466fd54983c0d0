/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

bool parse_unsigned_span(const char *s, size_t n, unsigned min, unsigned max, unsigned *ret) {
        unsigned long v = 0;

        if (n == 0 || n > 9)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        if (v < min || v > max)
                return false;
        *ret = (unsigned) v;
        return true;
}

bool parse_unsigned_range(const char *s, unsigned min, unsigned max, unsigned *ret) {
        return parse_unsigned_span(s, strlen(s), min, max, ret);
}

bool parse_unsigned(const char *s, unsigned *ret) {
        return parse_unsigned_range(s, 0, 999999999u, ret);
}

bool parse_seconds(const char *s, double *ret) {
        char *end;
        double v;

        /* strtod also takes "nan", "inf", hex and a sign: only digits and one dot here. */
        if (!*s || strspn(s, "0123456789.") != strlen(s))
                return false;
        v = strtod(s, &end);
        if (*end || !isfinite(v))
                return false;
        *ret = v;
        return true;
}
