/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "macro.h"
#include "number.h"
#include "package-name.h"
#include "parse-error.h"
#include "pes.h"
#include "strv.h"

/* Deeper than any PES file nests (5 levels); json-c's default is 32. */
#define PES_JSON_DEPTH 16

static void json_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

static const char *const action_names[_PES_ACTION_MAX] = {
        [PES_PRESENT] = "present",   [PES_REMOVED] = "removed", [PES_DEPRECATED] = "deprecated",
        [PES_REPLACED] = "replaced", [PES_SPLIT] = "split",     [PES_MERGED] = "merged",
        [PES_MOVED] = "moved",       [PES_RENAMED] = "renamed", [PES_REINSTALLED] = "reinstalled",
};

const char *pes_action_name(enum pes_action a) {
        return (unsigned) a < _PES_ACTION_MAX ? action_names[a] : "unknown";
}

static int refuse(char **ret_error, long id, size_t index, const char *fmt, ...) _printf_(4, 5);
static int refuse(char **ret_error, long id, size_t index, const char *fmt, ...) {
        char where[64];
        va_list ap;
        int r;

        if (id >= 0)
                snprintf(where, sizeof where, "event %ld", id);
        else if (index != SIZE_MAX)
                snprintf(where, sizeof where, "event #%zu of packageinfo", index + 1);
        va_start(ap, fmt);
        r = parse_error_va(ret_error, id >= 0 || index != SIZE_MAX ? where : NULL, fmt, ap);
        va_end(ap);
        return r;
}

static json_object *member(json_object *o, const char *key) {
        json_object *v = NULL;

        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A string member: absent or null gives NULL; anything but a string
 * is wrong. */
static int get_string(json_object *o, const char *key, char **ret) {
        json_object *v = member(o, key);

        *ret = NULL;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int get_int(json_object *v, long lo, long hi, long *ret) {
        int64_t n;

        if (!v || !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        errno = 0;
        n = json_object_get_int64(v);
        if (errno != 0 || n < lo || n > hi)
                return -ERANGE;
        *ret = (long) n;
        return 0;
}

static int parse_release(json_object *v, long id, size_t index, const char *key, struct pes_release *ret,
                         char **ret_error) {
        long major, minor;

        if (!json_object_is_type(v, json_type_object))
                return refuse(ret_error, id, index, "%s is not an object", key);
        if (get_int(member(v, "major_version"), 0, 1000, &major) < 0 ||
            get_int(member(v, "minor_version"), 0, 1000, &minor) < 0)
                return refuse(ret_error, id, index, "%s wants major_version and minor_version, whole numbers 0-1000",
                              key);
        *ret = (struct pes_release) { (int) major, (int) minor };
        return 0;
}

/* A repository id, module or stream name: printable ASCII, no space or
 * slash, as they go into findings and messages. */
static bool id_is_valid(const char *s) {
        if (!*s || strlen(s) > 255)
                return false;
        for (; *s; s++)
                if (*s <= ' ' || *s > '~' || *s == '/' || *s == '"' || *s == '\\')
                        return false;
        return true;
}

static void package_done(struct pes_package *p) {
        free(p->name);
        free(p->repository);
        free(p->module_stream);
}

/* null, or {"name": ..., "stream": ...}: *ret "NAME:STREAM" or NULL. */
static int parse_module_stream(json_object *ms, char **ret) {
        _cleanup_free_ char *name = NULL, *stream = NULL;

        *ret = NULL;
        if (!ms || json_object_is_type(ms, json_type_null))
                return 0;
        if (!json_object_is_type(ms, json_type_object) || get_string(ms, "name", &name) < 0 ||
            get_string(ms, "stream", &stream) < 0 || !name || !stream || !id_is_valid(name) || !id_is_valid(stream))
                return -EBADMSG;
        if (asprintf(ret, "%s:%s", name, stream) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* One stream, null, or a list of them: the first stream is kept. */
static int parse_module_streams(json_object *v, char **ret) {
        size_t n;
        int r;

        if (!v || !json_object_is_type(v, json_type_array))
                return parse_module_stream(v, ret);
        *ret = NULL;
        n = json_object_array_length(v);
        for (size_t k = 0; k < n; k++) {
                _cleanup_free_ char *one = NULL;

                r = parse_module_stream(json_object_array_get_idx(v, k), &one);
                if (r < 0)
                        return r;
                if (one && !*ret)
                        *ret = TAKE_PTR(one);
        }
        return 0;
}

static int parse_packageset(json_object *v, long id, size_t index, const char *key, struct pes_package **ret,
                            size_t *ret_n, char **ret_error) {
        json_object *list;
        size_t n;
        int r;

        *ret = NULL;
        *ret_n = 0;
        if (!v || json_object_is_type(v, json_type_null))
                return 0; /* no packages */
        if (!json_object_is_type(v, json_type_object))
                return refuse(ret_error, id, index, "%s is not an object", key);
        list = member(v, "package");
        if (!list || json_object_is_type(list, json_type_null))
                return 0;
        if (!json_object_is_type(list, json_type_array))
                return refuse(ret_error, id, index, "%s.package is not a list", key);
        n = json_object_array_length(list);
        if (n == 0)
                return 0;
        *ret = calloc(n, sizeof(struct pes_package));
        if (!*ret)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *p = json_object_array_get_idx(list, i), *ms;
                struct pes_package *pkg = &(*ret)[i];

                *ret_n = i + 1;
                if (!json_object_is_type(p, json_type_object))
                        return refuse(ret_error, id, index, "%s.package[%zu] is not an object", key, i);
                r = get_string(p, "name", &pkg->name);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || !pkg->name || !package_name_valid(pkg->name))
                        return refuse(ret_error, id, index, "%s.package[%zu] has no valid package name", key, i);
                for (size_t j = 0; j < i; j++)
                        if (strcmp((*ret)[j].name, pkg->name) == 0)
                                return refuse(ret_error, id, index, "%s names %s twice", key, pkg->name);
                r = get_string(p, "repository", &pkg->repository);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || (pkg->repository && !id_is_valid(pkg->repository)))
                        return refuse(ret_error, id, index, "%s.package[%zu].repository is not a repository id",
                                      key, i);
                /* "module_stream" (ELevate's files) or "modulestreams"
                 * (upstream's newer ones), either of them null, one stream
                 * or a list of them (null in it: outside any module). */
                ms = member(p, "module_stream");
                if (!ms)
                        ms = member(p, "modulestreams");
                r = parse_module_streams(ms, &pkg->module_stream);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return refuse(ret_error, id, index,
                                      "%s.package[%zu]: a module stream wants a name and a stream", key, i);
        }
        return 0;
}

static void event_done(struct pes_event *e) {
        for (size_t i = 0; i < e->n_in; i++)
                package_done(&e->in[i]);
        for (size_t i = 0; i < e->n_out; i++)
                package_done(&e->out[i]);
        free(e->in);
        free(e->out);
        strv_free(e->arches, e->n_arches);
        *e = (struct pes_event) {};
}

static int parse_event(json_object *o, size_t index, struct pes_event *e, char **ret_error) {
        json_object *v;
        long id = -1, action;
        int r;

        *e = (struct pes_event) {};
        if (!json_object_is_type(o, json_type_object))
                return refuse(ret_error, -1, index, "not an object");
        /* AlmaLinux's 8 -> 9 events have ids as strings of digits. */
        v = member(o, "id");
        if (v && json_object_is_type(v, json_type_string)) {
                unsigned u;

                id = parse_unsigned(json_object_get_string(v), &u) ? (long) u : -1;
        } else if (get_int(v, 0, UINT_MAX, &id) < 0)
                id = -1;
        if (id < 0)
                return refuse(ret_error, -1, index, "no id (a whole number)");
        e->id = (unsigned) id;
        if (get_int(member(o, "action"), 0, _PES_ACTION_MAX - 1, &action) < 0)
                return refuse(ret_error, id, index, "action is not one of 0-%d (present ... reinstalled)",
                              _PES_ACTION_MAX - 1);
        e->action = (enum pes_action) action;
        r = parse_packageset(member(o, "in_packageset"), id, index, "in_packageset", &e->in, &e->n_in, ret_error);
        if (r < 0)
                return r;
        r = parse_packageset(member(o, "out_packageset"), id, index, "out_packageset", &e->out, &e->n_out,
                             ret_error);
        if (r < 0)
                return r;
        if (e->n_in == 0)
                return refuse(ret_error, id, index, "in_packageset names no package");
        v = member(o, "release");
        if (!v || json_object_is_type(v, json_type_null))
                return refuse(ret_error, id, index, "no release");
        r = parse_release(v, id, index, "release", &e->to, ret_error);
        if (r < 0)
                return r;
        v = member(o, "initial_release");
        if (v && !json_object_is_type(v, json_type_null)) {
                r = parse_release(v, id, index, "initial_release", &e->from, ret_error);
                if (r < 0)
                        return r;
                e->has_from = true;
        }
        v = member(o, "architectures");
        if (v && !json_object_is_type(v, json_type_null)) {
                size_t n;

                if (!json_object_is_type(v, json_type_array))
                        return refuse(ret_error, id, index, "architectures is not a list");
                n = json_object_array_length(v);
                for (size_t i = 0; i < n; i++) {
                        json_object *a = json_object_array_get_idx(v, i);

                        if (!json_object_is_type(a, json_type_string) || !package_name_valid(json_object_get_string(a)))
                                return refuse(ret_error, id, index, "architectures[%zu] is not an architecture", i);
                        r = strv_push(&e->arches, &e->n_arches, json_object_get_string(a));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* One JSON value, all of text: *ret, or -EBADMSG saying why not. */
static int parse_json(const char *text, size_t len, json_object **ret, char **ret_error);

/* text as the JSON object a PES file or a repository map is, with its list
 * key: *ret_root (the caller puts it) and, in it, *ret_list. The
 * refusals: not_object when it is not an object, no_list when it has no
 * such list. *ret_error is NULL unless refused. */
static int parse_document(const char *text, size_t len, const char *key, const char *not_object,
                          const char *no_list, json_object **ret_root, json_object **ret_list, char **ret_error) {
        int r;

        *ret_error = NULL;
        r = parse_json(text, len, ret_root, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(*ret_root, json_type_object))
                return refuse(ret_error, -1, SIZE_MAX, "%s", not_object);
        *ret_list = member(*ret_root, key);
        if (!*ret_list || !json_object_is_type(*ret_list, json_type_array))
                return refuse(ret_error, -1, SIZE_MAX, "%s", no_list);
        return 0;
}

int pes_parse(const char *text, size_t len, struct pes_events *ret, char **ret_error) {
        _cleanup_(json_putp) json_object *root = NULL;
        struct pes_events out = {};
        json_object *list;
        size_t n;
        int r;

        *ret = (struct pes_events) {};
        r = parse_document(text, len, "packageinfo", "not a PES file: want an object with packageinfo",
                           "not a PES file: no packageinfo list", &root, &list, ret_error);
        if (r < 0)
                return r;
        n = json_object_array_length(list);
        if (n) {
                out.events = calloc(n, sizeof(struct pes_event));
                if (!out.events)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                r = parse_event(json_object_array_get_idx(list, i), i, &out.events[i], ret_error);
                out.n = i + 1;
                if (r < 0) {
                        pes_events_done(&out);
                        return r;
                }
        }
        /* Ids are not unique in the published data (AlmaLinux's has 9942
         * twice): findings name the id, which is all Leapp's reports give. */
        *ret = out;
        return 0;
}

/* The file a loader parses: whole, at most PES_SIZE_MAX. */
static int read_input(const char *path, char **ret, size_t *ret_len, char **ret_error) {
        *ret_error = NULL;
        return read_regular_file(path, PES_SIZE_MAX, ret, ret_len);
}

int pes_load(const char *path, struct pes_events *ret, char **ret_error) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = read_input(path, &data, &len, ret_error);

        *ret = (struct pes_events) {};
        return r < 0 ? r : pes_parse(data, len, ret, ret_error);
}

int pes_events_append(struct pes_events *a, struct pes_events *b) {
        struct pes_event *v;

        if (b->n == 0)
                return 0;
        v = reallocarray(a->events, a->n + b->n, sizeof(struct pes_event));
        if (!v)
                return -ENOMEM;
        memcpy(v + a->n, b->events, b->n * sizeof(struct pes_event));
        a->events = v;
        a->n += b->n;
        free(b->events);
        *b = (struct pes_events) {};
        return 0;
}

void pes_events_done(struct pes_events *e) {
        for (size_t i = 0; i < e->n; i++)
                event_done(&e->events[i]);
        free(e->events);
        *e = (struct pes_events) {};
}

int pes_release_parse(const char *s, struct pes_release *ret) {
        const char *dot = strchr(s, '.');
        unsigned major, minor;

        if (!parse_unsigned_span(s, dot ? (size_t) (dot - s) : strlen(s), 0, 1000, &major) ||
            (dot && !parse_unsigned_range(dot + 1, 0, 1000, &minor)))
                return -EINVAL;
        *ret = (struct pes_release) { (int) major, dot ? (int) minor : PES_MINOR_ANY };
        return 0;
}

int pes_release_compare(struct pes_release a, struct pes_release b) {
        if (a.major != b.major)
                return a.major < b.major ? -1 : 1;
        if (a.minor != b.minor)
                return a.minor < b.minor ? -1 : 1;
        return 0;
}

static int compare_events(const void *x, const void *y) {
        const struct pes_event *a = x, *b = y;
        int c = pes_release_compare(a->to, b->to);

        if (c)
                return c;
        return a->id < b->id ? -1 : a->id > b->id;
}

size_t pes_filter(struct pes_events *e, struct pes_release source, struct pes_release target,
                  const char *arch) {
        size_t kept = 0, dropped = 0;

        for (size_t i = 0; i < e->n; i++) {
                struct pes_event *ev = &e->events[i];
                bool keep = pes_release_compare(ev->to, source) > 0 && pes_release_compare(ev->to, target) <= 0 &&
                            (ev->n_arches == 0 || strv_contains(ev->arches, ev->n_arches, arch));

                if (!keep) {
                        event_done(ev);
                        dropped++;
                        continue;
                }
                if (kept != i)
                        e->events[kept] = *ev;
                kept++;
        }
        e->n = kept;
        if (kept)
                qsort(e->events, kept, sizeof(struct pes_event), compare_events);
        return dropped;
}

/* The package set as events change it: names, unsorted, few changes. */
struct name_set {
        char **v;
        size_t n;
};

static bool set_has(const struct name_set *s, const char *name) {
        return strv_contains(s->v, s->n, name);
}

static int set_add(struct name_set *s, const char *name) {
        return set_has(s, name) ? 0 : strv_push(&s->v, &s->n, name);
}

static void set_remove(struct name_set *s, const char *name) {
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i], name) == 0) {
                        free(s->v[i]);
                        s->v[i] = s->v[--s->n];
                        return;
                }
}

static int push_decision(struct pes_result *r, const struct pes_event *e, enum pes_outcome o) {
        struct pes_decision *v = reallocarray(r->decisions, r->n_decisions + 1, sizeof(struct pes_decision));

        if (!v)
                return -ENOMEM;
        v[r->n_decisions++] = (struct pes_decision) { e, o };
        r->decisions = v;
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int pes_apply(const struct pes_events *e, char *const *installed, size_t n_installed,
              char *const *overridden, size_t n_overridden, struct pes_result *ret) {
        struct name_set now = {}, added = {}, removed = {};
        struct pes_result res = {};
        int r = 0;

        *ret = (struct pes_result) {};
        for (size_t i = 0; i < n_installed && r >= 0; i++)
                r = set_add(&now, installed[i]);
        for (size_t i = 0; i < e->n && r >= 0; i++) {
                const struct pes_event *ev = &e->events[i];
                size_t present = 0;
                bool override = false;

                for (size_t j = 0; j < ev->n_in; j++) {
                        present += set_has(&now, ev->in[j].name);
                        override = override || strv_contains(overridden, n_overridden, ev->in[j].name);
                }
                if (present == 0)
                        continue; /* nothing of it here: not worth a decision */
                if (override) {
                        r = push_decision(&res, ev, PES_OVERRIDDEN);
                        continue;
                }
                if (ev->action == PES_PRESENT || ev->action == PES_DEPRECATED) {
                        r = push_decision(&res, ev, PES_KEPT);
                        continue;
                }
                if (present < ev->n_in && ev->action != PES_MERGED) {
                        r = push_decision(&res, ev, PES_NOT_RELEVANT);
                        continue;
                }
                r = push_decision(&res, ev, PES_APPLIED);
                for (size_t j = 0; j < ev->n_in && r >= 0; j++) {
                        bool stays = false;

                        for (size_t k = 0; k < ev->n_out; k++)
                                stays = stays || strcmp(ev->out[k].name, ev->in[j].name) == 0;
                        if (stays || !set_has(&now, ev->in[j].name))
                                continue;
                        set_remove(&now, ev->in[j].name);
                        if (set_has(&added, ev->in[j].name))
                                set_remove(&added, ev->in[j].name);
                        else
                                r = set_add(&removed, ev->in[j].name);
                }
                for (size_t k = 0; k < ev->n_out && r >= 0; k++) {
                        const char *name = ev->out[k].name;

                        if (set_has(&now, name))
                                continue;
                        r = set_add(&now, name);
                        if (r >= 0 && set_has(&removed, name))
                                set_remove(&removed, name);
                        else if (r >= 0)
                                r = set_add(&added, name);
                }
        }
        strv_free(now.v, now.n);
        if (r < 0) {
                strv_free(added.v, added.n);
                strv_free(removed.v, removed.n);
                free(res.decisions);
                return r;
        }
        /* Sorted, as the findings and jobs come out in a stable order. */
        if (added.n)
                qsort(added.v, added.n, sizeof(char *), compare_strings);
        if (removed.n)
                qsort(removed.v, removed.n, sizeof(char *), compare_strings);
        res.install = added.v;
        res.n_install = added.n;
        res.erase = removed.v;
        res.n_erase = removed.n;
        *ret = res;
        return 0;
}

void pes_result_done(struct pes_result *r) {
        free(r->decisions);
        strv_free(r->install, r->n_install);
        strv_free(r->erase, r->n_erase);
        *r = (struct pes_result) {};
}

static int parse_json(const char *text, size_t len, json_object **ret, char **ret_error) {
        json_tokener *tok;
        enum json_tokener_error jerr;
        size_t end;

        *ret = NULL;
        if (len > INT_MAX)
                return refuse(ret_error, -1, SIZE_MAX, "too large for a JSON file");
        if (memchr(text, '\0', len))
                return refuse(ret_error, -1, SIZE_MAX, "not JSON: the file contains a NUL byte");
        tok = json_tokener_new_ex(PES_JSON_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        *ret = json_tokener_parse_ex(tok, text, (int) len);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (jerr == json_tokener_continue || (jerr == json_tokener_success && !*ret)) {
                json_putp(ret);
                return refuse(ret_error, -1, SIZE_MAX, "not JSON: the text ends inside a value");
        }
        if (jerr != json_tokener_success)
                return refuse(ret_error, -1, SIZE_MAX, "not JSON: %s at byte %zu", json_tokener_error_desc(jerr), end);
        for (; end < len; end++)
                if (!strchr(" \t\r\n", text[end])) {
                        json_putp(ret);
                        return refuse(ret_error, -1, SIZE_MAX, "not JSON: more text after the value, at byte %zu",
                                      end);
                }
        return 0;
}

int pes_repomap_parse(const char *text, size_t len, struct pes_repomap *ret, char **ret_error) {
        _cleanup_(json_putp) json_object *root = NULL;
        struct pes_repomap m = {};
        json_object *list;
        size_t n;
        int r;

        *ret = (struct pes_repomap) {};
        r = parse_document(text, len, "repositories", "not a repository map: no repositories list",
                           "not a repository map: no repositories list", &root, &list, ret_error);
        if (r < 0)
                return r;
        n = json_object_array_length(list);
        for (size_t i = 0; i < n; i++) {
                json_object *repo = json_object_array_get_idx(list, i), *entries, *v;
                const char *pesid;

                v = json_object_is_type(repo, json_type_object) ? member(repo, "pesid") : NULL;
                entries = v ? member(repo, "entries") : NULL;
                if (!v || !json_object_is_type(v, json_type_string) || !id_is_valid(pesid = json_object_get_string(v)) ||
                    !entries || !json_object_is_type(entries, json_type_array)) {
                        pes_repomap_done(&m);
                        return refuse(ret_error, -1, SIZE_MAX, "repositories[%zu] wants a pesid (a repository id) and entries", i);
                }
                for (size_t j = 0; j < json_object_array_length(entries); j++) {
                        json_object *e = json_object_array_get_idx(entries, j);

                        v = json_object_is_type(e, json_type_object) ? member(e, "repoid") : NULL;
                        if (!v || !json_object_is_type(v, json_type_string) || !id_is_valid(json_object_get_string(v))) {
                                pes_repomap_done(&m);
                                return refuse(ret_error, -1, SIZE_MAX,
                                              "repositories[%zu] (%s): entries[%zu] has no repoid", i, pesid, j);
                        }
                        long major = -1;
                        json_object *mv = member(e, "major_version");
                        int *majors = reallocarray(m.majors, m.n + 1, sizeof(int));

                        if (!majors) {
                                pes_repomap_done(&m);
                                return -ENOMEM;
                        }
                        m.majors = majors;
                        unsigned u;

                        if (mv && json_object_is_type(mv, json_type_string))
                                major = parse_unsigned_range(json_object_get_string(mv), 0, 1000, &u) ? (long) u : -1;
                        else if (mv && get_int(mv, 0, 1000, &major) < 0)
                                major = -1;
                        m.majors[m.n] = major < 0 || major > 1000 ? -1 : (int) major;
                        size_t k = m.n;
                        r = strv_push(&m.repoids, &k, json_object_get_string(v));
                        if (r >= 0) {
                                k = m.n;
                                r = strv_push(&m.pesids, &k, pesid);
                                if (r < 0) {
                                        free(m.repoids[m.n]);
                                } else
                                        m.n++;
                        }
                        if (r < 0) {
                                pes_repomap_done(&m);
                                return r;
                        }
                }
        }
        *ret = m;
        return 0;
}

int pes_repomap_load(const char *path, struct pes_repomap *ret, char **ret_error) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = read_input(path, &data, &len, ret_error);

        *ret = (struct pes_repomap) {};
        return r < 0 ? r : pes_repomap_parse(data, len, ret, ret_error);
}

void pes_repomap_done(struct pes_repomap *m) {
        strv_free(m->repoids, m->n);
        strv_free(m->pesids, m->n);
        free(m->majors);
        *m = (struct pes_repomap) {};
}

const char *pes_repomap_pesid(const struct pes_repomap *m, const char *name, int major) {
        for (size_t i = 0; i < m->n; i++)
                if ((m->majors[i] < 0 || m->majors[i] == major) && strcmp(m->repoids[i], name) == 0)
                        return m->pesids[i];
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->pesids[i], name) == 0)
                        return m->pesids[i];
        return NULL;
}
