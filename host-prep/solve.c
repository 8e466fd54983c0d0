/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
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
#include <sys/utsname.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "modulemd.h"
#include "package-map.h"
#include "pes.h"
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

static void map_freep(Map *m) {
        map_free(m);
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

/* One kind of metadata named in repo's repomd.xml, checked against its
 * checksum and opened decompressed into *ret (NULL: repomd.xml names none,
 * which is damage when required). Its path goes to path. */
static int open_repomd_part(Repo *repo, const char *dir, const char *type, bool required, struct findings *f,
                            char path[static PATH_MAX], FILE **ret) {
        const unsigned char *checksum;
        Id checksum_type;
        const char *location = repomd_find(repo, type, &checksum, &checksum_type);
        int r;

        *ret = NULL;
        if (!location) {
                if (required)
                        bad_repodata(f, dir, "repomd.xml names no primary metadata");
                return required ? -EBADMSG : 0;
        }
        if (!location_is_safe(location) || !checksum) {
                bad_repodata(f, dir, "repomd.xml names its metadata outside the directory or without a checksum");
                return -EBADMSG;
        }
        snprintf(path, PATH_MAX, "%s/%s", dir, location);
        r = checksum_matches(path, checksum_type, checksum);
        if (r <= 0) {
                findings_add(f, SEVERITY_BLOCKER, "repodata-damaged",
                             "the repository's metadata cannot be used, so nothing says what it holds",
                             "run createrepo_c on the directory again, or fetch the repository again",
                             "%s: %s", path, r < 0 ? "cannot be read" : "does not match its checksum in repomd.xml");
                return -EBADMSG;
        }
        *ret = solv_xfopen(path, "r");
        if (!*ret) {
                bad_repodata(f, dir, "cannot open or decompress its metadata");
                return -EBADMSG;
        }
        return 0;
}

/* One kind of metadata, checked against repomd.xml, into repo. */
static int load_repomd_part(Repo *repo, const char *dir, const char *type, int flags, bool required,
                            struct findings *f) {
        char path[PATH_MAX];
        FILE *fp;
        int r = open_repomd_part(repo, dir, type, required, f, path, &fp);

        if (r < 0 || !fp)
                return r;
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

/* The module metadata (repomd.xml's "modules", modules.yaml), when the
 * repository has it, appended to modules. */
static int load_modules(Repo *repo, const char *dir, struct modulemd *modules, struct findings *f) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        char path[PATH_MAX];
        size_t len = 0, size = 0;
        FILE *fp;
        int r = open_repomd_part(repo, dir, "modules", false, f, path, &fp);

        if (r < 0 || !fp)
                return r;
        for (;;) {
                size_t n;

                if (size - len < 65536) {
                        char *p;

                        size = size ? size * 2 : 1024 * 1024;
                        p = size <= MODULEMD_SIZE_MAX + 65536u ? realloc(text, size + 1) : NULL;
                        if (!p) {
                                fclose(fp);
                                bad_repodata(f, dir, "its module metadata is larger than any real one");
                                return -EBADMSG;
                        }
                        text = p;
                }
                n = fread(text + len, 1, size - len, fp);
                len += n;
                if (n == 0)
                        break;
        }
        r = ferror(fp);
        fclose(fp);
        if (r) {
                bad_repodata(f, dir, "cannot read or decompress its module metadata");
                return -EBADMSG;
        }
        text[len] = '\0';
        r = modulemd_parse(text, len, modules, &error);
        if (r == -EBADMSG) {
                findings_add(f, SEVERITY_BLOCKER, "repodata-damaged",
                             "the repository's module metadata cannot be used, so which packages belong to which "
                             "module stream is unknown",
                             "run modifyrepo_c with a valid modules.yaml on the repository again, or fetch the "
                             "repository again",
                             "%s: %s", path, error);
                return -EBADMSG;
        }
        return r;
}

static int load_repodata(Repo *repo, const char *dir, struct modulemd *modules, struct findings *f) {
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
        if (r == 0)
                r = load_modules(repo, dir, modules, f);
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
                      struct modulemd *modules, struct findings *f) {
        for (size_t i = 0; i < o->n_repo_dirs; i++) {
                char path[PATH_MAX];
                Repo *repo = repo_create(pool, o->repo_dirs[i]);
                int r;

                sources[i] = (struct source) { .dir = o->repo_dirs[i] };
                repo->appdata = &sources[i];
                snprintf(path, sizeof(path), "%s/repodata/repomd.xml", o->repo_dirs[i]);
                sources[i].repodata = access(path, F_OK) == 0;
                r = sources[i].repodata ? load_repodata(repo, o->repo_dirs[i], modules, f) :
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

/*
 * Why the jobs touch an installed name, for its verdict: the --package-map
 * line or the --pes event that decides on it, and the names that replace
 * it there (the first of them the transaction installs is its target).
 * Later entries for a name win, as the later of two events applies last.
 */
struct cause {
        char *name;
        unsigned map_line, event; /* one of them */
        char **to;
        size_t n_to;
};

struct causes {
        struct cause *v;
        size_t n;
};

static int causes_add(struct causes *c, const char *name, unsigned map_line, unsigned event) {
        struct cause *v = reallocarray(c->v, c->n + 1, sizeof(struct cause));

        if (!v)
                return -ENOMEM;
        c->v = v;
        v[c->n] = (struct cause) { .name = strdup(name), .map_line = map_line, .event = event };
        if (!v[c->n].name)
                return -ENOMEM;
        c->n++;
        return 0;
}

/* Adds a replacing name to the cause added last. */
static int causes_add_to(struct causes *c, const char *name) {
        return strv_push(&c->v[c->n - 1].to, &c->v[c->n - 1].n_to, name);
}

static const struct cause *causes_find(const struct causes *c, const char *name) {
        for (size_t i = c->n; i > 0; i--)
                if (strcmp(c->v[i - 1].name, name) == 0)
                        return &c->v[i - 1];
        return NULL;
}

static void causes_done(struct causes *c) {
        for (size_t i = 0; i < c->n; i++) {
                free(c->v[i].name);
                strv_free(c->v[i].to, c->v[i].n_to);
        }
        free(c->v);
        *c = (struct causes) {};
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
 * that keeps it). The installed names it decides on go to *decided. */
static int add_map_jobs(Pool *pool, const char *path, Queue *jobs, struct findings *f, char ***decided,
                        size_t *n_decided, struct causes *causes) {
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
                r = strv_push(decided, n_decided, e->from);
                if (r >= 0)
                        r = causes_add(causes, e->from, e->line, 0);
                for (size_t j = 0; r >= 0 && j < e->n_to; j++)
                        r = causes_add_to(causes, e->to[j]);
                if (r < 0) {
                        package_map_done(&m);
                        return -ENOMEM;
                }
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

/* A list of names (strv.h's pair), for _cleanup_. */
struct names {
        char **v;
        size_t n;
};

static void names_done(struct names *x) {
        strv_free(x->v, x->n);
}

/* The release a set of solvables says it is: the highest version of
 * system-release(releasever) they provide ("7", "8.10"). installed: the
 * rpmdb's; else the --repo repositories'. */
static int releasever(Pool *pool, bool installed, struct pes_release *ret) {
        Id dep = pool_str2id(pool, "system-release(releasever)", 0), p, pp;
        bool found = false;

        if (!dep)
                return -ENOENT;
        FOR_PROVIDES(p, pp, dep) {
                Solvable *s = pool->solvables + p;
                Queue q;

                if ((s->repo == pool->installed) != installed)
                        continue;
                queue_init(&q);
                solvable_lookup_deparray(s, SOLVABLE_PROVIDES, &q, -1);
                for (int i = 0; i < q.count; i++) {
                        struct pes_release r;

                        if (!ISRELDEP(q.elements[i]))
                                continue;
                        Reldep *rd = GETRELDEP(pool, q.elements[i]);
                        if (rd->name != dep || pes_release_parse(pool_id2str(pool, rd->evr), &r) < 0)
                                continue;
                        if (!found || pes_release_compare(r, *ret) > 0)
                                *ret = r;
                        found = true;
                }
                queue_free(&q);
        }
        return found ? 0 : -ENOENT;
}

static bool is_available_name(Pool *pool, const char *name) {
        Id id = pool_str2id(pool, name, 0), p, pp;

        if (!id)
                return false;
        FOR_PROVIDES(p, pp, id) {
                Solvable *s = pool->solvables + p;

                if (s->name == id && s->repo != pool->installed && !pool_disabled_solvable(pool, s))
                        return true;
        }
        return false;
}

/* Whether a repository has a package called name that the module streams
 * left out (pool->considered), though none that is available. */
static bool is_hidden_name(Pool *pool, const char *name) {
        Id id = pool_str2id(pool, name, 0), p;

        if (!id || !pool->considered)
                return false;
        FOR_POOL_SOLVABLES(p) {
                Solvable *s = pool->solvables + p;

                if (s->name == id && s->repo != pool->installed && !MAPTST(pool->considered, p))
                        return true;
        }
        return false;
}

/* What a pes-missing finding adds about module streams: the package is
 * there but in a stream not enabled, and the stream Leapp puts it in. */
static void detail_module(Pool *pool, const char *name, const struct pes_event *e, struct findings *f) {
        const char *stream = NULL;

        for (size_t j = 0; e && j < e->n_out; j++)
                if (strcmp(e->out[j].name, name) == 0)
                        stream = e->out[j].module_stream;
        if (is_hidden_name(pool, name))
                findings_add_detail(f, "the repositories have %s only in module streams that are not enabled, or "
                                       "as a package an enabled stream hides", name);
        if (stream)
                findings_add_detail(f, "Leapp puts it in module stream %s: enable it with --module-stream %s",
                                    stream, stream);
}

/* "a", "a and b", "a, b and c" of an event's packages, into buf. */
static const char *join_names(const struct pes_package *p, size_t n, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n && len < size; i++) {
                int k = snprintf(buf + len, size - len, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ",
                                 p[i].name);
                if (k < 0)
                        break;
                len += (size_t) k;
        }
        if (len >= size && size > 4)
                memcpy(buf + size - 4, "...", 4);
        return buf;
}

static void report_event(const struct pes_decision *d, const char *file, struct findings *f) {
        const struct pes_event *e = d->event;
        char in[512], out[512];

        join_names(e->in, e->n_in, in, sizeof(in));
        join_names(e->out, e->n_out, out, sizeof(out));
        switch (d->outcome) {
        case PES_OVERRIDDEN:
                findings_add(f, SEVERITY_INFO, "pes-overridden", "", "",
                             "%s: --package-map decides on %s, not event %u (%s)", file, in, e->id,
                             pes_action_name(e->action));
                return;
        case PES_NOT_RELEVANT:
                findings_add(f, SEVERITY_INFO, "pes-not-applied", "", "",
                             "%s: event %u (%s %s) does not apply: not all of its packages are installed", file,
                             e->id, pes_action_name(e->action), in);
                return;
        case PES_KEPT:
                findings_add(f, SEVERITY_INFO, "pes-event", "", "", "%s: %s is %s in the target release (event %u)",
                             file, in, e->action == PES_PRESENT ? "present" : "deprecated but present", e->id);
                return;
        case PES_APPLIED:
                break;
        }
        switch (e->action) {
        case PES_REMOVED:
                findings_add(f, SEVERITY_INFO, "pes-event", "", "",
                             "%s: %s %s removed in the target release (event %u): erased", file, in,
                             e->n_in > 1 ? "are" : "is", e->id);
                break;
        case PES_SPLIT:
                findings_add(f, SEVERITY_INFO, "pes-event", "", "", "%s: %s is split into %s (event %u)", file, in,
                             out, e->id);
                break;
        case PES_MERGED:
                findings_add(f, SEVERITY_INFO, "pes-event", "", "", "%s: %s %s merged into %s (event %u)", file, in,
                             e->n_in > 1 ? "are" : "is", out, e->id);
                break;
        case PES_MOVED:
                if (e->n_out == 1 && strcmp(e->out[0].name, e->in[0].name) == 0 && e->n_in == 1)
                        findings_add(f, SEVERITY_INFO, "pes-event", "", "", "%s: %s moves to repository %s (event %u)",
                                     file, in, e->out[0].repository ? e->out[0].repository : "(none named)", e->id);
                else
                        findings_add(f, SEVERITY_INFO, "pes-event", "", "", "%s: %s moves, as %s (event %u)", file, in,
                                     e->n_out ? out : "nothing", e->id);
                break;
        case PES_RENAMED:
                findings_add(f, SEVERITY_INFO, "pes-event", "", "", "%s: %s is renamed to %s (event %u)", file, in,
                             out, e->id);
                break;
        case PES_REINSTALLED:
                findings_add(f, SEVERITY_INFO, "pes-event", "", "",
                             "%s: %s is reinstalled from the target repositories (event %u)", file, in, e->id);
                break;
        default: /* replaced */
                if (e->n_out)
                        findings_add(f, SEVERITY_INFO, "pes-event", "", "", "%s: %s %s replaced by %s (event %u)",
                                     file, in, e->n_in > 1 ? "are" : "is", out, e->id);
                else
                        findings_add(f, SEVERITY_INFO, "pes-event", "", "",
                                     "%s: %s %s replaced by nothing (event %u): erased", file, in,
                                     e->n_in > 1 ? "are" : "is", e->id);
                break;
        }
        for (size_t i = 0; i < e->n_out; i++)
                if (e->out[i].module_stream)
                        findings_add_detail(f, "%s is in module stream %s", e->out[i].name, e->out[i].module_stream);
}

/* The last component of dir, without trailing slashes, into buf. */
static const char *dir_name(const char *dir, char *buf, size_t size) {
        size_t len;
        const char *slash;

        snprintf(buf, size, "%s", dir);
        len = strlen(buf);
        while (len > 1 && buf[len - 1] == '/')
                buf[--len] = '\0';
        slash = strrchr(buf, '/');
        return slash && slash[1] ? slash + 1 : buf;
}

/* With --repomap: name installed from the --repo directories that are
 * Leapp's repository pesid, the one the event names; when none of them
 * has it, a pes-missing warning. */
static int add_mapped_install(Pool *pool, const struct pes_repomap *m, int major, const char *name,
                              const char *pesid, const struct pes_event *e, Queue *jobs, struct findings *f) {
        unsigned event = e ? e->id : 0;
        Id id = pool_str2id(pool, name, 0), p, pp;
        bool elsewhere = false;
        Queue q;

        queue_init(&q);
        if (id)
                FOR_PROVIDES(p, pp, id) {
                        Solvable *s = pool->solvables + p;
                        char base[PATH_MAX];
                        const char *its;

                        if (s->name != id || s->repo == pool->installed)
                                continue;
                        its = pes_repomap_pesid(m, dir_name(s->repo->name, base, sizeof(base)), major);
                        if (its && strcmp(its, pesid) == 0)
                                queue_push(&q, p);
                        else
                                elsewhere = true;
                }
        if (q.count)
                queue_push2(jobs, SOLVER_INSTALL | SOLVER_SOLVABLE_ONE_OF, pool_queuetowhatprovides(pool, &q));
        else {
                findings_add(f, SEVERITY_WARNING, "pes-missing",
                             "the upgraded system lacks a package the release's evolution data puts in place",
                             "add the repository that holds it with --repo, or say what replaces it with "
                             "--package-map",
                             "%s (event %u) is in no --repo directory that is Leapp's repository %s", name, event,
                             pesid);
                findings_set_subject(f, name);
                if (elsewhere)
                        findings_add_detail(f, "another --repo has it; the events put it in %s, so it is not "
                                               "taken from there", pesid);
                detail_module(pool, name, e, f);
        }
        queue_free(&q);
        return 0;
}

/* The applied event that brings name last: which one a missing package
 * is reported against. */
static const struct pes_event *event_bringing(const struct pes_result *r, const char *name) {
        const struct pes_event *found = NULL;

        for (size_t i = 0; i < r->n_decisions; i++)
                if (r->decisions[i].outcome == PES_APPLIED)
                        for (size_t j = 0; j < r->decisions[i].event->n_out; j++)
                                if (strcmp(r->decisions[i].event->out[j].name, name) == 0)
                                        found = r->decisions[i].event;
        return found;
}

/* The --pes files' events for this upgrade (pes.h: Leapp's choice and
 * order), applied to the installed names: jobs to install what they
 * bring (when a --repo has it: else a warning, and libsolv's distupgrade
 * decides) and to erase what they take away. Names the package map
 * decided on are left to it. A file that cannot be read or parsed stops
 * with -EINVAL after saying which and why. */
static int add_pes_jobs(Pool *pool, const struct assess_options *o, char *const *map_names, size_t n_map_names,
                        Queue *jobs, struct findings *f, struct causes *causes) {
        _cleanup_(pes_events_done) struct pes_events all = {};
        _cleanup_(pes_result_done) struct pes_result res = {};
        _cleanup_(names_done) struct names installed = {};
        _cleanup_(pes_repomap_done) struct pes_repomap repomap = {};
        size_t dropped;
        struct pes_release source, target;
        struct utsname u;
        Solvable *s;
        Id p;
        int r;

        for (size_t i = 0; i < o->n_pes_files; i++) {
                _cleanup_(pes_events_done) struct pes_events one = {};
                _cleanup_free_ char *error = NULL;

                r = pes_load(o->pes_files[i], &one, &error);
                if (r == -EBADMSG) {
                        log_error("--pes %s: %s; give pes-events.json as Leapp's data publishes it", o->pes_files[i],
                                  error);
                        return -EINVAL;
                }
                if (r < 0) {
                        log_error_errno(r, "cannot read --pes %s", o->pes_files[i]);
                        return -EINVAL;
                }
                r = pes_events_append(&all, &one);
                if (r < 0)
                        return r;
        }
        if (o->pes_release) {
                _cleanup_free_ char *copy = strdup(o->pes_release);
                char *colon = copy ? strchr(copy, ':') : NULL;

                if (!colon)
                        return -ENOMEM; /* checked when parsed */
                *colon = '\0';
                if (pes_release_parse(copy, &source) < 0 || pes_release_parse(colon + 1, &target) < 0)
                        return -EINVAL;
        } else {
                if (releasever(pool, true, &source) < 0) {
                        findings_add(f, SEVERITY_BLOCKER, "pes-release-unknown",
                                     "which --pes events apply depends on the release upgraded from",
                                     "give --pes-release SOURCE:TARGET (7.9:8.10)",
                                     "no installed package provides system-release(releasever)");
                        return 0;
                }
                if (releasever(pool, false, &target) < 0)
                        target = (struct pes_release) { source.major + 1, PES_MINOR_ANY };
                if (pes_release_compare(target, source) <= 0) {
                        findings_add(f, SEVERITY_BLOCKER, "pes-release-unknown",
                                     "which --pes events apply depends on the releases upgraded from and to",
                                     "give --pes-release SOURCE:TARGET (7.9:8.10)",
                                     "the --repo repositories' system-release(releasever) is not after the "
                                     "installed one");
                        return 0;
                }
        }
        if (o->repomap) {
                _cleanup_free_ char *error = NULL;

                r = pes_repomap_load(o->repomap, &repomap, &error);
                if (r == -EBADMSG) {
                        log_error("--repomap %s: %s; give repomap.json as Leapp's data publishes it", o->repomap,
                                  error);
                        return -EINVAL;
                }
                if (r < 0) {
                        log_error_errno(r, "cannot read --repomap %s", o->repomap);
                        return -EINVAL;
                }
                for (size_t i = 0; i < o->n_repo_dirs; i++) {
                        char base[PATH_MAX];
                        const char *pesid = pes_repomap_pesid(&repomap, dir_name(o->repo_dirs[i], base, sizeof(base)),
                                                                target.major);

                        if (pesid)
                                findings_add(f, SEVERITY_INFO, "pes-repomap", "", "",
                                             "--repo %s is Leapp's repository %s", o->repo_dirs[i], pesid);
                        else
                                findings_add(f, SEVERITY_INFO, "pes-repomap", "", "",
                                             "--repo %s is no repository of --repomap %s: --pes events take no "
                                             "package from it", o->repo_dirs[i], o->repomap);
                }
        }
        if (uname(&u) < 0)
                return negative_errno();
        dropped = pes_filter(&all, source, target, u.machine);
        FOR_REPO_SOLVABLES(pool->installed, p, s)
                if (!strv_contains(installed.v, installed.n, pool_id2str(pool, s->name)) &&
                    strv_push(&installed.v, &installed.n, pool_id2str(pool, s->name)) < 0)
                        return -ENOMEM;
        r = pes_apply(&all, installed.v, installed.n, map_names, n_map_names, &res);
        if (r < 0)
                return r;
        {
                char from[24], to[24];

                snprintf(from, sizeof(from), source.minor == PES_MINOR_ANY ? "%d" : "%d.%d", source.major,
                         source.minor);
                snprintf(to, sizeof(to), target.minor == PES_MINOR_ANY ? "%d" : "%d.%d", target.major,
                         target.minor);
                findings_add(f, SEVERITY_INFO, "pes", "", "",
                             "%zu package evolution events apply to %s -> %s on %s (%zu others do not); %zu "
                             "concern installed packages",
                             all.n, from, to, u.machine, dropped, res.n_decisions);
        }
        for (size_t i = 0; i < res.n_decisions; i++) {
                const struct pes_event *e = res.decisions[i].event;

                report_event(&res.decisions[i], o->n_pes_files == 1 ? o->pes_files[0] : "--pes", f);
                if (res.decisions[i].outcome != PES_APPLIED)
                        continue;
                for (size_t j = 0; j < e->n_in; j++) {
                        if (!strv_contains(installed.v, installed.n, e->in[j].name))
                                continue;
                        r = causes_add(causes, e->in[j].name, 0, e->id);
                        for (size_t k = 0; r >= 0 && k < e->n_out; k++)
                                r = causes_add_to(causes, e->out[k].name);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < res.n_install; i++) {
                const struct pes_event *e = event_bringing(&res, res.install[i]);
                const char *repo = NULL;

                for (size_t j = 0; e && j < e->n_out; j++)
                        if (strcmp(e->out[j].name, res.install[i]) == 0)
                                repo = e->out[j].repository;
                if (o->repomap && repo) {
                        r = add_mapped_install(pool, &repomap, target.major, res.install[i], repo, e, jobs, f);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (is_available_name(pool, res.install[i])) {
                        add_name_job(pool, jobs, SOLVER_INSTALL, res.install[i]);
                        continue;
                }
                findings_add(f, SEVERITY_WARNING, "pes-missing",
                             "the upgraded system lacks a package the release's evolution data puts in place",
                             "add the repository that holds it with --repo, or say what replaces it with "
                             "--package-map",
                             "%s (event %u) is in no --repo repository", res.install[i], e ? e->id : 0);
                findings_set_subject(f, res.install[i]);
                if (repo)
                        findings_add_detail(f, "Leapp's repository for it: %s", repo);
                detail_module(pool, res.install[i], e, f);
        }
        for (size_t i = 0; i < res.n_erase; i++)
                add_name_job(pool, jobs, SOLVER_ERASE, res.erase[i]);
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool sorted_contains(char *const *v, size_t n, const char *s) {
        return n && bsearch(&s, v, n, sizeof(char *), compare_strings);
}

/* Whether s provides one of the names in map (ids of the pool's strings). */
static bool provides_name_in(Pool *pool, Solvable *s, const Map *names) {
        Id *pp, id;

        if (!s->provides)
                return false;
        for (pp = s->repo->idarraydata + s->provides; (id = *pp++) != 0;) {
                while (ISRELDEP(id))
                        id = GETRELDEP(pool, id)->name;
                if (id < names->size * 8 && MAPTST(names, id))
                        return true;
        }
        return false;
}

/*
 * libdnf's modular filtering (dnf_sack_filter_modules_v2): from the
 * repositories (never the installed system), every package of a stream
 * that is not active is left out, and so is every package that is not one
 * of an active stream's but has the name of one, or provides it (a
 * non-modular package must not replace a module's); an active stream's
 * own packages always stay. considered (sized for the pool) gets the rest.
 * Returns how many were left out.
 */
static int filter_modular(Pool *pool, const struct modulemd *m, const struct module_choice *c, Map *considered,
                          unsigned *ret_excluded) {
        _cleanup_(names_done) struct names include = {}, exclude = {}, src_names = {};
        Map names;
        Id p;
        int r = 0;

        *ret_excluded = 0;
        map_init(&names, pool->ss.nstrings);
        for (size_t i = 0; i < m->n_streams && r == 0; i++)
                for (size_t j = 0; j < m->streams[i].n_rpms && r == 0; j++) {
                        _cleanup_free_ char *nevra = module_nevra_normalize(m->streams[i].rpms[j]);
                        char name[512];
                        const char *arch;

                        if (!nevra) {
                                r = -ENOMEM;
                                break;
                        }
                        if (!c->active[i]) {
                                r = strv_push(&exclude.v, &exclude.n, nevra);
                                continue;
                        }
                        r = strv_push(&include.v, &include.n, nevra);
                        if (r < 0 || !module_nevra_name(nevra, name, sizeof(name)))
                                continue;
                        arch = strrchr(nevra, '.');
                        if (arch && (strcmp(arch, ".src") == 0 || strcmp(arch, ".nosrc") == 0))
                                r = strv_push(&src_names.v, &src_names.n, name);
                        else {
                                Id id = pool_str2id(pool, name, 0);

                                if (id)
                                        MAPSET(&names, id);
                        }
                }
        if (r < 0) {
                map_free(&names);
                return r;
        }
        if (include.n)
                qsort(include.v, include.n, sizeof(char *), compare_strings);
        if (exclude.n)
                qsort(exclude.v, exclude.n, sizeof(char *), compare_strings);
        map_init(considered, pool->nsolvables);
        map_setall(considered);
        FOR_POOL_SOLVABLES(p) {
                Solvable *s = pool->solvables + p;
                const char *nevra;
                bool out;

                if (s->repo == pool->installed)
                        continue;
                nevra = pool_solvable2str(pool, s);
                if (sorted_contains(include.v, include.n, nevra))
                        continue;
                if (s->arch == ARCH_SRC || s->arch == ARCH_NOSRC)
                        out = strv_contains(src_names.v, src_names.n, pool_id2str(pool, s->name));
                else
                        out = MAPTST(&names, s->name) || provides_name_in(pool, s, &names);
                if (out || sorted_contains(exclude.v, exclude.n, nevra)) {
                        MAPCLR(considered, p);
                        (*ret_excluded)++;
                }
        }
        map_free(&names);
        return 0;
}

/* The module streams: dnf's choice, as findings, then the filtering. */
static int choose_modules(Pool *pool, const struct assess_options *o, const struct modulemd *m, Map *considered,
                          bool *ret_filtered, struct solve_result *ret, struct findings *f) {
        _cleanup_(module_choice_done) struct module_choice c = {};
        struct module_state *system = NULL;
        size_t n_system = 0, n_streams = 0;
        unsigned excluded = 0;
        int r;

        *ret_filtered = false;
        if (m->n_streams == 0 && o->n_module_streams == 0)
                return 0; /* no modules: EL 7, or a repository without modules.yaml */
        r = module_states_load(o->root, f, &system, &n_system);
        if (r >= 0)
                r = module_choose(m, o->module_streams, o->n_module_streams, system, n_system, f, &c);
        module_states_free(system, n_system);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c.n_enabled; i++) {
                const struct module_enabled *e = &c.enabled[i];
                static const char *const why[] = {
                        [MODULE_DEFAULT] = "the repositories' default stream",
                        [MODULE_KEPT] = "enabled on this system",
                        [MODULE_ASKED] = "--module-stream",
                        [MODULE_REQUIRED] = "required by",
                };

                if (!e->context)
                        continue; /* a module-dependency blocker says why */
                findings_add(f, SEVERITY_INFO, "module-stream", "", "", "module %s:%s enabled (%s%s%s)", e->name,
                             e->stream, why[e->reason], e->required_by ? " " : "",
                             e->required_by ? e->required_by : "");
                findings_set_subject(f, e->name);
                findings_add_detail(f, "reason: %s", module_reason_name(e->reason));
                findings_add_detail(f, "version %" PRIu64 ", context %s", e->version,
                                    *e->context ? e->context : "(none)");
                {
                        struct enabled_module *p = realloc(ret->modules, (ret->n_modules + 1) * sizeof(*p));

                        if (!p)
                                return -ENOMEM;
                        ret->modules = p;
                        p[ret->n_modules] = (struct enabled_module) {
                                .name = strdup(e->name),
                                .stream = strdup(e->stream),
                                .reason = e->reason,
                                .required_by = e->required_by ? strdup(e->required_by) : NULL,
                        };
                        ret->n_modules++;
                        if (!p[ret->n_modules - 1].name || !p[ret->n_modules - 1].stream ||
                            (e->required_by && !p[ret->n_modules - 1].required_by))
                                return -ENOMEM;
                }
        }
        r = filter_modular(pool, m, &c, considered, &excluded);
        if (r < 0)
                return r;
        *ret_filtered = true;
        ret->n_modular_excluded = excluded;
        for (size_t i = 0; i < m->n_streams; i++) {
                size_t j = 0;

                while (j < i && (strcmp(m->streams[j].name, m->streams[i].name) != 0 ||
                                 strcmp(m->streams[j].stream, m->streams[i].stream) != 0))
                        j++;
                n_streams += j == i;
        }
        findings_add(f, SEVERITY_INFO, "modules", "", "",
                     "%zu module streams (%zu builds) in the repositories, %zu enabled; %u packages of other "
                     "streams or shadowed by an enabled one left out",
                     n_streams, m->n_streams, ret->n_modules, excluded);
        return 0;
}

static int make_jobs(Pool *pool, const struct assess_options *o, Queue *jobs, struct findings *f,
                     struct causes *causes) {
        _cleanup_(names_done) struct names map = {};

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
        if (o->package_map) {
                int r = add_map_jobs(pool, o->package_map, jobs, f, &map.v, &map.n, causes);

                if (r < 0)
                        return r;
        }
        if (o->n_pes_files)
                return add_pes_jobs(pool, o, map.v, map.n, jobs, f, causes);
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

/* The package the transaction installs of one of names, or 0. */
static Id installed_by(Pool *pool, const Queue *added, char *const *names, size_t n) {
        for (size_t i = 0; i < n; i++) {
                Id name = pool_str2id(pool, names[i], 0);

                for (int j = 0; name && j < added->count; j++)
                        if (pool->solvables[added->elements[j]].name == name)
                                return added->elements[j];
        }
        return 0;
}

/* Whether a repository holds this very package (name, version, arch). */
static bool is_in_repos(Pool *pool, const Solvable *s) {
        Id p, pp;

        FOR_PROVIDES(p, pp, s->name) {
                const Solvable *t = pool->solvables + p;

                if (t->repo != pool->installed && t->name == s->name && t->evr == s->evr && t->arch == s->arch)
                        return true;
        }
        return false;
}

/*
 * Every installed package's verdict from the transaction: libsolv's type
 * for it says kept, replaced (upgraded, downgraded, changed, reinstalled:
 * by its name; obsoleted) or erased, and transaction_obs_pkg() by what;
 * the job behind it (causes, --erase) says why, which outranks the name:
 * a package map entry or an event that keeps a name still decided on it.
 * A map entry or an event that replaces a name without Obsoletes erases
 * it in libsolv's terms: its verdict is a move to what they install.
 */
static void add_verdicts(Pool *pool, Transaction *trans, const struct assess_options *o,
                         const struct causes *causes, struct solve_result *ret) {
        Queue added;
        Solvable *s;
        Id p;

        queue_init(&added);
        for (int i = 0; i < trans->steps.count; i++)
                if (pool->solvables[trans->steps.elements[i]].repo != pool->installed)
                        queue_push(&added, trans->steps.elements[i]);
        FOR_REPO_SOLVABLES(pool->installed, p, s) {
                const char *name = pool_id2str(pool, s->name);
                const struct cause *c = causes_find(causes, name);
                Id type = transaction_type(trans, p, SOLVER_TRANSACTION_SHOW_ALL | SOLVER_TRANSACTION_SHOW_OBSOLETES);
                struct verdict *v = verdicts_add(&ret->verdicts, pool_solvable2str(pool, s), name, NULL);
                enum verdict_reason why = !c ? VERDICT_NAME : c->map_line ? VERDICT_PACKAGE_MAP : VERDICT_PES_EVENT;
                unsigned event = c ? c->event : 0, line = c ? c->map_line : 0;
                Id by;

                switch (type) {
                case SOLVER_TRANSACTION_IGNORE:
                        if (is_in_repos(pool, s))
                                verdict_set(v, VERDICT_KEEP, VERDICT_SAME_VERSION, NULL, 0, 0);
                        else if (installed_by(pool, &added, (char *[]) { (char *) name }, 1))
                                verdict_set(v, VERDICT_KEEP, VERDICT_INSTALL_ONLY, NULL, 0, 0);
                        break; /* else kept: not in the target */
                case SOLVER_TRANSACTION_ERASE:
                        by = c ? installed_by(pool, &added, c->to, c->n_to) : 0;
                        if (by)
                                verdict_set(v, VERDICT_MOVE, why, pool_solvid2str(pool, by), event, line);
                        else if (strv_contains(o->erase, o->n_erase, name))
                                verdict_set(v, VERDICT_ERASE, VERDICT_ERASE_OPTION, NULL, 0, 0);
                        else if (c)
                                verdict_set(v, VERDICT_ERASE, why, NULL, event, line);
                        else
                                verdict_set(v, VERDICT_ERASE, VERDICT_ALLOW_ERASING, NULL, 0, 0);
                        break;
                default: /* upgraded, downgraded, changed, reinstalled, obsoleted */
                        by = transaction_obs_pkg(trans, p);
                        if (!by)
                                break;
                        if (!c)
                                why = pool->solvables[by].name == s->name ? VERDICT_NAME : VERDICT_OBSOLETES;
                        verdict_set(v, VERDICT_MOVE, why, pool_solvid2str(pool, by), event, line);
                }
        }
        queue_free(&added);
}

int solve_target(const struct assess_options *o, struct findings *f, struct solve_result *ret) {
        /* Freed after the pool that points at it (pool_free leaves it). */
        _cleanup_(map_freep) Map considered = {};
        _cleanup_(pool_freep) Pool *pool = pool_create();
        _cleanup_(solver_freep) Solver *solv = NULL;
        _cleanup_(transaction_freep) Transaction *trans = NULL;
        _cleanup_free_ struct source *sources = calloc(o->n_repo_dirs, sizeof(struct source));
        _cleanup_(modulemd_done) struct modulemd modules = {};
        bool filtered = false;
        _cleanup_(causes_done) struct causes causes = {};
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
        r = load_repos(pool, o, sources, &modules, f);
        if (r < 0)
                return r;
        if (findings_have_blockers(f))
                return 0; /* a solution from half the metadata would mislead */
        pool_addfileprovides(pool);
        /* Before the provides index: what the modules leave out is not
         * among what provides anything, as in libdnf. */
        r = choose_modules(pool, o, &modules, &considered, &filtered, ret, f);
        if (r < 0)
                return r;
        if (filtered)
                pool->considered = &considered;
        if (findings_have_blockers(f))
                return 0; /* the streams asked for, or their requires, are not there */
        pool_createwhatprovides(pool);
        for (int i = 1; i < pool->nrepos; i++)
                if (pool->repos[i] && pool->repos[i] != pool->installed)
                        ret->n_available += (unsigned) pool->repos[i]->nsolvables;
        ret->n_installed = (unsigned) pool->installed->nsolvables;

        queue_init(&jobs);
        r = make_jobs(pool, o, &jobs, f, &causes);
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
        add_verdicts(pool, trans, o, &causes, ret);
        /* rpm orders the transaction; the plan lists files sorted, as for
         * --packages, so the same solution always gives the same plan. */
        qsort(ret->packages, ret->n_packages, sizeof(struct solved_package), compare_paths);
        return 0;
}

void enabled_modules_free(struct enabled_module *m, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(m[i].name);
                free(m[i].stream);
                free(m[i].required_by);
        }
        free(m);
}

void solve_result_done(struct solve_result *r) {
        for (size_t i = 0; i < r->n_packages; i++) {
                free(r->packages[i].path);
                free(r->packages[i].sha256);
        }
        free(r->packages);
        strv_free(r->erase_nevras, r->n_erase_nevras);
        enabled_modules_free(r->modules, r->n_modules);
        verdicts_done(&r->verdicts);
        *r = (struct solve_result) {};
}
