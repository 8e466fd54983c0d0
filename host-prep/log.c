/* SPDX-License-Identifier: GPL-2.0-or-later */
/* host-prep log: the last upgrade's log and report, where an operator
 * looks first when something went wrong. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fsutil.h"
#include "host-prep.h"
#include "log.h"
#include "paths.h"

static int print_file(const char *root, const char *path, const char *title) {
        char full[PATH_MAX], buf[1 << 16];
        _cleanup_fclose_ FILE *f = NULL;
        size_t n;

        path_in_root(full, sizeof(full), root, path);
        f = fopen(full, "re");
        if (!f)
                return negative_errno();
        printf("==> %s (%s) <==\n", title, full);
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                fwrite(buf, 1, n, stdout);
        return 0;
}

int cmd_log(const struct context *ctx, int argc, char **argv) {
        static const struct option options[] = { { "help", no_argument, NULL, 'h' }, {} };
        int c, shown = 0;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        printf("Usage: host-prep [--root DIR] [--json] log\n"
                               "Shows the last upgrade's log and report (--json: report.json).\n");
                        return EXIT_OK;
                }
                return EXIT_USAGE;
        }
        if (optind < argc) {
                log_error("log takes no arguments, got '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (ctx->json) {
                char full[PATH_MAX];
                path_in_root(full, sizeof(full), ctx->root, OSLIFT_REPORT_JSON);
                if (print_file(ctx->root, OSLIFT_REPORT_JSON, "report") < 0) {
                        log_error("no report in %s yet: restore writes it on the first boot of the "
                                  "new system", full);
                        return EXIT_FAILED;
                }
                return EXIT_OK;
        }
        shown += print_file(ctx->root, OSLIFT_UPGRADE_LOG, "upgrade log") == 0;
        shown += print_file(ctx->root, OSLIFT_REPORT_TXT, "report") == 0;
        if (!shown) {
                log_error("no upgrade log or report in %s%s: no upgrade has run here",
                          strcmp(ctx->root, "/") ? ctx->root : "", OSLIFT_LOG_DIR);
                return EXIT_FAILED;
        }
        return EXIT_OK;
}
