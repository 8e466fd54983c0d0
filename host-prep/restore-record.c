/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chase.h"
#include "fsutil.h"
#include "macro.h"
#include "paths.h"
#include "record.h"
#include "restore-record.h"

/* RESTORE_MODULES_MAX lines of RESTORE_MODULE_MAX, and the rest. */
#define RECORD_MAX 32768
#define SEP '='

int selinux_config_mode(const char *root, char *buf, size_t size) {
        char line[512];
        _cleanup_fclose_ FILE *f = NULL;

        *buf = '\0';
        f = fopen_in_root(root, "/etc/selinux/config", 0);
        if (!f)
                return errno == ENOENT ? 0 : negative_errno();
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "SELINUX=", 8) == 0)
                        snprintf(buf, size, "%.*s", (int) strcspn(line + 8, " \t\r\n#"), line + 8);
        return 0;
}

static bool module_char(char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
               (!first && (c == '.' || c == '-'));
}

bool restore_module_valid(const char *s) {
        const char *colon = strchr(s, ':');

        if (!colon || colon == s || !colon[1] || strlen(s) >= RESTORE_MODULE_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (p != colon && !module_char(*p, p == s || p == colon + 1))
                        return false;
        return true;
}

int restore_record_write(const char *root, const char *source_backend, const char *target_backend,
                         char *const *modules, size_t n_modules) {
        _cleanup_free_ char *text = NULL;
        char selinux[16];
        size_t size = 0;
        FILE *out;
        int r = selinux_config_mode(root, selinux, sizeof(selinux));

        if (r < 0)
                return r;
        if (n_modules > RESTORE_MODULES_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n_modules; i++)
                if (!restore_module_valid(modules[i]))
                        return -EINVAL;
        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        record_put(out, SEP, "selinux", selinux);
        record_put(out, SEP, "source-backend", source_backend);
        record_put(out, SEP, "target-backend", target_backend);
        for (size_t i = 0; i < n_modules; i++)
                record_put(out, SEP, "module", modules[i]);
        if (fclose(out) != 0)
                return -ENOMEM;
        return write_file_atomic(root, OSLIFT_RESTORE_FILE, text, size, 0600);
}

static bool one_of(const char *value, const char *const *allowed) {
        for (; *allowed; allowed++)
                if (strcmp(value, *allowed) == 0)
                        return true;
        return false;
}

/* Restore acts on these values (sets the SELinux mode, rebuilds the rpmdb
 * with that backend): anything stage would not have written is damage. */
static bool record_is_valid(const struct restore_record *r) {
        static const char *const modes[] = { "", "enforcing", "permissive", "disabled", NULL };
        static const char *const backends[] = { "", "bdb", "ndb", "sqlite", NULL };

        return one_of(r->selinux, modes) && one_of(r->source_backend, backends) &&
               one_of(r->target_backend, backends);
}

/* The fields of text (changed in place), as restore_record_write() puts
 * them. */
static int parse_text(char *text, struct restore_record *ret) {
        struct restore_record r = {};
        char *key, *value, *p = text;
        int k;

        while ((k = record_next(&p, SEP, &key, &value)) > 0) {
                if (strcmp(key, "selinux") == 0)
                        snprintf(r.selinux, sizeof(r.selinux), "%s", value);
                else if (strcmp(key, "source-backend") == 0)
                        snprintf(r.source_backend, sizeof(r.source_backend), "%s", value);
                else if (strcmp(key, "target-backend") == 0)
                        snprintf(r.target_backend, sizeof(r.target_backend), "%s", value);
                else if (strcmp(key, "module") == 0) {
                        /* Restore writes a file named after it: only what
                         * stage would have written. */
                        if (r.n_modules >= RESTORE_MODULES_MAX || !restore_module_valid(value))
                                return -EBADMSG;
                        snprintf(r.modules[r.n_modules++], RESTORE_MODULE_MAX, "%s", value);
                }
        }
        if (k < 0 || !record_is_valid(&r))
                return -EBADMSG;
        *ret = r;
        return 0;
}

int restore_record_parse(const char *text, size_t len, struct restore_record *ret) {
        _cleanup_free_ char *copy = NULL;
        int r = record_copy_text(text, len, &copy);

        if (r < 0)
                return r;
        return parse_text(copy, ret);
}

int restore_record_read(const char *root, struct restore_record *ret) {
        _cleanup_free_ char *text = NULL;
        int r = record_read_file(root, OSLIFT_RESTORE_FILE, RECORD_MAX, &text);

        if (r < 0)
                return r;
        return parse_text(text, ret);
}

static const char *const trial_results[] = {
        [KERNEL_TRIAL_PENDING] = "pending",
        [KERNEL_TRIAL_FAILED] = "failed",
};

static bool trial_field_valid(const char *v) {
        return *v && strlen(v) < KERNEL_TRIAL_FIELD_MAX && !strpbrk(v, "\n\r");
}

static bool kernel_trial_valid(const struct kernel_trial *t) {
        return (unsigned) t->result < ELEMENTSOF(trial_results) && trial_field_valid(t->kernel) &&
               trial_field_valid(t->entry) && trial_field_valid(t->old_kernel) &&
               (t->result == KERNEL_TRIAL_PENDING ? !*t->booted : trial_field_valid(t->booted));
}

int kernel_trial_write(const char *root, const struct kernel_trial *t) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *out;

        if (!kernel_trial_valid(t))
                return -EINVAL;
        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        record_put(out, SEP, "kernel", t->kernel);
        record_put(out, SEP, "entry", t->entry);
        record_put(out, SEP, "old-kernel", t->old_kernel);
        record_put(out, SEP, "result", trial_results[t->result]);
        if (*t->booted)
                record_put(out, SEP, "booted", t->booted);
        if (fclose(out) != 0)
                return -ENOMEM;
        return write_file_atomic(root, OSLIFT_KERNEL_TRIAL_FILE, text, size, 0600);
}

static int parse_trial(char *text, struct kernel_trial *ret) {
        struct kernel_trial t = { .result = _KERNEL_TRIAL_INVALID };
        char *key, *value, *p = text, *field;
        int k;

        while ((k = record_next(&p, SEP, &key, &value)) > 0) {
                field = strcmp(key, "kernel") == 0       ? t.kernel
                        : strcmp(key, "entry") == 0      ? t.entry
                        : strcmp(key, "old-kernel") == 0 ? t.old_kernel
                        : strcmp(key, "booted") == 0     ? t.booted
                                                         : NULL;
                if (field) {
                        if (strlen(value) >= KERNEL_TRIAL_FIELD_MAX)
                                return -EBADMSG;
                        strcpy(field, value);
                } else if (strcmp(key, "result") == 0) {
                        t.result = _KERNEL_TRIAL_INVALID;
                        for (size_t i = 0; i < ELEMENTSOF(trial_results); i++)
                                if (strcmp(value, trial_results[i]) == 0)
                                        t.result = (enum kernel_trial_result) i;
                }
        }
        if (k < 0 || !kernel_trial_valid(&t))
                return -EBADMSG;
        *ret = t;
        return 0;
}

int kernel_trial_parse(const char *text, size_t len, struct kernel_trial *ret) {
        _cleanup_free_ char *copy = NULL;
        int r = record_copy_text(text, len, &copy);

        if (r < 0)
                return r;
        return parse_trial(copy, ret);
}

int kernel_trial_read(const char *root, struct kernel_trial *ret) {
        _cleanup_free_ char *text = NULL;
        int r = record_read_file(root, OSLIFT_KERNEL_TRIAL_FILE, 4096, &text);

        if (r < 0)
                return r;
        return parse_trial(text, ret);
}
