/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upgrader: applies a staged upgrade plan offline. At boot it runs inside
 * the upgrade initramfs; with --root it applies the plan to a directory.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "apply.h"
#include "boot.h"
#include "log.h"
#include "rpm-setup.h"
#include "version.h"

enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
};

static void help(void) {
        printf("Usage: upgrader [--root DIR]\n"
               "\n"
               "Applies the upgrade plan that 'host-prep stage' wrote. Without --root it\n"
               "runs as the upgrade environment's payload at boot.\n"
               "\n"
               "Options:\n"
               "  --root DIR   apply the plan staged in DIR to DIR (no mounting, no reboot)\n"
               "  -h, --help   show this help\n"
               "  --version    show the versions of oslift, librpm, libblkid and libmount\n"
               "\n"
               "Kernel arguments, files and exit status: upgrader(8).\n");
}

int main(int argc, char **argv) {
        enum { OPT_ROOT = 0x100, OPT_VERSION };
        static const struct option options[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        const char *root = NULL;
        struct stat st;
        int c;

        log_set_program("upgrader");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case OPT_ROOT:
                        root = optarg;
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
        if (!root)
                return boot_main();
        if (root[0] != '/' || stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
                log_error("--root %s: not an absolute path to a directory", root);
                return EXIT_USAGE;
        }
        if (rpm_setup() < 0)
                return EXIT_FAILED;

        return apply_plan(root) < 0 ? EXIT_FAILED : EXIT_OK;
}
