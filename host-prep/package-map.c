/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "macro.h"
#include "package-map.h"
#include "package-name.h"
#include "parse-error.h"
#include "strv.h"

#define PACKAGE_MAP_SIZE_MAX (16u * 1024u * 1024u)

static int parse_line(char *s, unsigned line, struct package_map_entry *e, char **ret_error) {
        const char *sep = " \t";
        char *save = NULL, *word;
        bool arrow = false;
        int r;

        *e = (struct package_map_entry) { .line = line };
        for (word = strtok_r(s, sep, &save); word; word = strtok_r(NULL, sep, &save)) {
                if (strcmp(word, "->") == 0) {
                        if (arrow || !e->from)
                                return parse_error_line(ret_error, line, "want 'OLD -> NEW...'");
                        arrow = true;
                        continue;
                }
                if (!package_name_valid(word))
                        return parse_error_line(ret_error, line, "'%s' is not a package name", word);
                if (!arrow && e->from)
                        return parse_error_line(ret_error, line, "one installed name before '->', not '%s'", word);
                if (!arrow)
                        e->from = strdup(word);
                else if (strv_contains(e->to, e->n_to, word))
                        return parse_error_line(ret_error, line, "'%s' is named twice", word);
                else if ((r = strv_push(&e->to, &e->n_to, word)) < 0)
                        return r;
                if (!e->from)
                        return -ENOMEM;
        }
        if (!arrow)
                return parse_error_line(ret_error, line, "no '->': want 'OLD -> NEW...' or 'OLD ->'");
        return 0;
}

static void entry_done(struct package_map_entry *e) {
        free(e->from);
        strv_free(e->to, e->n_to);
}

/* The names mapped so far, for finding a duplicate in constant time: an
 * open-addressing table of indices into the entries (+1; 0 is empty),
 * kept at most half full. Quadratic scanning made a map of 200,000 lines,
 * well inside the size limit, take most of a minute. */
struct name_index {
        size_t *slots;
        size_t size; /* a power of two, or 0 */
};

static size_t name_hash(const char *s) {
        size_t h = 14695981039346656037u; /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211u;
        return h;
}

/* The slot of name: where it is, or the empty one it would go into. */
static size_t *name_index_slot(const struct name_index *x, const struct package_map *m, const char *name) {
        size_t i = name_hash(name) & (x->size - 1);

        while (x->slots[i] != 0 && strcmp(m->entries[x->slots[i] - 1].from, name) != 0)
                i = (i + 1) & (x->size - 1);
        return &x->slots[i];
}

/* Makes room for one more name beside the n entries of m. */
static int name_index_reserve(struct name_index *x, const struct package_map *m) {
        struct name_index bigger;

        if ((m->n + 1) * 2 <= x->size)
                return 0;
        bigger.size = x->size ? x->size * 2 : 64;
        bigger.slots = calloc(bigger.size, sizeof(size_t));
        if (!bigger.slots)
                return -ENOMEM;
        for (size_t i = 0; i < m->n; i++)
                *name_index_slot(&bigger, m, m->entries[i].from) = i + 1;
        free(x->slots);
        *x = bigger;
        return 0;
}

int package_map_parse(const char *text, struct package_map *ret, char **ret_error) {
        _cleanup_free_ char *copy = strdup(text);
        struct package_map m = {};
        struct name_index index = {};
        size_t *slot = NULL, capacity = 0;
        char *line, *next;
        unsigned number = 0;
        int r = 0;

        *ret_error = NULL;
        if (!copy)
                return -ENOMEM;
        for (line = copy; line; line = next) {
                struct package_map_entry e;
                char *hash;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                number++;
                hash = strchr(line, '#');
                if (hash)
                        *hash = '\0';
                if (line[strspn(line, " \t\r")] == '\0')
                        continue;
                line[strcspn(line, "\r")] = '\0';
                r = parse_line(line, number, &e, ret_error);
                if (r == 0)
                        r = name_index_reserve(&index, &m);
                if (r == 0) {
                        slot = name_index_slot(&index, &m, e.from);
                        if (*slot != 0)
                                r = parse_error_line(ret_error, number, "'%s' is already mapped on line %u", e.from,
                                           m.entries[*slot - 1].line);
                }
                if (r == 0 && m.n == capacity) {
                        /* Doubling: growing by one would copy the whole
                         * array again for every line. */
                        size_t c = capacity ? capacity * 2 : 64;
                        struct package_map_entry *p = reallocarray(m.entries, c, sizeof(*p));
                        if (!p)
                                r = -ENOMEM;
                        else {
                                m.entries = p;
                                capacity = c;
                        }
                }
                if (r == 0) {
                        m.entries[m.n++] = e;
                        *slot = m.n;
                }
                if (r < 0) {
                        entry_done(&e);
                        free(index.slots);
                        package_map_done(&m);
                        return r;
                }
        }
        free(index.slots);
        *ret = m;
        return 0;
}

int package_map_load(const char *path, struct package_map *ret, char **ret_error) {
        /* The operator's file: a symlink (to a shipped example) is fine. */
        _cleanup_free_ char *data = NULL, *text = NULL;
        size_t len;
        int r;

        *ret_error = NULL;
        r = read_regular_file(path, PACKAGE_MAP_SIZE_MAX, &data, &len);
        if (r < 0)
                return r;
        if (memchr(data, '\0', len))
                return parse_error_line(ret_error, 0, "the file contains a NUL byte");
        text = strndup(data, len);
        if (!text)
                return -ENOMEM;
        return package_map_parse(text, ret, ret_error);
}

void package_map_done(struct package_map *m) {
        for (size_t i = 0; i < m->n; i++)
                entry_done(&m->entries[i]);
        free(m->entries);
        *m = (struct package_map) {};
}
