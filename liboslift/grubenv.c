/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "grubenv.h"

#define HEADER_LEN (sizeof(GRUBENV_HEADER) - 1)

/* One line of the block, as read or as set: a comment (name NULL) or a
 * variable. raw is what is written back, newline included. */
struct line {
        char *raw;
        size_t raw_len;
        char *name;
        char *value;
};

struct grubenv {
        struct line *lines;
        size_t n;
        size_t used; /* header plus every raw line */
};

struct grubenv *grubenv_new(void) {
        struct grubenv *env = calloc(1, sizeof(*env));

        if (env)
                env->used = HEADER_LEN;
        return env;
}

static void line_done(struct line *l) {
        free(l->raw);
        free(l->name);
        free(l->value);
}

void grubenv_free(struct grubenv *env) {
        if (!env)
                return;
        for (size_t i = 0; i < env->n; i++)
                line_done(&env->lines[i]);
        free(env->lines);
        free(env);
}

void grubenv_freep(struct grubenv **env) {
        grubenv_free(*env);
}

/* Takes over l's strings, also on failure. */
static int push_line(struct grubenv *env, struct line *l) {
        struct line *v = reallocarray(env->lines, env->n + 1, sizeof(*v));

        if (!v) {
                line_done(l);
                return -ENOMEM;
        }
        env->lines = v;
        env->lines[env->n++] = *l;
        env->used += l->raw_len;
        return 0;
}

/* The value of a variable line: GRUB drops each escaping backslash and
 * keeps the character after it, whatever it is. */
static char *unescape(const char *s, size_t len) {
        char *ret = malloc(len + 1), *q = ret;

        if (!ret)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '\\' && i + 1 < len)
                        i++;
                *q++ = s[i];
        }
        *q = '\0';
        return ret;
}

static int parse_comment(struct grubenv *env, const char *p, size_t len) {
        struct line l = { .raw = strndup(p, len), .raw_len = len };

        if (!l.raw)
                return -ENOMEM;
        return push_line(env, &l);
}

/* A variable line from p, at most avail bytes: its length in *len. */
static int parse_variable(struct grubenv *env, const char *p, size_t avail, size_t *len) {
        struct line l = {};
        size_t eq = 0, end;

        while (eq < avail && p[eq] != '=' && p[eq] != '\n')
                eq++;
        /* No '=' before the end of the line: GRUB would run on into the
         * next line looking for one, so the block is not what it seems. */
        if (eq == 0 || eq >= avail || p[eq] != '=')
                return -EBADMSG;
        for (end = eq + 1; end < avail && p[end] != '\n'; end++)
                if (p[end] == '\\')
                        end++; /* the escaped character, a newline too */
        if (end >= avail)
                return -EBADMSG; /* unterminated */

        l.raw_len = end + 1;
        l.raw = strndup(p, l.raw_len);
        l.name = strndup(p, eq);
        l.value = unescape(p + eq + 1, end - eq - 1);
        if (!l.raw || !l.name || !l.value) {
                line_done(&l);
                return -ENOMEM;
        }
        *len = l.raw_len;
        return push_line(env, &l);
}

int grubenv_parse(const void *data, size_t size, struct grubenv **ret) {
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        const char *buf = data;
        size_t p = HEADER_LEN;
        int r;

        if (size != GRUBENV_SIZE || memcmp(buf, GRUBENV_HEADER, HEADER_LEN) != 0)
                return -EBADMSG;
        /* GRUB's values are C strings: a NUL would cut one short. */
        if (memchr(buf, '\0', size))
                return -EBADMSG;
        env = grubenv_new();
        if (!env)
                return -ENOMEM;

        while (p < size) {
                const char *nl = memchr(buf + p, '\n', size - p);
                size_t len;

                if (buf[p] != '#') {
                        r = parse_variable(env, buf + p, size - p, &len);
                        if (r < 0)
                                return r;
                        p += len;
                        continue;
                }
                if (nl) {
                        len = (size_t) (nl - (buf + p)) + 1;
                        r = parse_comment(env, buf + p, len);
                        if (r < 0)
                                return r;
                        p += len;
                        continue;
                }
                /* The unterminated rest is the padding. GRUB's save_env
                 * finds its free space by walking back over '#' to a
                 * newline, so anything else there is a broken block. */
                for (; p < size; p++)
                        if (buf[p] != '#')
                                return -EBADMSG;
        }
        *ret = TAKE_PTR(env);
        return 0;
}

const char *grubenv_get(const struct grubenv *env, const char *name) {
        for (size_t i = env->n; i > 0; i--)
                if (env->lines[i - 1].name && strcmp(env->lines[i - 1].name, name) == 0)
                        return env->lines[i - 1].value;
        return NULL;
}

static bool name_valid(const char *name) {
        return name[0] != '\0' && name[0] != '#' && !strpbrk(name, "=\n");
}

/* "name=value\n" with '\' and newline escaped as GRUB writes them. */
static char *format_line(const char *name, const char *value, size_t *ret_len) {
        size_t n = strlen(name), len = n + 1 + 1;
        char *raw, *q;

        for (const char *c = value; *c; c++)
                len += (*c == '\\' || *c == '\n') ? 2 : 1;
        raw = malloc(len + 1);
        if (!raw)
                return NULL;
        memcpy(raw, name, n);
        q = raw + n;
        *q++ = '=';
        for (const char *c = value; *c; c++) {
                if (*c == '\\' || *c == '\n')
                        *q++ = '\\';
                *q++ = *c;
        }
        *q++ = '\n';
        *q = '\0';
        *ret_len = len;
        return raw;
}

static void remove_line(struct grubenv *env, size_t i) {
        env->used -= env->lines[i].raw_len;
        line_done(&env->lines[i]);
        memmove(&env->lines[i], &env->lines[i + 1], (env->n - i - 1) * sizeof(env->lines[0]));
        env->n--;
}

int grubenv_set(struct grubenv *env, const char *name, const char *value) {
        struct line l = {};
        size_t first = SIZE_MAX, dropped = 0;

        if (!name_valid(name))
                return -EINVAL;
        for (size_t i = 0; i < env->n; i++) {
                if (!env->lines[i].name || strcmp(env->lines[i].name, name) != 0)
                        continue;
                if (first == SIZE_MAX)
                        first = i;
                dropped += env->lines[i].raw_len;
        }

        l.raw = format_line(name, value, &l.raw_len);
        l.name = strdup(name);
        l.value = strdup(value);
        if (!l.raw || !l.name || !l.value) {
                line_done(&l);
                return -ENOMEM;
        }
        /* Checked before anything changes, so a refused set leaves the
         * block as it was. */
        if (env->used - dropped + l.raw_len > GRUBENV_SIZE) {
                line_done(&l);
                return -ENOSPC;
        }
        if (first == SIZE_MAX)
                return push_line(env, &l);

        env->used = env->used - env->lines[first].raw_len + l.raw_len;
        line_done(&env->lines[first]);
        env->lines[first] = l;
        for (size_t i = env->n; i > first + 1; i--)
                if (env->lines[i - 1].name && strcmp(env->lines[i - 1].name, name) == 0)
                        remove_line(env, i - 1);
        return 0;
}

int grubenv_unset(struct grubenv *env, const char *name) {
        int removed = 0;

        for (size_t i = env->n; i > 0; i--)
                if (env->lines[i - 1].name && strcmp(env->lines[i - 1].name, name) == 0) {
                        remove_line(env, i - 1);
                        removed = 1;
                }
        return removed;
}

bool grubenv_is_empty(const struct grubenv *env) {
        for (size_t i = 0; i < env->n; i++)
                if (env->lines[i].name)
                        return false;
        return true;
}

int grubenv_serialize(const struct grubenv *env, char buf[static GRUBENV_SIZE]) {
        size_t p = HEADER_LEN;

        if (env->used > GRUBENV_SIZE)
                return -ENOSPC;
        memcpy(buf, GRUBENV_HEADER, HEADER_LEN);
        for (size_t i = 0; i < env->n; i++) {
                memcpy(buf + p, env->lines[i].raw, env->lines[i].raw_len);
                p += env->lines[i].raw_len;
        }
        memset(buf + p, '#', GRUBENV_SIZE - p);
        return 0;
}

static int read_block(int fd, char buf[static GRUBENV_SIZE]) {
        struct stat st;
        size_t done = 0;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) || st.st_size != GRUBENV_SIZE)
                return -EBADMSG;
        while (done < GRUBENV_SIZE) {
                ssize_t n = pread(fd, buf + done, GRUBENV_SIZE - done, (off_t) done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -EBADMSG; /* shrank under us */
                done += (size_t) n;
        }
        return 0;
}

int grubenv_read_or_new(const char *root, const char *path, struct grubenv **ret) {
        int r = grubenv_read(root, path, ret);

        if (r != -ENOENT)
                return r < 0 ? r : 1;
        *ret = grubenv_new();
        return *ret ? 0 : -ENOMEM;
}

int grubenv_read(const char *root, const char *path, struct grubenv **ret) {
        _cleanup_close_ int fd = open_in_root(root, path, O_RDONLY, 0);
        char buf[GRUBENV_SIZE];
        int r;

        if (fd == -EISDIR || fd == -EBADFD)
                return -EBADMSG; /* not a grubenv block */
        if (fd < 0)
                return fd;
        r = read_block(fd, buf);
        if (r < 0)
                return r;
        return grubenv_parse(buf, sizeof(buf), ret);
}

static int fsync_parent(const char *root, const char *path) {
        const char *name;
        _cleanup_close_ int fd = open_parent_in_root(root, path, &name);

        if (fd < 0)
                return fd;
        return fsync(fd) < 0 ? negative_errno() : 0;
}

int grubenv_write(const char *root, const char *path, const struct grubenv *env) {
        _cleanup_close_ int fd = -1;
        char buf[GRUBENV_SIZE];
        bool created = false;
        size_t done = 0;
        struct stat st;
        int r;

        /* Before the file is touched: a block that does not fit is refused
         * with the old one intact. */
        r = grubenv_serialize(env, buf);
        if (r < 0)
                return r;
        fd = open_in_root(root, path, O_RDWR, 0);
        if (fd == -ENOENT) {
                /* 0644 as grub-editenv create makes it under the usual umask. */
                fd = open_in_root(root, path, O_RDWR | O_CREAT | O_EXCL, 0644);
                created = fd >= 0;
        }
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) || (!created && st.st_size != GRUBENV_SIZE))
                return -EBADMSG;
        while (done < GRUBENV_SIZE) {
                ssize_t n = pwrite(fd, buf + done, GRUBENV_SIZE - done, (off_t) done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? negative_errno() : -EIO;
                done += (size_t) n;
        }
        if (fsync(fd) < 0)
                return negative_errno();
        return created ? fsync_parent(root, path) : 0;
}
