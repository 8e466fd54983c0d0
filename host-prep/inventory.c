/* SPDX-License-Identifier: GPL-2.0-or-later */
/* host-prep inventory: what the rpmdb of the root holds, read-only. */
#include <getopt.h>
#include <rpm/header.h>
#include <rpm/rpmtag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-prep.h"
#include "json.h"
#include "log.h"
#include "rpmdb.h"

struct nevra_list {
        char **items;
        size_t n, allocated;
};

static int collect_nevra(Header h, void *userdata) {
        struct nevra_list *l = userdata;
        char *nevra = headerGetAsString(h, RPMTAG_NEVRA);

        if (!nevra)
                return -ENOMEM;
        if (l->n == l->allocated) {
                size_t n = l->allocated ? l->allocated * 2 : 64;
                char **p = realloc(l->items, n * sizeof(*p));
                if (!p) {
                        free(nevra);
                        return -ENOMEM;
                }
                l->items = p;
                l->allocated = n;
        }
        l->items[l->n++] = nevra;
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void nevra_list_free(struct nevra_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i]);
        free(l->items);
}

int cmd_inventory(const struct context *ctx, int argc, char **argv) {
        static const struct option options[] = { { "help", no_argument, NULL, 'h' }, {} };
        _cleanup_(nevra_list_free) struct nevra_list list = {};
        enum rpmdb_backend backend;
        _cleanup_free_ char *error = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        printf("Usage: host-prep [--root DIR] [--json] inventory\n"
                               "Lists the installed packages (NEVRA) and the rpmdb format.\n");
                        return EXIT_OK;
                }
                return EXIT_USAGE;
        }
        if (optind < argc) {
                log_error("inventory takes no arguments, got '%s'", argv[optind]);
                return EXIT_USAGE;
        }

        r = rpmdb_detect_backend(ctx->root, &backend);
        if (r < 0)
                return log_error_errno(r, "cannot locate the rpmdb in %s", ctx->root), EXIT_FAILED;
        if (backend == RPMDB_BACKEND_NONE) {
                log_error("no rpm database in %s (looked for rpmdb.sqlite, Packages.db, Packages)",
                          ctx->root);
                return EXIT_FAILED;
        }
        r = rpmdb_foreach_installed(ctx->root, collect_nevra, &list, &error);
        if (r == -EBADMSG) {
                log_error("the %s rpmdb in %s is damaged: %s; run 'rpm --rebuilddb' on the system "
                          "(after a backup of %s), then look again",
                          rpmdb_backend_name(backend), ctx->root, error, "/var/lib/rpm");
                return EXIT_FAILED;
        }
        if (r == -EBUSY)
                return EXIT_FAILED; /* who holds it is said */
        if (r < 0) {
                log_error("the %s rpmdb in %s cannot be read", rpmdb_backend_name(backend),
                          ctx->root);
                return EXIT_FAILED;
        }
        qsort(list.items, list.n, sizeof(*list.items), compare_strings);

        if (ctx->json) {
                printf("{\"root\":");
                json_write_string(stdout, ctx->root);
                printf(",\"backend\":\"%s\",\"packages\":[", rpmdb_backend_name(backend));
                for (size_t i = 0; i < list.n; i++) {
                        if (i)
                                putchar(',');
                        json_write_string(stdout, list.items[i]);
                }
                printf("]}\n");
        } else {
                printf("# rpmdb backend: %s, %zu packages\n", rpmdb_backend_name(backend), list.n);
                for (size_t i = 0; i < list.n; i++)
                        printf("%s\n", list.items[i]);
        }
        return EXIT_OK;
}
