/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "chase.h"
#include "fsutil.h"
#include "macro.h"
#include "modulemd.h"
#include "parse-error.h"
#include "strv.h"

/* Names, streams, contexts and NEVRAs: printable, no blanks, bounded. */
#define FIELD_MAX 512

/* ------------------------------------------------------------ the reader */

struct reader {
        yaml_document_t *doc;
        unsigned first_line; /* of the document, 1-based */
        char **error;
};

static int refuse(struct reader *rd, const yaml_node_t *at, const char *fmt, ...) _printf_(3, 4);
static int refuse(struct reader *rd, const yaml_node_t *at, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = parse_error_line_va(rd->error, at ? (unsigned long) at->start_mark.line + 1 : rd->first_line, fmt, ap);
        va_end(ap);
        return r;
}

static yaml_node_t *node(struct reader *rd, int index) {
        return index ? yaml_document_get_node(rd->doc, index) : NULL;
}

/* The value of key in mapping n, or NULL. */
static yaml_node_t *get(struct reader *rd, yaml_node_t *n, const char *key) {
        if (!n || n->type != YAML_MAPPING_NODE)
                return NULL;
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
                yaml_node_t *k = node(rd, p->key);

                if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(key) &&
                    memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
                        return node(rd, p->value);
        }
        return NULL;
}

/* A scalar's text, when it is one without NUL bytes; else NULL. */
static const char *scalar(const yaml_node_t *n) {
        if (!n || n->type != YAML_SCALAR_NODE || strlen((const char *) n->data.scalar.value) != n->data.scalar.length)
                return NULL;
        return (const char *) n->data.scalar.value;
}

static bool is_token(const char *s) {
        size_t len = s ? strlen(s) : 0;

        if (len == 0 || len > FIELD_MAX)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

/* A field that must be a token: copied into *ret. */
static int token(struct reader *rd, yaml_node_t *parent, const char *key, bool required, char **ret) {
        yaml_node_t *n = get(rd, parent, key);
        const char *s = scalar(n);

        if (!n) {
                if (required)
                        return refuse(rd, parent, "%s is missing", key);
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        if (!is_token(s))
                return refuse(rd, n, "%s is not a name (text without blanks, at most %d bytes)", key, FIELD_MAX);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* A sequence of tokens (a scalar alone is not one). */
static int token_list(struct reader *rd, yaml_node_t *n, const char *what, char ***v, size_t *nv) {
        if (n->type != YAML_SEQUENCE_NODE)
                return refuse(rd, n, "%s is not a list", what);
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
                const char *s = scalar(node(rd, *i));

                if (!is_token(s))
                        return refuse(rd, node(rd, *i) ? node(rd, *i) : n, "%s has an entry that is not a name",
                                      what);
                if (strv_push(v, nv, s) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* "name-[epoch:]version-release.arch". */
static bool is_nevra(const char *s) {
        const char *release_dash, *version_dash, *dot;

        if (!is_token(s))
                return false;
        release_dash = strrchr(s, '-');
        if (!release_dash || release_dash == s)
                return false;
        version_dash = memrchr(s, '-', (size_t) (release_dash - s));
        dot = strrchr(release_dash, '.');
        return version_dash && version_dash != s && version_dash + 1 < release_dash && dot && dot > release_dash + 1 &&
               dot[1];
}

static int parse_dependencies(struct reader *rd, yaml_node_t *n, struct module_stream *m) {
        if (n->type != YAML_SEQUENCE_NODE)
                return refuse(rd, n, "dependencies is not a list");
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
                yaml_node_t *entry = node(rd, *i), *req;
                struct module_dependency *d;

                if (!entry || entry->type != YAML_MAPPING_NODE)
                        return refuse(rd, entry ? entry : n, "a dependencies entry is not a mapping");
                d = realloc(m->dependencies, (m->n_dependencies + 1) * sizeof(*d));
                if (!d)
                        return -ENOMEM;
                m->dependencies = d;
                d = &m->dependencies[m->n_dependencies++];
                *d = (struct module_dependency) {};
                req = get(rd, entry, "requires");
                if (!req)
                        continue; /* buildrequires only */
                if (req->type != YAML_MAPPING_NODE)
                        return refuse(rd, req, "requires is not a mapping of modules to streams");
                for (yaml_node_pair_t *p = req->data.mapping.pairs.start; p < req->data.mapping.pairs.top; p++) {
                        const char *module = scalar(node(rd, p->key));
                        yaml_node_t *streams = node(rd, p->value);
                        struct module_require *q;
                        int r;

                        if (!is_token(module) || !streams)
                                return refuse(rd, req, "requires names a module that is not a name");
                        q = realloc(d->requires, (d->n_requires + 1) * sizeof(*q));
                        if (!q)
                                return -ENOMEM;
                        d->requires = q;
                        q = &d->requires[d->n_requires++];
                        *q = (struct module_require) { .module = strdup(module) };
                        if (!q->module)
                                return -ENOMEM;
                        r = token_list(rd, streams, "a requires entry's streams", &q->streams, &q->n_streams);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static void module_stream_done(struct module_stream *m) {
        free(m->name);
        free(m->stream);
        free(m->context);
        free(m->arch);
        strv_free(m->rpms, m->n_rpms);
        for (size_t i = 0; i < m->n_dependencies; i++) {
                for (size_t j = 0; j < m->dependencies[i].n_requires; j++) {
                        free(m->dependencies[i].requires[j].module);
                        strv_free(m->dependencies[i].requires[j].streams, m->dependencies[i].requires[j].n_streams);
                }
                free(m->dependencies[i].requires);
        }
        free(m->dependencies);
        *m = (struct module_stream) {};
}

static void module_default_done(struct module_default *d) {
        free(d->module);
        free(d->stream);
        strv_free(d->profiles, d->n_profiles);
        *d = (struct module_default) {};
}

static int parse_modulemd(struct reader *rd, yaml_node_t *data, struct module_stream *m) {
        yaml_node_t *n;
        const char *s;
        char *end;
        int r;

        *m = (struct module_stream) { .line = rd->first_line };
        if ((r = token(rd, data, "name", true, &m->name)) < 0 || (r = token(rd, data, "stream", true, &m->stream)) < 0 ||
            (r = token(rd, data, "context", false, &m->context)) < 0 || (r = token(rd, data, "arch", false, &m->arch)) < 0)
                return r;
        n = get(rd, data, "version");
        s = scalar(n);
        if (!n)
                return refuse(rd, data, "version is missing");
        errno = 0;
        if (!s || !*s || *s < '0' || *s > '9' || (m->version = strtoull(s, &end, 10), errno) || *end)
                return refuse(rd, n, "version is not a whole number");
        n = get(rd, data, "dependencies");
        if (n && (r = parse_dependencies(rd, n, m)) < 0)
                return r;
        n = get(rd, get(rd, data, "artifacts"), "rpms");
        if (n) {
                r = token_list(rd, n, "artifacts.rpms", &m->rpms, &m->n_rpms);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < m->n_rpms; i++)
                        if (!is_nevra(m->rpms[i]))
                                return refuse(rd, n, "artifacts.rpms: %s is not NAME-[EPOCH:]VERSION-RELEASE.ARCH",
                                              m->rpms[i]);
        }
        return 0;
}

static int parse_defaults(struct reader *rd, yaml_node_t *data, struct module_default *d) {
        yaml_node_t *n, *profiles;
        int r;

        *d = (struct module_default) {};
        if ((r = token(rd, data, "module", true, &d->module)) < 0)
                return r;
        n = get(rd, data, "stream");
        if (n) {
                if (!is_token(scalar(n)))
                        return refuse(rd, n, "stream is not a name");
                d->stream = strdup(scalar(n));
                if (!d->stream)
                        return -ENOMEM;
        }
        profiles = get(rd, data, "profiles");
        if (profiles && profiles->type != YAML_MAPPING_NODE)
                return refuse(rd, profiles, "profiles is not a mapping of streams to profiles");
        if (profiles && d->stream && (n = get(rd, profiles, d->stream)))
                return token_list(rd, n, "the default stream's profiles", &d->profiles, &d->n_profiles);
        return 0;
}

static int parse_document(struct reader *rd, struct modulemd *m) {
        yaml_node_t *root = yaml_document_get_root_node(rd->doc), *data;
        const char *kind, *version;
        int r;

        if (root->type != YAML_MAPPING_NODE)
                return refuse(rd, root, "the document is not a mapping");
        kind = scalar(get(rd, root, "document"));
        version = scalar(get(rd, root, "version"));
        if (!kind)
                return refuse(rd, root, "the document says no \"document:\" kind");
        if (strcmp(kind, "modulemd") != 0 && strcmp(kind, "modulemd-defaults") != 0) {
                m->n_other++; /* obsoletes, translations, ...: not needed to choose */
                return 0;
        }
        if (!version || strcmp(version, strcmp(kind, "modulemd") == 0 ? "2" : "1") != 0)
                return refuse(rd, root, "%s version %s is not read (modulemd 2 and modulemd-defaults 1 are)", kind,
                              version && is_token(version) ? version : "(none)");
        data = get(rd, root, "data");
        if (!data || data->type != YAML_MAPPING_NODE)
                return refuse(rd, root, "data is missing or not a mapping");
        /* Parsed, then appended; on either failure the item is freed. */
        if (strcmp(kind, "modulemd") == 0) {
                struct module_stream s;

                if ((r = parse_modulemd(rd, data, &s)) < 0 ||
                    (r = array_append(&m->streams, &m->n_streams, &s, sizeof(s))) < 0)
                        module_stream_done(&s);
        } else {
                struct module_default d;

                if ((r = parse_defaults(rd, data, &d)) < 0 ||
                    (r = array_append(&m->defaults, &m->n_defaults, &d, sizeof(d))) < 0)
                        module_default_done(&d);
        }
        return r;
}

int modulemd_parse(const char *text, size_t len, struct modulemd *m, char **ret_error) {
        yaml_parser_t parser;
        int r = 0;

        *ret_error = NULL;
        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
        for (;;) {
                yaml_document_t doc;
                struct reader rd = { .doc = &doc, .error = ret_error };

                if (!yaml_parser_load(&parser, &doc)) {
                        if (parser.error == YAML_MEMORY_ERROR)
                                r = -ENOMEM;
                        else if (asprintf(ret_error, "line %lu: not YAML: %s",
                                          (unsigned long) parser.problem_mark.line + 1,
                                          parser.problem ? parser.problem : "unreadable") < 0)
                                r = -ENOMEM;
                        else
                                r = -EBADMSG;
                        break;
                }
                if (!yaml_document_get_root_node(&doc)) { /* the end of the stream */
                        yaml_document_delete(&doc);
                        break;
                }
                rd.first_line = (unsigned) doc.start_mark.line + 1;
                r = parse_document(&rd, m);
                yaml_document_delete(&doc);
                if (r < 0)
                        break;
        }
        yaml_parser_delete(&parser);
        return r;
}

void modulemd_done(struct modulemd *m) {
        for (size_t i = 0; i < m->n_streams; i++)
                module_stream_done(&m->streams[i]);
        free(m->streams);
        for (size_t i = 0; i < m->n_defaults; i++)
                module_default_done(&m->defaults[i]);
        free(m->defaults);
        *m = (struct modulemd) {};
}

/* --------------------------------------------------- the source's states */

/* dnf's NAME.module: "[name]" then name=, stream=, profiles=, state=. */
int module_state_parse(const char *text, struct module_state *ret, char **ret_error) {
        _cleanup_free_ char *copy = strdup(text), *name = NULL, *stream = NULL, *state = NULL;
        char *rest = copy, *line;
        unsigned n = 0;

        *ret = (struct module_state) {};
        *ret_error = NULL;
        if (!copy)
                return -ENOMEM;

        while ((line = strsep(&rest, "\n"))) {
                char *eq, *key, *value, *e;

                n++; /* the line is named by number: what the file says is not echoed */
                line += strspn(line, " \t\r");
                if (!*line || *line == '#' || *line == ';' || *line == '[')
                        continue;
                eq = strchr(line, '=');
                if (!eq)
                        return asprintf(ret_error, "its line %u is no KEY=VALUE line", n) < 0 ? -ENOMEM : -EBADMSG;
                key = line;
                for (e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
                        ;
                *e = '\0';
                value = eq + 1 + strspn(eq + 1, " \t");
                for (e = value + strlen(value); e > value && strchr(" \t\r", e[-1]); e--)
                        ;
                *e = '\0';
                if (strcmp(key, "name") == 0 || strcmp(key, "stream") == 0 || strcmp(key, "state") == 0) {
                        char **slot = key[0] == 'n' ? &name : key[1] == 't' && key[2] == 'r' ? &stream : &state;

                        free(*slot);
                        *slot = strdup(value);
                        if (!*slot)
                                return -ENOMEM;
                }
        }
        if (!name || !is_token(name))
                return asprintf(ret_error, "it names no module (name=)") < 0 ? -ENOMEM : -EBADMSG;
        if (stream && *stream && !is_token(stream))
                return asprintf(ret_error, "its stream= is not a stream name") < 0 ? -ENOMEM : -EBADMSG;
        ret->enabled = state && strcmp(state, "enabled") == 0;
        ret->disabled = state && strcmp(state, "disabled") == 0;
        ret->name = TAKE_PTR(name);
        ret->stream = stream && *stream ? TAKE_PTR(stream) : NULL;
        return 0;
}

void module_states_free(struct module_state *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(s[i].name);
                free(s[i].stream);
        }
        free(s);
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int module_states_load(const char *root, struct findings *f, struct module_state **ret, size_t *ret_n) {
        _cleanup_close_ int dfd = open_dir_in_root(root, "/etc/dnf/modules.d", 0, false);
        char **names = NULL;
        size_t n_names = 0;
        DIR *d;
        int r = 0;

        *ret = NULL;
        *ret_n = 0;
        if (dfd < 0)
                return 0; /* EL 7, or no module ever touched: the defaults */
        d = fdopendir(dup(dfd));
        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));) {
                size_t len = strlen(de->d_name);

                if (len > 7 && strcmp(de->d_name + len - 7, ".module") == 0 && de->d_name[0] != '.' &&
                    strv_push(&names, &n_names, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        closedir(d);
        if (n_names)
                qsort(names, n_names, sizeof(char *), compare_names);
        for (size_t i = 0; r == 0 && i < n_names; i++) {
                _cleanup_free_ char *text = NULL, *error = NULL;
                _cleanup_close_ int fd = open_regular_at(dfd, names[i]);
                struct module_state s, *p;
                size_t len = 0;

                if (fd >= 0 && read_bounded(fd, 65536, 1024, &text, &len) >= 0 && !memchr(text, 0, len)) {
                        _cleanup_free_ char *str = strndup(text, len);

                        r = str ? module_state_parse(str, &s, &error) : -ENOMEM;
                } else
                        r = asprintf(&error, "cannot be read") < 0 ? -ENOMEM : -EBADMSG;
                if (r == -EBADMSG) {
                        findings_add(f, SEVERITY_WARNING, "module-state-unreadable",
                                     "which stream of this module the system has enabled is unknown, so its "
                                     "repositories' default stream is chosen",
                                     "fix or remove the file (dnf module reset NAME), or say the stream with "
                                     "--module-stream NAME:STREAM",
                                     "/etc/dnf/modules.d/%s: %s", names[i], error);
                        r = 0;
                        continue;
                }
                if (r < 0)
                        break;
                p = realloc(*ret, (*ret_n + 1) * sizeof(*p));
                if (!p) {
                        free(s.name);
                        free(s.stream);
                        r = -ENOMEM;
                        break;
                }
                *ret = p;
                p[(*ret_n)++] = s;
        }
        strv_free(names, n_names);
        return r;
}

/* ------------------------------------------------------------ the choice */

const char *module_reason_name(enum module_reason r) {
        switch (r) {
        case MODULE_DEFAULT:
                return "default";
        case MODULE_KEPT:
                return "kept";
        case MODULE_ASKED:
                return "asked";
        case MODULE_REQUIRED:
                return "required";
        }
        return "?";
}

static bool has_module(const struct modulemd *m, const char *name) {
        for (size_t i = 0; i < m->n_streams; i++)
                if (strcmp(m->streams[i].name, name) == 0)
                        return true;
        return false;
}

static bool has_stream(const struct modulemd *m, const char *name, const char *stream) {
        for (size_t i = 0; i < m->n_streams; i++)
                if (strcmp(m->streams[i].name, name) == 0 && strcmp(m->streams[i].stream, stream) == 0)
                        return true;
        return false;
}

/* "a, b, c", each once: the streams of module name in m, or, name NULL,
 * every module of m. */
static char *names_of(const struct modulemd *m, const char *name) {
        char **seen = NULL, *text = NULL;
        size_t n = 0, len = 0;
        FILE *out = open_memstream(&text, &len);

        if (!out)
                return NULL;
        for (size_t i = 0; i < m->n_streams; i++) {
                const char *s = name ? m->streams[i].stream : m->streams[i].name;

                if ((!name || strcmp(m->streams[i].name, name) == 0) && !strv_contains(seen, n, s) &&
                    strv_push(&seen, &n, s) >= 0)
                        fprintf(out, "%s%s", n > 1 ? ", " : "", s);
        }
        strv_free(seen, n);
        fclose(out);
        return text;
}

static const char *default_stream(const struct modulemd *m, const char *name) {
        /* Several repositories may each carry the defaults; the first wins. */
        for (size_t i = 0; i < m->n_defaults; i++)
                if (strcmp(m->defaults[i].module, name) == 0)
                        return m->defaults[i].stream;
        return NULL;
}

static struct module_enabled *find_enabled(struct module_choice *c, const char *name) {
        for (size_t i = 0; i < c->n_enabled; i++)
                if (strcmp(c->enabled[i].name, name) == 0)
                        return &c->enabled[i];
        return NULL;
}

static int enable(struct module_choice *c, const char *name, const char *stream, enum module_reason reason,
                  const char *required_by) {
        struct module_enabled *e = realloc(c->enabled, (c->n_enabled + 1) * sizeof(*e));

        if (!e)
                return -ENOMEM;
        c->enabled = e;
        e = &c->enabled[c->n_enabled];
        *e = (struct module_enabled) {
                .name = strdup(name),
                .stream = strdup(stream),
                .reason = reason,
                .required_by = required_by ? strdup(required_by) : NULL,
        };
        c->n_enabled++;
        if (!e->name || !e->stream || (required_by && !e->required_by))
                return -ENOMEM;
        return 0;
}

static bool stream_allowed(const struct module_require *q, const char *stream) {
        bool only_negative = true;

        if (q->n_streams == 0)
                return true;
        for (size_t i = 0; i < q->n_streams; i++) {
                if (q->streams[i][0] == '-') {
                        if (strcmp(q->streams[i] + 1, stream) == 0)
                                return false;
                } else {
                        only_negative = false;
                        if (strcmp(q->streams[i], stream) == 0)
                                return true;
                }
        }
        return only_negative;
}

/* Whether dependency d can be met with what is enabled and (unless now)
 * what may still be. */
static bool dependency_met(const struct modulemd *m, struct module_choice *c, char *const *disabled, size_t n_disabled,
                           const struct module_dependency *d, bool now) {
        for (size_t i = 0; i < d->n_requires; i++) {
                const struct module_require *q = &d->requires[i];
                struct module_enabled *e;
                bool any = false;

                if (strcmp(q->module, "platform") == 0)
                        continue;
                e = find_enabled(c, q->module);
                if (e) {
                        if (!stream_allowed(q, e->stream))
                                return false;
                        continue;
                }
                if (now || strv_contains(disabled, n_disabled, q->module))
                        return false;
                for (size_t j = 0; j < m->n_streams && !any; j++)
                        any = strcmp(m->streams[j].name, q->module) == 0 && stream_allowed(q, m->streams[j].stream);
                if (!any)
                        return false;
        }
        return true;
}

/* Enables what d requires and is not enabled yet: the default stream when
 * allowed, else the first allowed one in the metadata's order. */
static int enable_required(const struct modulemd *m, struct module_choice *c, const struct module_dependency *d,
                           const char *by) {
        for (size_t i = 0; i < d->n_requires; i++) {
                const struct module_require *q = &d->requires[i];
                const char *def, *chosen = NULL;
                int r;

                if (strcmp(q->module, "platform") == 0 || find_enabled(c, q->module))
                        continue;
                def = default_stream(m, q->module);
                if (def && has_stream(m, q->module, def) && stream_allowed(q, def))
                        chosen = def;
                for (size_t j = 0; j < m->n_streams && !chosen; j++)
                        if (strcmp(m->streams[j].name, q->module) == 0 && stream_allowed(q, m->streams[j].stream))
                                chosen = m->streams[j].stream;
                if (!chosen)
                        continue; /* dependency_met said otherwise: not reached */
                r = enable(c, q->module, chosen, MODULE_REQUIRED, by);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void reset_choice(struct module_enabled *e) {
        free(e->context);
        e->context = NULL;
        e->version = 0;
}

/* Per enabled stream, the newest version whose requires can be met; what
 * it requires is enabled in turn, to a fixpoint. */
static int resolve(const struct modulemd *m, struct module_choice *ret, char *const *disabled, size_t n_disabled) {
        bool changed;
        int r;

        do {
                changed = false;
                for (size_t e = 0; e < ret->n_enabled; e++) {
                        struct module_enabled *en = &ret->enabled[e];
                        const struct module_stream *best = NULL;
                        const struct module_dependency *best_dep = NULL;
                        char by[2 * FIELD_MAX + 2];

                        for (size_t i = 0; i < m->n_streams; i++) {
                                const struct module_stream *s = &m->streams[i];
                                const struct module_dependency *met = NULL;

                                if (strcmp(s->name, en->name) != 0 || strcmp(s->stream, en->stream) != 0)
                                        continue;
                                for (size_t j = 0; j < s->n_dependencies && !met; j++)
                                        if (dependency_met(m, ret, disabled, n_disabled, &s->dependencies[j], false))
                                                met = &s->dependencies[j];
                                if (s->n_dependencies && !met)
                                        continue;
                                if (!best || s->version > best->version ||
                                    (s->version == best->version && strcmp(s->context, best->context) < 0)) {
                                        best = s;
                                        best_dep = met;
                                }
                        }
                        if (!best) {
                                if (en->context)
                                        reset_choice(en);
                                continue;
                        }
                        if (!en->context || strcmp(en->context, best->context) != 0 || en->version != best->version) {
                                free(en->context);
                                en->context = strdup(best->context);
                                if (!en->context) {
                                        r = -ENOMEM;
                                        return r;
                                }
                                en->version = best->version;
                                changed = true;
                        }
                        if (best_dep) {
                                size_t before = ret->n_enabled;

                                snprintf(by, sizeof(by), "%s:%s", best->name, best->stream);
                                r = enable_required(m, ret, best_dep, by);
                                if (r < 0)
                                        return r;
                                if (ret->n_enabled != before)
                                        changed = true;
                        }
                }
        } while (changed);
        return 0;
}

int module_choose(const struct modulemd *m, char *const *asked, size_t n_asked, const struct module_state *system,
                  size_t n_system, struct findings *f, struct module_choice *ret) {
        _cleanup_free_ char *all = NULL;
        char **disabled = NULL;
        size_t n_disabled = 0;
        int r = 0;

        *ret = (struct module_choice) {};
        if (m->n_streams) {
                ret->active = calloc(m->n_streams, sizeof(bool));
                if (!ret->active)
                        return -ENOMEM;
        }

        /* --module-stream: must exist. */
        for (size_t i = 0; i < n_asked; i++) {
                _cleanup_free_ char *name = strdup(asked[i]), *list = NULL;
                char *stream = name ? strchr(name, ':') : NULL;

                if (!stream)
                        return -ENOMEM; /* options.c checked the form */
                *stream++ = '\0';
                if (find_enabled(ret, name))
                        continue; /* options.c refused a second stream */
                if (has_stream(m, name, stream)) {
                        r = enable(ret, name, stream, MODULE_ASKED, NULL);
                        if (r < 0)
                                goto fail;
                        continue;
                }
                if (has_module(m, name)) {
                        list = names_of(m, name);
                        findings_add(f, SEVERITY_BLOCKER, "module-stream-unknown",
                                     "the stream asked for is not in the target repositories' module metadata",
                                     "choose one of the streams listed with --module-stream, or add the "
                                     "repository that has it with --repo",
                                     "--module-stream %s: module %s has no stream %s; its streams: %s", asked[i],
                                     name, stream, list ? list : "?");
                } else {
                        if (!all)
                                all = names_of(m, NULL);
                        findings_add(f, SEVERITY_BLOCKER, "module-stream-unknown",
                                     "the module asked for is not in the target repositories' module metadata",
                                     "choose one of the modules listed with --module-stream, or add the "
                                     "repository that has it with --repo",
                                     "--module-stream %s: no module %s; the modules: %s", asked[i], name,
                                     all && *all ? all : "(none: the repositories have no modules.yaml)");
                }
                findings_set_subject(f, asked[i]);
        }

        /* The source system's: kept where the target has the stream;
         * disabled modules stay disabled. */
        for (size_t i = 0; i < n_system; i++) {
                const struct module_state *s = &system[i];

                if (find_enabled(ret, s->name))
                        continue;
                if (s->disabled) {
                        if (strv_push(&disabled, &n_disabled, s->name) < 0) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        findings_add(f, SEVERITY_INFO, "module-disabled", "", "",
                                     "module %s is disabled on this system: none of its streams' packages are "
                                     "available",
                                     s->name);
                        continue;
                }
                if (!s->enabled || !s->stream)
                        continue;
                if (has_stream(m, s->name, s->stream)) {
                        r = enable(ret, s->name, s->stream, MODULE_KEPT, NULL);
                        if (r < 0)
                                goto fail;
                        continue;
                }
                if (has_module(m, s->name)) {
                        _cleanup_free_ char *list = names_of(m, s->name);
                        const char *def = default_stream(m, s->name);

                        findings_add(f, SEVERITY_WARNING, "module-stream-dropped",
                                     "the target release does not have the stream this system has enabled; "
                                     "its default stream (if any) is used instead",
                                     "choose a stream with --module-stream NAME:STREAM, or accept the default",
                                     "module %s: stream %s is enabled here, the target has %s%s%s", s->name,
                                     s->stream, list ? list : "?", def ? "; default " : "", def ? def : "");
                        findings_set_subject(f, s->name);
                } else
                        findings_add(f, SEVERITY_INFO, "module-stream-dropped", "", "",
                                     "module %s:%s is enabled here; the target repositories have no module %s, "
                                     "their packages of that name are used",
                                     s->name, s->stream, s->name);
        }

        /* What asked and kept streams require comes first: a default
         * must not stand in their way (libdnf's defaults are weaker). */
        r = resolve(m, ret, disabled, n_disabled);
        if (r < 0)
                goto fail;
        /* Defaults, for modules neither enabled nor disabled. */
        for (size_t i = 0; i < m->n_defaults; i++) {
                const struct module_default *d = &m->defaults[i];

                if (!d->stream || find_enabled(ret, d->module) || strv_contains(disabled, n_disabled, d->module) ||
                    !has_stream(m, d->module, d->stream))
                        continue;
                r = enable(ret, d->module, d->stream, MODULE_DEFAULT, NULL);
                if (r < 0)
                        goto fail;
        }

        r = resolve(m, ret, disabled, n_disabled);
        if (r < 0)
                goto fail;

        for (size_t e = 0; e < ret->n_enabled; e++) {
                const struct module_enabled *en = &ret->enabled[e];

                if (!en->context) {
                        findings_add(f, SEVERITY_BLOCKER, "module-dependency",
                                     "no build of an enabled module stream has its module requirements met, so "
                                     "none of its packages can be installed",
                                     "enable the streams it requires with --module-stream, or choose another "
                                     "stream of it",
                                     "module %s:%s (%s) requires streams that are disabled, not enabled or not in "
                                     "the target repositories",
                                     en->name, en->stream, module_reason_name(en->reason));
                        findings_set_subject(f, en->name);
                        for (size_t i = 0; i < m->n_streams; i++) {
                                const struct module_stream *s = &m->streams[i];

                                if (strcmp(s->name, en->name) != 0 || strcmp(s->stream, en->stream) != 0)
                                        continue;
                                for (size_t j = 0; j < s->n_dependencies; j++)
                                        for (size_t k = 0; k < s->dependencies[j].n_requires; k++) {
                                                const struct module_require *q = &s->dependencies[j].requires[k];
                                                const struct module_enabled *other = find_enabled(ret, q->module);

                                                if (strcmp(q->module, "platform") != 0)
                                                        findings_add_detail(
                                                                f, "%s:%s:%" PRIu64 ":%s requires %s%s%s (%s)",
                                                                s->name, s->stream, s->version, s->context, q->module,
                                                                q->n_streams ? ":" : "",
                                                                q->n_streams ? q->streams[0] : "",
                                                                other ? other->stream : "not enabled");
                                        }
                        }
                        continue;
                }
                /* Every build of the chosen context whose requires the
                 * enabled streams meet, as libdnf activates them. */
                for (size_t i = 0; i < m->n_streams; i++) {
                        const struct module_stream *s = &m->streams[i];
                        bool met = s->n_dependencies == 0;

                        if (strcmp(s->name, en->name) != 0 || strcmp(s->stream, en->stream) != 0 ||
                            strcmp(s->context, en->context) != 0)
                                continue;
                        for (size_t j = 0; j < s->n_dependencies && !met; j++)
                                met = dependency_met(m, ret, disabled, n_disabled, &s->dependencies[j], true);
                        ret->active[i] = met;
                }
        }
        strv_free(disabled, n_disabled);
        return 0;
fail:
        strv_free(disabled, n_disabled);
        module_choice_done(ret);
        return r;
}

void module_choice_done(struct module_choice *c) {
        for (size_t i = 0; i < c->n_enabled; i++) {
                free(c->enabled[i].name);
                free(c->enabled[i].stream);
                free(c->enabled[i].required_by);
                free(c->enabled[i].context);
        }
        free(c->enabled);
        free(c->active);
        *c = (struct module_choice) {};
}

/* ----------------------------------------------------------------- NEVRAs */

char *module_nevra_normalize(const char *nevra) {
        const char *release_dash = strrchr(nevra, '-'), *version_dash;
        char *out;

        if (!release_dash)
                return strdup(nevra);
        version_dash = memrchr(nevra, '-', (size_t) (release_dash - nevra));
        if (!version_dash || strncmp(version_dash + 1, "0:", 2) != 0)
                return strdup(nevra);
        if (asprintf(&out, "%.*s%s", (int) (version_dash + 1 - nevra), nevra, version_dash + 3) < 0)
                return NULL;
        return out;
}

bool module_nevra_name(const char *nevra, char *buf, size_t size) {
        const char *release_dash = strrchr(nevra, '-'), *version_dash;
        size_t len;

        if (!release_dash)
                return false;
        version_dash = memrchr(nevra, '-', (size_t) (release_dash - nevra));
        if (!version_dash || version_dash == nevra)
                return false;
        len = (size_t) (version_dash - nevra);
        if (len >= size)
                return false;
        memcpy(buf, nevra, len);
        buf[len] = '\0';
        return true;
}
