/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The target package set chosen from repositories (--repo) by libsolv, the
 * way dnf distro-sync chooses it: every installed package moved to what
 * the repositories hold, Obsoletes honoured, install-only packages (kernels)
 * installed beside the running ones, orphans kept. What is chosen then goes
 * through the same verification and staging as --packages.
 */
#pragma once

#include <stddef.h>

#include "assess.h"
#include "findings.h"
#include "modulemd.h"
#include "verdict.h"

struct solved_package {
        char *path;   /* the package file, in a --repo directory */
        char *sha256; /* what the repodata says its SHA-256 is; NULL when the
                         repodata gave another type (then already compared) */
};

/* A module stream the solution enabled, and why. */
struct enabled_module {
        char *name, *stream;
        enum module_reason reason;
        char *required_by; /* MODULE_REQUIRED: "NAME:STREAM"; else NULL */
};

void enabled_modules_free(struct enabled_module *m, size_t n);

struct solve_result {
        struct solved_package *packages; /* to install, upgrade or replace with */
        size_t n_packages;
        char **erase_nevras; /* installed packages the solution erases outright */
        size_t n_erase_nevras;
        struct enabled_module *modules; /* the enabled module streams */
        size_t n_modules;
        unsigned n_modular_excluded; /* packages the module streams left out */
        /* every installed package's verdict (verdict.h), from libsolv's
         * transaction and the job that asked for it; unsorted, no
         * signatures (the caller reads those from the rpmdb) */
        struct verdicts verdicts;
        unsigned n_installed, n_available, n_repos;
        double rpmdb_seconds, repos_seconds, solve_seconds; /* reading, then solving */
};

/*
 * Loads the rpmdb of o->root and the --repo directories (repodata/repomd.xml,
 * or the *.rpm files of a directory without one), solves the distupgrade
 * with o's --erase, --allow-erasing, --install-only, --package-map and the
 * module streams (repomd.xml's modules, the root's /etc/dnf/modules.d,
 * --module-stream; modulemd.h), and fills ret, a verdict on every
 * installed package with it. What stands in the way (unsolvable dependencies with libsolv's
 * explanation and solutions, damaged repodata) becomes findings; a negative
 * errno only when nothing could be looked at.
 */
int solve_target(const struct assess_options *o, struct findings *f, struct solve_result *ret);
void solve_result_done(struct solve_result *r);
