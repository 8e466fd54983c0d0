/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

int strv_push(char ***v, size_t *n, const char *s) {
        char **p = realloc(*v, (*n + 1) * sizeof(char *));

        if (!p)
                return -ENOMEM;
        *v = p;
        p[*n] = strdup(s);
        if (!p[*n])
                return -ENOMEM;
        (*n)++;
        return 0;
}

void strv_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

void strv_freep(char ***v) {
        if (*v)
                for (char **p = *v; *p; p++)
                        free(*p);
        free(*v);
}

int strv_contains(char *const *v, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], s) == 0)
                        return 1;
        return 0;
}
