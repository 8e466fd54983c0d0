/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "macro.h"
#include "signer.h"
#include "log.h"
#include "verdict.h"

static const char *const action_names[_VERDICT_ACTION_MAX] = {
        [VERDICT_KEEP] = "keep",
        [VERDICT_MOVE] = "move",
        [VERDICT_ERASE] = "erase",
};

/* The JSON's names, and the text report's words for them. */
static const struct {
        const char *name, *text;
        enum verdict_action action; /* the one action it explains; _MAX: move or erase */
} reasons[_VERDICT_REASON_MAX] = {
        [VERDICT_NOT_IN_TARGET] = { "not-in-target", "not in the target", VERDICT_KEEP },
        [VERDICT_SAME_VERSION] = { "same-version", "the same in the target", VERDICT_KEEP },
        [VERDICT_INSTALL_ONLY] = { "install-only", "install-only", VERDICT_KEEP },
        [VERDICT_NAME] = { "name", "by name", VERDICT_MOVE },
        [VERDICT_OBSOLETES] = { "obsoletes", "by Obsoletes", VERDICT_MOVE },
        [VERDICT_PES_EVENT] = { "pes-event", "by PES event", _VERDICT_ACTION_MAX },
        [VERDICT_PACKAGE_MAP] = { "package-map", "by package map", _VERDICT_ACTION_MAX },
        [VERDICT_ERASE_OPTION] = { "erase", "by --erase", VERDICT_ERASE },
        [VERDICT_ALLOW_ERASING] = { "allow-erasing", "by --allow-erasing", VERDICT_ERASE },
};

static const char *const signature_names[_VERDICT_SIGNATURE_MAX] = {
        [VERDICT_SIGNATURE_UNKNOWN] = NULL,
        [VERDICT_SIGNATURE_SOURCE] = "source",
        [VERDICT_SIGNATURE_OTHER] = "other",
        [VERDICT_SIGNATURE_UNSIGNED] = "unsigned",
};

const char *verdict_action_name(enum verdict_action a) {
        return a < _VERDICT_ACTION_MAX ? action_names[a] : NULL;
}

const char *verdict_reason_name(enum verdict_reason r) {
        return r < _VERDICT_REASON_MAX ? reasons[r].name : NULL;
}

const char *verdict_signature_name(enum verdict_signature s) {
        return s < _VERDICT_SIGNATURE_MAX ? signature_names[s] : NULL;
}

static char *strdup_or_abort(const char *s) {
        char *c;

        if (!s)
                return NULL;
        c = strdup(s);
        if (!c)
                abort();
        return c;
}

struct verdict *verdicts_add(struct verdicts *x, const char *nevra, const char *name, const char *key_id) {
        struct verdict *v = reallocarray(x->v, x->n + 1, sizeof(struct verdict));

        if (!v)
                abort();
        x->v = v;
        v[x->n] = (struct verdict) {
                .nevra = strdup_or_abort(nevra),
                .name = strdup_or_abort(name),
                .key_id = strdup_or_abort(key_id),
                .action = VERDICT_KEEP,
                .reason = VERDICT_NOT_IN_TARGET,
        };
        return &v[x->n++];
}

static int compare_verdicts(const void *a, const void *b) {
        return strcmp(((const struct verdict *) a)->nevra, ((const struct verdict *) b)->nevra);
}

void verdicts_sort(struct verdicts *x) {
        if (x->n)
                qsort(x->v, x->n, sizeof(struct verdict), compare_verdicts);
}

/* The other spelling of nevra's epoch of 0: "N-0:V-R.A" for "N-V-R.A" and
 * the reverse (rpm's NEVRA shows an epoch of 0 that a package states,
 * libsolv's leaves it out); NULL for another epoch or what is not a
 * NEVRA. A name holds no ':', a version and a release no '-'. */
static char *nevra_other_zero_epoch(const char *nevra) {
        const char *colon = strchr(nevra, ':'), *version;
        char *s = NULL;
        int r;

        if (colon) {
                if (colon - nevra < 2 || colon[-1] != '0' || colon[-2] != '-')
                        return NULL;
                r = asprintf(&s, "%.*s%s", (int) (colon - 1 - nevra), nevra, colon + 1);
        } else {
                const char *release = strrchr(nevra, '-');

                if (!release)
                        return NULL;
                for (version = release; version > nevra && version[-1] != '-'; version--)
                        ;
                if (version == nevra)
                        return NULL;
                r = asprintf(&s, "%.*s0:%s", (int) (version - nevra), nevra, version);
        }
        if (r < 0)
                abort();
        return s;
}

static struct verdict *verdicts_find_exactly(const struct verdicts *x, const char *nevra) {
        struct verdict key = { .nevra = (char *) nevra };

        return x->n ? bsearch(&key, x->v, x->n, sizeof(struct verdict), compare_verdicts) : NULL;
}

struct verdict *verdicts_find(const struct verdicts *x, const char *nevra) {
        struct verdict *v = verdicts_find_exactly(x, nevra);
        _cleanup_free_ char *other = NULL;

        if (v || !(other = nevra_other_zero_epoch(nevra)))
                return v;
        return verdicts_find_exactly(x, other);
}

void verdicts_name_targets(struct verdicts *x, const char *nevra) {
        _cleanup_free_ char *other = strchr(nevra, ':') ? nevra_other_zero_epoch(nevra) : NULL;

        if (!other)
                return;
        for (size_t i = 0; i < x->n; i++) {
                struct verdict *v = &x->v[i];

                if (v->target && strcmp(v->target, other) == 0)
                        verdict_set(v, v->action, v->reason, nevra, v->event, v->map_line);
        }
}

void verdicts_done(struct verdicts *x) {
        for (size_t i = 0; i < x->n; i++) {
                free(x->v[i].nevra);
                free(x->v[i].name);
                free(x->v[i].target);
                free(x->v[i].key_id);
        }
        free(x->v);
        *x = (struct verdicts) {};
}

void verdict_set(struct verdict *v, enum verdict_action a, enum verdict_reason r, const char *target,
                 unsigned event, unsigned map_line) {
        if (a >= _VERDICT_ACTION_MAX || r >= _VERDICT_REASON_MAX ||
            (reasons[r].action == _VERDICT_ACTION_MAX ? a == VERDICT_KEEP : reasons[r].action != a) ||
            (a == VERDICT_MOVE) != !!target)
                abort(); /* a verdict that contradicts itself: a bug */
        free(v->target);
        v->target = strdup_or_abort(target);
        v->action = a;
        v->reason = r;
        v->event = r == VERDICT_PES_EVENT ? event : 0;
        v->map_line = r == VERDICT_PACKAGE_MAP ? map_line : 0;
}

void verdicts_classify(struct verdicts *x, char *const *ids, size_t n) {
        for (size_t i = 0; i < x->n; i++) {
                struct verdict *v = &x->v[i];

                if (n == 0)
                        v->signature = VERDICT_SIGNATURE_UNKNOWN;
                else if (!v->key_id)
                        v->signature = VERDICT_SIGNATURE_UNSIGNED;
                else
                        v->signature = signer_is_source(ids, n, v->key_id) ? VERDICT_SIGNATURE_SOURCE :
                                                                             VERDICT_SIGNATURE_OTHER;
        }
}

size_t verdicts_count(const struct verdicts *x, enum verdict_action a, enum verdict_reason r) {
        size_t n = 0;

        for (size_t i = 0; i < x->n; i++)
                n += x->v[i].action == a && x->v[i].reason == r;
        return n;
}

/* What stays built for the old release with nobody's word for it: the
 * same package in the target, or a kernel beside a new one, is not. */
static bool is_foreign_kept(const struct verdict *v) {
        return v->action == VERDICT_KEEP && v->reason == VERDICT_NOT_IN_TARGET &&
               (v->signature == VERDICT_SIGNATURE_OTHER || v->signature == VERDICT_SIGNATURE_UNSIGNED);
}

size_t verdicts_count_foreign_kept(const struct verdicts *x) {
        size_t n = 0;

        for (size_t i = 0; i < x->n; i++)
                n += is_foreign_kept(&x->v[i]);
        return n;
}

/* Names and versions come from packages: shown as the console shows them. */
static void put_printable(FILE *out, const char *s) {
        for (; *s; s++)
                fputc(console_printable(*s), out);
}

/* "event 123", "line 4", or nothing, after a reason. */
static void put_reason(FILE *out, const struct verdict *v) {
        fputs(reasons[v->reason].text, out);
        if (v->reason == VERDICT_PES_EVENT)
                fprintf(out, " %u", v->event);
        else if (v->reason == VERDICT_PACKAGE_MAP)
                fprintf(out, " line %u", v->map_line);
}

static void put_signature(FILE *out, const struct verdict *v) {
        if (v->signature == VERDICT_SIGNATURE_UNSIGNED)
                fputs("unsigned", out);
        else if (v->key_id) {
                fputs("key ", out);
                put_printable(out, v->key_id);
                if (v->signature == VERDICT_SIGNATURE_OTHER)
                        fputs(", third-party", out);
                else if (v->signature == VERDICT_SIGNATURE_SOURCE)
                        fputs(", the source distribution's", out);
        } else
                fputs("unsigned", out);
}

void verdicts_print_text(const struct verdicts *x, FILE *out, bool all) {
        static const enum verdict_action order[] = { VERDICT_MOVE, VERDICT_ERASE, VERDICT_KEEP };
        size_t foreign = verdicts_count_foreign_kept(x);

        if (x->n == 0)
                return;
        fprintf(out, "packages: %zu installed", x->n);
        for (size_t k = 0; k < ELEMENTSOF(order); k++) {
                size_t total = 0, shown = 0;

                for (size_t i = 0; i < x->n; i++)
                        total += x->v[i].action == order[k];
                if (total == 0)
                        continue;
                fprintf(out, "%s %zu %s (", k == 0 ? ":" : ";", total, action_names[order[k]]);
                for (enum verdict_reason r = 0; r < _VERDICT_REASON_MAX; r++) {
                        size_t n = verdicts_count(x, order[k], r);
                        if (n)
                                fprintf(out, "%s%zu %s", shown++ ? ", " : "", n, reasons[r].text);
                }
                fputc(')', out);
        }
        fputc('\n', out);
        if (foreign > 0) {
                fprintf(out, "kept, not in the target and not signed by the source distribution (%zu): "
                        "they stay as built for the old release\n", foreign);
                for (size_t i = 0; i < x->n; i++) {
                        const struct verdict *v = &x->v[i];
                        if (!is_foreign_kept(v))
                                continue;
                        fputs("  ", out);
                        put_printable(out, v->nevra);
                        fputs(" (", out);
                        put_signature(out, v);
                        fputs(")\n", out);
                }
        }
        if (!all)
                return;
        for (size_t i = 0; i < x->n; i++) {
                const struct verdict *v = &x->v[i];

                fprintf(out, "  %-5s ", action_names[v->action]);
                put_printable(out, v->nevra);
                if (v->target) {
                        fputs(" -> ", out);
                        put_printable(out, v->target);
                }
                fputs(" (", out);
                put_reason(out, v);
                if (v->action == VERDICT_KEEP && v->signature != VERDICT_SIGNATURE_UNKNOWN) {
                        fputs("; ", out);
                        put_signature(out, v);
                }
                fputs(")\n", out);
        }
}

void verdicts_print_json(const struct verdicts *x, FILE *out) {
        fputc('[', out);
        for (size_t i = 0; i < x->n; i++) {
                const struct verdict *v = &x->v[i];

                fprintf(out, "%s{\"nevra\":", i ? "," : "");
                json_write_string(out, v->nevra);
                fputs(",\"name\":", out);
                json_write_string(out, v->name);
                fprintf(out, ",\"verdict\":\"%s\",\"target\":", action_names[v->action]);
                json_write_string(out, v->target);
                fprintf(out, ",\"reason\":\"%s\",\"event\":", reasons[v->reason].name);
                if (v->reason == VERDICT_PES_EVENT)
                        fprintf(out, "%u", v->event);
                else
                        fputs("null", out);
                fputs(",\"map_line\":", out);
                if (v->reason == VERDICT_PACKAGE_MAP)
                        fprintf(out, "%u", v->map_line);
                else
                        fputs("null", out);
                fputs(",\"signature\":", out);
                json_write_string(out, signature_names[v->signature]);
                fputs(",\"key_id\":", out);
                json_write_string(out, v->key_id);
                fputc('}', out);
        }
        fputc(']', out);
}
