/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upgrader: applies a staged upgrade plan offline. At boot it runs inside
 * the upgrade initramfs; with --root it applies the plan to a directory.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "apply.h"
#include "boot.h"
#include "checkpoint.h"
#include "fsutil.h"
#include "kernel-args.h"
#include "log.h"
#include "number.h"
#include "rpm-setup.h"
#include "version.h"

/* Stable: scripts and tests tell the outcomes apart by them. */
enum {
        EXIT_OK = 0,          /* applied */
        EXIT_REFUSED = 1,     /* nothing was changed */
        EXIT_USAGE = 2,
        EXIT_INCOMPLETE = 3,  /* changed things, then stopped: run again to resume */
        EXIT_GAVE_UP = 4,     /* the attempt limit is reached */
        EXIT_APPLIED_WITH_PROBLEMS = 5, /* applied, but rpm failed some packages (kept at their old version) */
        EXIT_ROLLED_BACK_WITH_PROBLEMS = 6, /* rolled back, but files do not match the old rpmdb */
};

static void help(void) {
        printf("Usage: upgrader [--root DIR [--max-attempts N] [--checkpoint-every K]]\n"
               "\n"
               "Applies the upgrade plan that 'host-prep stage' wrote. Without --root it\n"
               "runs as the upgrade environment's payload at boot.\n"
               "\n"
               "Options:\n"
               "  --root DIR            apply the plan staged in DIR to DIR (no mounting, no reboot);\n"
               "                        an interrupted run resumes when started again\n"
               "  --max-attempts N      give up after N attempts that did not finish (default %d)\n"
               "  --checkpoint-every K  make progress durable every K packages (default %d)\n"
               "  -h, --help            show this help\n"
               "  --version             show the versions of oslift, librpm, libblkid and libmount\n"
               "\n"
               "Exit status: 0 applied, 1 refused (nothing was changed), 2 usage error,\n"
               "3 stopped after changing the system (run again to resume), 4 gave up,\n"
               "5 applied with problems (rpm failed some packages, which keep their old version),\n"
               "6 rolled back with problems (files that do not match the old rpmdb, named).\n"
               "After 'host-prep rollback' it puts the old system back instead.\n"
               "Kernel arguments and files: upgrader(8).\n",
               APPLY_MAX_ATTEMPTS_DEFAULT, CHECKPOINT_EVERY_DEFAULT);
}

static int parse_count(const char *arg, const char *option, unsigned *ret) {
        if (!parse_unsigned_range(arg, 1, 100000, ret)) {
                log_error("%s %s: not a whole number from 1 to 100000", option, arg);
                return -EINVAL;
        }
        return 0;
}

int main(int argc, char **argv) {
        enum { OPT_ROOT = 0x100, OPT_VERSION, OPT_MAX_ATTEMPTS, OPT_CHECKPOINT_EVERY };
        static const struct option options[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
                { "checkpoint-every", required_argument, NULL, OPT_CHECKPOINT_EVERY },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        struct apply_options opts = {};
        const char *root = NULL;
        struct stat st;
        int c;

        log_set_program("upgrader");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case OPT_ROOT:
                        root = optarg;
                        break;
                case OPT_MAX_ATTEMPTS:
                        if (parse_count(optarg, "--max-attempts", &opts.max_attempts) < 0)
                                return EXIT_USAGE;
                        break;
                case OPT_CHECKPOINT_EVERY:
                        if (parse_count(optarg, "--checkpoint-every", &opts.checkpoint_every) < 0)
                                return EXIT_USAGE;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                case OPT_VERSION:
                        print_version("upgrader");
                        return EXIT_OK;
                default:
                        log_error("see 'upgrader --help'");
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                log_error("unexpected argument '%s'; see 'upgrader --help'", argv[optind]);
                return EXIT_USAGE;
        }
        if (!root) {
                if (opts.max_attempts || opts.checkpoint_every) {
                        log_error("--max-attempts and --checkpoint-every go with --root; at boot they are "
                                  OSLIFT_ARG_ATTEMPTS "= and " OSLIFT_ARG_CHECKPOINT "= on the kernel command line");
                        return EXIT_USAGE;
                }
                return boot_main();
        }
        if (strlen(root) > ROOT_PATH_MAX) {
                log_error("--root is longer than %d bytes; use a shorter path to the same directory",
                          ROOT_PATH_MAX);
                return EXIT_USAGE;
        }
        if (root[0] != '/' || stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
                log_error("--root %s: not an absolute path to a directory", root);
                return EXIT_USAGE;
        }
        if (rpm_setup() < 0)
                return EXIT_REFUSED;

        switch (apply_plan(root, &opts)) {
        case APPLY_APPLIED:
        case APPLY_ROLLED_BACK:
                return EXIT_OK;
        case APPLY_ROLLED_BACK_WITH_PROBLEMS:
                return EXIT_ROLLED_BACK_WITH_PROBLEMS;
        case APPLY_APPLIED_WITH_PROBLEMS:
                return EXIT_APPLIED_WITH_PROBLEMS;
        case APPLY_REFUSED:
                return EXIT_REFUSED;
        case APPLY_RESUMABLE:
                return EXIT_INCOMPLETE;
        case APPLY_GAVE_UP:
        default:
                return EXIT_GAVE_UP;
        }
}
