/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The options check and stage share (assess_options_parse() in assess.h),
 * stage's --no-boot and --reboot among them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accept.h"
#include "assess.h"
#include "boot-entry.h"
#include "kernel-args.h"
#include "log.h"
#include "number.h"
#include "pes.h"
#include "plan.h"
#include "strv.h"

int assess_options_parse(struct assess_options *o, const char *command, int argc, char **argv) {
        enum { OPT_PACKAGES = 0x100, OPT_REPO, OPT_PACKAGE_MAP, OPT_KEY, OPT_ERASE, OPT_ALLOW_ERASING, OPT_ALLOW_DOWNGRADE,
               OPT_INSTALL_ONLY, OPT_NO_BOOT, OPT_REBOOT, OPT_FORCE_UNPROTECTED, OPT_ACCEPT,
               OPT_ACCEPT_FILE, OPT_SOURCE_KEYS, OPT_BOOT_INITRAMFS, OPT_PES, OPT_PES_RELEASE, OPT_REPOMAP,
               OPT_UPGRADE_ARG, OPT_MODULE_STREAM, OPT_VERDICTS, OPT_ROLLBACK,
               OPT_VERIFY, OPT_VERIFY_TIMEOUT };
        static const struct option options[] = {
                { "packages", required_argument, NULL, OPT_PACKAGES },
                { "repo", required_argument, NULL, OPT_REPO },
                { "package-map", required_argument, NULL, OPT_PACKAGE_MAP },
                { "pes", required_argument, NULL, OPT_PES },
                { "pes-release", required_argument, NULL, OPT_PES_RELEASE },
                { "repomap", required_argument, NULL, OPT_REPOMAP },
                { "module-stream", required_argument, NULL, OPT_MODULE_STREAM },
                { "key", required_argument, NULL, OPT_KEY },
                { "erase", required_argument, NULL, OPT_ERASE },
                { "allow-erasing", no_argument, NULL, OPT_ALLOW_ERASING },
                { "allow-downgrade", no_argument, NULL, OPT_ALLOW_DOWNGRADE },
                { "install-only", required_argument, NULL, OPT_INSTALL_ONLY },
                { "force-unprotected", no_argument, NULL, OPT_FORCE_UNPROTECTED },
                { "no-boot", no_argument, NULL, OPT_NO_BOOT },
                { "reboot", no_argument, NULL, OPT_REBOOT },
                { "accept", required_argument, NULL, OPT_ACCEPT },
                { "accept-file", required_argument, NULL, OPT_ACCEPT_FILE },
                { "source-keys", required_argument, NULL, OPT_SOURCE_KEYS },
                { "boot-initramfs", required_argument, NULL, OPT_BOOT_INITRAMFS },
                { "upgrade-arg", required_argument, NULL, OPT_UPGRADE_ARG },
                { "verdicts", no_argument, NULL, OPT_VERDICTS },
                { "rollback", required_argument, NULL, OPT_ROLLBACK },
                { "verify", required_argument, NULL, OPT_VERIFY },
                { "verify-timeout", required_argument, NULL, OPT_VERIFY_TIMEOUT },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case OPT_PACKAGES:
                        strv_push(&o->package_dirs, &o->n_package_dirs, optarg);
                        break;
                case OPT_REPO:
                        strv_push(&o->repo_dirs, &o->n_repo_dirs, optarg);
                        break;
                case OPT_PACKAGE_MAP:
                        o->package_map = optarg;
                        break;
                case OPT_PES:
                        strv_push(&o->pes_files, &o->n_pes_files, optarg);
                        break;
                case OPT_REPOMAP:
                        o->repomap = optarg;
                        break;
                case OPT_PES_RELEASE: {
                        struct pes_release from, to;
                        _cleanup_free_ char *copy = strdup(optarg);
                        char *colon = copy ? strchr(copy, ':') : NULL;

                        if (colon)
                                *colon = '\0';
                        if (!colon || pes_release_parse(copy, &from) < 0 || pes_release_parse(colon + 1, &to) < 0 ||
                            pes_release_compare(from, to) >= 0) {
                                log_error("%s: --pes-release %s: give SOURCE:TARGET, each MAJOR or MAJOR.MINOR, "
                                          "the source before the target (7.9:8.10)", command, optarg);
                                return -EINVAL;
                        }
                        o->pes_release = optarg;
                        break;
                }
                case OPT_MODULE_STREAM: {
                        const char *colon = strchr(optarg, ':');
                        size_t len = colon ? (size_t) (colon - optarg) : 0;

                        /* dnf enables one stream per module. */
                        if (!colon || len == 0 || !colon[1] || strchr(colon + 1, ':') || strpbrk(optarg, " \t/")) {
                                log_error("%s: --module-stream %s: give NAME:STREAM (nodejs:18), as "
                                          "'dnf module list' names them", command, optarg);
                                return -EINVAL;
                        }
                        for (size_t i = 0; i < o->n_module_streams; i++)
                                if (strncmp(o->module_streams[i], optarg, len + 1) == 0 &&
                                    strcmp(o->module_streams[i], optarg) != 0) {
                                        log_error("%s: --module-stream %s and %s: a module has one enabled "
                                                  "stream; give one of them", command, o->module_streams[i], optarg);
                                        return -EINVAL;
                                }
                        strv_push(&o->module_streams, &o->n_module_streams, optarg);
                        break;
                }
                case OPT_KEY:
                        strv_push(&o->keys, &o->n_keys, optarg);
                        break;
                case OPT_ERASE:
                        strv_push(&o->erase, &o->n_erase, optarg);
                        break;
                case OPT_ALLOW_ERASING:
                        o->allow_erasing = true;
                        break;
                case OPT_ALLOW_DOWNGRADE:
                        o->allow_downgrade = true;
                        break;
                case OPT_FORCE_UNPROTECTED:
                        o->force_unprotected = true;
                        break;
                case OPT_INSTALL_ONLY:
                        strv_push(&o->install_only, &o->n_install_only, optarg);
                        break;
                case OPT_ACCEPT:
                        r = accept_validate(optarg, "--accept");
                        if (r < 0)
                                return r;
                        strv_push(&o->accept, &o->n_accept, optarg);
                        break;
                case OPT_ACCEPT_FILE:
                        r = accept_read_file(optarg, &o->accept, &o->n_accept);
                        if (r < 0)
                                return r;
                        break;
                case OPT_SOURCE_KEYS:
                        if (access(optarg, R_OK) < 0) {
                                log_error("%s: --source-keys %s cannot be read: give a file of the source "
                                          "distribution's key ids (one a line, or Leapp's "
                                          "gpg-signatures.json)", command, optarg);
                                return -EINVAL;
                        }
                        strv_push(&o->source_keys, &o->n_source_keys, optarg);
                        break;
                case OPT_VERDICTS:
                        o->list_verdicts = true;
                        break;
                case OPT_BOOT_INITRAMFS:
                        /* dracut builds for the system it runs on: another
                         * root's image is built there or by hand. */
                        if (strcmp(o->root, "/") == 0) {
                                log_error("%s: --boot-initramfs is for --root DIR; for the running system "
                                          "stage builds the upgrade initramfs with dracut", command);
                                return -EINVAL;
                        }
                        if (strncmp(optarg, "/boot/", 6) != 0 || strstr(optarg, "/../") || strchr(optarg, ' ')) {
                                log_error("%s: --boot-initramfs %s: give the image as a path inside the root, "
                                          "below /boot (/boot/oslift-upgrade-KVER.img)", command, optarg);
                                return -EINVAL;
                        }
                        o->boot_initramfs = optarg;
                        break;
                case OPT_UPGRADE_ARG:
                        if (strcmp(command, "stage") != 0) {
                                log_error("%s: --upgrade-arg belongs to stage", command);
                                return -EINVAL;
                        }
                        if (!boot_entry_upgrade_arg_valid(optarg)) {
                                log_error("%s: --upgrade-arg '%s' is not one the upgrader takes: give "
                                          OSLIFT_ARG_ATTEMPTS "=N (%u-%u), " OSLIFT_ARG_CHECKPOINT "=N (%u-%u), "
                                          OSLIFT_ARG_WATCHDOG "=SECONDS (%u-%u, 0: off), " OSLIFT_ARG_BREAK
                                          " or " OSLIFT_ARG_DEBUG " (see upgrader(8))",
                                          command, optarg, OSLIFT_ARG_ATTEMPTS_MIN, OSLIFT_ARG_ATTEMPTS_MAX,
                                          OSLIFT_ARG_CHECKPOINT_MIN, OSLIFT_ARG_CHECKPOINT_MAX,
                                          OSLIFT_ARG_WATCHDOG_MIN, OSLIFT_ARG_WATCHDOG_MAX);
                                return -EINVAL;
                        }
                        if (strv_push(&o->upgrade_args, &o->n_upgrade_args, optarg) < 0)
                                return -ENOMEM;
                        break;
                case OPT_ROLLBACK:
                        if (strcmp(command, "stage") != 0) {
                                log_error("%s: --rollback belongs to stage", command);
                                return -EINVAL;
                        }
                        if (strcmp(optarg, "links") == 0)
                                o->rollback_none = false;
                        else if (strcmp(optarg, "none") == 0)
                                o->rollback_none = true;
                        else {
                                log_error("%s: --rollback %s: give links (keep an undo set, the default) or "
                                          "none (no rollback possible)", command, optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_VERIFY:
                case OPT_VERIFY_TIMEOUT:
                        if (strcmp(command, "stage") != 0) {
                                log_error("%s: --verify and --verify-timeout belong to stage", command);
                                return -EINVAL;
                        }
                        if (c == OPT_VERIFY && !plan_verify_is_valid(optarg)) {
                                log_error("%s: --verify: give a shell command of 1 to %d bytes of text without "
                                          "control characters (a newline included)", command, PLAN_VERIFY_MAX);
                                return -EINVAL;
                        }
                        if (c == OPT_VERIFY)
                                o->verify = optarg;
                        else if (!parse_unsigned_range(optarg, PLAN_VERIFY_TIMEOUT_MIN, PLAN_VERIFY_TIMEOUT_MAX,
                                                       &o->verify_timeout)) {
                                log_error("%s: --verify-timeout %s: give whole seconds from %d to %d", command,
                                          optarg, PLAN_VERIFY_TIMEOUT_MIN, PLAN_VERIFY_TIMEOUT_MAX);
                                return -EINVAL;
                        }
                        break;
                case OPT_NO_BOOT:
                case OPT_REBOOT:
                        if (strcmp(command, "stage") != 0) {
                                log_error("%s: --no-boot and --reboot belong to stage", command);
                                return -EINVAL;
                        }
                        if (c == OPT_NO_BOOT)
                                o->no_boot = true;
                        else
                                o->reboot = true;
                        break;
                case 'h':
                        printf("Usage: host-prep [--root DIR] [--json] %s --packages DIR [OPTIONS]\n"
                               "       host-prep [--root DIR] [--json] %s --repo DIR [OPTIONS]\n"
                               "\n"
                               "  --packages DIR     the target release's packages (repeatable)\n"
                               "  --repo DIR         choose them from this repository, as dnf distro-sync\n"
                               "                     would (repodata/ or plain RPMs; repeatable)\n"
                               "  --package-map FILE --repo: renames and splits the repositories'\n"
                               "                     Obsoletes do not express (docs/package-map.md)\n"
                               "  --pes FILE         --repo: Leapp's package evolution data\n"
                               "                     (pes-events.json; repeatable; docs/pes.md)\n"
                               "  --pes-release SOURCE:TARGET  the releases --pes events are chosen for\n"
                               "                     (7.9:8.10); default: system-release(releasever)\n"
                               "                     of the installed system and of the repositories\n"
                               "  --repomap FILE     Leapp's repomap.json: a --repo directory named as a\n"
                               "                     repository of it gives --pes packages of that one\n"
                               "  --key FILE         enforce signatures by this public key (repeatable)\n"
                               "  --module-stream NAME:STREAM  --repo: enable this stream of an EL 8 module\n"
                               "                     instead of the kept or default one (repeatable)\n"
                               "  --erase NAME       erase this installed package (repeatable)\n"
                               "  --allow-erasing    erase installed packages the target breaks\n"
                               "  --allow-downgrade  allow target packages older than installed ones\n"
                               "  --install-only NAME  install beside the old version, like kernels\n"
                               "  --force-unprotected  allow a plan that leaves no kernel, /bin/sh, rpm,\n"
                               "                     init system or boot loader\n"
                               "  --accept ID[:SUBJECT]  accept this finding as a known risk: it is\n"
                               "                     reported as accepted and no longer blocks; blockers\n"
                               "                     that lose data or leave the system unbootable are\n"
                               "                     refused (repeatable)\n"
                               "  --accept-file FILE one ID[:SUBJECT] a line, '#' comments\n"
                               "  --source-keys FILE the source distribution's signing key ids (one a\n"
                               "                     line, or Leapp's gpg-signatures.json): packages\n"
                               "                     signed by others are third-party (repeatable)\n"
                               "  --verdicts         list every installed package's verdict (moved,\n"
                               "                     erased or kept, and why), not only their counts\n"
                               "  --boot-initramfs FILE  with --root: check, and stage arms, the root's own\n"
                               "                     GRUB for the upgrade boot with this upgrade initramfs\n"
                               "                     (a path in the root below /boot)\n"
                               "  --no-boot          stage: do not arm the boot into the upgrade\n"
                               "  --reboot           stage: reboot into the upgrade when staged\n"
                               "  --upgrade-arg WORD stage: add an rd.oslift.* word (attempts=N,\n"
                               "                     checkpoint=N, watchdog=S, break, debug) to the\n"
                               "                     upgrade boot's command line (repeatable)\n"
                               "  --rollback MODE    stage: links (default) keeps an undo set for\n"
                               "                     'host-prep rollback'; none keeps nothing\n"
                               "  --verify CMD       stage: health check for the first boot of the new\n"
                               "                     release; when it fails, the system rolls back\n"
                               "  --verify-timeout S stage: how long CMD may take to succeed (300)\n"
                               "\n"
                               "See host-prep(8).\n",
                               command, command);
                        return 1;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("%s: unexpected argument '%s'", command, argv[optind]);
                return -EINVAL;
        }
        if (o->no_boot && o->reboot) {
                log_error("%s: --reboot needs the boot armed; drop --no-boot", command);
                return -EINVAL;
        }
        if (o->no_boot && o->n_upgrade_args > 0) {
                log_error("%s: --upgrade-arg is for the upgrade boot, which --no-boot does not arm: drop one",
                          command);
                return -EINVAL;
        }
        if (o->no_boot && o->boot_initramfs) {
                log_error("%s: --boot-initramfs arms the boot, --no-boot does not: drop one", command);
                return -EINVAL;
        }
        if (o->reboot && o->boot_initramfs) {
                log_error("%s: --reboot reboots the running system, not --root %s: drop it", command, o->root);
                return -EINVAL;
        }
        if ((o->n_package_dirs == 0) == (o->n_repo_dirs == 0)) {
                log_error("%s needs --packages DIR (the target release's packages) or --repo DIR "
                          "(its repository), not both", command);
                return -EINVAL;
        }
        if (o->package_map && o->n_repo_dirs == 0) {
                log_error("%s: --package-map works on what --repo offers; add --repo DIR", command);
                return -EINVAL;
        }
        if ((o->n_pes_files || o->pes_release) && o->n_repo_dirs == 0) {
                log_error("%s: --pes works on what --repo offers; add --repo DIR", command);
                return -EINVAL;
        }
        if (o->n_module_streams && o->n_repo_dirs == 0) {
                log_error("%s: --module-stream chooses among what --repo offers; add --repo DIR", command);
                return -EINVAL;
        }
        if ((o->pes_release || o->repomap) && !o->n_pes_files) {
                log_error("%s: --pes-release and --repomap are about --pes events; add --pes FILE", command);
                return -EINVAL;
        }
        return 0;
}

void assess_options_done(struct assess_options *o) {
        strv_free(o->package_dirs, o->n_package_dirs);
        strv_free(o->repo_dirs, o->n_repo_dirs);
        strv_free(o->pes_files, o->n_pes_files);
        strv_free(o->keys, o->n_keys);
        strv_free(o->erase, o->n_erase);
        strv_free(o->module_streams, o->n_module_streams);
        strv_free(o->install_only, o->n_install_only);
        strv_free(o->accept, o->n_accept);
        strv_free(o->upgrade_args, o->n_upgrade_args);
        strv_free(o->source_keys, o->n_source_keys);
}
