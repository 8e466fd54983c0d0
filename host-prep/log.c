/* SPDX-License-Identifier: GPL-2.0-or-later */
/* host-prep log: the last upgrade's log and report, where an operator
 * looks first when something went wrong. */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fsutil.h"
#include "host-prep.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "serial-dump.h"

static int print_file(const char *root, const char *path, const char *title) {
        char full[PATH_MAX], buf[1 << 16];
        _cleanup_fclose_ FILE *f = NULL;
        size_t n;

        int r = path_in_root(full, sizeof(full), root, path);

        if (r < 0)
                return r;
        /* Not out of the root, not hanging on a FIFO. */
        f = fopen_in_root(root, path, 0);
        if (!f)
                return negative_errno();
        printf("==> %s (%s) <==\n", title, full);
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                fwrite(buf, 1, n, stdout);
        return 0;
}

/* What --json takes of a log: its end, where a failure is. */
#define LOG_JSON_MAX (64u << 20)

/*
 * A file of the log directory for --json: whole, or its last LOG_JSON_MAX
 * bytes (*ret_cut). -ENOENT when there is none.
 */
static int read_log_file(const char *root, const char *path, char **ret, size_t *ret_len, bool *ret_cut) {
        _cleanup_free_ char *full = root_path_join(root, path);
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (!full)
                return -ENOMEM;
        fd = open_regular_at(AT_FDCWD, full);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        *ret_cut = st.st_size > (off_t) LOG_JSON_MAX;
        if (*ret_cut && lseek(fd, st.st_size - (off_t) LOG_JSON_MAX, SEEK_SET) < 0)
                return negative_errno();
        return read_bounded(fd, LOG_JSON_MAX, (size_t) (*ret_cut ? LOG_JSON_MAX : st.st_size), ret, ret_len);
}

/*
 * host-prep --json log: one object, {"root", "boot_log" and "upgrade_log":
 * each {"path", "text", "truncated"} or null, "report": report.json's
 * object or null}.
 * report.json goes in as it is when it is one JSON value; the upgrade log,
 * which quotes scriptlets, as a string made safe by json_write_string_len().
 */
struct log_text {
        char *path, *text;
        size_t len;
        bool cut;
};

static void log_text_done(struct log_text *l) {
        free(l->path);
        free(l->text);
}

/* A log file of the root for the JSON output; a missing one stays NULL. */
static int log_text_read(const struct context *ctx, const char *file, struct log_text *ret) {
        int r;

        *ret = (struct log_text) { .path = root_path_join(ctx->root, file) };
        if (!ret->path)
                return -ENOMEM;
        r = read_log_file(ctx->root, file, &ret->text, &ret->len, &ret->cut);
        if (r < 0 && r != -ENOENT)
                log_warning("cannot read %s: %s", ret->path, strerror(-r));
        return 0;
}

static void log_text_write(const char *key, const struct log_text *l) {
        printf(",\"%s\":", key);
        if (!l->text) {
                printf("null");
                return;
        }
        printf("{\"path\":");
        json_write_string(stdout, l->path);
        printf(",\"text\":");
        json_write_string_len(stdout, l->text, l->len);
        printf(",\"truncated\":%s}", l->cut ? "true" : "false");
}

static int log_json(const struct context *ctx) {
        _cleanup_free_ char *report = NULL, *report_path = NULL;
        struct log_text boot = {}, upgrade = {};
        size_t report_len = 0;
        bool report_cut = false;
        int r;

        report_path = root_path_join(ctx->root, OSLIFT_REPORT_JSON);
        if (!report_path || log_text_read(ctx, OSLIFT_BOOT_LOG, &boot) < 0 ||
            log_text_read(ctx, OSLIFT_UPGRADE_LOG, &upgrade) < 0) {
                log_text_done(&boot);
                log_text_done(&upgrade);
                return log_error_errno(-ENOMEM, "cannot show the log"), EXIT_FAILED;
        }
        r = read_log_file(ctx->root, OSLIFT_REPORT_JSON, &report, &report_len, &report_cut);
        if (r < 0 && r != -ENOENT)
                log_warning("cannot read %s: %s", report_path, strerror(-r));
        if (report && (report_cut || !json_valid(report, report_len))) {
                log_warning("%s is not a JSON document; leaving it out (report.txt beside it has the report)",
                            report_path);
                free(TAKE_PTR(report));
        }
        if (!boot.text && !upgrade.text && !report) {
                _cleanup_free_ char *dir = root_path_join(ctx->root, OSLIFT_LOG_DIR);
                log_error("no upgrade log or report in %s: no upgrade has run here", dir ?: OSLIFT_LOG_DIR);
                log_text_done(&boot);
                log_text_done(&upgrade);
                return EXIT_FAILED;
        }

        printf("{\"root\":");
        json_write_string(stdout, ctx->root);
        log_text_write("boot_log", &boot);
        log_text_write("upgrade_log", &upgrade);
        log_text_done(&boot);
        log_text_done(&upgrade);
        printf(",\"report\":");
        if (report) {
                /* Without the whitespace around it: one line, like our other documents. */
                size_t start = strspn(report, " \t\r\n"), end = report_len;

                while (end > start && strchr(" \t\r\n", report[end - 1]))
                        end--;
                fwrite(report + start, 1, end - start, stdout);
        } else
                printf("null");
        printf("}\n");
        if (fflush(stdout) != 0)
                return log_error_errno(negative_errno(), "cannot write the log"), EXIT_FAILED;
        return EXIT_OK;
}

/*
 * A console capture ("-": stdin), whole or, when larger than the decoder
 * takes, its end (*ret_cut): the dump to read is the last one.
 */
static int read_capture(const char *path, char **ret, size_t *ret_len, bool *ret_cut) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, cap = 1 << 16;
        struct stat st;

        *ret_cut = false;
        fd = strcmp(path, "-") == 0 ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
                                    : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (S_ISREG(st.st_mode) && st.st_size > (off_t) SERIAL_DUMP_CAPTURE_MAX) {
                if (lseek(fd, st.st_size - (off_t) SERIAL_DUMP_CAPTURE_MAX, SEEK_SET) < 0)
                        return negative_errno();
                *ret_cut = true;
        }
        buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                char chunk[1 << 16];
                ssize_t k = read(fd, chunk, sizeof(chunk));

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                if (size + (size_t) k > cap && cap < SERIAL_DUMP_CAPTURE_MAX) {
                        char *grown = realloc(buf, cap * 2);
                        if (!grown)
                                return -ENOMEM;
                        buf = grown;
                        cap *= 2;
                }
                if (size + (size_t) k > cap) {
                        /* A pipe or a growing file: keep the end, dropping
                         * half at a time. */
                        memmove(buf, buf + cap / 2, size - cap / 2);
                        size -= cap / 2;
                        *ret_cut = true;
                }
                memcpy(buf + size, chunk, (size_t) k);
                size += (size_t) k;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = size;
        return 0;
}

static int write_stdout(const char *p, size_t n) {
        if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0)
                return log_error_errno(negative_errno(), "cannot write the log");
        return 0;
}

/* host-prep log --from-serial: the log the upgrader dumped on the console
 * when no disk took it (docs/serial-dump.md). */
static int log_from_serial(const char *path, bool partial) {
        _cleanup_free_ char *capture = NULL;
        const char *name = strcmp(path, "-") == 0 ? "standard input" : path;
        char earlier[PATH_MAX + 160] = "", hint[96] = "";
        struct serial_dump d;
        size_t len = 0;
        bool cut = false;
        int r;

        r = read_capture(path, &capture, &len, &cut);
        if (r < 0) {
                log_error_errno(r, "cannot read %s", name);
                return EXIT_FAILED;
        }
        if (cut)
                log_warning("%s is larger than %u MiB: reading its last %u MiB only (line numbers count from "
                            "there)",
                            name, SERIAL_DUMP_CAPTURE_MAX >> 20, SERIAL_DUMP_CAPTURE_MAX >> 20);
        r = serial_dump_parse(name, capture, len, &d);
        if (r == -ENOMEM) {
                log_error_errno(r, "cannot decode %s", name);
                serial_dump_done(&d);
                return EXIT_FAILED;
        }
        if (d.earlier_end_line > 0 && strcmp(path, "-") != 0)
                snprintf(earlier, sizeof(earlier), "the dump before it ends at line %zu: 'head -n %zu %s | "
                         "host-prep log --from-serial -' reads that one", d.earlier_end_line, d.earlier_end_line,
                         path);
        if (r < 0) {
                if (d.log && partial) {
                        if (write_stdout(d.log, d.len) < 0) {
                                serial_dump_done(&d);
                                return EXIT_FAILED;
                        }
                        snprintf(hint, sizeof(hint), d.log_complete ? "; the log is above"
                                 : "; above: the %zu bytes of the log before that", d.len);
                } else if (d.log)
                        snprintf(hint, sizeof(hint), d.log_complete ? "; --partial shows the log"
                                 : "; --partial shows the %zu bytes of the log before that", d.len);
                log_error("%s%s%s%s", d.error, hint, earlier[0] ? "; " : "", earlier);
                serial_dump_done(&d);
                return EXIT_FAILED;
        }
        if (d.n_dumps > 1)
                log_warning("%s holds %u dumps: this is the last one, from line %zu%s%s", name, d.n_dumps,
                            d.begin_line, earlier[0] ? "; " : "", earlier);
        r = write_stdout(d.log, d.len);
        serial_dump_done(&d);
        return r < 0 ? EXIT_FAILED : EXIT_OK;
}

int cmd_log(const struct context *ctx, int argc, char **argv) {
        enum { OPT_FROM_SERIAL = 0x100, OPT_PARTIAL };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "from-serial", required_argument, NULL, OPT_FROM_SERIAL },
                { "partial", no_argument, NULL, OPT_PARTIAL },
                {},
        };
        const char *from_serial = NULL;
        bool partial = false;
        int c, shown = 0;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        printf("Usage: host-prep [--root DIR] [--json] log\n"
                               "       host-prep log --from-serial FILE [--partial]\n"
                               "Shows the last upgrade's log and report (--json: both in one object).\n"
                               "\n"
                               "  --from-serial FILE  the log the upgrader printed on the console when it could\n"
                               "                      not write it to disk, decoded from a capture of that\n"
                               "                      console (FILE, '-' for stdin); the last dump in it\n"
                               "  --partial           when that dump is cut off or damaged, show the part of\n"
                               "                      the log before the damage (exit status 3 all the same)\n"
                               "\n"
                               "See host-prep(8).\n");
                        return EXIT_OK;
                case OPT_FROM_SERIAL:
                        from_serial = optarg;
                        break;
                case OPT_PARTIAL:
                        partial = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                log_error("log takes no arguments, got '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (from_serial) {
                if (from_serial[0] == '\0') {
                        log_error("--from-serial needs a file name");
                        return EXIT_USAGE;
                }
                if (ctx->json) {
                        log_error("--json and --from-serial do not go together: the dump holds the log only");
                        return EXIT_USAGE;
                }
                return log_from_serial(from_serial, partial);
        }
        if (partial) {
                log_error("--partial goes with --from-serial");
                return EXIT_USAGE;
        }
        if (ctx->json)
                return log_json(ctx);
        /* In the order they were written: the boot's steps, the transaction, the report. */
        shown += print_file(ctx->root, OSLIFT_BOOT_LOG, "upgrade boot log") == 0;
        shown += print_file(ctx->root, OSLIFT_UPGRADE_LOG, "upgrade log") == 0;
        shown += print_file(ctx->root, OSLIFT_REPORT_TXT, "report") == 0;
        if (!shown) {
                char dir[PATH_MAX];

                if (path_in_root(dir, sizeof(dir), ctx->root, OSLIFT_LOG_DIR) < 0)
                        snprintf(dir, sizeof(dir), "%s", OSLIFT_LOG_DIR);
                log_error("no upgrade log or report in %s: no upgrade has run here", dir);
                return EXIT_FAILED;
        }
        return EXIT_OK;
}
