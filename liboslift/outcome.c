/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chase.h"
#include "fsutil.h"
#include "number.h"
#include "outcome.h"
#include "paths.h"
#include "record.h"

/* One field a line, "KEY VALUE" (record.h). */
#define SEP ' '
/* Far more than any transaction's messages. */
#define OUTCOME_MAX (16u << 20)


void upgrade_outcome_done(struct upgrade_outcome *o) {
        strv_free(o->config_files, o->n_config_files);
        strv_free(o->script_failures, o->n_script_failures);
        strv_free(o->errors, o->n_errors);
        for (size_t i = 0; i < o->n_failures; i++) {
                free(o->failures[i].nevra);
                free(o->failures[i].kept);
                free(o->failures[i].reason);
        }
        free(o->failures);
        *o = (struct upgrade_outcome) {};
}

static bool is_word(const char *s) {
        return s && *s && !strpbrk(s, " \t\n");
}

int upgrade_outcome_add_failure(struct upgrade_outcome *o, const char *nevra, const char *kept,
                                const char *reason) {
        struct upgrade_failure *v, f;

        if (!kept || !*kept)
                kept = "-";
        if (!is_word(nevra) || !is_word(kept))
                return -EINVAL;
        v = realloc(o->failures, (o->n_failures + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        o->failures = v;
        f = (struct upgrade_failure) {
                .nevra = strdup(nevra),
                .kept = strdup(kept),
                /* One line in the file. */
                .reason = strndup(reason ?: "", strcspn(reason ?: "", "\n")),
        };
        if (!f.nevra || !f.kept || !f.reason) {
                free(f.nevra);
                free(f.kept);
                free(f.reason);
                return -ENOMEM;
        }
        o->failures[o->n_failures++] = f;
        return 0;
}

/* "NEVRA KEPT REASON" */
static int parse_failure(struct upgrade_outcome *o, char *value) {
        char *kept, *reason;

        kept = strchr(value, ' ');
        if (!kept)
                return -EBADMSG;
        *kept++ = '\0';
        reason = strchr(kept, ' ');
        if (reason)
                *reason++ = '\0';
        if (!is_word(value) || !is_word(kept))
                return -EBADMSG;
        return upgrade_outcome_add_failure(o, value, kept, reason ?: "");
}

int upgrade_outcome_write(const char *root, const struct upgrade_outcome *o) {
        _cleanup_free_ char *text = NULL;
        char number[64];
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return -ENOMEM;
        record_put(f, SEP, "result", o->result);
        snprintf(number, sizeof(number), "%.3f", o->seconds);
        record_put(f, SEP, "seconds", number);
        snprintf(number, sizeof(number), "%u", o->installed);
        record_put(f, SEP, "installed", number);
        snprintf(number, sizeof(number), "%u", o->erased);
        record_put(f, SEP, "erased", number);
        for (size_t i = 0; i < o->n_config_files; i++)
                record_put(f, SEP, "config", o->config_files[i]);
        for (size_t i = 0; i < o->n_script_failures; i++)
                record_put(f, SEP, "script-failure", o->script_failures[i]);
        for (size_t i = 0; i < o->n_errors; i++)
                record_put(f, SEP, "error", o->errors[i]);
        for (size_t i = 0; i < o->n_failures; i++) {
                _cleanup_free_ char *line = NULL;

                /* "NEVRA KEPT REASON": two words, then the rest. */
                if (asprintf(&line, "%s %s %s", o->failures[i].nevra, o->failures[i].kept,
                             o->failures[i].reason) < 0) {
                        fclose(f);
                        return -ENOMEM;
                }
                record_put(f, SEP, "failed", line);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        return write_file_atomic(root, OSLIFT_OUTCOME_FILE, text, size, 0600);
}

/* The fields of text (changed in place), as upgrade_outcome_write() puts
 * them. */
static int parse_text(char *text, struct upgrade_outcome *ret) {
        struct upgrade_outcome o = {};
        char *key, *value, *p = text;
        int r;

        while ((r = record_next(&p, SEP, &key, &value)) > 0) {
                if (strcmp(key, "result") == 0)
                        snprintf(o.result, sizeof(o.result), "%s", value);
                /* seconds ends up in report.json: nan or inf would make that invalid. */
                else if (strcmp(key, "seconds") == 0)
                        r = parse_seconds(value, &o.seconds) ? 0 : -EBADMSG;
                else if (strcmp(key, "installed") == 0)
                        r = parse_unsigned(value, &o.installed) ? 0 : -EBADMSG;
                else if (strcmp(key, "erased") == 0)
                        r = parse_unsigned(value, &o.erased) ? 0 : -EBADMSG;
                else if (strcmp(key, "config") == 0)
                        r = strv_push(&o.config_files, &o.n_config_files, value);
                else if (strcmp(key, "script-failure") == 0)
                        r = strv_push(&o.script_failures, &o.n_script_failures, value);
                else if (strcmp(key, "error") == 0)
                        r = strv_push(&o.errors, &o.n_errors, value);
                else if (strcmp(key, "failed") == 0)
                        r = parse_failure(&o, value);
                /* Unknown keys come from a newer upgrader: ignore them. */
                if (r < 0)
                        break;
        }
        if (r == 0 && !*o.result)
                r = -EBADMSG;
        if (r < 0) {
                upgrade_outcome_done(&o);
                return r;
        }
        *ret = o;
        return 0;
}

int upgrade_outcome_parse(const char *text, size_t len, struct upgrade_outcome *ret) {
        _cleanup_free_ char *copy = NULL;
        int r;

        /* Nothing to read, so no result line. */
        if (len == 0)
                return -EBADMSG;
        r = record_copy_text(text, len, &copy);
        if (r < 0)
                return r;
        return parse_text(copy, ret);
}

int upgrade_outcome_read(const char *root, struct upgrade_outcome *ret) {
        /* Never a symlink, never a FIFO that would hang restore. */
        _cleanup_free_ char *text = NULL;
        int r = record_read_file(root, OSLIFT_OUTCOME_FILE, OUTCOME_MAX, &text);

        if (r < 0)
                return r;
        return parse_text(text, ret);
}
