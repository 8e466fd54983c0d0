/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The assessment behind check and stage: what the target packages would do
 * to the installed system, decided from the rpmdb and rpm's own test run.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "findings.h"
#include "plan.h"
#include "rpmdb.h"
#include "verdict.h"
#include "verify.h"

struct candidate {
        char *path; /* in PKGDIR */
        char *file; /* its base name */
        char *nevra;
        enum plan_op op;
        uint64_t size;
        char sha256[SHA256_HEX_SIZE];
        unsigned protects; /* which protected things it provides (assess.c) */
        int fd;            /* check: the package file, open (path is /proc/self/fd/N); or -1 */
};

struct progress;

struct assess_options {
        const char *root;
        struct progress *progress; /* of verifying the packages; NULL for none */
        char **package_dirs; /* --packages */
        size_t n_package_dirs;
        char **repo_dirs; /* --repo: the target set is chosen from these */
        size_t n_repo_dirs;
        const char *package_map; /* --package-map FILE, with --repo */
        char **pes_files; /* --pes FILE: Leapp's package evolution data, with --repo */
        size_t n_pes_files;
        const char *pes_release; /* --pes-release SOURCE:TARGET, or NULL: from system-release */
        const char *repomap; /* --repomap FILE: Leapp's repository ids of the --repo directories */
        char **keys; /* --key: enforce signatures by these */
        size_t n_keys;
        char **module_streams; /* --module-stream NAME:STREAM, with --repo */
        size_t n_module_streams;
        char **erase; /* --erase NAME */
        size_t n_erase;
        char **install_only; /* --install-only NAME, added to the defaults */
        size_t n_install_only;
        char **accept; /* --accept ID[:SUBJECT], --accept-file: accepted risks (accept.h) */
        size_t n_accept;
        char **source_keys; /* --source-keys FILE: the source distribution's key ids (signer.h) */
        size_t n_source_keys;
        bool list_verdicts; /* --verdicts: the text report lists every package's verdict */
        bool allow_downgrade;
        bool allow_erasing; /* erase what the target breaks, to a fixpoint */
        bool force_unprotected; /* allow a plan that leaves no kernel, /bin/sh, ... */
        /* stage: a new root-only directory each package is copied into
         * first (the one time its input is opened); everything else reads
         * the copy. NULL (check): the input is read through one descriptor. */
        const char *spool_dir;
        bool no_boot;       /* stage: do not arm the boot into the upgrade */
        bool rollback_none; /* stage --rollback=none: the upgrader keeps no undo set */
        const char *verify;      /* stage --verify CMD, NULL for none */
        unsigned verify_timeout; /* --verify-timeout; 0: PLAN_VERIFY_TIMEOUT_DEFAULT */
        /* --boot-initramfs, with --root: check and arm the root's own GRUB
         * with this image (a path in the root below /boot); NULL: the
         * running system's boot only ("/"), dracut building the image. */
        const char *boot_initramfs;
        bool reboot;        /* stage: reboot into it when staging succeeded */
        /* stage --upgrade-arg: rd.oslift.* words for the upgrade boot's
         * command line, each checked by upgrade_arg_check() */
        char **upgrade_args;
        size_t n_upgrade_args;
};

struct enabled_module; /* solve.h */

struct assessment {
        const struct assess_options *opts;
        int spool_fd; /* opts->spool_dir, or -1 */
        int fd_keep_limit; /* check: candidates' fds below this stay open */
        struct key_text *key_texts; /* each --key file as it was read and used */
        size_t n_key_texts;
        enum rpmdb_backend backend;
        char *fingerprint; /* rpmdbCookie */
        const char *target_backend;
        struct candidate *candidates;
        size_t n_candidates;
        char **erase_nevras; /* explicit erasures: --erase and --allow-erasing */
        size_t n_erase_nevras;
        struct enabled_module *modules; /* --repo: the module streams enabled (solve.h) */
        size_t n_modules;
        uint64_t staging_bytes;
        /* every installed package's verdict (verdict.h), sorted; decided
         * once the solver (--repo) or rpm's dependency check (--packages)
         * said what happens to them, else they are not reported */
        struct verdicts verdicts;
        bool verdicts_decided;
        char **source_key_ids; /* the source distribution's (signer.h) */
        size_t n_source_key_ids;
        struct findings findings;
};

/* Fills a; blockers are findings, not errors. A negative errno only when
 * the assessment itself could not be made (out of memory). */
int assess(const struct assess_options *opts, struct assessment *a);
void assessment_done(struct assessment *a);

/* dnf's and our install-only names (kernels), NULL-terminated. */
extern const char *const default_install_only[];

/* Appends the *.rpm files of dir, sorted, to (*ret, *n). */
int list_packages(const char *dir, char ***ret, size_t *n);

/*
 * Parses the options check and stage share (--packages or --repo, --key,
 * --erase, --allow-erasing, --allow-downgrade, --install-only, --package-map,
 * --pes, --pes-release, --repomap,
 * --accept, --accept-file, --source-keys). Returns 0, 1 after
 * printing help, or -EINVAL after saying what is wrong.
 */
int assess_options_parse(struct assess_options *o, const char *command, int argc, char **argv);
void assess_options_done(struct assess_options *o);
