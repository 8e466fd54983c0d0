/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The upgrade plan's text format; see docs/plan-format.md. */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "digest.h"
#include "macro.h"
#include "fsutil.h"
#include "parse-error.h"
#include "plan.h"
#include "utf8.h"

#define HEADER_RECORDS 4
/* The most fields any record has: the directive and four values. */
#define FIELDS_MAX 5
/* Room for a quoted, escaped, possibly shortened value in a message. */
#define QUOTE_MAX 100

static const char *const op_names[_PLAN_OP_MAX] = {
        [PLAN_OP_UPGRADE] = "upgrade",
        [PLAN_OP_INSTALL] = "install",
        [PLAN_OP_INSTALL_ONLY] = "install-only",
        [PLAN_OP_ERASE] = "erase",
};

const char *plan_op_name(enum plan_op op) {
        if ((size_t) op >= ELEMENTSOF(op_names))
                return NULL;
        return op_names[op];
}

/* ---- Field rules, shared by the parser and the writer ---- */

/* Names must be valid UTF-8 (utf8.h): overlong forms and surrogates would
 * let two spellings of one name slip past the duplicate check. */

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* What is wrong with name as a file name in the plan, or NULL if nothing.
 * The upgrader opens these inside the staging directory: anything that
 * could leave it, or hide in a listing, is refused. */
static const char *file_name_problem(const char *name, bool package) {
        size_t n = strlen(name);

        if (n == 0)
                return "is empty";
        if (n > PLAN_FILE_NAME_MAX)
                return "is longer than 255 bytes";
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return "is not a plain file name";
        for (const unsigned char *c = (const unsigned char *) name; *c; c++) {
                if (*c == '/')
                        return "is not a plain file name (contains '/')";
                if (*c == ' ')
                        return "is not a plain file name (contains a space)";
                if (ascii_is_control(*c))
                        return "is not a plain file name (contains a control character)";
        }
        if (!utf8_valid(name, n))
                return "is not valid UTF-8";
        if (package && (n <= strlen(".rpm") || !ends_with(name, ".rpm")))
                return "does not end in \".rpm\"";
        return NULL;
}

bool plan_file_name_is_valid(const char *name) {
        return name && !file_name_problem(name, false);
}

const char *plan_package_file_name_problem(const char *name) {
        return name ? file_name_problem(name, true) : "is missing";
}

bool plan_package_file_name_is_valid(const char *name) {
        return name && !file_name_problem(name, true);
}

static const char *nevra_problem(const char *nevra) {
        size_t n = strlen(nevra);

        if (n == 0)
                return "is empty";
        if (n > PLAN_NEVRA_MAX)
                return "is longer than 1024 bytes";
        for (const unsigned char *c = (const unsigned char *) nevra; *c; c++)
                if (*c == ' ' || ascii_is_control(*c))
                        return "contains whitespace or a control character";
        if (!utf8_valid(nevra, n))
                return "is not valid UTF-8";
        return NULL;
}

static bool is_lower_hex(const char *s, size_t min, size_t max) {
        size_t n = strspn(s, "0123456789abcdef");

        return s[n] == '\0' && n >= min && n <= max;
}

static bool sha256_is_valid(const char *s) {
        return s && is_lower_hex(s, 64, 64);
}

static bool fingerprint_is_valid(const char *s) {
        return s && is_lower_hex(s, 40, 128);
}

static bool backend_is_valid(const char *s) {
        return s && (strcmp(s, "bdb") == 0 || strcmp(s, "ndb") == 0 || strcmp(s, "sqlite") == 0);
}



/* Decimal, no sign, no leading zeros: one spelling per number, so a
 * rewritten plan is byte-for-byte the plan that was read. */
static bool parse_u64(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
                return false;
        for (const char *c = s; *c; c++) {
                unsigned d;

                if (*c < '0' || *c > '9')
                        return false;
                d = (unsigned) (*c - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *ret = v;
        return true;
}

static bool package_is_valid(enum plan_op op, const char *file, uint64_t size, const char *sha256,
                             const char *nevra) {
        if (!plan_op_name(op) || !nevra || nevra_problem(nevra))
                return false;
        if (op == PLAN_OP_ERASE)
                return !file && size == 0 && (!sha256 || sha256[0] == '\0');
        return plan_package_file_name_is_valid(file) && sha256_is_valid(sha256);
}

/* ---- The plan in memory ---- */

/*
 * Returns array with room for element n, which may have moved, or NULL when
 * out of memory (array untouched). The capacity follows from n alone (16,
 * then doubling at each power of two), so struct plan needs no bookkeeping.
 */
static void *array_reserve(void *array, size_t n, size_t size) {
        size_t new_n;

        if (n == 0)
                new_n = 16;
        else if (n >= 16 && (n & (n - 1)) == 0)
                new_n = n * 2;
        else
                return array;
        if (new_n > SIZE_MAX / size)
                return NULL;
        return realloc(array, new_n * size);
}

static int append_key(struct plan *p, const char *file) {
        _cleanup_free_ char *copy = strdup(file);
        char **keys;

        if (!copy)
                return -ENOMEM;
        keys = array_reserve(p->keys, p->n_keys, sizeof(*p->keys));
        if (!keys)
                return -ENOMEM;
        p->keys = keys;
        p->keys[p->n_keys++] = TAKE_PTR(copy);
        return 0;
}

static int append_package(struct plan *p, enum plan_op op, const char *file, uint64_t size,
                          const char *sha256, const char *nevra) {
        _cleanup_free_ char *file_copy = NULL, *nevra_copy = strdup(nevra);
        struct plan_package *packages;

        if (!nevra_copy)
                return -ENOMEM;
        if (file) {
                file_copy = strdup(file);
                if (!file_copy)
                        return -ENOMEM;
        }
        packages = array_reserve(p->packages, p->n_packages, sizeof(*p->packages));
        if (!packages)
                return -ENOMEM;
        p->packages = packages;
        p->packages[p->n_packages] = (struct plan_package) {
                .op = op,
                .file = TAKE_PTR(file_copy),
                .size = size,
                .nevra = TAKE_PTR(nevra_copy),
        };
        if (sha256)
                memcpy(p->packages[p->n_packages].sha256, sha256, SHA256_HEX_SIZE);
        p->n_packages++;
        return 0;
}

struct plan *plan_new(void) {
        return calloc(1, sizeof(struct plan));
}

void plan_free(struct plan *p) {
        if (!p)
                return;
        free(p->created);
        free(p->source_backend);
        free(p->source_fingerprint);
        free(p->target_backend);
        free(p->verify);
        for (size_t i = 0; i < p->n_keys; i++)
                free(p->keys[i]);
        free(p->keys);
        for (size_t i = 0; i < p->n_packages; i++) {
                free(p->packages[i].file);
                free(p->packages[i].nevra);
        }
        free(p->packages);
        free(p);
}

void plan_freep(struct plan **p) {
        plan_free(*p);
}

static int replace_string(char **field, const char *value) {
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

int plan_set_header(struct plan *p, const char *created, const char *source_backend,
                    const char *source_fingerprint, const char *target_backend) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        if (!timestamp_is_valid(created) || !backend_is_valid(source_backend) ||
            !fingerprint_is_valid(source_fingerprint) || !backend_is_valid(target_backend))
                return -EINVAL;
        /* Copy everything first, so that failing leaves p as it was. */
        if (replace_string(&a, created) < 0 || replace_string(&b, source_backend) < 0 ||
            replace_string(&c, source_fingerprint) < 0 || replace_string(&d, target_backend) < 0)
                return -ENOMEM;
        free(p->created);
        p->created = TAKE_PTR(a);
        free(p->source_backend);
        p->source_backend = TAKE_PTR(b);
        free(p->source_fingerprint);
        p->source_fingerprint = TAKE_PTR(c);
        free(p->target_backend);
        p->target_backend = TAKE_PTR(d);
        return 0;
}

static bool plan_is_full(const struct plan *p) {
        return HEADER_RECORDS + p->n_keys + p->n_packages >= PLAN_RECORDS_MAX;
}

int plan_add_key(struct plan *p, const char *file) {
        if (!plan_file_name_is_valid(file))
                return -EINVAL;
        /* Linear: plans hold a handful of keys. */
        for (size_t i = 0; i < p->n_keys; i++)
                if (strcmp(p->keys[i], file) == 0)
                        return -EEXIST;
        if (plan_is_full(p))
                return -E2BIG;
        return append_key(p, file);
}

int plan_add_package(struct plan *p, enum plan_op op, const char *file, uint64_t size,
                     const char *sha256, const char *nevra) {
        if (!package_is_valid(op, file, size, sha256, nevra))
                return -EINVAL;
        /* Linear, so quadratic over a whole plan; fine for the few thousand
         * packages of a distribution. The parser sorts instead. */
        if (file)
                for (size_t i = 0; i < p->n_packages; i++)
                        if (p->packages[i].file && (strcmp(p->packages[i].file, file) == 0 ||
                                                    strcmp(p->packages[i].nevra, nevra) == 0))
                                return -EEXIST;
        if (plan_is_full(p))
                return -E2BIG;
        return append_package(p, op, file, size, op == PLAN_OP_ERASE ? NULL : sha256, nevra);
}

struct name_ref {
        const char *name;
        size_t index;
};

static int name_ref_compare(const void *a, const void *b) {
        const struct name_ref *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        if (c != 0)
                return c;
        return (x->index > y->index) - (x->index < y->index);
}

/*
 * Looks for a name used twice among names[0..n) (NULL entries skipped), in
 * O(n log n) since a plan may hold a million records. Of all duplicates it
 * reports the one whose second use comes first, with both indexes. Returns
 * 1 if found, 0 if not, -ENOMEM.
 */
static int find_duplicate(const char *const *names, size_t n, size_t *ret_first, size_t *ret_second) {
        _cleanup_free_ struct name_ref *refs = NULL;
        size_t m = 0, run = 0;
        bool found = false;

        if (n < 2)
                return 0;
        refs = calloc(n, sizeof(*refs));
        if (!refs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (names[i])
                        refs[m++] = (struct name_ref) { names[i], i };
        qsort(refs, m, sizeof(*refs), name_ref_compare);
        for (size_t i = 1; i < m; i++) {
                if (strcmp(refs[i].name, refs[run].name) != 0) {
                        run = i;
                        continue;
                }
                if (!found || refs[i].index < *ret_second) {
                        *ret_first = refs[run].index;
                        *ret_second = refs[i].index;
                        found = true;
                }
        }
        return found;
}

/* Two records with the same file name (by_nevra false), or two records
 * with a file that name the same NEVRA (by_nevra true): one package staged
 * twice, from two files, would be installed from whichever rpm took. */
static int find_duplicate_record(const struct plan *p, bool by_nevra, size_t *ret_first, size_t *ret_second) {
        _cleanup_free_ const char **names = NULL;

        if (p->n_packages < 2)
                return 0;
        names = calloc(p->n_packages, sizeof(*names));
        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_packages; i++)
                names[i] = !by_nevra ? p->packages[i].file : p->packages[i].file ? p->packages[i].nevra : NULL;
        return find_duplicate(names, p->n_packages, ret_first, ret_second);
}

/* ---- Parsing ---- */

/*
 * Copies s into buf as a quoted string for a message: control characters,
 * '"' and '\' escaped, so that a hostile plan cannot write to the terminal,
 * and cut short (with "...") so that one huge field cannot flood a log.
 */
static const char *quote(const char *s, char buf[static QUOTE_MAX]) {
        size_t o = 0;
        bool cut = false;

        buf[o++] = '"';
        for (const unsigned char *c = (const unsigned char *) s; *c;) {
                char piece[5];
                size_t k, seq = (*c & 0xe0) == 0xc0 ? 2 : (*c & 0xf0) == 0xe0 ? 3 : (*c & 0xf8) == 0xf0 ? 4 : 1;

                /* A valid multi-byte character is copied whole, so that
                 * cutting never leaves half of one; other bytes of 0x80 and
                 * above are escaped like control characters. */
                if (seq > 1 && strnlen((const char *) c, seq) == seq && utf8_valid((const char *) c, seq)) {
                        memcpy(piece, c, seq);
                        k = seq;
                } else if (ascii_is_control(*c) || *c >= 0x80) {
                        k = (size_t) snprintf(piece, sizeof(piece), "\\x%02x", *c);
                        seq = 1;
                } else if (*c == '"' || *c == '\\') {
                        piece[0] = '\\';
                        piece[1] = (char) *c;
                        k = 2;
                        seq = 1;
                } else {
                        piece[0] = (char) *c;
                        k = seq = 1;
                }

                /* Keep room for the closing quote, "..." and the NUL. */
                if (o + k + 5 > QUOTE_MAX) {
                        cut = true;
                        break;
                }
                memcpy(buf + o, piece, k);
                o += k;
                c += seq;
        }
        buf[o++] = '"';
        if (cut) {
                memcpy(buf + o, "...", 3);
                o += 3;
        }
        buf[o] = '\0';
        return buf;
}

enum directive {
        /* The header, in its order. */
        DIRECTIVE_VERSION,
        DIRECTIVE_CREATED,
        DIRECTIVE_SOURCE_RPMDB,
        DIRECTIVE_TARGET_BACKEND,
        /* Optional, after the header and before the keys. */
        DIRECTIVE_ROLLBACK,
        DIRECTIVE_VERIFY,
        DIRECTIVE_KEY,
        DIRECTIVE_PACKAGE, /* upgrade, install, install-only */
        DIRECTIVE_ERASE,
        DIRECTIVE_END,
};

static const struct {
        const char *name;
        enum directive directive;
        enum plan_op op;
        size_t n_values;
} directives[] = {
        { "oslift-plan", DIRECTIVE_VERSION, 0, 1 },
        { "created", DIRECTIVE_CREATED, 0, 1 },
        { "source-rpmdb", DIRECTIVE_SOURCE_RPMDB, 0, 2 },
        { "target-backend", DIRECTIVE_TARGET_BACKEND, 0, 1 },
        { "rollback", DIRECTIVE_ROLLBACK, 0, 1 },
        { "verify", DIRECTIVE_VERIFY, 0, 2 },
        { "key", DIRECTIVE_KEY, 0, 1 },
        { "upgrade", DIRECTIVE_PACKAGE, PLAN_OP_UPGRADE, 4 },
        { "install", DIRECTIVE_PACKAGE, PLAN_OP_INSTALL, 4 },
        { "install-only", DIRECTIVE_PACKAGE, PLAN_OP_INSTALL_ONLY, 4 },
        { "erase", DIRECTIVE_ERASE, PLAN_OP_ERASE, 1 },
        { "end", DIRECTIVE_END, 0, 2 },
};

struct parser {
        const char *text;
        size_t len;
        size_t line;        /* number of the current line, from 1; 0 for the whole plan */
        size_t line_offset; /* where the current line starts in text */
        size_t n_records;   /* records so far, the end line not counted */
        size_t n_header;    /* header records so far */
        bool seen_package;
        bool seen_rollback;
        bool seen_verify;
        bool seen_end;
        struct plan *plan;
        size_t *key_lines; /* the line of each key and package, for messages */
        size_t *package_lines;
        char *line_buf; /* the current line, NUL-terminated and split */
        size_t line_buf_size;
        char *error;
};

static void parser_done(struct parser *ps) {
        plan_free(ps->plan);
        free(ps->key_lines);
        free(ps->package_lines);
        free(ps->line_buf);
        free(ps->error);
}

/* Records a message for the current line; returns -EBADMSG (or -ENOMEM). */
static _printf_(2, 3) int parser_error(struct parser *ps, const char *fmt, ...) {
        va_list ap;
        int r;

        free(ps->error);
        va_start(ap, fmt);
        r = parse_error_line_va(&ps->error, ps->line, fmt, ap);
        va_end(ap);
        return r;
}

static int record_line(size_t **lines, size_t n, size_t line) {
        size_t *a = array_reserve(*lines, n, sizeof(**lines));

        if (!a)
                return -ENOMEM;
        *lines = a;
        a[n] = line;
        return 0;
}

static int parse_version(struct parser *ps, char **v) {
        char q[QUOTE_MAX];
        uint64_t version;

        if (!parse_u64(v[0], &version))
                return parser_error(ps, "invalid format version %s", quote(v[0], q));
        if (version != PLAN_FORMAT_VERSION)
                return parser_error(ps, "unsupported plan format version %" PRIu64 " (this program reads version %d)",
                                    version, PLAN_FORMAT_VERSION);
        return 0;
}

static int parse_backend(struct parser *ps, const char *value, char **field) {
        char q[QUOTE_MAX];

        if (!backend_is_valid(value))
                return parser_error(ps, "unknown rpmdb backend %s (expected bdb, ndb or sqlite)", quote(value, q));
        return replace_string(field, value);
}

static int parse_header(struct parser *ps, enum directive d, char **v) {
        struct plan *p = ps->plan;
        char q[QUOTE_MAX];
        int r;

        switch (d) {
        case DIRECTIVE_VERSION:
                return parse_version(ps, v);
        case DIRECTIVE_CREATED:
                if (!timestamp_is_valid(v[0]))
                        return parser_error(ps, "invalid creation time %s (expected UTC as YYYY-MM-DDTHH:MM:SSZ)",
                                            quote(v[0], q));
                return replace_string(&p->created, v[0]);
        case DIRECTIVE_SOURCE_RPMDB:
                r = parse_backend(ps, v[0], &p->source_backend);
                if (r < 0)
                        return r;
                if (!fingerprint_is_valid(v[1]))
                        return parser_error(ps, "invalid rpmdb fingerprint %s "
                                            "(expected 40 to 128 lowercase hex characters)",
                                            quote(v[1], q));
                return replace_string(&p->source_fingerprint, v[1]);
        case DIRECTIVE_TARGET_BACKEND:
                return parse_backend(ps, v[0], &p->target_backend);
        default:
                return -EINVAL;
        }
}

static int parse_rollback(struct parser *ps, char **v) {
        char q[QUOTE_MAX];

        if (ps->seen_rollback)
                return parser_error(ps, "\"rollback\" may appear only once");
        if (ps->seen_package || ps->plan->n_keys > 0)
                return parser_error(ps, "the rollback line must come before key and package lines");
        ps->seen_rollback = true;
        /* "none" is what a plan without the line means: never written. */
        if (strcmp(v[0], "links") != 0)
                return parser_error(ps, "unknown rollback mode %s (expected links)", quote(v[0], q));
        ps->plan->rollback = PLAN_ROLLBACK_LINKS;
        return 0;
}

bool plan_verify_is_valid(const char *cmd) {
        size_t n = cmd ? strlen(cmd) : 0;

        if (n == 0 || n > PLAN_VERIFY_MAX || !utf8_valid(cmd, n))
                return false;
        for (const unsigned char *c = (const unsigned char *) cmd; *c; c++)
                if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
                        return false;
        return true;
}

/* The command as one field: '%', blanks and control bytes as %XX. */
static void put_verify(FILE *f, const char *cmd) {
        for (const unsigned char *c = (const unsigned char *) cmd; *c; c++)
                if (*c <= ' ' || *c == '%' || *c == 0x7f)
                        fprintf(f, "%%%02x", *c);
                else
                        fputc(*c, f);
}

static int parse_verify(struct parser *ps, char **v) {
        _cleanup_free_ char *cmd = NULL;
        uint64_t secs;
        char *o;

        if (ps->seen_verify)
                return parser_error(ps, "\"verify\" may appear only once");
        if (ps->seen_package || ps->plan->n_keys > 0)
                return parser_error(ps, "the verify line must come before key and package lines");
        ps->seen_verify = true;
        if (!parse_u64(v[0], &secs) || secs < PLAN_VERIFY_TIMEOUT_MIN || secs > PLAN_VERIFY_TIMEOUT_MAX)
                return parser_error(ps, "the verify timeout must be a whole number of seconds from %d to %d",
                                    PLAN_VERIFY_TIMEOUT_MIN, PLAN_VERIFY_TIMEOUT_MAX);
        cmd = o = malloc(strlen(v[1]) + 1);
        if (!cmd)
                return -ENOMEM;
        for (const char *c = v[1]; *c; c++) {
                unsigned x;

                if (*c != '%') {
                        *o++ = *c;
                        continue;
                }
                if (!isxdigit((unsigned char) c[1]) || !isxdigit((unsigned char) c[2]) ||
                    sscanf(c + 1, "%2x", &x) != 1 || x == 0)
                        return parser_error(ps, "the verify command has a bad %%XX escape");
                *o++ = (char) x;
                c += 2;
        }
        *o = '\0';
        if (!plan_verify_is_valid(cmd))
                return parser_error(ps, "the verify command is empty, too long or holds control characters");
        ps->plan->verify = TAKE_PTR(cmd);
        ps->plan->verify_timeout = (unsigned) secs;
        return 0;
}

static int parse_key(struct parser *ps, char **v) {
        char q[QUOTE_MAX];
        const char *problem;
        int r;

        /* One canonical order, so that writing a parsed plan reproduces it. */
        if (ps->seen_package)
                return parser_error(ps, "key lines must come before package lines");
        problem = file_name_problem(v[0], false);
        if (problem)
                return parser_error(ps, "key file name %s %s", quote(v[0], q), problem);
        r = record_line(&ps->key_lines, ps->plan->n_keys, ps->line);
        if (r < 0)
                return r;
        return append_key(ps->plan, v[0]);
}

static int parse_nevra(struct parser *ps, const char *nevra) {
        char q[QUOTE_MAX];
        const char *problem = nevra_problem(nevra);

        if (problem)
                return parser_error(ps, "NEVRA %s %s", quote(nevra, q), problem);
        return 0;
}

static int parse_package(struct parser *ps, enum plan_op op, char **v) {
        char q[QUOTE_MAX];
        const char *problem, *file = NULL, *sha256 = NULL, *nevra;
        uint64_t size = 0;
        int r;

        if (op == PLAN_OP_ERASE)
                nevra = v[0];
        else {
                file = v[0], sha256 = v[2], nevra = v[3];
                problem = file_name_problem(file, true);
                if (problem)
                        return parser_error(ps, "file name %s %s", quote(file, q), problem);
                if (!parse_u64(v[1], &size))
                        return parser_error(ps, "invalid size %s "
                                            "(expected a decimal number without sign or leading zeros)",
                                            quote(v[1], q));
                if (!sha256_is_valid(sha256))
                        return parser_error(ps, "invalid SHA-256 %s (expected 64 lowercase hex characters)",
                                            quote(sha256, q));
        }
        r = parse_nevra(ps, nevra);
        if (r < 0)
                return r;
        ps->seen_package = true;
        r = record_line(&ps->package_lines, ps->plan->n_packages, ps->line);
        if (r < 0)
                return r;
        return append_package(ps->plan, op, file, size, sha256, nevra);
}

static int parse_end(struct parser *ps, char **v) {
        char q[QUOTE_MAX], hex[SHA256_HEX_SIZE];
        uint64_t n;
        int r;

        if (!parse_u64(v[0], &n))
                return parser_error(ps, "end: invalid record count %s", quote(v[0], q));
        if (!sha256_is_valid(v[1]))
                return parser_error(ps, "end: invalid SHA-256 %s", quote(v[1], q));
        if (n != ps->n_records)
                return parser_error(ps, "end: record count mismatch: the plan has %zu records, "
                                    "the end line says %" PRIu64 " (plan was modified after staging)",
                                    ps->n_records, n);
        r = sha256_buffer(ps->text, ps->line_offset, hex);
        if (r < 0)
                return r;
        if (strcmp(hex, v[1]) != 0)
                return parser_error(ps, "end: checksum mismatch (plan was modified after staging)");
        ps->seen_end = true;
        return 0;
}

/* Splits buf in place at single spaces. Returns the number of fields (also
 * those beyond max, which are not stored), or -EBADMSG for an empty one. */
static int split_fields(char *buf, char *fields[static FIELDS_MAX], size_t *ret_n) {
        size_t n = 0;

        for (char *s = buf;;) {
                char *space = strchr(s, ' ');

                if (space)
                        *space = '\0';
                if (*s == '\0')
                        return -EBADMSG;
                if (n < FIELDS_MAX)
                        fields[n] = s;
                n++;
                if (!space)
                        break;
                s = space + 1;
        }
        *ret_n = n;
        return 0;
}

static int parse_record(struct parser *ps, char **fields, size_t n_fields) {
        char q[QUOTE_MAX];
        size_t i;

        for (i = 0; i < ELEMENTSOF(directives); i++)
                if (strcmp(fields[0], directives[i].name) == 0)
                        break;
        if (ps->n_header == 0 && (i == ELEMENTSOF(directives) || directives[i].directive != DIRECTIVE_VERSION))
                return parser_error(ps, "not an oslift plan: the first record must be \"oslift-plan %d\", found %s",
                                    PLAN_FORMAT_VERSION, quote(fields[0], q));
        if (i == ELEMENTSOF(directives))
                return parser_error(ps, "unknown directive %s", quote(fields[0], q));
        if (ps->n_header < HEADER_RECORDS && directives[i].directive != (enum directive) ps->n_header)
                return parser_error(ps, "expected \"%s\" here, found \"%s\" (the header is oslift-plan, created, "
                                    "source-rpmdb and target-backend, in this order, before anything else)",
                                    directives[ps->n_header].name, directives[i].name);
        if (ps->n_header == HEADER_RECORDS && directives[i].directive < HEADER_RECORDS)
                return parser_error(ps, "\"%s\" may appear only once, in the header", directives[i].name);
        if (n_fields - 1 != directives[i].n_values)
                return parser_error(ps, "\"%s\" takes %zu field%s after the directive, found %zu", directives[i].name,
                                    directives[i].n_values, directives[i].n_values == 1 ? "" : "s", n_fields - 1);

        if (directives[i].directive == DIRECTIVE_END)
                return parse_end(ps, fields + 1);
        if (ps->n_records >= PLAN_RECORDS_MAX)
                return parser_error(ps, "too many records (at most %u)", PLAN_RECORDS_MAX);
        ps->n_records++;

        switch (directives[i].directive) {
        case DIRECTIVE_ROLLBACK:
                return parse_rollback(ps, fields + 1);
        case DIRECTIVE_VERIFY:
                return parse_verify(ps, fields + 1);
        case DIRECTIVE_KEY:
                return parse_key(ps, fields + 1);
        case DIRECTIVE_PACKAGE:
        case DIRECTIVE_ERASE:
                return parse_package(ps, directives[i].op, fields + 1);
        default:
                ps->n_header++;
                return parse_header(ps, directives[i].directive, fields + 1);
        }
}

static int parse_line(struct parser *ps, const char *s, size_t n) {
        char *fields[FIELDS_MAX];
        size_t n_fields;

        if (ps->seen_end)
                return parser_error(ps, "the end line must be the last line");
        if (memchr(s, '\0', n))
                return parser_error(ps, "contains a NUL byte");
        if (!utf8_valid(s, n))
                return parser_error(ps, "not valid UTF-8");
        if (n == 0)
                return 0;
        if (s[0] == '#') {
                /* Comments are covered by the end line's checksum too, and
                 * are refused control characters so that `cat plan` shows
                 * what is there. */
                for (size_t i = 0; i < n; i++)
                        if (ascii_is_control((unsigned char) s[i]))
                                return parser_error(ps, "comment contains a control character");
                return 0;
        }

        if (n + 1 > ps->line_buf_size) {
                char *b = realloc(ps->line_buf, n + 1);

                if (!b)
                        return -ENOMEM;
                ps->line_buf = b;
                ps->line_buf_size = n + 1;
        }
        memcpy(ps->line_buf, s, n);
        ps->line_buf[n] = '\0';
        if (split_fields(ps->line_buf, fields, &n_fields) < 0)
                return parser_error(ps, "empty field (fields are separated by single spaces, "
                                    "with none at the start or end of a line)");
        return parse_record(ps, fields, n_fields);
}

static int check_duplicates(struct parser *ps) {
        struct plan *p = ps->plan;
        char q[QUOTE_MAX];
        size_t first, second;
        int r;

        r = find_duplicate((const char *const *) p->keys, p->n_keys, &first, &second);
        if (r < 0)
                return r;
        if (r > 0) {
                ps->line = ps->key_lines[second];
                return parser_error(ps, "duplicate key file name %s (first on line %zu)", quote(p->keys[second], q),
                                    ps->key_lines[first]);
        }
        r = find_duplicate_record(p, false, &first, &second);
        if (r < 0)
                return r;
        if (r > 0) {
                ps->line = ps->package_lines[second];
                return parser_error(ps, "duplicate file name %s (first on line %zu)",
                                    quote(p->packages[second].file, q), ps->package_lines[first]);
        }
        r = find_duplicate_record(p, true, &first, &second);
        if (r < 0)
                return r;
        if (r > 0) {
                ps->line = ps->package_lines[second];
                return parser_error(ps, "package %s named twice (first on line %zu), from two files",
                                    quote(p->packages[second].nevra, q), ps->package_lines[first]);
        }
        return 0;
}

static int parse_text(struct parser *ps) {
        size_t pos = 0;
        int r;

        if (ps->len == 0)
                return parser_error(ps, "plan is empty");
        if (ps->len > PLAN_SIZE_MAX)
                return parser_error(ps, "plan is larger than 64 MiB");
        /* Checked first: a plan cut inside a line must be reported as cut,
         * not as whatever the shortened last field happens to look like. */
        if (ps->text[ps->len - 1] != '\n') {
                size_t lines = 1;

                for (const char *c = ps->text; (c = memchr(c, '\n', ps->len - (size_t) (c - ps->text))); c++)
                        lines++;
                return parser_error(ps, "plan is truncated or was edited: line %zu has no newline at its end", lines);
        }

        ps->plan = plan_new();
        if (!ps->plan)
                return -ENOMEM;
        while (pos < ps->len) {
                const char *s = ps->text + pos;
                const char *nl = memchr(s, '\n', ps->len - pos);
                size_t n = (size_t) (nl - s);

                ps->line++;
                ps->line_offset = pos;
                r = parse_line(ps, s, n);
                if (r < 0)
                        return r;
                pos += n + 1;
        }
        if (!ps->seen_end) {
                size_t last = ps->line;

                ps->line = 0;
                return parser_error(ps, "plan is truncated or was edited: end line missing (after line %zu)", last);
        }
        return check_duplicates(ps);
}

int plan_parse(const char *text, size_t len, struct plan **ret, char **ret_error) {
        _cleanup_(parser_done) struct parser ps = {
                .text = text,
                .len = len,
        };
        int r;

        if (ret_error)
                *ret_error = NULL;
        r = parse_text(&ps);
        if (r < 0) {
                if (r == -EBADMSG && ret_error)
                        *ret_error = TAKE_PTR(ps.error);
                return r;
        }
        *ret = TAKE_PTR(ps.plan);
        return 0;
}


int plan_load(int dirfd, const char *path, struct plan **ret, char **ret_error) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t len;
        int r;

        if (ret_error)
                *ret_error = NULL;
        fd = open_regular_at(dirfd, path);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        /* One byte over the limit is enough for plan_parse() to refuse it. */
        r = read_bounded(fd, PLAN_SIZE_MAX + 1,
                         st.st_size < PLAN_SIZE_MAX ? (size_t) st.st_size + 1 : PLAN_SIZE_MAX + 1, &text, &len);
        if (r < 0)
                return r;
        return plan_parse(text, len, ret, ret_error);
}

/* ---- Writing ---- */

/* Whether plan_parse() would read p's text back into p; -errno if not. */
static int plan_check(const struct plan *p) {
        size_t first, second;
        int r;

        if (!timestamp_is_valid(p->created) || !backend_is_valid(p->source_backend) ||
            !fingerprint_is_valid(p->source_fingerprint) || !backend_is_valid(p->target_backend))
                return -EINVAL;
        if (p->verify && (!plan_verify_is_valid(p->verify) || p->verify_timeout < PLAN_VERIFY_TIMEOUT_MIN ||
                          p->verify_timeout > PLAN_VERIFY_TIMEOUT_MAX))
                return -EINVAL;
        for (size_t i = 0; i < p->n_keys; i++)
                if (!plan_file_name_is_valid(p->keys[i]))
                        return -EINVAL;
        for (size_t i = 0; i < p->n_packages; i++) {
                const struct plan_package *pkg = p->packages + i;

                if (!package_is_valid(pkg->op, pkg->file, pkg->size, pkg->sha256, pkg->nevra))
                        return -EINVAL;
        }
        if (HEADER_RECORDS + p->n_keys + p->n_packages > PLAN_RECORDS_MAX)
                return -E2BIG;
        r = find_duplicate((const char *const *) p->keys, p->n_keys, &first, &second);
        if (r == 0)
                r = find_duplicate_record(p, false, &first, &second);
        if (r == 0)
                r = find_duplicate_record(p, true, &first, &second);
        if (r < 0)
                return r;
        return r > 0 ? -EEXIST : 0;
}

static void plan_emit(const struct plan *p, FILE *f) {
        fprintf(f, "oslift-plan %d\n", PLAN_FORMAT_VERSION);
        fputs("# oslift upgrade plan; format: oslift's docs/plan-format.md. "
              "Do not edit: the end line checks every byte above it.\n",
              f);
        fprintf(f, "created %s\n", p->created);
        fprintf(f, "source-rpmdb %s %s\n", p->source_backend, p->source_fingerprint);
        fprintf(f, "target-backend %s\n", p->target_backend);
        if (p->rollback == PLAN_ROLLBACK_LINKS)
                fputs("rollback links\n", f);
        if (p->verify) {
                fprintf(f, "verify %u ", p->verify_timeout);
                put_verify(f, p->verify);
                fputc('\n', f);
        }
        for (size_t i = 0; i < p->n_keys; i++)
                fprintf(f, "key %s\n", p->keys[i]);
        for (size_t i = 0; i < p->n_packages; i++) {
                const struct plan_package *pkg = p->packages + i;

                if (pkg->op == PLAN_OP_ERASE)
                        fprintf(f, "erase %s\n", pkg->nevra);
                else
                        fprintf(f, "%s %s %" PRIu64 " %s %s\n", plan_op_name(pkg->op), pkg->file, pkg->size,
                                pkg->sha256, pkg->nevra);
        }
}

int plan_write(const struct plan *p, FILE *f) {
        _cleanup_free_ char *text = NULL;
        char hex[SHA256_HEX_SIZE], end[128];
        size_t len = 0, records = HEADER_RECORDS + (p->rollback != PLAN_ROLLBACK_NONE) + (p->verify != NULL) +
                                 p->n_keys + p->n_packages;
        FILE *m;
        bool failed;
        int r, n;

        r = plan_check(p);
        if (r < 0)
                return r;

        /* Composed in memory first: the end line needs the checksum of
         * everything before it. */
        m = open_memstream(&text, &len);
        if (!m)
                return -ENOMEM;
        plan_emit(p, m);
        failed = ferror(m);
        if (fclose(m) != 0 || failed)
                return -ENOMEM;

        r = sha256_buffer(text, len, hex);
        if (r < 0)
                return r;
        n = snprintf(end, sizeof(end), "end %zu %s\n", records, hex);
        if (n < 0 || (size_t) n >= sizeof(end))
                return -EINVAL;
        if (len + (size_t) n > PLAN_SIZE_MAX)
                return -EFBIG;

        errno = 0;
        if (fwrite(text, 1, len, f) != len || fputs(end, f) == EOF || fflush(f) != 0 || ferror(f))
                return negative_errno();
        return 0;
}
