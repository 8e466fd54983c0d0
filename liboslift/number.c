/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

bool parse_unsigned(const char *s, unsigned *ret) {
        unsigned long v = 0;

        if (!*s || strlen(s) > 9)
                return false;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                v = v * 10 + (unsigned) (*p - '0');
        }
        *ret = (unsigned) v;
        return true;
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
