/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "fsutil.h"
#include "log.h"
#include "macro.h"
#include "number.h"

static bool word_is(const struct cmdline_word *w, const char *key) {
        size_t n = strlen(key);
        return w->key_len == n && memcmp(w->key, key, n) == 0;
}

static bool value_has_prefix(const struct cmdline_word *w, const char *prefix) {
        size_t n = strlen(prefix);
        return w->value_len >= n && memcmp(w->value, prefix, n) == 0;
}

static void add_problem(struct boot_cmdline *c, const char *fmt, ...) _printf_(2, 3);
static void add_problem(struct boot_cmdline *c, const char *fmt, ...) {
        va_list ap;
        char *s;

        if (c->n_problems++ >= CMDLINE_PROBLEMS_MAX)
                return;
        s = c->problems[c->n_problems - 1];
        va_start(ap, fmt);
        vsnprintf(s, CMDLINE_PROBLEM_SIZE, fmt, ap);
        va_end(ap);
        /* The words come from anywhere: keep the message printable. */
        for (; *s; s++)
                *s = console_printable(*s);
}

/* Keys in messages are cut short: the whole word may be kilobytes. */
#define KEY_FMT "%.*s"
#define KEY_ARG(w) (int) ((w)->key_len < 40 ? (w)->key_len : 40), (w)->key

/* Copies the value into buf; false (and a problem) when it does not fit. */
static bool copy_value(struct boot_cmdline *c, const struct cmdline_word *w, char *buf, size_t size) {
        if (w->value_len >= size) {
                add_problem(c, KEY_FMT "= is too long (%zu bytes, at most %zu); ignored", KEY_ARG(w),
                            w->value_len, size - 1);
                buf[0] = '\0';
                return false;
        }
        memcpy(buf, w->value, w->value_len);
        buf[w->value_len] = '\0';
        return true;
}

/* As systemd's parse_boolean(); a flag without a value is true. */
static void parse_flag(struct boot_cmdline *c, const struct cmdline_word *w, bool *flag) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        if (!w->value) {
                *flag = true;
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (w->value_len == strlen(yes[i]) && strncasecmp(w->value, yes[i], w->value_len) == 0) {
                        *flag = true;
                        return;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (w->value_len == strlen(no[i]) && strncasecmp(w->value, no[i], w->value_len) == 0) {
                        *flag = false;
                        return;
                }
        add_problem(c, KEY_FMT "=%.*s is not a boolean; ignored", KEY_ARG(w),
                    (int) (w->value_len < 20 ? w->value_len : 20), w->value);
}

/* A whole number in [min, max]; anything else keeps the default. */
static void parse_count(struct boot_cmdline *c, const struct cmdline_word *w, unsigned min, unsigned max,
                        unsigned *value) {
        if (!w->value || !parse_unsigned_span(w->value, w->value_len, min, max, value))
                add_problem(c, KEY_FMT "=%.*s is not a whole number from %u to %u; ignored", KEY_ARG(w),
                            (int) (w->value_len < 20 ? w->value_len : 20), w->value ?: "", min, max);
}

static void parse_root(struct boot_cmdline *c, const struct cmdline_word *w) {
        static const struct {
                const char *prefix;
                enum root_kind kind;
        } tags[] = {
                { "UUID=", ROOT_UUID },
                { "LABEL=", ROOT_LABEL },
                { "PARTUUID=", ROOT_PARTUUID },
                { "PARTLABEL=", ROOT_PARTLABEL },
        };
        struct cmdline_word v = *w;

        c->root_kind = ROOT_NONE;
        c->root[0] = '\0';
        if (v.value_len == 0)
                return;
        /* An unusable last root= must not fall back to an earlier one. */
        if (!copy_value(c, &v, c->root, sizeof(c->root))) {
                c->root_kind = ROOT_UNSUPPORTED;
                return;
        }
        c->root_kind = ROOT_UNSUPPORTED;
        if (value_has_prefix(&v, "block:")) {
                v.value += strlen("block:");
                v.value_len -= strlen("block:");
                if (v.value_len == 0 || v.value[0] != '/')
                        return;
                memmove(c->root, c->root + strlen("block:"), v.value_len + 1);
        }
        if (v.value[0] == '/') {
                /* The kernel's own NFS root, not a device node. */
                if (strcmp(c->root, "/dev/nfs") != 0)
                        c->root_kind = ROOT_PATH;
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(tags); i++) {
                size_t n = strlen(tags[i].prefix);

                if (!value_has_prefix(&v, tags[i].prefix))
                        continue;
                /* PARTUUID=.../PARTNROFF=n is for the kernel alone. */
                if (v.value_len > n && !(tags[i].kind == ROOT_PARTUUID && strchr(c->root, '/')))
                        c->root_kind = tags[i].kind;
                return;
        }
}

void cmdline_parse(const char *text, size_t len, struct boot_cmdline *ret) {
        struct boot_cmdline *c = ret;
        struct cmdline_word w;
        const char *pos, *end;

        *c = (struct boot_cmdline) { .read_only = -1, .watchdog_seconds = CMDLINE_WATCHDOG_DEFAULT };
        if (!text)
                text = "", len = 0;
        pos = text;
        end = text + (len < CMDLINE_SIZE_MAX ? len : CMDLINE_SIZE_MAX);
        while (cmdline_next_word(&pos, end, &w) > 0) {
                if (word_is(&w, OSLIFT_ARG_UPGRADE))
                        parse_flag(c, &w, &c->upgrade);
                else if (word_is(&w, OSLIFT_ARG_BREAK))
                        parse_flag(c, &w, &c->stop);
                else if (word_is(&w, OSLIFT_ARG_DEBUG))
                        parse_flag(c, &w, &c->debug);
                else if (word_is(&w, "ro") && !w.value)
                        c->read_only = 1;
                else if (word_is(&w, "rw") && !w.value)
                        c->read_only = 0;
                else if (!w.value)
                        continue;
                else if (word_is(&w, "root"))
                        parse_root(c, &w);
                else if (word_is(&w, "rootfstype"))
                        copy_value(c, &w, c->rootfstype, sizeof(c->rootfstype));
                else if (word_is(&w, "rootflags"))
                        copy_value(c, &w, c->rootflags, sizeof(c->rootflags));
                else if (word_is(&w, OSLIFT_ARG_ATTEMPTS))
                        parse_count(c, &w, OSLIFT_ARG_ATTEMPTS_MIN, OSLIFT_ARG_ATTEMPTS_MAX, &c->max_attempts);
                else if (word_is(&w, OSLIFT_ARG_CHECKPOINT))
                        parse_count(c, &w, OSLIFT_ARG_CHECKPOINT_MIN, OSLIFT_ARG_CHECKPOINT_MAX,
                                    &c->checkpoint_every);
                else if (word_is(&w, OSLIFT_ARG_WATCHDOG))
                        parse_count(c, &w, OSLIFT_ARG_WATCHDOG_MIN, OSLIFT_ARG_WATCHDOG_MAX,
                                    &c->watchdog_seconds);
        }
}

int cmdline_read(const char *path, struct boot_cmdline *ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        int r;

        if (fd < 0)
                return negative_errno();
        r = read_bounded(fd, CMDLINE_SIZE_MAX, 4096, &buf, &len);
        if (r < 0)
                return r;
        cmdline_parse(buf, len, ret);
        return 0;
}

const char *root_kind_name(enum root_kind k) {
        static const char *const names[] = {
                [ROOT_NONE] = "none",
                [ROOT_PATH] = "path",
                [ROOT_UUID] = "UUID",
                [ROOT_LABEL] = "LABEL",
                [ROOT_PARTUUID] = "PARTUUID",
                [ROOT_PARTLABEL] = "PARTLABEL",
                [ROOT_UNSUPPORTED] = "unsupported",
        };
        return (unsigned) k < ELEMENTSOF(names) ? names[k] : "unsupported";
}
