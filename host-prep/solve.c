/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <solv/chksum.h>
#include <solv/knownid.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_repomdxml.h>
#include <solv/repo_rpmdb.h>
#include <solv/repo_rpmmd.h>
#include <solv/solv_xfopen.h>
#include <solv/solver.h>
#include <solv/transaction.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "package-map.h"
#include "rpm-messages.h"
#include "solve.h"
#include "strv.h"
#include "time-util.h"


/* A --repo directory, hung on its libsolv repo. */
struct source {
        const char *dir;
        bool repodata; /* locations are relative to dir; else absolute paths */
};

static void pool_freep(Pool **p) {
        if (*p)
                pool_free(*p);
}

static void solver_freep(Solver **s) {
        if (*s)
                solver_free(*s);
}

static void transaction_freep(Transaction **t) {
        if (*t)
                transaction_free(*t);
}

/* Whether the file at path has the checksum want of the given type. */
static int checksum_matches(const char *path, Id type, const unsigned char *want) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        unsigned char buf[65536];
        const unsigned char *got;
        Chksum *c;
        size_t n;
        int len, r;

        if (!f)
                return negative_errno();
        c = solv_chksum_create(type);
        if (!c)
                return -EOPNOTSUPP;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                solv_chksum_add(c, buf, (int) n);
        if (ferror(f)) {
                solv_chksum_free(c, NULL);
                return -EIO;
        }
        got = solv_chksum_get(c, &len);
        r = got && len == solv_chksum_len(type) && memcmp(got, want, (size_t) len) == 0;
        solv_chksum_free(c, NULL);
        return r;
}

/* A location from repodata, below its directory: never absolute, never "..". */
static bool location_is_safe(const char *href) {
        const char *p = href;

        if (!*href || *href == '/' || strstr(href, "://"))
                return false;
        for (;;) {
                size_t len = strcspn(p, "/");
                if (len == 2 && p[0] == '.' && p[1] == '.')
                        return false;
                if (!p[len])
                        return true;
                p += len + 1;
        }
}

/* The location and checksum of one kind of metadata ("primary", ...) in
 * the repomd.xml already loaded into repo. */
static const char *repomd_find(Repo *repo, const char *type, const unsigned char **ret_checksum,
                               Id *ret_checksum_type) {
        Dataiterator di;
        const char *location = NULL;

        *ret_checksum = NULL;
        *ret_checksum_type = 0;
        dataiterator_init(&di, repo->pool, repo, SOLVID_META, REPOSITORY_REPOMD_TYPE, type, SEARCH_STRING);
        dataiterator_prepend_keyname(&di, REPOSITORY_REPOMD);
        if (dataiterator_step(&di)) {
                dataiterator_setpos_parent(&di);
                location = pool_lookup_str(repo->pool, SOLVID_POS, REPOSITORY_REPOMD_LOCATION);
                *ret_checksum = pool_lookup_bin_checksum(repo->pool, SOLVID_POS, REPOSITORY_REPOMD_CHECKSUM,
                                                         ret_checksum_type);
        }
        dataiterator_free(&di);
        return location;
}

static void bad_repodata(struct findings *f, const char *dir, const char *what) {
        findings_add(f, SEVERITY_BLOCKER, "repodata-damaged",
                     "the repository's metadata cannot be used, so nothing says what it holds",
                     "run createrepo_c on the directory again, or fetch the repository again",
                     "%s: %s", dir, what);
}

/* One kind of metadata, checked against repomd.xml, into repo. */
static int load_repomd_part(Repo *repo, const char *dir, const char *type, int flags, bool required,
                            struct findings *f) {
        const unsigned char *checksum;
        char path[PATH_MAX];
        Id checksum_type;
        const char *location = repomd_find(repo, type, &checksum, &checksum_type);
        FILE *fp;
        int r;

        if (!location) {
                if (required)
                        bad_repodata(f, dir, "repomd.xml names no primary metadata");
                return required ? -EBADMSG : 0;
        }
        if (!location_is_safe(location) || !checksum) {
                bad_repodata(f, dir, "repomd.xml names its metadata outside the directory or without a checksum");
                return -EBADMSG;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, location);
        r = checksum_matches(path, checksum_type, checksum);
        if (r <= 0) {
                findings_add(f, SEVERITY_BLOCKER, "repodata-damaged",
                             "the repository's metadata cannot be used, so nothing says what it holds",
                             "run createrepo_c on the directory again, or fetch the repository again",
                             "%s: %s", path, r < 0 ? "cannot be read" : "does not match its checksum in repomd.xml");
                return -EBADMSG;
        }
        fp = solv_xfopen(path, "r");
        if (!fp) {
                bad_repodata(f, dir, "cannot open or decompress its metadata");
                return -EBADMSG;
        }
        r = repo_add_rpmmd(repo, fp, NULL, flags);
        fclose(fp);
        if (r != 0) {
                findings_add(f, SEVERITY_BLOCKER, "repodata-damaged",
                             "the repository's metadata cannot be used, so nothing says what it holds",
                             "run createrepo_c on the directory again, or fetch the repository again",
                             "%s: %s", path, pool_errstr(repo->pool));
                return -EBADMSG;
        }
        return 0;
}

static int load_repodata(Repo *repo, const char *dir, struct findings *f) {
        char path[PATH_MAX];
        FILE *fp;
        int r;

        snprintf(path, sizeof(path), "%s/repodata/repomd.xml", dir);
        fp = fopen(path, "re");
        if (!fp)
                return negative_errno();
        r = repo_add_repomdxml(repo, fp, 0);
        fclose(fp);
        if (r != 0) {
                bad_repodata(f, dir, pool_errstr(repo->pool));
                return -EBADMSG;
        }
        /* primary is internalized first: filelists finds its packages by
         * their checksum. filelists is for file dependencies beyond /etc and
         * the bin directories, the only files primary lists. */
        r = load_repomd_part(repo, dir, "primary", 0, true, f);
        if (r == 0)
                r = load_repomd_part(repo, dir, "filelists", REPO_EXTEND_SOLVABLES, false, f);
        return r;
}

/* A directory of packages without repodata: their headers. */
static int load_plain(Repo *repo, const char *dir, struct findings *f) {
        char **paths = NULL;
        size_t n = 0;
        int r = list_packages(dir, &paths, &n);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (!repo_add_rpm(repo, paths[i],
                                  REPO_REUSE_REPODATA | REPO_NO_INTERNALIZE | RPM_ADD_WITH_SHA256SUM))
                        findings_add(f, SEVERITY_BLOCKER, "package-unreadable",
                                     "librpm cannot read the package header", "remove it from the directory",
                                     "%s cannot be read: %s", paths[i], pool_errstr(repo->pool));
        repo_internalize(repo);
        strv_free(paths, n);
        return 0;
}

static int load_repos(Pool *pool, const struct assess_options *o, struct source *sources,
                      struct findings *f) {
        for (size_t i = 0; i < o->n_repo_dirs; i++) {
                char path[PATH_MAX];
                Repo *repo = repo_create(pool, o->repo_dirs[i]);
                int r;

                sources[i] = (struct source) { .dir = o->repo_dirs[i] };
                repo->appdata = &sources[i];
                snprintf(path, sizeof(path), "%s/repodata/repomd.xml", o->repo_dirs[i]);
                sources[i].repodata = access(path, F_OK) == 0;
                r = sources[i].repodata ? load_repodata(repo, o->repo_dirs[i], f) :
                                          load_plain(repo, o->repo_dirs[i], f);
                if (r < 0 && r != -EBADMSG)
                        return log_error_errno(r, "cannot read --repo %s", o->repo_dirs[i]);
        }
        return 0;
}

static int load_installed(Pool *pool, const char *root, struct findings *f) {
        struct rpm_messages_scope quiet = { .demote_warnings = 1 };
        Repo *repo = repo_create(pool, "@System");
        int r;

        if (strcmp(root, "/") != 0)
                pool_set_rootdir(pool, root);
        rpm_messages_push(&quiet);
        r = repo_add_rpmdb_reffp(repo, NULL, REPO_USE_ROOTDIR);
        rpm_messages_pop(&quiet);
        if (r != 0) {
                findings_add(f, SEVERITY_BLOCKER, "rpmdb-unreadable",
                             "the rpm database is damaged or in a format librpm cannot read",
                             "run 'rpm --rebuilddb' on the system, then check again",
                             "libsolv cannot read the rpm database in %s: %s", root, pool_errstr(pool));
                return -EIO;
        }
        pool_set_installed(pool, repo);
        return 0;
}

static void add_name_job(Pool *pool, Queue *jobs, Id how, const char *name) {
        queue_push2(jobs, how | SOLVER_SOLVABLE_NAME, pool_str2id(pool, name, 1));
}

static bool is_installed_name(Pool *pool, Id name) {
        Solvable *s;
        Id p;

        FOR_REPO_SOLVABLES(pool->installed, p, s)
                if (s->name == name)
                        return true;
        return false;
}

/* The map's entries for installed names, as jobs: install what replaces
 * a name, erase the name unless it is among its replacements (a split
 * that keeps it). */
static int add_map_jobs(Pool *pool, const char *path, Queue *jobs, struct findings *f) {
        _cleanup_free_ char *error = NULL;
        struct package_map m;
        int r = package_map_load(path, &m, &error);

        if (r == -EBADMSG) {
                log_error("--package-map %s: %s", path, error);
                return -EINVAL;
        }
        if (r < 0)
                return log_error_errno(r, "cannot read --package-map %s", path);
        for (size_t i = 0; i < m.n; i++) {
                const struct package_map_entry *e = &m.entries[i];
                Id from = pool_str2id(pool, e->from, 0);

                if (!from || !is_installed_name(pool, from))
                        continue;
                for (size_t j = 0; j < e->n_to; j++)
                        add_name_job(pool, jobs, SOLVER_INSTALL, e->to[j]);
                if (!strv_contains(e->to, e->n_to, e->from))
                        add_name_job(pool, jobs, SOLVER_ERASE, e->from);
                findings_add(f, SEVERITY_INFO, "package-map", "", "", "%s: %s is replaced by %s%s",
                             path, e->from, e->n_to ? "" : "nothing (erased)", e->n_to ? e->to[0] : "");
                for (size_t j = 1; j < e->n_to; j++)
                        findings_add_detail(f, "and by %s", e->to[j]);
        }
        package_map_done(&m);
        return 0;
}

static int make_jobs(Pool *pool, const struct assess_options *o, Queue *jobs, struct findings *f) {
        /* dnf distro-sync: every installed package to the repositories'
         * version, up or down, or to what obsoletes it. */
        queue_push2(jobs, SOLVER_DISTUPGRADE | SOLVER_SOLVABLE_ALL, 0);
        for (size_t i = 0; default_install_only[i]; i++)
                add_name_job(pool, jobs, SOLVER_MULTIVERSION, default_install_only[i]);
        for (size_t i = 0; i < o->n_install_only; i++)
                add_name_job(pool, jobs, SOLVER_MULTIVERSION, o->install_only[i]);
        /* The provides assess.c's is_install_only() goes by, so the solver
         * and the plan agree: multiversion(kernel) and every
         * installonlypkg(...), a superset of dnf's installonlypkgs. */
        queue_push2(jobs, SOLVER_MULTIVERSION | SOLVER_SOLVABLE_PROVIDES,
                    pool_str2id(pool, "multiversion(kernel)", 1));
        for (Id id = 1; id < pool->ss.nstrings; id++)
                if (strncmp(pool_id2str(pool, id), "installonlypkg(", 15) == 0)
                        queue_push2(jobs, SOLVER_MULTIVERSION | SOLVER_SOLVABLE_PROVIDES, id);
        for (size_t i = 0; i < o->n_erase; i++)
                add_name_job(pool, jobs, SOLVER_ERASE, o->erase[i]);
        if (o->package_map)
                return add_map_jobs(pool, o->package_map, jobs, f);
        return 0;
}

/* The rules behind a problem, in libsolv's words (dnf's "- ..." lines). */
static void report_rules(Solver *solv, Id problem, const char *title, struct findings *f) {
        _cleanup_free_ char **seen = NULL;
        size_t n_seen = 0;
        Queue rules;

        queue_init(&rules);
        solver_findallproblemrules(solv, problem, &rules);
        for (int i = 0; i < rules.count; i++) {
                Id source, target, dep;
                SolverRuleinfo type = solver_ruleinfo(solv, rules.elements[i], &source, &target, &dep);
                const char *text = solver_problemruleinfo2str(solv, type, source, target, dep);
                char **p;

                if (!text || strcmp(text, title) == 0 || strv_contains(seen, n_seen, text))
                        continue;
                findings_add_detail(f, "%s", text);
                /* libsolv's strings live in its temporary pool: keep copies. */
                p = realloc(seen, (n_seen + 1) * sizeof(char *));
                if (!p)
                        break;
                seen = p;
                seen[n_seen] = strdup(text);
                if (!seen[n_seen])
                        break;
                n_seen++;
        }
        for (size_t i = 0; i < n_seen; i++)
                free(seen[i]);
        queue_free(&rules);
}

/* Each problem with libsolv's explanation and the ways out it offers. */
static void report_problems(Solver *solv, struct findings *f) {
        for (Id problem = 1; problem <= (Id) solver_problem_count(solv); problem++) {
                _cleanup_free_ char *title = strdup(solver_problem2str(solv, problem));
                Id solution = 0;
                unsigned n = 0;

                if (!title)
                        abort();

                findings_add(f, SEVERITY_BLOCKER, "unsolvable",
                             "the target repositories cannot replace what is installed: no set of "
                             "packages meets every dependency",
                             "take one of the solutions listed (--erase NAME for a removal, "
                             "--allow-erasing for all of them, a --package-map entry), or fix the "
                             "repositories",
                             "%s", title);
                report_rules(solv, problem, title, f);
                while ((solution = solver_next_solution(solv, problem, solution)) != 0) {
                        _cleanup_free_ char *text = NULL;
                        Id element = 0, p, rp;
                        size_t len = 0;
                        FILE *out = open_memstream(&text, &len);

                        if (!out)
                                abort();
                        while ((element = solver_next_solutionelement(solv, problem, solution, element,
                                                                      &p, &rp)) != 0)
                                fprintf(out, "%s%s", ftell(out) ? "; " : "",
                                        solver_solutionelement2str(solv, p, rp));
                        fclose(out);
                        findings_add_detail(f, "solution %u: %s", ++n, text);
                }
        }
}

/* A package the solution installs: its file and what the repodata says of it. */
static int add_chosen(Solvable *s, struct solve_result *ret, struct findings *f) {
        const struct source *src = s->repo->appdata;
        const char *location = solvable_lookup_location(s, NULL), *sha256 = NULL;
        const unsigned char *checksum;
        struct solved_package *p;
        char path[PATH_MAX];
        Id type = 0;

        /* A location with a base (xml:base) lives elsewhere, often remote. */
        if (!src || !location || solvable_lookup_str(s, SOLVABLE_MEDIABASE) ||
            (src->repodata && !location_is_safe(location))) {
                bad_repodata(f, src ? src->dir : "?", "a package's location is missing or outside the directory");
                return 0;
        }
        if (src->repodata)
                snprintf(path, sizeof(path), "%s/%s", src->dir, location);
        else
                snprintf(path, sizeof(path), "%s", location);
        checksum = solvable_lookup_bin_checksum(s, SOLVABLE_CHECKSUM, &type);
        if (!checksum) {
                bad_repodata(f, src->dir, "a package has no checksum");
                return 0;
        }
        if (type == REPOKEY_TYPE_SHA256)
                sha256 = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
        else if (checksum_matches(path, type, checksum) <= 0) {
                findings_add(f, SEVERITY_BLOCKER, "package-checksum",
                             "the package is not the one the repository's metadata describes",
                             "fetch the package again, or run createrepo_c on the directory again",
                             "%s does not match its %s checksum in the repodata", path,
                             solv_chksum_type2str(type));
                return 0;
        }
        p = realloc(ret->packages, (ret->n_packages + 1) * sizeof(*p));
        if (!p)
                return -ENOMEM;
        ret->packages = p;
        p[ret->n_packages] = (struct solved_package) {
                .path = strdup(path),
                .sha256 = sha256 ? strdup(sha256) : NULL,
        };
        if (!p[ret->n_packages].path || (sha256 && !p[ret->n_packages].sha256))
                return -ENOMEM;
        ret->n_packages++;
        return 0;
}

static int compare_paths(const void *a, const void *b) {
        return strcmp(((const struct solved_package *) a)->path, ((const struct solved_package *) b)->path);
}

static int collect(Pool *pool, Transaction *trans, struct solve_result *ret, struct findings *f) {
        for (int i = 0; i < trans->steps.count; i++) {
                Id p = trans->steps.elements[i];
                Solvable *s = pool_id2solvable(pool, p);
                int r = 0;

                if (s->repo != pool->installed)
                        /* Installed in any way (new, upgrade, replacement,
                         * beside an install-only one): its file is staged. */
                        r = add_chosen(s, ret, f);
                else if (transaction_type(trans, p, SOLVER_TRANSACTION_SHOW_ALL |
                                                            SOLVER_TRANSACTION_SHOW_OBSOLETES) ==
                         SOLVER_TRANSACTION_ERASE)
                        /* Erased with nothing replacing it: rpm must be told.
                         * What is upgraded or obsoleted goes with rpm's
                         * upgrade of its replacement. */
                        r = strv_push(&ret->erase_nevras, &ret->n_erase_nevras, pool_solvable2str(pool, s));
                if (r < 0)
                        return r;
        }
        return 0;
}

int solve_target(const struct assess_options *o, struct findings *f, struct solve_result *ret) {
        _cleanup_(pool_freep) Pool *pool = pool_create();
        _cleanup_(solver_freep) Solver *solv = NULL;
        _cleanup_(transaction_freep) Transaction *trans = NULL;
        _cleanup_free_ struct source *sources = calloc(o->n_repo_dirs, sizeof(struct source));
        Queue jobs;
        double start = now_seconds(), read_rpmdb, read_repos;
        int r;

        *ret = (struct solve_result) { .n_repos = (unsigned) o->n_repo_dirs };
        if (!pool || !sources)
                return -ENOMEM;
        pool_setarch(pool, NULL);
        r = load_installed(pool, o->root, f);
        if (r < 0)
                return 0; /* the finding says why */
        read_rpmdb = now_seconds();
        ret->rpmdb_seconds = read_rpmdb - start;
        r = load_repos(pool, o, sources, f);
        if (r < 0)
                return r;
        if (findings_have_blockers(f))
                return 0; /* a solution from half the metadata would mislead */
        pool_addfileprovides(pool);
        pool_createwhatprovides(pool);
        for (int i = 1; i < pool->nrepos; i++)
                if (pool->repos[i] && pool->repos[i] != pool->installed)
                        ret->n_available += (unsigned) pool->repos[i]->nsolvables;
        ret->n_installed = (unsigned) pool->installed->nsolvables;

        queue_init(&jobs);
        r = make_jobs(pool, o, &jobs, f);
        if (r < 0) {
                queue_free(&jobs);
                return r;
        }
        read_repos = now_seconds();
        ret->repos_seconds = read_repos - read_rpmdb;
        solv = solver_create(pool);
        /* dnf's choices (libdnf's goal): any vendor, orphans stay, splits
         * through Obsoletes get every part, the best candidate obeys policy. */
        solver_set_flag(solv, SOLVER_FLAG_ALLOW_VENDORCHANGE, 1);
        solver_set_flag(solv, SOLVER_FLAG_KEEP_ORPHANS, 1);
        solver_set_flag(solv, SOLVER_FLAG_BEST_OBEY_POLICY, 1);
        solver_set_flag(solv, SOLVER_FLAG_YUM_OBSOLETES, 1);
        if (o->allow_erasing)
                solver_set_flag(solv, SOLVER_FLAG_ALLOW_UNINSTALL, 1);
        r = solver_solve(solv, &jobs);
        queue_free(&jobs);
        if (r != 0) {
                ret->solve_seconds = now_seconds() - read_repos;
                report_problems(solv, f);
                return 0;
        }
        trans = solver_create_transaction(solv);
        if (!trans)
                return -ENOMEM;
        ret->solve_seconds = now_seconds() - read_repos;
        r = collect(pool, trans, ret, f);
        if (r < 0)
                return r;
        /* rpm orders the transaction; the plan lists files sorted, as for
         * --packages, so the same solution always gives the same plan. */
        qsort(ret->packages, ret->n_packages, sizeof(struct solved_package), compare_paths);
        return 0;
}

void solve_result_done(struct solve_result *r) {
        for (size_t i = 0; i < r->n_packages; i++) {
                free(r->packages[i].path);
                free(r->packages[i].sha256);
        }
        free(r->packages);
        strv_free(r->erase_nevras, r->n_erase_nevras);
        *r = (struct solve_result) {};
}
