/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What unit tests share: a scratch root directory, like the root
 * directories the programs act on with --root (made under /tmp with the
 * directories a test needs, removed with everything below it), and the
 * real files of SHARED_FIXTURES.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fsutil.h"

#define FAKE_ROOT_SIZE 64

/* Makes /tmp/oslift-unit-NAME.XXXXXX and each of dirs (NULL-terminated,
 * absolute paths inside the root, parents created as needed). */
static inline int fake_root_make(char root[static FAKE_ROOT_SIZE], const char *name,
                                 const char *const *dirs) {
        snprintf(root, FAKE_ROOT_SIZE, "/tmp/oslift-unit-%s.XXXXXX", name);
        if (!mkdtemp(root))
                return -1;
        for (size_t i = 0; dirs && dirs[i]; i++)
                if (mkdir_in_root(root, dirs[i], 0755) < 0)
                        return -1;
        return 0;
}

static inline int fake_root_remove(const char *root) {
        return remove_tree(root) < 0 ? -1 : 0;
}

/* The path of rel below SHARED_FIXTURES (a new string), or NULL when that
 * is not set or the file cannot be read: the test then skips. */
static inline char *shared_fixture(const char *rel) {
        const char *dir = getenv("SHARED_FIXTURES");
        char *path;

        if (!dir || !*dir)
                return NULL;
        if (asprintf(&path, "%s/%s", dir, rel) < 0)
                abort();
        if (access(path, R_OK) < 0) {
                free(path);
                return NULL;
        }
        return path;
}
