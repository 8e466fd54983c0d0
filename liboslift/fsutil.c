/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "log.h"

const char *root_prefix(const char *root) {
        return strcmp(root, "/") == 0 ? "" : root;
}

int path_in_root(char *buf, size_t size, const char *root, const char *path) {
        int n = snprintf(buf, size, "%s%s", root_prefix(root), path);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

char *root_path_join(const char *root, const char *path) {
        size_t n = strlen(root);
        char *ret;

        while (n > 0 && root[n - 1] == '/')
                n--;
        if (n == 0 && path[0] == '\0')
                return strdup("/");
        if (n > INT_MAX || asprintf(&ret, "%.*s%s", (int) n, root, path) < 0)
                return NULL;
        return ret;
}

int mkdir_in_root(const char *root, const char *path, mode_t mode) {
        int fd = open_dir_in_root(root, path, mode, false);

        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}

static int fsync_dir_of(const char *path) {
        char dir[PATH_MAX];
        char *slash;
        _cleanup_close_ int fd = -1;

        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        if (!slash)
                return -EINVAL;
        *(slash == dir ? slash + 1 : slash) = '\0';
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return negative_errno();
        return 0;
}

int write_all(int fd, const void *data, size_t size) {
        const char *p = data;

        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += n;
                size -= (size_t) n;
        }
        return 0;
}

/* Creates a new temporary file beside name in dir_fd, never following a
 * symlink or opening something that was there: *ret_tmp is its name. */
int open_temporary_at(int dir_fd, const char *name, char **ret_tmp) {
        for (unsigned attempt = 0; attempt < 100; attempt++) {
                char *tmp;
                int fd;

                if (asprintf(&tmp, ".%s.tmp%08lx", name, (unsigned long) random() ^ ((unsigned long) getpid() << 12)) < 0)
                        return -ENOMEM;
                fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        *ret_tmp = tmp;
                        return fd;
                }
                free(tmp);
                if (errno != EEXIST)
                        return negative_errno();
        }
        return -EEXIST;
}

int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t size, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        int fd, r;

        fd = open_temporary_at(dir_fd, name, &tmp);
        if (fd < 0)
                return fd;
        r = write_all(fd, data, size);
        if (r == 0 && fchmod(fd, mode) < 0)
                r = negative_errno();
        if (r == 0 && fsync(fd) < 0)
                r = negative_errno();
        /* Closing is part of writing: NFS and friends report write errors
         * only there. */
        if (close(fd) < 0 && r == 0)
                r = negative_errno();
        /* rename() replaces a symlink at name, it never follows it. */
        if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) unlinkat(dir_fd, tmp, 0);
                return r;
        }
        /* The rename itself is durable only once the directory is synced. */
        return fsync(dir_fd) < 0 ? negative_errno() : 0;
}

int write_file_atomic(const char *root, const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_close_ int dir_fd = -1;
        const char *name;

        dir_fd = open_parent_in_root(root, path, &name);
        if (dir_fd < 0)
                return dir_fd;
        return write_file_atomic_at(dir_fd, name, data, size, mode);
}

int copy_file(const char *src, const char *dst) {
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_close_ int out = -1;
        struct stat st;

        if (in < 0 || fstat(in, &st) < 0)
                return negative_errno();
        out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 07777);
        if (out < 0)
                return negative_errno();
        return copy_fd_data(in, out, COPY_FSYNC, NULL);
}

ssize_t read_retry(int fd, void *buf, size_t size) {
        for (;;) {
                ssize_t n = read(fd, buf, size);

                if (n >= 0)
                        return n;
                if (errno != EINTR)
                        return negative_errno();
        }
}

int read_fd_pieces(int fd, void *buf, size_t size, int (*each)(const void *piece, size_t n, void *userdata),
                   void *userdata) {
        for (;;) {
                ssize_t n = read_retry(fd, buf, size);
                int r;

                if (n <= 0)
                        return (int) n;
                r = each(buf, (size_t) n, userdata);
                if (r < 0)
                        return r;
        }
}

struct copy_to {
        int fd;
        uint64_t bytes;
};

static int write_piece(const void *piece, size_t n, void *userdata) {
        struct copy_to *to = userdata;

        to->bytes += n;
        return write_all(to->fd, piece, n);
}

int copy_fd_data(int in, int out, unsigned flags, uint64_t *bytes) {
        struct copy_to to = { .fd = out };
        char buf[1 << 16];
        int r = read_fd_pieces(in, buf, sizeof(buf), write_piece, &to);

        if (bytes)
                *bytes += to.bytes;
        if (r < 0)
                return r;
        if ((flags & COPY_FSYNC) && fsync(out) < 0)
                return negative_errno();
        return 0;
}

int copy_dir_files(const char *src, const char *dst) {
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (mkdir(dst, 0700) < 0 && errno != EEXIST)
                return negative_errno();
        d = opendir(src);
        if (!d)
                return negative_errno();
        while (r == 0 && (de = readdir(d)) != NULL) {
                char from[PATH_MAX], to[PATH_MAX];
                struct stat st;

                snprintf(from, sizeof(from), "%s/%s", src, de->d_name);
                snprintf(to, sizeof(to), "%s/%s", dst, de->d_name);
                if (lstat(from, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                r = copy_file(from, to);
        }
        closedir(d);
        return r ?: fsync_dir_of(dst);
}

/* oslift's directories are a few levels deep; anything deeper than this
 * is not ours, and each level costs a file descriptor. */
#define REMOVE_DEPTH_MAX 32

static bool is_dot_or_dot_dot(const char *name) {
        return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

static int remove_contents(int fd, const char *path, dev_t dev, unsigned depth);

/* Removes the subdirectory name of dir_fd and what it holds, staying on the
 * file system it started on: a mount below is not ours to empty. */
static int remove_subdirectory(int dir_fd, const char *name, const char *parent, dev_t dev, unsigned depth) {
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int fd, r;

        if (asprintf(&path, "%s/%s", parent, name) < 0)
                return log_error_errno(-ENOMEM, "cannot remove %s/%s", parent, name);
        if (depth >= REMOVE_DEPTH_MAX) {
                log_error("%s is nested too deeply for oslift to remove; not removing it", path);
                return -ELOOP;
        }
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(negative_errno(), "cannot open %s", path);
        /* Checked on the open directory, so a swap after fstatat() cannot
         * sneak another file system in. */
        if (fstat(fd, &st) < 0 || st.st_dev != dev) {
                close(fd);
                log_error("%s is a mount point or cannot be examined; not removing it", path);
                return -EXDEV;
        }
        r = remove_contents(fd, path, dev, depth + 1);
        if (r < 0)
                return r;
        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0)
                return log_error_errno(negative_errno(), "cannot remove %s", path);
        return 0;
}

/* Symlinks are removed, never followed: they are entries like any other. */
static int remove_entry(int dir_fd, const char *name, const char *parent, dev_t dev, unsigned depth) {
        struct stat st;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(negative_errno(), "cannot examine %s/%s", parent, name);
        }
        if (S_ISDIR(st.st_mode))
                return remove_subdirectory(dir_fd, name, parent, dev, depth);
        if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
                return log_error_errno(negative_errno(), "cannot remove %s/%s", parent, name);
        return 0;
}

/* Empties the directory fd (taken over and closed). Carries on past a
 * failure, so one stubborn file does not keep the rest, and returns the
 * first error. */
static int remove_contents(int fd, const char *path, dev_t dev, unsigned depth) {
        _cleanup_(closedirp) DIR *d = fdopendir(fd);
        struct dirent *de;
        int r = 0, k;

        if (!d) {
                r = log_error_errno(negative_errno(), "cannot read %s", path);
                close(fd);
                return r;
        }
        for (;;) {
                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0 && r == 0)
                                r = log_error_errno(negative_errno(), "cannot read %s", path);
                        return r;
                }
                if (is_dot_or_dot_dot(de->d_name))
                        continue;
                k = remove_entry(dirfd(d), de->d_name, path, dev, depth);
                if (k < 0 && r == 0)
                        r = k;
        }
}

int remove_dir_contents(int fd, const char *path) {
        struct stat st;

        if (fstat(fd, &st) < 0) {
                int r = log_error_errno(negative_errno(), "cannot examine %s", path);
                close(fd);
                return r;
        }
        return remove_contents(fd, path, st.st_dev, 0);
}

int remove_tree(const char *path) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r;

        if (fd < 0)
                return log_error_errno(negative_errno(), "cannot open %s", path);
        r = remove_dir_contents(fd, path);
        if (r == 0 && rmdir(path) < 0)
                r = log_error_errno(negative_errno(), "cannot remove %s", path);
        return r;
}

int open_regular_at(int dirfd, const char *path) {
        struct stat st;
        /* O_NONBLOCK: no effect on the regular files we accept. */
        int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);

        int r = 0;

        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                r = negative_errno();
        else if (!S_ISREG(st.st_mode))
                r = S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

/* Reads fd to its end, but at most max bytes; hint is the expected size. */
int read_bounded(int fd, size_t max, size_t hint, char **ret, size_t *ret_len) {
        size_t cap = hint < 4096 ? 4096 : hint > max ? max : hint, len = 0;
        _cleanup_free_ char *buf = malloc(cap);

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *b;

                        if (cap == max)
                                break;
                        cap = cap > max / 2 ? max : cap * 2;
                        b = realloc(buf, cap);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                n = read_retry(fd, buf + len, cap - len);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int read_regular_file_full(const char *path, size_t max, unsigned flags, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len;
        int r;

        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        r = read_bounded(fd, flags & READ_TRUNCATE ? max : max + 1, (size_t) st.st_size, &data, &len);
        if (r < 0)
                return r;
        if (len > max)
                return -EFBIG;
        if (flags & READ_NUL_TERMINATE) {
                /* read_bounded() leaves no room for a terminator. */
                char *t = realloc(data, len + 1);

                if (!t)
                        return -ENOMEM;
                data = t;
                data[len] = '\0';
        }
        *ret = TAKE_PTR(data);
        *ret_len = len;
        return 0;
}

int read_regular_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        return read_regular_file_full(path, max, 0, ret, ret_len);
}

static unsigned digits_value(const char *s, size_t n) {
        unsigned v = 0;

        for (size_t i = 0; i < n; i++)
                v = v * 10 + (unsigned) (s[i] - '0');
        return v;
}

bool timestamp_is_valid(const char *s) {
        static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
        static const unsigned char days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        unsigned year, month, day;

        if (!s || strlen(s) != sizeof(shape) - 1)
                return false;
        for (size_t i = 0; i < sizeof(shape) - 1; i++)
                if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
                        return false;
        year = digits_value(s, 4);
        month = digits_value(s + 5, 2);
        day = digits_value(s + 8, 2);
        if (month < 1 || month > 12 || day < 1 || day > days[month - 1])
                return false;
        if (month == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
                return false;
        /* 60 seconds: a leap second. */
        return digits_value(s + 11, 2) <= 23 && digits_value(s + 14, 2) <= 59 &&
               digits_value(s + 17, 2) <= 60;
}

int timestamp_now(char buf[static TIMESTAMP_SIZE]) {
        time_t t = time(NULL);
        struct tm tm;

        if (t == (time_t) -1)
                return negative_errno();
        if (!gmtime_r(&t, &tm))
                return -EOVERFLOW;
        if (strftime(buf, TIMESTAMP_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -EOVERFLOW;
        return 0;
}
