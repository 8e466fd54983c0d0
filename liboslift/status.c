/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chase.h"
#include "json.h"
#include "macro.h"
#include "outcome.h"
#include "paths.h"
#include "fsutil.h"
#include "status.h"
#include "utf8.h"

_Static_assert(sizeof(OSLIFT_STATUS_FILE) > sizeof(OSLIFT_STATE_DIR), "status file outside the staging dir");
_Static_assert(sizeof(OSLIFT_PACKAGES_DIR) > sizeof(OSLIFT_STATE_DIR), "packages outside the staging dir");

#define STATUS_FILE_NAME STATE_DIR_RELATIVE(OSLIFT_STATUS_FILE)
#define PACKAGES_DIR_NAME STATE_DIR_RELATIVE(OSLIFT_PACKAGES_DIR)

/* Longer keys are not ours; the longest string value is the message. */
#define KEY_SIZE 64
#define VALUE_SIZE STATUS_MESSAGE_SIZE

/* The upgrader's terminal states are named as its results in the outcome
 * file (outcome.h). */
static const char *const state_names[_UPGRADE_STATE_MAX] = {
        [UPGRADE_STAGED] = "staged",
        [UPGRADE_APPLYING] = "applying",
        [UPGRADE_APPLIED] = OUTCOME_RESULT_APPLIED,
        [UPGRADE_FAILED] = OUTCOME_RESULT_FAILED,
        [UPGRADE_REFUSED] = "refused",
        [UPGRADE_RESTORED] = "restored",
        [UPGRADE_APPLIED_WITH_PROBLEMS] = OUTCOME_RESULT_APPLIED_WITH_PROBLEMS,
        [UPGRADE_RESTORED_WITH_PROBLEMS] = "restored-with-problems",
        [UPGRADE_ROLLING_BACK] = "rolling-back",
        [UPGRADE_ROLLED_BACK] = "rolled-back",
        [UPGRADE_ROLLED_BACK_WITH_PROBLEMS] = "rolled-back-with-problems",
};

/* The keys in the order the writer emits them. */
enum field {
        FIELD_VERSION,
        FIELD_STATE,
        FIELD_PACKAGES_TOTAL,
        FIELD_PACKAGES_DONE,
        FIELD_SCRIPTLET_FAILURES,
        FIELD_STARTED,
        FIELD_UPDATED,
        FIELD_MESSAGE,
        FIELD_LOG,
        _FIELD_MAX,
};

static const char *const field_names[_FIELD_MAX] = {
        [FIELD_VERSION] = "version",
        [FIELD_STATE] = "state",
        [FIELD_PACKAGES_TOTAL] = "packages_total",
        [FIELD_PACKAGES_DONE] = "packages_done",
        [FIELD_SCRIPTLET_FAILURES] = "scriptlet_failures",
        [FIELD_STARTED] = "started",
        [FIELD_UPDATED] = "updated",
        [FIELD_MESSAGE] = "message",
        [FIELD_LOG] = "log",
};

const char *upgrade_state_name(enum upgrade_state s) {
        /* Unsigned: an enum holding a negative value is out of range too. */
        if ((unsigned) s >= _UPGRADE_STATE_MAX)
                return NULL;
        return state_names[s];
}

int upgrade_state_from_name(const char *name, enum upgrade_state *ret) {
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(state_names); i++)
                if (strcmp(state_names[i], name) == 0) {
                        *ret = (enum upgrade_state) i;
                        return 0;
                }
        return -EINVAL;
}

/* ---- Validation shared by the reader and the writer ---- */



/* Copies s to ret with every byte that is not part of valid UTF-8 replaced
 * by '?': messages quote rpm and scriptlets, which print whatever bytes
 * they like, and the file must stay valid JSON for strict parsers. One
 * byte for one byte, so the result fits where s did. */
static void utf8_sanitize(const char *s, char ret[static STATUS_MESSAGE_SIZE]) {
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen(s);

        for (size_t i = 0; i < n;) {
                size_t len = utf8_char_len((const char *) p + i, n - i);

                if (len == 0) {
                        ret[i++] = '?';
                        continue;
                }
                memcpy(ret + i, s + i, len);
                i += len;
        }
        ret[n] = '\0';
}

static bool string_fits(const char *s, size_t size) {
        return strnlen(s, size) < size;
}

static bool timestamp_field_is_valid(const char s[static STATUS_TIMESTAMP_SIZE]) {
        return string_fits(s, STATUS_TIMESTAMP_SIZE) && (s[0] == '\0' || timestamp_is_valid(s));
}

static bool log_is_valid(const char *s) {
        return s[0] == '/' && utf8_valid(s, strlen(s));
}

/* Whether status_parse() would read back what status_emit() writes for s. */
static int status_check(const struct upgrade_status *s) {
        if (!upgrade_state_name(s->state))
                return -EINVAL;
        if (!timestamp_field_is_valid(s->started) || !timestamp_field_is_valid(s->updated))
                return -EINVAL;
        if (!string_fits(s->message, sizeof(s->message)) || !string_fits(s->log, sizeof(s->log)))
                return -EINVAL;
        if (s->log[0] != '\0' && !log_is_valid(s->log))
                return -EINVAL;
        return 0;
}

/* ---- Parsing ---- */

struct parser {
        const char *p, *end;
};

enum value_type {
        VALUE_STRING,
        VALUE_NUMBER,
        VALUE_NULL,
};

struct value {
        enum value_type type;
        unsigned number;
        char string[VALUE_SIZE];
};

static void skip_whitespace(struct parser *ps) {
        while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
                ps->p++;
}

static bool consume(struct parser *ps, char c) {
        if (ps->p >= ps->end || *ps->p != c)
                return false;
        ps->p++;
        return true;
}

static bool consume_literal(struct parser *ps, const char *literal) {
        size_t n = strlen(literal);

        if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, literal, n) != 0)
                return false;
        ps->p += n;
        return true;
}

/* Appends n bytes to out (size bytes, *len used), always leaving room for
 * the NUL: a value that does not fit is not ours. */
static int append(char *out, size_t size, size_t *len, const char *s, size_t n) {
        if (n >= size - *len)
                return -EBADMSG;
        memcpy(out + *len, s, n);
        *len += n;
        return 0;
}

static int parse_hex4(struct parser *ps, unsigned *ret) {
        unsigned v = 0;

        if (ps->end - ps->p < 4)
                return -EBADMSG;
        for (int i = 0; i < 4; i++) {
                char c = *ps->p++;

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned) (c - 'A' + 10);
                else
                        return -EBADMSG;
        }
        *ret = v;
        return 0;
}

static size_t utf8_encode(unsigned cp, char buf[static 4]) {
        if (cp < 0x80) {
                buf[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                buf[0] = (char) (0xc0 | cp >> 6);
                buf[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                buf[0] = (char) (0xe0 | cp >> 12);
                buf[1] = (char) (0x80 | (cp >> 6 & 0x3f));
                buf[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        buf[0] = (char) (0xf0 | cp >> 18);
        buf[1] = (char) (0x80 | (cp >> 12 & 0x3f));
        buf[2] = (char) (0x80 | (cp >> 6 & 0x3f));
        buf[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* \uXXXX, after the "\u": a code point, or a UTF-16 surrogate pair. */
static int parse_unicode_escape(struct parser *ps, unsigned *ret) {
        unsigned cp, low;
        int r;

        r = parse_hex4(ps, &cp);
        if (r < 0)
                return r;
        /* A C string cannot hold U+0000. */
        if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
                return -EBADMSG;
        if (cp >= 0xd800 && cp <= 0xdbff) {
                if (!consume_literal(ps, "\\u"))
                        return -EBADMSG;
                r = parse_hex4(ps, &low);
                if (r < 0)
                        return r;
                if (low < 0xdc00 || low > 0xdfff)
                        return -EBADMSG;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        *ret = cp;
        return 0;
}

/* One escape sequence, after the backslash. */
static int parse_escape(struct parser *ps, char *out, size_t size, size_t *len) {
        char buf[4], c;
        unsigned cp;
        int r;

        if (ps->p >= ps->end)
                return -EBADMSG;
        switch (c = *ps->p++) {
        case '"':
        case '\\':
        case '/':
                break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u':
                r = parse_unicode_escape(ps, &cp);
                if (r < 0)
                        return r;
                return append(out, size, len, buf, utf8_encode(cp, buf));
        default:
                return -EBADMSG;
        }
        return append(out, size, len, &c, 1);
}

/* A string literal into out (size bytes), NUL-terminated, valid UTF-8. */
static int parse_string(struct parser *ps, char *out, size_t size) {
        size_t len = 0;
        int r;

        if (!consume(ps, '"'))
                return -EBADMSG;
        for (;;) {
                char c;

                if (ps->p >= ps->end)
                        return -EBADMSG;
                c = *ps->p++;
                if (c == '"')
                        break;
                if ((unsigned char) c < 0x20)
                        return -EBADMSG;
                if (c == '\\')
                        r = parse_escape(ps, out, size, &len);
                else
                        r = append(out, size, &len, &c, 1);
                if (r < 0)
                        return r;
        }
        out[len] = '\0';
        return utf8_valid(out, len) ? 0 : -EBADMSG;
}

/* Plain decimal: no sign, fraction or exponent. A leading zero ends the
 * number, so "01" fails where the caller expects ',' or '}'. */
static int parse_number(struct parser *ps, unsigned *ret) {
        unsigned v = 0;

        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
                return -EBADMSG;
        if (*ps->p == '0') {
                ps->p++;
                *ret = 0;
                return 0;
        }
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
                unsigned d = (unsigned) (*ps->p++ - '0');

                if (v > (UINT_MAX - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

static int parse_value(struct parser *ps, struct value *ret) {
        if (ps->p >= ps->end)
                return -EBADMSG;
        if (*ps->p == '"') {
                ret->type = VALUE_STRING;
                return parse_string(ps, ret->string, sizeof(ret->string));
        }
        if (consume_literal(ps, "null")) {
                ret->type = VALUE_NULL;
                return 0;
        }
        ret->type = VALUE_NUMBER;
        return parse_number(ps, &ret->number);
}

static int set_timestamp(char field[static STATUS_TIMESTAMP_SIZE], const struct value *v) {
        if (v->type == VALUE_NULL) {
                field[0] = '\0';
                return 0;
        }
        if (v->type != VALUE_STRING || !timestamp_is_valid(v->string))
                return -EBADMSG;
        /* A valid timestamp is 20 bytes: it fits. */
        strcpy(field, v->string);
        return 0;
}

static int set_string(char *field, size_t size, const struct value *v) {
        if (v->type != VALUE_STRING || !string_fits(v->string, size))
                return -EBADMSG;
        strcpy(field, v->string);
        return 0;
}

static int set_number(unsigned *field, const struct value *v) {
        if (v->type != VALUE_NUMBER)
                return -EBADMSG;
        *field = v->number;
        return 0;
}

static int set_field(struct upgrade_status *s, enum field field, const struct value *v) {
        switch (field) {
        case FIELD_VERSION:
                return v->type == VALUE_NUMBER && v->number == STATUS_FORMAT_VERSION ? 0 : -EBADMSG;
        case FIELD_STATE:
                if (v->type != VALUE_STRING || upgrade_state_from_name(v->string, &s->state) < 0)
                        return -EBADMSG;
                return 0;
        case FIELD_PACKAGES_TOTAL:
                return set_number(&s->packages_total, v);
        case FIELD_PACKAGES_DONE:
                return set_number(&s->packages_done, v);
        case FIELD_SCRIPTLET_FAILURES:
                return set_number(&s->scriptlet_failures, v);
        case FIELD_STARTED:
                return set_timestamp(s->started, v);
        case FIELD_UPDATED:
                return set_timestamp(s->updated, v);
        case FIELD_MESSAGE:
                return set_string(s->message, sizeof(s->message), v);
        case FIELD_LOG:
                if (v->type != VALUE_STRING || !log_is_valid(v->string))
                        return -EBADMSG;
                return set_string(s->log, sizeof(s->log), v);
        default:
                return -EBADMSG;
        }
}

static int find_field(const char *key, enum field *ret) {
        for (size_t i = 0; i < ELEMENTSOF(field_names); i++)
                if (strcmp(field_names[i], key) == 0) {
                        *ret = (enum field) i;
                        return 0;
                }
        return -ENOENT;
}

/* One "key": value pair; unknown keys are skipped for newer writers. */
static int parse_member(struct parser *ps, struct upgrade_status *s, bool seen[static _FIELD_MAX]) {
        char key[KEY_SIZE];
        struct value v;
        enum field field;
        int r;

        r = parse_string(ps, key, sizeof(key));
        if (r < 0)
                return r;
        skip_whitespace(ps);
        if (!consume(ps, ':'))
                return -EBADMSG;
        skip_whitespace(ps);
        r = parse_value(ps, &v);
        if (r < 0)
                return r;
        if (find_field(key, &field) < 0)
                return 0;
        if (seen[field])
                return -EBADMSG;
        seen[field] = true;
        return set_field(s, field, &v);
}

static int parse_object(struct parser *ps, struct upgrade_status *s) {
        bool seen[_FIELD_MAX] = {};
        int r;

        skip_whitespace(ps);
        if (!consume(ps, '{'))
                return -EBADMSG;
        skip_whitespace(ps);
        if (!consume(ps, '}'))
                for (;;) {
                        skip_whitespace(ps);
                        r = parse_member(ps, s, seen);
                        if (r < 0)
                                return r;
                        skip_whitespace(ps);
                        if (consume(ps, '}'))
                                break;
                        if (!consume(ps, ','))
                                return -EBADMSG;
                }
        skip_whitespace(ps);
        if (ps->p != ps->end)
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(seen); i++)
                if (!seen[i])
                        return -EBADMSG;
        return 0;
}

int status_parse(const char *text, size_t len, struct upgrade_status *ret) {
        struct upgrade_status s = {};
        struct parser ps = { .p = text, .end = text + len };
        int r;

        if (!text || len > STATUS_FILE_SIZE_MAX)
                return -EBADMSG;
        r = parse_object(&ps, &s);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

/* ---- Reading ---- */


int status_read_at(int state_dir_fd, struct upgrade_status *ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        fd = open_regular_at(state_dir_fd, STATUS_FILE_NAME);
        if (fd < 0)
                return fd;
        /* One byte over the limit is enough for status_parse() to refuse it. */
        r = read_bounded(fd, STATUS_FILE_SIZE_MAX + 1, 4096, &buf, &len);
        if (r < 0)
                return r;
        return status_parse(buf, len, ret);
}

int status_read(const char *root, struct upgrade_status *ret) {
        _cleanup_close_ int fd = staging_dir_open(root);

        if (fd < 0)
                return fd;
        return status_read_at(fd, ret);
}

/* ---- Writing ---- */


static void emit_key(FILE *f, enum field field) {
        fprintf(f, "  \"%s\": ", field_names[field]);
}

static void emit_string(FILE *f, enum field field, const char *value, bool last) {
        emit_key(f, field);
        json_write_string(f, value);
        fputs(last ? "\n" : ",\n", f);
}

static void emit_number(FILE *f, enum field field, unsigned value) {
        emit_key(f, field);
        fprintf(f, "%u,\n", value);
}

int status_emit(FILE *f, const struct upgrade_status *s) {
        char message[STATUS_MESSAGE_SIZE];
        int r;

        r = status_check(s);
        if (r < 0)
                return r;
        utf8_sanitize(s->message, message);

        fputs("{\n", f);
        emit_number(f, FIELD_VERSION, STATUS_FORMAT_VERSION);
        emit_string(f, FIELD_STATE, upgrade_state_name(s->state), false);
        emit_number(f, FIELD_PACKAGES_TOTAL, s->packages_total);
        emit_number(f, FIELD_PACKAGES_DONE, s->packages_done);
        emit_number(f, FIELD_SCRIPTLET_FAILURES, s->scriptlet_failures);
        emit_string(f, FIELD_STARTED, s->started[0] ? s->started : NULL, false);
        emit_string(f, FIELD_UPDATED, s->updated[0] ? s->updated : NULL, false);
        emit_string(f, FIELD_MESSAGE, message, false);
        emit_string(f, FIELD_LOG, s->log[0] ? s->log : OSLIFT_UPGRADE_LOG, true);
        fputs("}\n", f);
        return ferror(f) ? -EIO : 0;
}

int status_write_at(int state_dir_fd, const struct upgrade_status *s) {
        _cleanup_free_ char *text = NULL;
        struct upgrade_status copy = *s;
        size_t len = 0;
        FILE *m;
        int r, emitted;

        r = timestamp_now(copy.updated);
        if (r < 0)
                return r;
        m = open_memstream(&text, &len);
        if (!m)
                return -ENOMEM;
        emitted = status_emit(m, &copy);
        if (fclose(m) != 0)
                return -ENOMEM;
        if (emitted < 0)
                return emitted == -EIO ? -ENOMEM : emitted;
        return write_file_atomic_at(state_dir_fd, STATUS_FILE_NAME, text, len, 0600);
}

int status_write(const char *root, const struct upgrade_status *s) {
        _cleanup_close_ int fd = staging_dir_open(root);

        if (fd < 0)
                return fd;
        return status_write_at(fd, s);
}

/* ---- The staging directory ---- */

int staging_dir_open(const char *root) {
        /* /var/lib resolved inside root, the state directory itself never
         * followed. */
        return open_dir_in_root(root, OSLIFT_STATE_DIR, 0, true);
}

static bool is_package_name(const char *name) {
        size_t n = strlen(name);

        return n > 4 && strcmp(name + n - 4, ".rpm") == 0;
}

static bool is_regular_file(DIR *d, const struct dirent *de) {
        struct stat st;

        if (de->d_type != DT_UNKNOWN)
                return de->d_type == DT_REG;
        /* Some file systems do not fill in d_type. */
        return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int staging_count_packages(int state_dir_fd, unsigned *ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        unsigned n = 0;
        int fd;

        fd = openat(state_dir_fd, PACKAGES_DIR_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT)
                        return negative_errno();
                *ret = 0;
                return 0;
        }
        d = fdopendir(fd);
        if (!d) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        for (errno = 0; (de = readdir(d)); errno = 0)
                if (is_package_name(de->d_name) && is_regular_file(d, de))
                        n++;
        if (errno != 0)
                return negative_errno();
        *ret = n;
        return 0;
}

