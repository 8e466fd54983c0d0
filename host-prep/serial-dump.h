/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading back the log that the upgrader dumped on the console when it could
 * not write it to disk (docs/serial-dump.md; the writer is
 * serial_dump_write() in upgrader/console.c), from a capture of that
 * console: CRLF or CR line ends, escape sequences, kernel and systemd lines
 * in between, other boots before and after.
 *
 * The input is whatever an operator saved: every size is capped and nothing
 * in it is trusted; the decoder is meant to be fuzzed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Larger captures are refused; host-prep log reads the last this-many bytes
 * of a larger file (a dump is at most about 7.5 MiB, a real one ~100 KiB). */
#define SERIAL_DUMP_CAPTURE_MAX (64u * 1024u * 1024u)
/* The largest log text a dump may announce (the ring holds 256 KiB). */
#define SERIAL_DUMP_TEXT_MAX (64u * 1024u * 1024u)

struct serial_dump {
        /* The log (NUL-terminated, len bytes). On failure, when the lines
         * before the first lost one could be decoded, the text they carry:
         * what --partial shows; NULL otherwise. */
        char *log;
        size_t len;
        /* On failure: log holds all of it, and it checks out (only the END
         * line is missing). */
        bool log_complete;
        /* On failure, what went wrong, naming the capture; NULL on success
         * and when out of memory. */
        char *error;
        unsigned n_dumps;  /* BEGIN lines in the capture */
        size_t begin_line; /* line of the decoded dump's BEGIN, 1-based; 0: none */
        size_t earlier_end_line; /* line of the END of the dump before it; 0: none */
        unsigned rejoined; /* data lines that a console message had split */
};

/*
 * Decodes the last dump in capture (len bytes, need not be NUL-terminated,
 * may hold NULs). name is how messages call the capture ("console.txt").
 * Returns 0, or:
 *   -ENODATA          no dump (or one that lost its BEGIN line)
 *   -EBADMSG          the dump is cut off, garbled or does not check out
 *   -EPROTONOSUPPORT  a dump format version this decoder does not know
 *   -EFBIG            the capture is larger than SERIAL_DUMP_CAPTURE_MAX
 *   -ENOMEM
 * Fills *ret in every case; free it with serial_dump_done().
 */
int serial_dump_parse(const char *name, const char *capture, size_t len, struct serial_dump *ret);
void serial_dump_done(struct serial_dump *d);

/*
 * The same as a plain function (for libFuzzer): on success the log in
 * *ret_log (NUL-terminated, *ret_len bytes) and NULL in *ret_error; on
 * failure the message in *ret_error (NULL when out of memory) and the
 * partial text, if any, in *ret_log. The caller frees both.
 */
int serial_dump_decode(const char *capture, size_t len, char **ret_log, size_t *ret_len, char **ret_error);
