/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "macro.h"

bool path_is_normalized(const char *path) {
        if (path[0] != '/')
                return false;
        if (path[1] == '\0')
                return true;
        for (const char *p = path; *p; p++) {
                if (*p != '/')
                        continue;
                /* Each component is non-empty and neither "." nor "..". */
                if (p[1] == '/' || p[1] == '\0')
                        return false;
                if (p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
                        return false;
                if (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0'))
                        return false;
        }
        return true;
}

/* Appends "/" and n bytes of comp to buf (holding a normalized path). */
static int path_append(char *buf, size_t size, const char *comp, size_t n) {
        size_t len = strlen(buf);

        if (strcmp(buf, "/") == 0)
                len = 0;
        if (len + 1 + n + 1 > size)
                return -ENAMETOOLONG;
        buf[len] = '/';
        memcpy(buf + len + 1, comp, n);
        buf[len + 1 + n] = '\0';
        return 0;
}

static void path_pop(char *buf) {
        char *slash = strrchr(buf, '/');

        if (slash == buf)
                buf[1] = '\0';
        else if (slash)
                *slash = '\0';
}

/* The kernel's limit; systemd's chase() uses the same. */
#define CHASE_LINKS_MAX 40

int chase_in_root(const char *root, const char *path, char **ret) {
        char done[PATH_MAX] = "/", todo[PATH_MAX], full[PATH_MAX * 2];
        unsigned links = 0;
        bool missing = false;
        const char *p;

        if (strlen(path) >= sizeof(todo))
                return -ENAMETOOLONG;
        strcpy(todo, path);
        p = todo;
        for (;;) {
                char target[PATH_MAX], rest[PATH_MAX];
                struct stat st;
                size_t n;
                ssize_t k;
                int r;

                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (n == 0)
                        break;
                if (n == 1 && p[0] == '.') {
                        p += n;
                        continue;
                }
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        path_pop(done);
                        p += n;
                        continue;
                }
                r = path_append(done, sizeof(done), p, n);
                if (r < 0)
                        return r;
                p += n;
                if (missing)
                        continue;
                snprintf(full, sizeof(full), "%s%s", root_prefix(root), done);
                if (lstat(full, &st) < 0) {
                        if (errno != ENOENT)
                                return negative_errno();
                        /* What does not exist yet has no links to follow. */
                        missing = true;
                        continue;
                }
                if (!S_ISLNK(st.st_mode)) {
                        if (!S_ISDIR(st.st_mode) && *p != '\0' && p[strspn(p, "/")] != '\0')
                                return -ENOTDIR;
                        continue;
                }
                if (++links > CHASE_LINKS_MAX)
                        return -ELOOP;
                k = readlink(full, target, sizeof(target) - 1);
                if (k < 0)
                        return negative_errno();
                target[k] = '\0';
                /* The link replaces its own component: relative links
                 * resolve from its directory, absolute ones from root. */
                path_pop(done);
                if (target[0] == '/')
                        strcpy(done, "/");
                n = strlen(p);
                if ((size_t) k + 1 + n + 1 > sizeof(rest))
                        return -ENAMETOOLONG;
                memcpy(rest, target, (size_t) k);
                rest[k] = '/';
                memcpy(rest + k + 1, p, n + 1);
                memcpy(todo, rest, (size_t) k + 1 + n + 1);
                p = todo;
        }
        *ret = strdup(done);
        return *ret ? 0 : -ENOMEM;
}

/* Opens the directory resolved (normalized, as chase_in_root() returns it)
 * below root, one component at a time and never following a symlink
 * (-ELOOP for one); with mkdir_mode != 0 creates what is missing, the last
 * component with last_mode. */
static int open_resolved_dir(const char *root, const char *resolved, mode_t mkdir_mode, mode_t last_mode) {
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return negative_errno();
        for (const char *p = resolved;;) {
                char name[NAME_MAX + 1];
                struct stat st;
                size_t n;
                int next, r;

                while (*p == '/')
                        p++;
                n = strcspn(p, "/");
                if (n == 0)
                        return fd;
                if (n > NAME_MAX) {
                        close(fd);
                        return -ENAMETOOLONG;
                }
                memcpy(name, p, n);
                name[n] = '\0';
                p += n;
                next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && errno == ENOENT && mkdir_mode != 0) {
                        mode_t mode = p[strspn(p, "/")] == '\0' ? last_mode : mkdir_mode;

                        if (mkdirat(fd, name, mode) < 0 && errno != EEXIST) {
                                r = negative_errno();
                                close(fd);
                                return r;
                        }
                        next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (next < 0) {
                        r = negative_errno();
                        /* O_DIRECTORY | O_NOFOLLOW says ENOTDIR for a symlink. */
                        if (r == -ENOTDIR && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                            S_ISLNK(st.st_mode))
                                r = -ELOOP;
                        close(fd);
                        return r;
                }
                close(fd);
                fd = next;
        }
}

/* Splits path at its last component: *ret_dir is a copy of what comes
 * before it, *ret_name points into path. */
static int split_last(const char *path, char **ret_dir, const char **ret_name) {
        size_t len = strlen(path), start;
        char *dir;

        while (len > 1 && path[len - 1] == '/')
                len--;
        start = len;
        while (start > 0 && path[start - 1] != '/')
                start--;
        if (start == len)
                return -EINVAL; /* "/" */
        if (path[len] == '/')
                return -EINVAL; /* a trailing slash: not a file name */
        if ((len - start == 1 && path[start] == '.') ||
            (len - start == 2 && path[start] == '.' && path[start + 1] == '.'))
                return -EINVAL;
        dir = strndup(path, start);
        if (!dir)
                return -ENOMEM;
        if (dir[0] == '\0') {
                free(dir);
                dir = strdup("/");
                if (!dir)
                        return -ENOMEM;
        }
        *ret_dir = dir;
        *ret_name = path + start;
        return 0;
}

int open_parent_in_root(const char *root, const char *path, const char **ret_name) {
        _cleanup_free_ char *dir = NULL, *resolved = NULL;
        const char *name;
        int r;

        if (path[0] != '/')
                return -EINVAL;
        r = split_last(path, &dir, &name);
        if (r < 0)
                return r;
        r = chase_in_root(root, dir, &resolved);
        if (r < 0)
                return r;
        r = open_resolved_dir(root, resolved, 0, 0);
        if (r >= 0)
                *ret_name = name;
        return r;
}

int open_dir_in_root(const char *root, const char *path, mode_t mkdir_mode, bool nofollow) {
        _cleanup_free_ char *resolved = NULL;
        int r;

        if (path[0] != '/')
                return -EINVAL;
        if (nofollow) {
                r = path_is_normalized(path) ? 0 : -EINVAL;
                return r < 0 ? r : open_resolved_dir(root, path, mkdir_mode ? 0755 : 0, mkdir_mode);
        }
        r = chase_in_root(root, path, &resolved);
        if (r < 0)
                return r;
        return open_resolved_dir(root, resolved, mkdir_mode, mkdir_mode);
}

int open_in_root(const char *root, const char *path, int flags, mode_t mode) {
        _cleanup_free_ char *resolved = NULL;
        _cleanup_close_ int parent = -1;
        const char *name, *target = path;
        struct stat st;
        int fd, r;

        if (path[0] != '/')
                return -EINVAL;
        if (!(flags & O_NOFOLLOW)) {
                r = chase_in_root(root, path, &resolved);
                if (r < 0)
                        return r;
                if (strcmp(resolved, "/") == 0)
                        return (flags & O_DIRECTORY) ? open_resolved_dir(root, "/", 0, 0) : -EISDIR;
                target = resolved;
        }
        parent = open_parent_in_root(root, target, &name);
        if (parent < 0)
                return parent;
        fd = openat(parent, name, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, mode);
        if (fd < 0)
                /* ENXIO: a FIFO without a reader or a socket, opened to write. */
                return errno == ENXIO ? -EBADFD : negative_errno();
        if (fstat(fd, &st) < 0)
                r = negative_errno();
        else if (flags & O_DIRECTORY)
                r = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
        else
                r = S_ISREG(st.st_mode) ? 0 : S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
        if (r == 0 && !(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
                r = negative_errno();
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

FILE *fopen_in_root(const char *root, const char *path, int flags) {
        int fd = open_in_root(root, path, O_RDONLY | flags, 0);
        FILE *f;

        if (fd < 0) {
                errno = -fd;
                return NULL;
        }
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                errno = ENOMEM;
        }
        return f;
}

int remove_in_root(const char *root, const char *path) {
        _cleanup_close_ int parent = -1;
        const char *name;
        struct stat st;
        int fd, r;

        parent = open_parent_in_root(root, path, &name);
        if (parent < 0)
                return parent;
        if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        if (!S_ISDIR(st.st_mode))
                return unlinkat(parent, name, 0) < 0 ? negative_errno() : 0;
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = remove_dir_contents(fd, path);
        if (r < 0)
                return r;
        return unlinkat(parent, name, AT_REMOVEDIR) < 0 ? negative_errno() : 0;
}
