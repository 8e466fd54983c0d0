/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "json.h"
#include "utf8.h"

void json_write_string(FILE *f, const char *s) {
        if (!s) {
                fputs("null", f);
                return;
        }
        json_write_string_len(f, s, strlen(s));
}

void json_write_string_len(FILE *f, const char *s, size_t n) {
        fputc('"', f);
        for (size_t i = 0; i < n;) {
                unsigned char c = (unsigned char) s[i];
                size_t len;

                switch (c) {
                case '"': fputs("\\\"", f); break;
                case '\\': fputs("\\\\", f); break;
                case '\n': fputs("\\n", f); break;
                case '\r': fputs("\\r", f); break;
                case '\t': fputs("\\t", f); break;
                default:
                        if (c < 0x20) {
                                fprintf(f, "\\u%04x", c);
                                break;
                        }
                        len = utf8_char_len(s + i, n - i);
                        if (len == 0) {
                                fputs("\\ufffd", f);
                                i++;
                        } else {
                                fwrite(s + i, 1, len, f);
                                i += len;
                        }
                        continue;
                }
                i++;
        }
        fputc('"', f);
}

/* ---- The syntax check: a recursive descent over RFC 8259's grammar ---- */

struct scan {
        const char *p, *end;
        unsigned depth;
};

static void skip_space(struct scan *s) {
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
                s->p++;
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_hex(char c) {
        return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool scan_literal(struct scan *s, const char *word) {
        size_t n = strlen(word);

        if ((size_t) (s->end - s->p) < n || memcmp(s->p, word, n) != 0)
                return false;
        s->p += n;
        return true;
}

static bool scan_digits(struct scan *s) {
        const char *start = s->p;

        while (s->p < s->end && is_digit(*s->p))
                s->p++;
        return s->p > start;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool scan_number(struct scan *s) {
        if (s->p < s->end && *s->p == '-')
                s->p++;
        if (s->p < s->end && *s->p == '0')
                s->p++;
        else if (!scan_digits(s))
                return false;
        if (s->p < s->end && *s->p == '.') {
                s->p++;
                if (!scan_digits(s))
                        return false;
        }
        if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
                s->p++;
                if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
                        s->p++;
                if (!scan_digits(s))
                        return false;
        }
        return true;
}

static bool scan_string(struct scan *s) {
        s->p++; /* the opening quote */
        while (s->p < s->end) {
                unsigned char c = (unsigned char) *s->p;
                size_t len;

                if (c == '"') {
                        s->p++;
                        return true;
                }
                if (c < 0x20)
                        return false;
                if (c == '\\') {
                        if (s->end - s->p < 2)
                                return false;
                        if (s->p[1] == 'u') {
                                if (s->end - s->p < 6)
                                        return false;
                                for (int i = 2; i < 6; i++)
                                        if (!is_hex(s->p[i]))
                                                return false;
                                s->p += 6;
                        } else if (strchr("\"\\/bfnrt", s->p[1]) && s->p[1] != '\0')
                                s->p += 2;
                        else
                                return false;
                        continue;
                }
                len = utf8_char_len(s->p, (size_t) (s->end - s->p));
                if (len == 0)
                        return false;
                s->p += len;
        }
        return false;
}

static bool scan_value(struct scan *s);

/* An object or an array: open, close, members separated by commas. */
static bool scan_container(struct scan *s, char close, bool object) {
        if (++s->depth > JSON_DEPTH_MAX)
                return false;
        s->p++;
        skip_space(s);
        if (s->p < s->end && *s->p == close) {
                s->p++;
                s->depth--;
                return true;
        }
        for (;;) {
                if (object) {
                        if (s->p >= s->end || *s->p != '"' || !scan_string(s))
                                return false;
                        skip_space(s);
                        if (s->p >= s->end || *s->p != ':')
                                return false;
                        s->p++;
                }
                if (!scan_value(s))
                        return false;
                if (s->p >= s->end)
                        return false;
                if (*s->p == close) {
                        s->p++;
                        s->depth--;
                        return true;
                }
                if (*s->p != ',')
                        return false;
                s->p++;
                skip_space(s);
        }
}

/* A value with the whitespace around it. */
static bool scan_value(struct scan *s) {
        bool ok;

        skip_space(s);
        if (s->p >= s->end)
                return false;
        switch (*s->p) {
        case '{': ok = scan_container(s, '}', true); break;
        case '[': ok = scan_container(s, ']', false); break;
        case '"': ok = scan_string(s); break;
        case 't': ok = scan_literal(s, "true"); break;
        case 'f': ok = scan_literal(s, "false"); break;
        case 'n': ok = scan_literal(s, "null"); break;
        default: ok = scan_number(s);
        }
        skip_space(s);
        return ok;
}

bool json_valid(const char *s, size_t n) {
        struct scan scan = { .p = s, .end = s + n };

        return s && scan_value(&scan) && scan.p == scan.end;
}
