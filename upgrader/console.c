/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "console.h"
#include "fsutil.h"
#include "serial-dump-format.h"

struct fd_sink {
        int fd;
        enum log_level max_level;
};

static struct fd_sink console = { .fd = -1 }, kmsg = { .fd = -1 };

static struct {
        char *buf;
        size_t size;
        size_t head;      /* where the next byte goes */
        uint64_t written; /* bytes ever appended */
} ring;

static struct {
        bool enabled, started;
        unsigned first_done, last_done;
        struct timespec first;
} eta;

/*
 * One write() per console line, then tcdrain(): lines written by a static
 * binary came out truncated on a QEMU serial console with two CPUs until
 * each write was drained before the next. tcdrain() fails harmlessly with
 * ENOTTY when the "console" is a file or a pipe.
 */
static int console_write_drained(int fd, const char *p, size_t n) {
        int r = write_all(fd, p, n);
        if (r == 0)
                (void) tcdrain(fd);
        return r;
}

static int open_sink(struct fd_sink *s, const char *path, enum log_level max_level, log_sink_fn fn) {
        int r;

        if (s->fd >= 0)
                return -EBUSY;
        s->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (s->fd < 0)
                return negative_errno();
        s->max_level = max_level;
        r = log_add_sink(fn, s);
        if (r < 0) {
                close(s->fd);
                s->fd = -1;
        }
        return r;
}

/* "[   12.345] ": the console's prefix, 12 columns for the first 27 hours. */
static int format_timestamp(char *buf, size_t size) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return snprintf(buf, size, "[%5lld.%03ld] ", (long long) ts.tv_sec, ts.tv_nsec / 1000000);
}

static void console_sink(enum log_level level, const char *line, void *userdata) {
        struct fd_sink *s = userdata;
        char buf[4608];
        int saved = errno, indent;
        size_t n;

        if (level > s->max_level)
                return;
        indent = format_timestamp(buf, sizeof(buf));
        n = (size_t) indent;
        /* A message of several lines continues under its first. */
        for (const char *p = line;; p++) {
                bool end = *p == '\0' || (*p == '\n' && p[1] == '\0'), newline = *p == '\n' && !end;

                if (end || newline || n >= sizeof(buf) - 1) {
                        buf[n++] = '\n';
                        if (console_write_drained(s->fd, buf, n) < 0 || end)
                                break;
                        memset(buf, ' ', (size_t) indent);
                        n = (size_t) indent;
                        if (newline)
                                continue;
                }
                if (*p != '\t')
                        buf[n++] = console_printable(*p);
                else
                        buf[n++] = ' ';
        }
        errno = saved;
}

/*
 * Records in /dev/kmsg hold about 1 KiB (longer writes fail with EINVAL);
 * stay well below, splitting where a UTF-8 sequence does not continue.
 */
#define KMSG_TEXT_MAX 896

/*
 * At debug level (user facility: <15>) whatever the message's level, so
 * that the kernel does not echo the record onto the console we already
 * write to unless booted with "debug" or "ignore_loglevel"; the text keeps
 * "error: " and "warning: ".
 */
static void kmsg_sink(enum log_level level, const char *line, void *userdata) {
        struct fd_sink *s = userdata;
        int saved = errno;

        if (level > s->max_level)
                return;
        for (const char *p = line; *p;) {
                size_t n = strcspn(p, "\n");
                char buf[KMSG_TEXT_MAX + 32];

                if (n > KMSG_TEXT_MAX) {
                        n = KMSG_TEXT_MAX;
                        while (n > 1 && ((unsigned char) p[n] & 0xc0) == 0x80)
                                n--;
                }
                if (n > 0) {
                        int k = snprintf(buf, sizeof(buf), "<15>oslift: %.*s", (int) n, p);

                        /* The kernel echoes it to consoles with "debug". */
                        for (char *c = buf + strlen("<15>oslift: "); *c; c++)
                                *c = *c == '\t' ? ' ' : console_printable(*c);
                        if (write(s->fd, buf, (size_t) k) < 0 && errno != EINTR)
                                break;
                }
                p += n;
                if (*p == '\n')
                        p++;
        }
        errno = saved;
}

int console_open(const char *path, enum log_level max_level) {
        return open_sink(&console, path, max_level, console_sink);
}

int console_fd(void) {
        return console.fd;
}

int kmsg_open(const char *path, enum log_level max_level) {
        return open_sink(&kmsg, path, max_level, kmsg_sink);
}

static void ring_append(const char *p, size_t n) {
        ring.written += n;
        if (n > ring.size) {
                p += n - ring.size;
                n = ring.size;
        }
        while (n > 0) {
                size_t k = ring.size - ring.head < n ? ring.size - ring.head : n;

                memcpy(ring.buf + ring.head, p, k);
                ring.head = (ring.head + k) % ring.size;
                p += k;
                n -= k;
        }
}

static void ring_sink(enum log_level level, const char *line, void *userdata) {
        struct timespec ts;
        char prefix[32];
        int n;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        n = snprintf(prefix, sizeof(prefix), "[%6lld.%03ld] ", (long long) ts.tv_sec, ts.tv_nsec / 1000000);
        ring_append(prefix, (size_t) n);
        ring_append(line, strlen(line));
        ring_append("\n", 1);
}

int log_ring_open(size_t size) {
        int r;

        if (ring.buf)
                return -EBUSY;
        if (size == 0)
                return -EINVAL;
        ring.buf = malloc(size);
        if (!ring.buf)
                return -ENOMEM;
        ring.size = size;
        r = log_add_sink(ring_sink, NULL);
        if (r < 0) {
                free(ring.buf);
                ring.buf = NULL;
        }
        return r;
}

char *log_ring_text(size_t *ret_len) {
        char note[128] = "", *text;
        size_t len, start = 0, kept;

        if (!ring.buf)
                return NULL;
        kept = ring.written < ring.size ? (size_t) ring.written : ring.size;
        text = malloc(sizeof(note) + kept + 1);
        if (!text)
                return NULL;
        if (ring.written > ring.size) {
                /* Oldest first; the oldest line is cut, so it goes too. */
                memcpy(text, ring.buf + ring.head, ring.size - ring.head);
                memcpy(text + ring.size - ring.head, ring.buf, ring.head);
                while (start < kept && text[start++] != '\n')
                        ;
                snprintf(note, sizeof(note), "(the first %" PRIu64 " bytes of the log are not kept in memory)\n",
                         ring.written - (kept - start));
        } else
                memcpy(text, ring.buf, kept);
        len = strlen(note);
        memmove(text + len, text + start, kept - start);
        memcpy(text, note, len);
        len += kept - start;
        text[len] = '\0';
        *ret_len = len;
        return text;
}

/* The serial dump: liboslift/serial-dump-format.h. */

static size_t base64_encode(const unsigned char *in, size_t n, char *out) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t o = 0;

        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16;

                if (i + 1 < n)
                        v |= (uint32_t) in[i + 1] << 8;
                if (i + 2 < n)
                        v |= in[i + 2];
                out[o++] = alphabet[v >> 18 & 63];
                out[o++] = alphabet[v >> 12 & 63];
                out[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
                out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
        }
        return o;
}

int serial_dump_write(int fd, const char *text, size_t len) {
        _cleanup_free_ unsigned char *packed = NULL;
        uLongf packed_len = compressBound((uLong) len);
        size_t n_lines;
        char line[128];
        int n, r;

        if (len > UINT32_MAX)
                return -EFBIG;
        packed = malloc(packed_len);
        if (!packed)
                return -ENOMEM;
        if (compress2(packed, &packed_len, (const Bytef *) text, (uLong) len, Z_BEST_COMPRESSION) != Z_OK)
                return -EIO;
        n_lines = (packed_len + SERIAL_DUMP_BYTES_PER_LINE - 1) / SERIAL_DUMP_BYTES_PER_LINE;
        if (n_lines > SERIAL_DUMP_LINES_MAX)
                return -EFBIG;

        n = snprintf(line, sizeof(line),
                     SERIAL_DUMP_BEGIN_MARKER "%d" SERIAL_DUMP_FIELD_BYTES "%zu" SERIAL_DUMP_FIELD_LINES
                             "%zu" SERIAL_DUMP_FIELD_CRC32 "%08lx" SERIAL_DUMP_BEGIN_TAIL "\n",
                     SERIAL_DUMP_VERSION, len, n_lines, crc32(0, (const Bytef *) text, (uInt) len));
        r = console_write_drained(fd, line, (size_t) n);
        for (size_t i = 0; r == 0 && i < n_lines; i++) {
                size_t off = i * SERIAL_DUMP_BYTES_PER_LINE;
                size_t k = packed_len - off < SERIAL_DUMP_BYTES_PER_LINE ? packed_len - off : SERIAL_DUMP_BYTES_PER_LINE;

                n = snprintf(line, sizeof(line), SERIAL_DUMP_LINE_TAG "%05zu ", i + 1);
                n += (int) base64_encode(packed + off, k, line + n);
                n += snprintf(line + n, sizeof(line) - (size_t) n, " %08lx\n",
                              crc32(0, (const Bytef *) line, (uInt) n));
                r = console_write_drained(fd, line, (size_t) n);
        }
        if (r == 0)
                r = console_write_drained(fd, SERIAL_DUMP_END_LINE "\n", strlen(SERIAL_DUMP_END_LINE "\n"));
        return r;
}

int log_ring_dump(void) {
        _cleanup_free_ char *text = NULL;
        size_t len;

        text = log_ring_text(&len);
        if (!text)
                return ring.buf ? -ENOMEM : -ENODATA;
        return serial_dump_write(console.fd >= 0 ? console.fd : STDERR_FILENO, text, len);
}

void progress_eta_enable(bool enable) {
        eta.enabled = enable;
        eta.started = false;
}

static unsigned round_up(double x, unsigned step) {
        unsigned v = x < 0 ? 0 : x > 1e9 ? 1000000000u : (unsigned) x;
        return (v + step - 1) / step * step;
}

const char *progress_eta_format(unsigned first_done, unsigned done, unsigned total, double elapsed,
                                char buf[static PROGRESS_ETA_SIZE]) {
        double left;
        unsigned s;

        buf[0] = '\0';
        /* Elements first_done .. done - 1 took elapsed; done .. total remain. */
        if (total == 0 || done <= first_done || done > total || (uint64_t) done * 10 < total || elapsed < 0)
                return buf;
        left = elapsed / (done - first_done) * (total - done + 1);
        s = round_up(left, 5);
        if (s < 5)
                s = 5;
        if (s < 60)
                snprintf(buf, PROGRESS_ETA_SIZE, ", about %u s left", s);
        else if (s < 3600)
                snprintf(buf, PROGRESS_ETA_SIZE, ", about %u min left", (s + 30) / 60);
        else
                snprintf(buf, PROGRESS_ETA_SIZE, ", about %u h %u min left", (s + 30) / 60 / 60, (s + 30) / 60 % 60);
        return buf;
}

const char *progress_eta(unsigned done, unsigned total, char buf[static PROGRESS_ETA_SIZE]) {
        struct timespec now;

        buf[0] = '\0';
        if (!eta.enabled)
                return buf;
        clock_gettime(CLOCK_MONOTONIC, &now);
        /* A new transaction, or the first element of this one. */
        if (!eta.started || done < eta.last_done) {
                eta.started = true;
                eta.first_done = done;
                eta.first = now;
        }
        eta.last_done = done;
        return progress_eta_format(eta.first_done, done, total,
                                   (double) (now.tv_sec - eta.first.tv_sec) +
                                           (double) (now.tv_nsec - eta.first.tv_nsec) / 1e9,
                                   buf);
}
