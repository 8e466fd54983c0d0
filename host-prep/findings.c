/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "findings.h"
#include "json.h"
#include "log.h"
#include "terminal.h"
#include "strv.h"

static const char *const severity_names[] = {
        [SEVERITY_BLOCKER] = "blocker",
        [SEVERITY_WARNING] = "warning",
        [SEVERITY_INFO] = "info",
};

void findings_add(struct findings *f, enum severity severity, const char *id, const char *meaning,
                  const char *action, const char *title_fmt, ...) {
        struct finding *items = realloc(f->items, (f->n + 1) * sizeof(*items));
        char *title = NULL;
        va_list ap;

        if (!items)
                abort(); /* a report that silently drops a blocker is worse */
        f->items = items;
        va_start(ap, title_fmt);
        if (vasprintf(&title, title_fmt, ap) < 0)
                abort();
        va_end(ap);
        f->items[f->n++] = (struct finding) {
                .severity = severity, .id = id, .title = title, .meaning = meaning, .action = action,
                .acceptable = severity != SEVERITY_BLOCKER || accept_id_acceptable(id, NULL),
        };
}

void findings_set_subject(struct findings *f, const char *subject) {
        struct finding *x;

        if (f->n == 0)
                abort();
        x = &f->items[f->n - 1];
        free(x->subject);
        x->subject = strdup(subject);
        if (!x->subject)
                abort();
}

void findings_add_detail(struct findings *f, const char *fmt, ...) {
        struct finding *x;
        char *line = NULL;
        va_list ap;

        if (f->n == 0)
                abort(); /* a detail of nothing: a bug */
        x = &f->items[f->n - 1];
        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                abort();
        va_end(ap);
        if (strv_push(&x->details, &x->n_details, line) < 0)
                abort();
        free(line);
}

size_t findings_count(const struct findings *f, enum severity severity) {
        size_t n = 0;
        for (size_t i = 0; i < f->n; i++)
                n += f->items[i].severity == severity && !f->items[i].accepted;
        return n;
}

size_t findings_count_accepted(const struct findings *f) {
        size_t n = 0;
        for (size_t i = 0; i < f->n; i++)
                n += f->items[i].accepted;
        return n;
}

bool findings_have_blockers(const struct findings *f) {
        return findings_count(f, SEVERITY_BLOCKER) > 0;
}

void findings_done(struct findings *f) {
        for (size_t i = 0; i < f->n; i++) {
                free(f->items[i].title);
                free(f->items[i].subject);
                strv_free(f->items[i].details, f->items[i].n_details);
        }
        free(f->items);
        *f = (struct findings) {};
}

/* Titles and details name files and packages from outside: their control
 * bytes are shown as the console shows them, never sent to the terminal. */
static void put_printable(FILE *out, const char *s) {
        for (; *s; s++)
                fputc(*s == '\t' ? ' ' : console_printable(*s), out);
}

void findings_print_text(const struct findings *f, FILE *out, unsigned flags) {
        static const char *const label[] = {
                [SEVERITY_BLOCKER] = "BLOCKER", [SEVERITY_WARNING] = "WARNING", [SEVERITY_INFO] = "info",
        };
        static const char *const colour[] = {
                [SEVERITY_BLOCKER] = ANSI_RED, [SEVERITY_WARNING] = ANSI_YELLOW, [SEVERITY_INFO] = "",
        };
        bool c = flags & FINDINGS_COLOUR;

        for (enum severity s = SEVERITY_BLOCKER; s <= SEVERITY_INFO; s++) {
                if (s == SEVERITY_INFO && (flags & FINDINGS_QUIET))
                        break;
                for (size_t i = 0; i < f->n; i++) {
                        const struct finding *x = &f->items[i];
                        if (x->severity != s)
                                continue;
                        /* An accepted risk no longer reads as what blocks. */
                        const char *l = x->accepted ? "ACCEPTED" : label[s];
                        bool paint = c && *colour[s] && !x->accepted;
                        /* Padded outside the colour codes, which take no columns. */
                        fprintf(out, "%s%s%s%*s %s: ", ansi(paint, colour[s]), l, ansi(paint, ANSI_RESET),
                                (int) (8 - strlen(l)), "", x->id);
                        put_printable(out, x->title);
                        fputc('\n', out);
                        if (s != SEVERITY_INFO) {
                                fprintf(out, "         meaning: %s\n", x->meaning);
                                fprintf(out, "         to do:   %s\n", x->action);
                        }
                        if (x->accepted)
                                fprintf(out, "         accepted: --accept %s%s%s\n", x->id,
                                        x->subject ? ":" : "", x->subject ?: "");
                        for (size_t d = 0; d < x->n_details; d++) {
                                fputs("         - ", out);
                                put_printable(out, x->details[d]);
                                fputc('\n', out);
                        }
                }
        }
        if (flags & FINDINGS_QUIET)
                return;
        fprintf(out, "%zu blocker(s), %zu warning(s)", findings_count(f, SEVERITY_BLOCKER),
                findings_count(f, SEVERITY_WARNING));
        if (findings_count_accepted(f) > 0)
                fprintf(out, ", %zu accepted", findings_count_accepted(f));
        fputc('\n', out);
}

void findings_print_json(const struct findings *f, FILE *out) {
        fputc('[', out);
        for (size_t i = 0; i < f->n; i++) {
                const struct finding *x = &f->items[i];
                fprintf(out, "%s{\"id\":", i ? "," : "");
                json_write_string(out, x->id);
                fprintf(out, ",\"severity\":\"%s\",\"title\":", severity_names[x->severity]);
                json_write_string(out, x->title);
                fputs(",\"meaning\":", out);
                json_write_string(out, x->meaning);
                fputs(",\"action\":", out);
                json_write_string(out, x->action);
                fputs(",\"details\":[", out);
                for (size_t d = 0; d < x->n_details; d++) {
                        if (d)
                                fputc(',', out);
                        json_write_string(out, x->details[d]);
                }
                fputs("],\"subject\":", out);
                json_write_string(out, x->subject);
                fprintf(out, ",\"acceptable\":%s,\"accepted\":%s}", x->acceptable ? "true" : "false",
                        x->accepted ? "true" : "false");
        }
        fputc(']', out);
}
