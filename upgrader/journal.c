/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The upgrade journal; see journal.h and docs/journal.md. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fsutil.h"
#include "journal.h"
#include "macro.h"
#include "number.h"
#include "outcome.h"
#include "paths.h"
#include "strv.h"

#define JOURNAL_NAME STATE_DIR_RELATIVE(OSLIFT_JOURNAL_FILE)

struct journal_writer {
        int fd;
};

static uint32_t line_crc(const char *s, size_t len) {
        return (uint32_t) crc32(crc32(0L, Z_NULL, 0), (const Bytef *) s, (uInt) len);
}

/* The words of a record: what NEVRAs, timestamps and hex digits are made
 * of. Nothing that could break a line or a shell word. */
static bool word_valid(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s <= ' ' || *s == 0x7f || *s == '\\' || *s == '\'' || *s == '"')
                        return false;
        return true;
}

static bool parse_hex32(const char *s, uint32_t *ret) {
        uint32_t v = 0;

        if (strlen(s) != 8)
                return false;
        for (const char *p = s; *p; p++) {
                int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
                if (d < 0)
                        return false;
                v = v << 4 | (uint32_t) d;
        }
        *ret = v;
        return true;
}

static const char *const note_kinds[_JOURNAL_NOTE_MAX] = {
        [JOURNAL_NOTE_CONFIG] = "config",
        [JOURNAL_NOTE_SCRIPT] = "script",
        [JOURNAL_NOTE_ERROR] = "error",
};

/* A note's text as one word: every byte word_valid() refuses, and '%',
 * as %XX. */
static bool note_byte_plain(unsigned char c) {
        return c > ' ' && c != 0x7f && c != '\\' && c != '\'' && c != '"' && c != '%';
}

static int note_decode(const char *word, char **ret) {
        size_t n = strlen(word);
        char *text = malloc(n + 1), *q = text;

        if (!text)
                return -ENOMEM;
        for (const char *p = word; *p; p++) {
                unsigned v = 0;

                if (*p != '%') {
                        *q++ = *p;
                        continue;
                }
                for (int i = 1; i <= 2; i++) {
                        char c = p[i];
                        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
                        if (d < 0) {
                                free(text);
                                return -EBADMSG;
                        }
                        v = v << 4 | (unsigned) d;
                }
                /* Only what the writer encodes: one spelling per text. */
                if (v == 0 || v == '\n' || note_byte_plain((unsigned char) v)) {
                        free(text);
                        return -EBADMSG;
                }
                *q++ = (char) v;
                p += 2;
        }
        *q = '\0';
        *ret = text;
        return 0;
}

static int apply_note(struct journal *j, const char *kind, const char *word) {
        _cleanup_free_ char *text = NULL;
        int r;

        for (size_t k = 0; k < _JOURNAL_NOTE_MAX; k++) {
                if (strcmp(kind, note_kinds[k]) != 0)
                        continue;
                r = note_decode(word, &text);
                if (r < 0)
                        return r;
                if (strv_contains(j->notes[k], j->n_notes[k], text))
                        return 0;
                return strv_push(&j->notes[k], &j->n_notes[k], text);
        }
        return -EBADMSG;
}

/* Splits line (modified) into at most max words; returns how many. */
static size_t split_words(char *line, char **words, size_t max) {
        size_t n = 0;
        char *save = NULL;

        for (char *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                if (n == max)
                        return max + 1;
                words[n++] = w;
        }
        return n;
}

/* One record, its CRC already checked. first: whether it is line 1. */
static int apply_record(struct journal *j, char *text, bool first) {
        char *w[4];
        size_t n = split_words(text, w, ELEMENTSOF(w));
        unsigned u;
        uint32_t tid;

        if (n == 0 || n > 3)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                if (!word_valid(w[i]))
                        return -EBADMSG;
        if (first != (strcmp(w[0], "journal") == 0))
                return -EBADMSG;
        if (first) {
                if (n != 3 || !parse_unsigned(w[1], &u) || u != JOURNAL_FORMAT_VERSION ||
                    strlen(w[2]) != SHA256_HEX_SIZE - 1)
                        return -EBADMSG;
                memcpy(j->plan_sha256, w[2], SHA256_HEX_SIZE);
                return 0;
        }
        /* After "gave-up" nothing is written; after "finished" only a new
         * attempt's records could follow, and there is no new attempt. */
        if (j->gave_up || j->result != JOURNAL_RESULT_NONE)
                return -EBADMSG;

        if (strcmp(w[0], "attempt") == 0) {
                if (n != 3 || !parse_unsigned(w[1], &u) || u != j->attempts + 1 || !timestamp_is_valid(w[2]))
                        return -EBADMSG;
                j->attempts = u;
                /* What the last attempt did after its last checkpoint may
                 * not have reached the disk: forget it. */
                for (size_t i = j->n_durable; i < j->n_done; i++)
                        free(j->done[i]);
                j->n_done = j->n_durable;
        } else if (j->attempts == 0)
                return -EBADMSG; /* everything else happens within an attempt */
        else if (strcmp(w[0], "backup") == 0 && n == 1)
                j->backup = true;
        else if (strcmp(w[0], "converted") == 0 && n == 1) {
                if (!j->backup)
                        return -EBADMSG;
                j->converted = true;
        } else if (strcmp(w[0], "erase") == 0 && n == 2) {
                if (!strv_contains(j->erase, j->n_erase, w[1]))
                        return strv_push(&j->erase, &j->n_erase, w[1]);
        } else if (strcmp(w[0], "begin") == 0 && n == 3) {
                uint32_t *p;

                if (!parse_hex32(w[1], &tid) || !parse_unsigned(w[2], &u))
                        return -EBADMSG;
                p = realloc(j->tids, (j->n_tids + 1) * sizeof(*p));
                if (!p)
                        return -ENOMEM;
                j->tids = p;
                j->tids[j->n_tids++] = tid;
                if (!j->begun)
                        j->total = u;
                j->begun = true;
        } else if (strcmp(w[0], "done") == 0 && n == 2) {
                if (!j->begun)
                        return -EBADMSG;
                return strv_push(&j->done, &j->n_done, w[1]);
        } else if (strcmp(w[0], "note") == 0 && n == 3) {
                return apply_note(j, w[1], w[2]);
        } else if (strcmp(w[0], "checkpoint") == 0 && n == 2) {
                /* Counts done records, those kept from earlier attempts
                 * included; more may follow the ones it covers, as the
                 * sync runs while rpm goes on. */
                if (!j->begun || !parse_unsigned(w[1], &u) || u < j->n_durable || u > j->n_done)
                        return -EBADMSG;
                j->n_durable = u;
                j->last_checkpoint = u;
        } else if (strcmp(w[0], "finished") == 0 && n == 2) {
                /* apply.c writes the outcome file's names here. */
                if (strcmp(w[1], OUTCOME_RESULT_APPLIED) == 0)
                        j->result = JOURNAL_RESULT_APPLIED;
                else if (strcmp(w[1], OUTCOME_RESULT_APPLIED_WITH_PROBLEMS) == 0)
                        j->result = JOURNAL_RESULT_APPLIED_WITH_PROBLEMS;
                else
                        return -EBADMSG;
        } else if (strcmp(w[0], "gave-up") == 0 && n == 2) {
                if (!parse_unsigned(w[1], &u))
                        return -EBADMSG;
                j->gave_up = true;
        } else
                return -EBADMSG;
        return 0;
}

/* One line without its newline: 0 when good, -EBADMSG when damaged. */
static int parse_line(struct journal *j, const char *line, size_t len, bool first) {
        char text[JOURNAL_LINE_MAX], crc_text[9];
        uint32_t crc;

        if (len < 10 || len >= sizeof(text) || line[8] != ' ' || memchr(line, '\0', len))
                return -EBADMSG;
        memcpy(crc_text, line, 8);
        crc_text[8] = '\0';
        if (!parse_hex32(crc_text, &crc) || crc != line_crc(line + 9, len - 9))
                return -EBADMSG;
        memcpy(text, line + 9, len - 9);
        text[len - 9] = '\0';
        return apply_record(j, text, first);
}

int journal_parse(const char *data, size_t size, struct journal *ret) {
        struct journal j = {};
        size_t pos = 0;
        int r = 0;

        if (size > JOURNAL_SIZE_MAX)
                return -EFBIG;
        while (pos < size) {
                const char *nl = memchr(data + pos, '\n', size - pos);
                size_t len = nl ? (size_t) (nl - (data + pos)) : size - pos;
                bool last = !nl || (size_t) (nl - data) + 1 == size;

                r = nl ? parse_line(&j, data + pos, len, pos == 0) : -EBADMSG;
                if (r == -EBADMSG && last) {
                        /* A torn last write: as if it never happened. */
                        r = 0;
                        break;
                }
                if (r < 0)
                        break;
                pos += len + 1;
                j.valid_size = pos;
        }
        if (r < 0) {
                journal_done(&j);
                return r;
        }
        *ret = j;
        return 0;
}

void journal_done(struct journal *j) {
        free(j->tids);
        strv_free(j->erase, j->n_erase);
        strv_free(j->done, j->n_done);
        for (size_t k = 0; k < _JOURNAL_NOTE_MAX; k++)
                strv_free(j->notes[k], j->n_notes[k]);
        *j = (struct journal) {};
}

bool journal_is_durable(const struct journal *j, const char *nevra) {
        return strv_contains(j->done, j->n_durable, nevra);
}

int journal_read_at(int state_dir_fd, struct journal *ret) {
        /* Never a symlink, never blocking on a FIFO planted there. */
        _cleanup_close_ int fd = open_regular_at(state_dir_fd, JOURNAL_NAME);
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        if (fd < 0)
                return fd;
        r = read_bounded(fd, JOURNAL_SIZE_MAX + 1, 64 * 1024, &data, &size);
        if (r < 0)
                return r;
        return journal_parse(data, size, ret);
}

static int append_line(int fd, bool sync, const char *text) {
        char line[JOURNAL_LINE_MAX + 16];
        size_t len = strlen(text);
        int n;

        if (len == 0 || len + 10 > JOURNAL_LINE_MAX || strchr(text, '\n'))
                return -EINVAL;
        n = snprintf(line, sizeof(line), "%08x %s\n", line_crc(text, len), text);
        if (write_all(fd, line, (size_t) n) < 0)
                return negative_errno();
        if (sync && fdatasync(fd) < 0)
                return negative_errno();
        return 0;
}

int journal_open_at(int state_dir_fd, const char *plan_sha256, size_t valid_size, struct journal_writer **ret) {
        _cleanup_close_ int fd = -1;
        struct journal_writer *w;
        struct stat st;
        int r;

        /* O_NONBLOCK: a FIFO in its place fails (ENXIO) instead of waiting
         * for a reader; on the regular file it has no effect. */
        fd = openat(state_dir_fd, JOURNAL_NAME,
                    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
        if (fd < 0)
                return errno == ENXIO ? -EBADFD : negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > valid_size && ftruncate(fd, (off_t) valid_size) < 0)
                return negative_errno();
        if (valid_size == 0) {
                char header[128];
                snprintf(header, sizeof(header), "journal %d %s", JOURNAL_FORMAT_VERSION, plan_sha256);
                r = append_line(fd, true, header);
                if (r < 0)
                        return r;
                /* The new file's name must survive a power cut too. */
                if (fsync(state_dir_fd) < 0)
                        return negative_errno();
        }
        w = malloc(sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->fd = TAKE_FD(fd);
        *ret = w;
        return 0;
}

void journal_close(struct journal_writer *w) {
        if (!w)
                return;
        close(w->fd);
        free(w);
}

int journal_append(struct journal_writer *w, bool sync, const char *fmt, ...) {
        char text[JOURNAL_LINE_MAX];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= sizeof(text))
                return -EINVAL;
        return append_line(w->fd, sync, text);
}

int journal_append_note(struct journal_writer *w, enum journal_note_kind kind, const char *text) {
        char word[JOURNAL_LINE_MAX];
        size_t n = 0;

        if ((unsigned) kind >= _JOURNAL_NOTE_MAX || !*text)
                return -EINVAL;
        for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
                if (*p == '\n' || n + 4 > sizeof(word))
                        return -EINVAL;
                if (note_byte_plain(*p))
                        word[n++] = (char) *p;
                else
                        n += (size_t) snprintf(word + n, sizeof(word) - n, "%%%02x", *p);
        }
        word[n] = '\0';
        return journal_append(w, false, "note %s %s", note_kinds[kind], word);
}

int journal_remove_at(int state_dir_fd) {
        if (unlinkat(state_dir_fd, JOURNAL_NAME, 0) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}
