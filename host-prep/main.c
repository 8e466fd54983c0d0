/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host-prep: runs on the system to be upgraded. Checks it, stages the target
 * release's packages and arms the boot into the upgrade environment.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "host-prep.h"
#include "log.h"
#include "rpmdb.h"
#include "rpm-setup.h"
#include "terminal.h"
#include "version.h"

static const struct subcommand {
        const char *name;
        int (*run)(const struct context *ctx, int argc, char **argv);
        const char *summary;
} subcommands[] = {
        { "check", cmd_check, "report what would block or change in an upgrade (read-only)" },
        { "stage", cmd_stage, "check, then stage the packages and the plan for the upgrader" },
        { "status", cmd_status, "show the state of a staged or applied upgrade" },
        { "cancel", cmd_cancel, "remove everything stage wrote" },
        { "restore", cmd_restore, "finish an applied upgrade: restore settings, report, clean up" },
        { "log", cmd_log, "show the last upgrade's log and report" },
        { "rollback", cmd_rollback, "ask for the old system back from the upgrade's undo set" },
        { "commit", cmd_commit, "keep the upgrade: remove its undo set" },
        { "verify", cmd_verify, "run stage --verify's health check; roll back when it fails" },
        { "inventory", cmd_inventory, "list installed packages and the rpmdb format (read-only)" },
};

static void help(void) {
        printf("Usage: host-prep [--root DIR] [--json] [--quiet] COMMAND [OPTIONS]\n"
               "       (the options before the command may also follow it)\n"
               "\n"
               "Prepares an RPM-based system for an offline upgrade to a new release.\n"
               "\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(subcommands); i++)
                printf("  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
        printf("\n"
               "Options:\n"
               "  --root DIR   act on the system installed in DIR instead of /\n"
               "  --json       one JSON document on stdout (check, stage, status, log, ...)\n"
               "  -q, --quiet  no progress or summaries: only what was asked for, and problems\n"
               "  -h, --help   show this help\n"
               "  --version    show the versions of oslift, librpm, libblkid and libmount\n"
               "\n"
               "check and stage refuse a plan that leaves no kernel, /bin/sh, rpm, init system or\n"
               "boot loader where the system has one, unless given --force-unprotected.\n"
               "\n"
               "Exit status: 0 success, 1 blocked, 2 usage error, 3 operation failed.\n"
               "'host-prep COMMAND --help' for a command's options; the manual: host-prep(8).\n");
}

/* The global options are accepted after the command too, as systemctl, dnf
 * and podman accept theirs ("host-prep status --json"): takes --root DIR,
 * --root=DIR, --json, --quiet and -q out of the command's arguments (up to
 * a "--"), leaving the rest in order. Returns 0, or -EINVAL for a --root
 * without its directory. */
static int take_global_options(struct context *ctx, int *argc, char **argv) {
        int out = 1, i;

        for (i = 1; i < *argc; i++) {
                const char *a = argv[i];

                if (strcmp(a, "--") == 0)
                        break;
                if (strcmp(a, "--json") == 0)
                        ctx->json = true;
                else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
                        ctx->quiet = true;
                else if (strncmp(a, "--root=", strlen("--root=")) == 0)
                        ctx->root = a + strlen("--root=");
                else if (strcmp(a, "--root") == 0) {
                        if (i + 1 >= *argc) {
                                log_error("--root needs a directory");
                                return -EINVAL;
                        }
                        ctx->root = argv[++i];
                } else
                        argv[out++] = argv[i];
        }
        for (; i < *argc; i++)
                argv[out++] = argv[i];
        argv[out] = NULL;
        *argc = out;
        return 0;
}

static const struct subcommand *find_subcommand(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(subcommands); i++)
                if (strcmp(subcommands[i].name, name) == 0)
                        return &subcommands[i];
        return NULL;
}

int main(int argc, char **argv) {
        enum { OPT_ROOT = 0x100, OPT_JSON, OPT_VERSION };
        static const struct option options[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "json", no_argument, NULL, OPT_JSON },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        struct context ctx = { .root = "/" };
        const struct subcommand *cmd;
        struct stat st;
        int c;

        log_set_program("host-prep");
        log_set_colour(colour_wanted(STDERR_FILENO));
        /* "+": stop at the command; take_global_options() finds ours after it. */
        while ((c = getopt_long(argc, argv, "+hq", options, NULL)) >= 0) {
                switch (c) {
                case OPT_ROOT:
                        ctx.root = optarg;
                        break;
                case OPT_JSON:
                        ctx.json = true;
                        break;
                case 'q':
                        ctx.quiet = true;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                case OPT_VERSION:
                        print_version("host-prep");
                        return EXIT_OK;
                default:
                        log_error("see 'host-prep --help'");
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                log_error("no command given; see 'host-prep --help'");
                return EXIT_USAGE;
        }
        cmd = find_subcommand(argv[optind]);
        if (!cmd) {
                log_error("unknown command '%s'; see 'host-prep --help'", argv[optind]);
                return EXIT_USAGE;
        }
        argc -= optind;
        argv += optind;
        if (take_global_options(&ctx, &argc, argv) < 0)
                return EXIT_USAGE;
        if (ctx.root[0] != '/') {
                log_error("--root needs an absolute path, got '%s'", ctx.root);
                return EXIT_USAGE;
        }
        if (strlen(ctx.root) > ROOT_PATH_MAX) {
                log_error("--root is longer than %d bytes; use a shorter path to the same directory",
                          ROOT_PATH_MAX);
                return EXIT_USAGE;
        }
        if (stat(ctx.root, &st) < 0 || !S_ISDIR(st.st_mode)) {
                log_error("--root %s: not a directory", ctx.root);
                return EXIT_USAGE;
        }
        /* stdout is the JSON document's alone; quiet keeps problems only. */
        log_set_info_to_stderr(ctx.json);
        if (ctx.quiet)
                log_set_max_level(LOG_LEVEL_WARNING);
        ctx.colour = !ctx.json && colour_wanted(STDOUT_FILENO);
        if (rpm_setup() < 0)
                return EXIT_FAILED;

        optind = 0; /* reset getopt for the subcommand */
        /* What only reads the rpmdb leaves it as it was, ndb's index too. */
        if (cmd->run == cmd_check || cmd->run == cmd_stage || cmd->run == cmd_inventory) {
                struct rpmdb_index_guard guard;
                int rc;

                (void) rpmdb_index_guard_begin(ctx.root, &guard);
                rc = cmd->run(&ctx, argc, argv);
                rpmdb_index_guard_end(&guard);
                return rc;
        }
        return cmd->run(&ctx, argc, argv);
}
