/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers used everywhere: scope-bound cleanup and array sizes. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))

static inline void freep(void *p) {
        free(*(void **) p);
}
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hands ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                          \
        ({                                   \
                __typeof__(p) _tp = (p);     \
                (p) = NULL;                  \
                _tp;                         \
        })
#define TAKE_FD(fd)                          \
        ({                                   \
                int _tf = (fd);              \
                (fd) = -1;                   \
                _tf;                         \
        })

/* Appends a copy of the size-byte item to the array *array (a pointer to
 * a T *, reallocated) of *n items; -ENOMEM leaves both as they were. */
static inline int array_append(void *array, size_t *n, const void *item, size_t size) {
        void *v, *grown;

        memcpy(&v, array, sizeof(v));
        grown = reallocarray(v, *n + 1, size);
        if (!grown)
                return -ENOMEM;
        memcpy((char *) grown + *n * size, item, size);
        memcpy(array, &grown, sizeof(grown));
        (*n)++;
        return 0;
}

static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}
