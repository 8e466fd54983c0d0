/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the upgrader's log goes at boot, besides stdout/stderr (the journal
 * of the initramfs, gone after the reboot) and upgrade.log (gone with the
 * disk when that is the problem):
 *
 *  - the console, which an admin watches or a hypervisor records: plain
 *    "[   12.345] text" lines, monotonic seconds, no escape codes, control
 *    characters shown as '?';
 *  - /dev/kmsg, "oslift: text" records, for dmesg, netconsole and pstore;
 *  - a bounded ring in memory, written out at the end or, when no disk takes
 *    it, dumped on the console (docs/serial-dump.md).
 *
 * Each sink is a log_add_sink() of log.h: everything logged reaches it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* The console sink: opens path (/dev/console) for writing and logs every
 * message up to max_level there. 0 or a negative errno. */
int console_open(const char *path, enum log_level max_level);

/* The console's fd (to write what is not a log message), -1 when closed. */
int console_fd(void);

/* The /dev/kmsg sink, likewise. */
int kmsg_open(const char *path, enum log_level max_level);

/* The in-memory ring: keeps the last size bytes of the log, every level,
 * in the log file's format ("[    12.345] warning: ...\n"). */
#define LOG_RING_SIZE (256u * 1024u)
int log_ring_open(size_t size);

/*
 * The ring's text, newly allocated and NUL-terminated (length in *ret_len);
 * when older messages were dropped it starts at a line boundary with a line
 * saying so. NULL when the ring is not open or out of memory.
 */
char *log_ring_text(size_t *ret_len);

/*
 * Writes text to fd as a serial dump: compressed, base64, checksummed,
 * between BEGIN and END lines of at most 80 columns (docs/serial-dump.md),
 * draining the tty after each line. 0 or a negative errno.
 */
int serial_dump_write(int fd, const char *text, size_t len);

/* The ring as a serial dump, on the console (stderr without one). */
int log_ring_dump(void);

/*
 * The estimate of the time left that the upgrader appends to its progress
 * lines at boot: ", about 4 min left", from the pace so far; "" until 10%
 * of the elements are done, and always "" unless enabled.
 */
#define PROGRESS_ETA_SIZE 48
void progress_eta_enable(bool enable);
const char *progress_eta(unsigned done, unsigned total, char buf[static PROGRESS_ETA_SIZE]);
/* The same from given numbers, for tests: elapsed seconds since element
 * first_done started, now that element done starts. */
const char *progress_eta_format(unsigned first_done, unsigned done, unsigned total, double elapsed,
                                char buf[static PROGRESS_ETA_SIZE]);
