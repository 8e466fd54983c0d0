/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The serial dump's decoder (docs/serial-dump.md), for host-prep log
 * --from-serial. It follows the reference decoder of the document, with
 * three differences, all of them on the side of getting the log back
 * without ever taking a wrong byte:
 *
 *  - lines end at '\n' or '\r' (as Python's splitlines() has it), and escape
 *    sequences and other control characters are removed from a line before
 *    it is matched: none of them is part of a dump, and a NUL or a colour
 *    code that a terminal server slipped into a data line no longer costs it;
 *  - a data line that a console message split in two ("OSL00012 eNrt" +
 *    "[ 12.3] kernel text" + "2Et… 907c90f9") is put back together when the
 *    rest follows within a few lines and the CRC-32 of the whole matches
 *    (not when the split came before its "OSL");
 *  - it decodes the last dump only, and says so when that one is cut off or
 *    damaged, instead of showing an older boot's log in its place.
 *
 * Everything it reads is untrusted: sizes are capped, all scanning is
 * bounded by the input's length, and it is meant to be fuzzed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "macro.h"
#include "serial-dump-format.h"
#include "serial-dump.h"
#include "serial-dump-internal.h"
#include "utf8.h"


/* A split data line's rest must come within this many lines (non-empty). */
#define REJOIN_WINDOW 4
/* Candidate joins tried in all, so that a capture made of nothing but
 * half data lines stays linear. */
#define REJOIN_TRIES_MAX 200000u

static const char begin_marker[] = SERIAL_DUMP_BEGIN_MARKER;
static const char end_marker[] = SERIAL_DUMP_END_LINE;

enum slot_state {
        SLOT_MISSING,
        SLOT_GARBLED,    /* seen, but its checksum does not match */
        SLOT_NOT_BASE64, /* checksum right, base64 wrong: not from our writer */
        SLOT_OK,
};

struct slot {
        uint8_t state, n;
        uint8_t data[SERIAL_DUMP_BYTES_PER_LINE];
        size_t line; /* where it was seen, for messages */
};

struct header {
        unsigned long version;
        uint64_t bytes, lines;
        uint32_t crc;
};

/* One line of the capture: up to '\r' or '\n'; line numbers count '\n'. */
struct cursor {
        const char *p, *end;
        size_t line;
};

static bool next_segment(struct cursor *c, const char **ret_s, size_t *ret_n, size_t *ret_line) {
        const char *s = c->p, *e;

        if (s >= c->end)
                return false;
        for (e = s; e < c->end && *e != '\n' && *e != '\r'; e++)
                ;
        *ret_s = s;
        *ret_n = (size_t) (e - s);
        *ret_line = c->line;
        if (e < c->end) {
                if (*e == '\n')
                        c->line++;
                e++;
        }
        c->p = e;
        return true;
}

/* s[i] is ESC: the index of the escape sequence's last byte. */
static size_t skip_escape(const char *s, size_t n, size_t i) {
        unsigned char c;
        size_t j;

        if (i + 1 >= n)
                return i;
        c = (unsigned char) s[i + 1];
        if (c == '[') { /* CSI: parameters and intermediates, then a final byte */
                for (j = i + 2; j < n && j - i < 64 && (unsigned char) s[j] >= 0x20 && (unsigned char) s[j] <= 0x3f; j++)
                        ;
                if (j < n && (unsigned char) s[j] >= 0x40 && (unsigned char) s[j] <= 0x7e)
                        return j;
                return j - 1;
        }
        if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') { /* strings, to BEL or ST */
                for (j = i + 2; j < n && j - i < 512; j++) {
                        if (s[j] == '\a')
                                return j;
                        if (s[j] == 0x1b && j + 1 < n && s[j + 1] == '\\')
                                return j + 1;
                }
                return i + 1; /* unterminated: drop the introducer only */
        }
        if (c >= 0x20 && c <= 0x2f) { /* nF, as ESC ( B */
                for (j = i + 1; j < n && j - i < 8 && (unsigned char) s[j] >= 0x20 && (unsigned char) s[j] <= 0x2f; j++)
                        ;
                if (j < n && (unsigned char) s[j] >= 0x30 && (unsigned char) s[j] <= 0x7e)
                        return j;
                return j - 1;
        }
        if (c >= 0x30 && c <= 0x7e)
                return i + 1;
        return i;
}

size_t serial_dump_normalize(const char *s, size_t n, char *out) {
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c == 0x1b) {
                        i = skip_escape(s, n, i);
                        continue;
                }
                if (c == '\t')
                        c = ' ';
                else if (ascii_is_control(c))
                        continue;
                out[o++] = (char) c;
        }
        while (o > 0 && (out[o - 1] == ' '))
                o--;
        return o;
}

static bool is_b64(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
               c == '/' || c == '=';
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1; /* the writer prints lowercase only */
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

const char *serial_dump_memmem_last(const char *s, size_t n, const char *needle) {
        size_t k = strlen(needle);
        const char *found = NULL, *p = s;

        while ((size_t) (s + n - p) >= k && (p = memmem(p, (size_t) (s + n - p), needle, k))) {
                found = p;
                p++;
        }
        return found;
}

/* "OSL" and 5 digits at s: the sequence number, or 0. */
static unsigned parse_seq(const char *s) {
        unsigned seq = 0;

        if (memcmp(s, SERIAL_DUMP_LINE_TAG, 3) != 0)
                return 0;
        for (size_t i = 3; i < 8; i++) {
                if (!is_digit(s[i]))
                        return 0;
                seq = seq * 10 + (unsigned) (s[i] - '0');
        }
        return seq;
}

struct data_line {
        unsigned seq;
        const char *start; /* "OSL…" */
        const char *b64;
        size_t n_b64;
        bool crc_ok;
};

/*
 * "OSL<5 digits> <base64> <8 hex>" at the end of s (n bytes, normalized),
 * anything before it: the reference decoder's DATA pattern.
 */
static bool parse_data_line(const char *s, size_t n, struct data_line *ret) {
        uint32_t crc = 0;
        size_t i, r = 0;

        if (n < SERIAL_DUMP_LINE_MIN)
                return false;
        for (i = n - 8; i < n; i++) {
                int v = hex_digit(s[i]);
                if (v < 0)
                        return false;
                crc = crc << 4 | (uint32_t) v;
        }
        if (s[n - 9] != ' ')
                return false;
        for (i = n - 9; i > 0 && r <= SERIAL_DUMP_B64_MAX && is_b64(s[i - 1]); i--)
                r++;
        if (r < 4 || r > SERIAL_DUMP_B64_MAX || i < SERIAL_DUMP_LINE_PREFIX_LEN || s[i - 1] != ' ')
                return false;
        ret->start = s + i - SERIAL_DUMP_LINE_PREFIX_LEN;
        ret->seq = parse_seq(ret->start);
        if (ret->seq == 0 && memcmp(ret->start, SERIAL_DUMP_LINE_TAG "00000", 8) != 0)
                return false;
        ret->b64 = s + i;
        ret->n_b64 = r;
        ret->crc_ok = crc32(0, (const Bytef *) ret->start, (uInt) (ret->b64 + r - ret->start)) == crc;
        return true;
}

int serial_dump_b64_decode(const char *s, size_t n, uint8_t *out) {
        size_t o = 0;

        if (n == 0 || n % 4 != 0)
                return -1;
        for (size_t i = 0; i < n; i += 4) {
                uint32_t v = 0;
                int pad = 0;

                for (size_t j = 0; j < 4; j++) {
                        char c = s[i + j];
                        int d;

                        if (c == '=') {
                                /* only at the very end, as "x=" or "xx==" tails */
                                if (i + 4 != n || j < 2)
                                        return -1;
                                pad++;
                                d = 0;
                        } else if (pad > 0)
                                return -1;
                        else if (c >= 'A' && c <= 'Z')
                                d = c - 'A';
                        else if (c >= 'a' && c <= 'z')
                                d = c - 'a' + 26;
                        else if (c >= '0' && c <= '9')
                                d = c - '0' + 52;
                        else if (c == '+')
                                d = 62;
                        else if (c == '/')
                                d = 63;
                        else
                                return -1;
                        v = v << 6 | (uint32_t) d;
                }
                out[o++] = (uint8_t) (v >> 16);
                if (pad < 2)
                        out[o++] = (uint8_t) (v >> 8);
                if (pad < 1)
                        out[o++] = (uint8_t) v;
        }
        return (int) o;
}

/* Up to 10 digits at *p, advancing it; false when there are none or more. */
static bool parse_number(const char **p, const char *end, uint64_t *ret) {
        uint64_t v = 0;
        size_t k = 0;

        while (*p < end && is_digit(**p)) {
                if (++k > 10)
                        return false;
                v = v * 10 + (uint64_t) (**p - '0');
                (*p)++;
        }
        *ret = v;
        return k > 0;
}

static bool expect(const char **p, const char *end, const char *word) {
        size_t k = strlen(word);

        if ((size_t) (end - *p) < k || memcmp(*p, word, k) != 0)
                return false;
        *p += k;
        return true;
}

/* The BEGIN line from its marker on: 0, -EPROTONOSUPPORT (version in
 * h->version) or -EBADMSG. */
static int parse_header(const char *s, const char *end, struct header *h) {
        const char *p = s + strlen(begin_marker);
        uint64_t v;

        *h = (struct header) {};
        if (!parse_number(&p, end, &v))
                return -EBADMSG;
        h->version = (unsigned long) v;
        if (v != SERIAL_DUMP_VERSION)
                return -EPROTONOSUPPORT;
        if (!expect(&p, end, SERIAL_DUMP_FIELD_BYTES) || !parse_number(&p, end, &h->bytes) ||
            !expect(&p, end, SERIAL_DUMP_FIELD_LINES) || !parse_number(&p, end, &h->lines) ||
            !expect(&p, end, SERIAL_DUMP_FIELD_CRC32))
                return -EBADMSG;
        if (end - p < 8)
                return -EBADMSG;
        for (int i = 0; i < 8; i++) {
                int d = hex_digit(*p++);
                if (d < 0)
                        return -EBADMSG;
                h->crc = h->crc << 4 | (uint32_t) d;
        }
        if (!expect(&p, end, SERIAL_DUMP_BEGIN_TAIL))
                return -EBADMSG;
        return 0;
}

_printf_(3, 4) static int set_error(struct serial_dump *d, int r, const char *fmt, ...) {
        va_list ap;

        free(d->error);
        va_start(ap, fmt);
        if (vasprintf(&d->error, fmt, ap) < 0)
                d->error = NULL;
        va_end(ap);
        return r;
}

/*
 * Inflates a zlib stream into a new NUL-terminated buffer of at most max
 * bytes. 0 when the stream is complete and nothing follows it; -EAGAIN when
 * the input ended first (*ret holds what came out: a true prefix of the
 * text); -EFBIG beyond max; -EBADMSG when it is not a valid stream.
 */
static int inflate_bounded(const uint8_t *in, size_t n, size_t max, char **ret, size_t *ret_len) {
        z_stream z = {};
        char *buf, *grown;
        size_t size = max < 65536 ? max + 1 : 65536;
        int r, zr;

        *ret = NULL;
        *ret_len = 0;
        if (n > UINT32_MAX / 2)
                return -EFBIG;
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        if (inflateInit(&z) != Z_OK) {
                free(buf);
                return -ENOMEM;
        }
        z.next_in = (Bytef *) in;
        z.avail_in = (uInt) n;
        z.next_out = (Bytef *) buf;
        z.avail_out = (uInt) size;
        for (;;) {
                if (z.avail_out == 0) {
                        size_t used = size;

                        if (size >= max + 1) {
                                r = -EFBIG;
                                break;
                        }
                        size = size > (max + 1) / 2 ? max + 1 : size * 2;
                        grown = realloc(buf, size + 1);
                        if (!grown) {
                                r = -ENOMEM;
                                break;
                        }
                        buf = grown;
                        z.next_out = (Bytef *) buf + used;
                        z.avail_out = (uInt) (size - used);
                }
                zr = inflate(&z, Z_NO_FLUSH);
                if (zr == Z_STREAM_END) {
                        r = z.avail_in > 0 ? -EBADMSG : 0;
                        break;
                }
                if (zr == Z_MEM_ERROR) {
                        r = -ENOMEM;
                        break;
                }
                if (zr != Z_OK && zr != Z_BUF_ERROR) {
                        r = -EBADMSG;
                        break;
                }
                if (z.avail_out > 0 && (z.avail_in == 0 || zr == Z_BUF_ERROR)) {
                        r = -EAGAIN;
                        break;
                }
        }
        *ret_len = size - z.avail_out;
        inflateEnd(&z);
        if (*ret_len > max) /* the stream may end right after the byte too many */
                r = -EFBIG;
        if (r < 0 && r != -EAGAIN) {
                free(buf);
                *ret_len = 0;
                return r;
        }
        buf[*ret_len] = '\0';
        *ret = buf;
        return r;
}

/* A line that may be the start of a data line that a message split. */
struct head {
        unsigned seq;
        size_t line, age;
        size_t n;
        char text[SERIAL_DUMP_LINE_MAX];
};

struct scan {
        const struct header *h;
        struct slot *slots; /* [1..lines] */
        struct head heads[REJOIN_WINDOW];
        size_t n_heads;
        unsigned tries, rejoined;
};

static bool store(struct scan *sc, const struct data_line *dl, size_t line) {
        struct slot *s;
        int k;

        if (dl->seq < 1 || dl->seq > sc->h->lines)
                return false; /* not ours to keep; the sequence check tells */
        s = &sc->slots[dl->seq];
        if (s->state == SLOT_OK)
                return false; /* the first copy that checks out stays */
        k = serial_dump_b64_decode(dl->b64, dl->n_b64, s->data);
        if (k < 0) {
                s->state = SLOT_NOT_BASE64;
                s->line = line;
                return false;
        }
        s->state = SLOT_OK;
        s->n = (uint8_t) k;
        s->line = line;
        return true;
}

/* Could t be the end of a data line: base64 characters, at most two
 * spaces, a hex digit last? */
static bool maybe_tail(const char *t, size_t n) {
        unsigned spaces = 0;

        if (n == 0 || n > SERIAL_DUMP_LINE_MAX - 3 || hex_digit(t[n - 1]) < 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (t[i] == ' ' ? ++spaces > 2 : !is_b64(t[i]))
                        return false;
        return true;
}

/* Tries t as the rest of each recent head: true when one joins up. */
static bool try_rejoin(struct scan *sc, const char *t, size_t n) {
        char joined[SERIAL_DUMP_LINE_MAX];

        if (sc->n_heads == 0 || !maybe_tail(t, n))
                return false;
        for (size_t h = sc->n_heads; h-- > 0;) {
                struct head *hd = &sc->heads[h];

                if (hd->seq > 0 && sc->slots[hd->seq].state == SLOT_OK)
                        continue;
                /*
                 * Where the message came in: somewhere after "OSL"; when
                 * right before a space, that space went with the trailing
                 * blanks of the head's line (space = 1).
                 */
                for (size_t k = hd->n, space = 1; k >= 3; space ? space-- : k--) {
                        struct data_line dl;
                        size_t m = k + space + n;

                        if ((space && (k != hd->n || t[0] == ' ')) || m > SERIAL_DUMP_LINE_MAX || m < SERIAL_DUMP_LINE_MIN)
                                continue;
                        if (sc->tries++ >= REJOIN_TRIES_MAX)
                                return false;
                        memcpy(joined, hd->text, k);
                        joined[k] = ' ';
                        memcpy(joined + k + space, t, n);
                        if (parse_data_line(joined, m, &dl) && dl.start == joined && dl.crc_ok &&
                            (hd->seq == 0 || dl.seq == hd->seq) && store(sc, &dl, hd->line)) {
                                sc->rejoined++;
                                memmove(hd, hd + 1, (sc->n_heads - h - 1) * sizeof(*hd));
                                sc->n_heads--;
                                return true;
                        }
                }
        }
        return false;
}

/*
 * Remembers s as a head when it holds the start of a data line: from its
 * last "OSL" on, its number when that made it ("OSL00012 "), 0 when the
 * message came in before; a numbered line still missing counts as seen
 * garbled.
 */
static void add_head(struct scan *sc, const char *s, size_t n, size_t line) {
        const char *p = serial_dump_memmem_last(s, n, SERIAL_DUMP_LINE_TAG);
        struct head *hd;
        unsigned seq = 0;

        if (!p)
                return;
        if ((size_t) (s + n - p) >= SERIAL_DUMP_LINE_PREFIX_LEN && p[8] == ' ')
                seq = parse_seq(p);
        if (seq > sc->h->lines || (seq > 0 && sc->slots[seq].state == SLOT_OK))
                return;
        if (seq > 0 && sc->slots[seq].state == SLOT_MISSING) {
                sc->slots[seq].state = SLOT_GARBLED;
                sc->slots[seq].line = line;
        }
        if (sc->n_heads == REJOIN_WINDOW) {
                memmove(sc->heads, sc->heads + 1, (REJOIN_WINDOW - 1) * sizeof(sc->heads[0]));
                sc->n_heads--;
        }
        hd = &sc->heads[sc->n_heads++];
        hd->seq = seq;
        hd->line = line;
        hd->age = 0;
        hd->n = (size_t) (s + n - p) < SERIAL_DUMP_LINE_MAX ? (size_t) (s + n - p) : SERIAL_DUMP_LINE_MAX;
        memcpy(hd->text, p, hd->n);
}

static void age_heads(struct scan *sc) {
        size_t o = 0;

        for (size_t i = 0; i < sc->n_heads; i++)
                if (++sc->heads[i].age <= REJOIN_WINDOW)
                        sc->heads[o++] = sc->heads[i];
        sc->n_heads = o;
}

/* Adds a problem to the list in buf, which names the first few only. */
_printf_(4, 5) static void list_problem(char *buf, size_t size, unsigned *count, const char *fmt, ...) {
        size_t used = strlen(buf);
        va_list ap;

        if ((*count)++ >= 4) {
                if (*count == 5 && used + 6 < size)
                        strcat(buf, ", ...");
                return;
        }
        if (used > 0 && used + 2 < size) {
                strcat(buf, ", ");
                used += 2;
        }
        va_start(ap, fmt);
        vsnprintf(buf + used, size - used, fmt, ap);
        va_end(ap);
}

void serial_dump_done(struct serial_dump *d) {
        free(d->log);
        free(d->error);
        *d = (struct serial_dump) {};
}

int serial_dump_parse(const char *name, const char *capture, size_t len, struct serial_dump *d) {
        _cleanup_free_ char *norm = NULL;
        _cleanup_free_ struct slot *slots = NULL;
        _cleanup_free_ uint8_t *stream = NULL;
        struct cursor c = { .p = capture, .end = capture + len, .line = 1 };
        const char *seg, *begin_seg = NULL, *begin_at = NULL;
        size_t n, k, line, begin_seg_len = 0, pending_end = 0, end_line = 0, orphan_line = 0;
        size_t stream_len = 0, first_bad = 0, n_ok = 0, out_len = 0;
        struct header h;
        struct scan sc = {};
        char *out = NULL, problems[256] = "";
        unsigned n_problems = 0;
        int r;

        *d = (struct serial_dump) {};
        if (!name)
                name = "the capture";
        if (len > SERIAL_DUMP_CAPTURE_MAX)
                return set_error(d, -EFBIG, "%s is larger than %u MiB: not a console capture this reads", name,
                            SERIAL_DUMP_CAPTURE_MAX >> 20);
        if (len == 0)
                return set_error(d, -ENODATA, "no oslift log dump in %s (it is empty)", name);
        /* Normalized lines are never longer than the input. */
        norm = malloc(len);
        if (!norm)
                return -ENOMEM;

        /* The last BEGIN line, and the END of the dump before it. */
        while (next_segment(&c, &seg, &n, &line)) {
                k = serial_dump_normalize(seg, n, norm);
                if (serial_dump_memmem_last(norm, k, begin_marker)) {
                        d->n_dumps++;
                        d->begin_line = line;
                        d->earlier_end_line = pending_end;
                        begin_seg = seg;
                        begin_seg_len = n;
                } else if (d->n_dumps > 0 && memmem(norm, k, end_marker, strlen(end_marker)))
                        pending_end = line;
        }

        if (!begin_seg) {
                /* Data lines without a BEGIN: a dump all the same. */
                c = (struct cursor) { .p = capture, .end = capture + len, .line = 1 };
                while (next_segment(&c, &seg, &n, &line)) {
                        struct data_line dl;

                        k = serial_dump_normalize(seg, n, norm);
                        if (parse_data_line(norm, k, &dl) && dl.crc_ok) {
                                orphan_line = line;
                                break;
                        }
                }
                if (orphan_line > 0)
                        return set_error(d, -ENODATA,
                                    "the oslift log dump in %s has lost its BEGIN line (its data lines start at "
                                    "line %zu): the capture started too late, or a console message broke into "
                                    "that line",
                                    name, orphan_line);
                return set_error(d, -ENODATA, "no oslift log dump in %s", name);
        }

        k = serial_dump_normalize(begin_seg, begin_seg_len, norm);
        begin_at = serial_dump_memmem_last(norm, k, begin_marker);
        r = parse_header(begin_at, norm + k, &h);
        if (r == -EPROTONOSUPPORT)
                return set_error(d, r,
                            "the oslift log dump in %s (line %zu) is version %lu; this host-prep reads version 1: "
                            "use a newer oslift to decode it",
                            name, d->begin_line, h.version);
        if (r < 0)
                return set_error(d, r,
                            "the BEGIN line of the oslift log dump in %s (line %zu) is garbled: the log's size "
                            "and checksum cannot be read from it",
                            name, d->begin_line);
        if (h.lines == 0 || h.lines > SERIAL_DUMP_LINES_MAX)
                return set_error(d, -EBADMSG, "the BEGIN line of the oslift log dump in %s (line %zu) announces %" PRIu64
                            " data lines: not a dump this host-prep can read",
                            name, d->begin_line, h.lines);
        if (h.bytes > SERIAL_DUMP_TEXT_MAX)
                return set_error(d, -EBADMSG,
                            "the oslift log dump in %s (line %zu) announces a log of %" PRIu64
                            " bytes, more than the %u MiB this host-prep reads",
                            name, d->begin_line, h.bytes, SERIAL_DUMP_TEXT_MAX >> 20);

        slots = calloc((size_t) h.lines + 1, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        sc.h = &h;
        sc.slots = slots;

        /* The data lines, up to END; after it, data lines of a dump whose
         * BEGIN was lost. */
        c = (struct cursor) { .p = begin_seg + begin_seg_len, .end = capture + len, .line = d->begin_line };
        if (c.p < c.end) {
                if (*c.p == '\n')
                        c.line++;
                c.p++;
        }
        while (next_segment(&c, &seg, &n, &line)) {
                struct data_line dl;

                k = serial_dump_normalize(seg, n, norm);
                if (k == 0)
                        continue;
                if (end_line > 0) {
                        if (parse_data_line(norm, k, &dl) && dl.crc_ok) {
                                orphan_line = line;
                                break;
                        }
                        continue;
                }
                if (memmem(norm, k, end_marker, strlen(end_marker))) {
                        end_line = line;
                        continue;
                }
                age_heads(&sc);
                if (parse_data_line(norm, k, &dl) && dl.crc_ok) {
                        store(&sc, &dl, line);
                        continue;
                }
                if (!try_rejoin(&sc, norm, k))
                        add_head(&sc, norm, k, line);
        }
        d->rejoined = sc.rejoined;
        if (orphan_line > 0)
                return set_error(d, -ENODATA,
                            "the last oslift log dump in %s has lost its BEGIN line (its data lines start at line "
                            "%zu, after the END of the dump at line %zu): a console message broke into that line",
                            name, orphan_line, d->begin_line);

        /* The stream: every line in order, up to the first missing one. */
        stream = malloc((size_t) h.lines * SERIAL_DUMP_BYTES_PER_LINE);
        if (!stream)
                return -ENOMEM;
        for (size_t i = 1; i <= h.lines; i++) {
                const struct slot *s = &slots[i];

                if (s->state == SLOT_OK) {
                        n_ok++;
                        if (first_bad == 0) {
                                memcpy(stream + stream_len, s->data, s->n);
                                stream_len += s->n;
                        }
                        continue;
                }
                if (first_bad == 0)
                        first_bad = i;
                if (s->state == SLOT_MISSING)
                        list_problem(problems, sizeof(problems), &n_problems, "OSL%05zu is missing", i);
                else if (s->state == SLOT_GARBLED)
                        list_problem(problems, sizeof(problems), &n_problems,
                                     "OSL%05zu at line %zu does not match its checksum", i, s->line);
                else
                        list_problem(problems, sizeof(problems), &n_problems, "OSL%05zu at line %zu is not base64",
                                     i, s->line);
        }

        r = inflate_bounded(stream, stream_len, (size_t) h.bytes, &out, &out_len);
        if (r == -ENOMEM)
                return r;
        if (first_bad == 0 && r == 0 &&
            (out_len != h.bytes || crc32(0, (const Bytef *) out, (uInt) out_len) != h.crc))
                r = -EBADMSG;
        if (first_bad == 0 && r == -EAGAIN)
                r = -EBADMSG; /* every line there, and still not the whole stream */
        if (r == 0 || (r == -EAGAIN && out_len > 0)) {
                d->log = out;
                d->len = out_len;
        } else
                free(out);

        if (end_line == 0) {
                d->log_complete = first_bad == 0 && r == 0;
                if (d->log_complete)
                        return set_error(d, -EBADMSG,
                                    "the dump in %s is incomplete (the END line is missing): the capture was cut "
                                    "off; all its %" PRIu64 " data lines are there and the log checks out",
                                    name, h.lines);
                return set_error(d, -EBADMSG,
                            "the dump in %s is incomplete (the END line is missing): the capture was cut off "
                            "(it holds %zu of the %" PRIu64 " data lines)",
                            name, n_ok, h.lines);
        }
        if (first_bad > 0)
                return set_error(d, -EBADMSG,
                            "the dump in %s does not match its checksums: %u of its %" PRIu64
                            " data lines were lost or garbled in the capture (%s); the log cannot be "
                            "recovered past OSL%05zu",
                            name, n_problems, h.lines, problems, first_bad);
        if (r < 0) {
                free(d->log);
                d->log = NULL;
                d->len = 0;
                return set_error(d, -EBADMSG,
                            "the dump's checksum does not match: every data line in %s checks out, but together "
                            "they do not make the %" PRIu64 "-byte log its BEGIN line (line %zu) announces",
                            name, h.bytes, d->begin_line);
        }
        return 0;
}

int serial_dump_decode(const char *capture, size_t len, char **ret_log, size_t *ret_len, char **ret_error) {
        struct serial_dump d;
        int r;

        r = serial_dump_parse(NULL, capture, len, &d);
        *ret_log = TAKE_PTR(d.log);
        *ret_len = d.len;
        *ret_error = TAKE_PTR(d.error);
        return r;
}
