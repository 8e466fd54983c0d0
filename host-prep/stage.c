/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host-prep stage: the same assessment as check; when nothing blocks, the
 * packages, keys, the record of what restore must put back, and last the
 * plan go to OSLIFT_STATE_DIR. A stage that fails part way removes what it
 * wrote: without a plan the upgrader does nothing.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assess.h"
#include "boot-entry.h"
#include "chase.h"
#include "fsutil.h"
#include "host-prep.h"
#include "log.h"
#include "run.h"
#include "paths.h"
#include "progress.h"
#include "restore-record.h"
#include "root-lock.h"
#include "solve.h"
#include "status.h"
#include "strv.h"

/* Moves the verified copies from the spool into the staging directory
 * (both root's alone, on the file system holding /var/lib), and checks
 * that what landed is what was verified. */
/* The restore record, with the module streams the new system must have
 * enabled that this one has not: asked for and required ones. A default
 * is left to dnf's defaults, as dnf leaves it; a kept stream's file is
 * still there. */
static int write_restore_record(const struct context *ctx, const struct assessment *a) {
        char **modules = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < a->n_modules; i++) {
                const struct enabled_module *m = &a->modules[i];
                _cleanup_free_ char *s = NULL;

                if (m->reason != MODULE_ASKED && m->reason != MODULE_REQUIRED)
                        continue;
                r = asprintf(&s, "%s:%s", m->name, m->stream) < 0 ? -ENOMEM : strv_push(&modules, &n, s);
                if (r >= 0 && !restore_module_valid(s)) {
                        log_warning("module stream %s cannot be recorded for the new system: enable it there "
                                    "with dnf module enable", s);
                        free(modules[--n]);
                }
        }
        if (r >= 0 && n > RESTORE_MODULES_MAX) {
                log_warning("only the first %d module streams are recorded for the new system; enable the "
                            "others there with dnf module enable", RESTORE_MODULES_MAX);
                for (size_t i = RESTORE_MODULES_MAX; i < n; i++)
                        free(modules[i]);
                n = RESTORE_MODULES_MAX;
        }
        if (r >= 0)
                r = restore_record_write(ctx->root, rpmdb_backend_name(a->backend), a->target_backend, modules, n);
        strv_free(modules, n);
        return r;
}

static int move_packages(const struct context *ctx, const struct assessment *a) {
        char dir[PATH_MAX];
        _cleanup_close_ int dfd = -1;
        int r = path_in_root(dir, sizeof(dir), ctx->root, OSLIFT_PACKAGES_DIR);

        if (r < 0)
                return log_error_errno(r, "cannot open %s in %s", OSLIFT_PACKAGES_DIR, ctx->root);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return log_error_errno(negative_errno(), "cannot open %s", dir);
        progress_begin(a->opts->progress, "copying", "copied", (unsigned) a->n_candidates, a->staging_bytes);
        for (size_t i = 0; i < a->n_candidates; i++) {
                const struct candidate *c = &a->candidates[i];
                char sha256[SHA256_HEX_SIZE];
                uint64_t size;

                if (renameat(a->spool_fd, c->file, dfd, c->file) < 0) {
                        char to[PATH_MAX * 2];

                        if (errno != EXDEV)
                                return log_error_errno(negative_errno(), "cannot move %s to %s", c->path, dir);
                        snprintf(to, sizeof(to), "%s/%s", dir, c->file);
                        r = copy_file(c->path, to);
                        if (r < 0)
                                return log_error_errno(r, "cannot copy %s to %s", c->path, dir);
                }
                /* What was verified must be what landed: hash it. */
                r = sha256_file(dfd, c->file, sha256, &size);
                if (r < 0)
                        return log_error_errno(r, "cannot read the staged %s", c->file);
                if (size != c->size) {
                        log_error("the staged %s has %llu bytes, %llu were verified; stage again",
                                  c->file, (unsigned long long) size, (unsigned long long) c->size);
                        return -EBADMSG;
                }
                if (strcmp(sha256, c->sha256) != 0) {
                        log_error("the staged %s has SHA-256 %s, %s was verified; stage again", c->file,
                                  sha256, c->sha256);
                        return -EBADMSG;
                }
                progress_advance(a->opts->progress, c->size);
        }
        progress_end(a->opts->progress);
        return 0;
}

/* The keys as they were read and used for verifying, not read again. */
static int copy_keys(const struct context *ctx, const struct assessment *a, struct plan *plan) {
        for (size_t i = 0; i < a->n_key_texts; i++) {
                char name[32], path[PATH_MAX];
                int r;

                /* Our own names: the operator's may not be plain file names. */
                snprintf(name, sizeof(name), "key-%zu.asc", i + 1);
                snprintf(path, sizeof(path), "%s/%s", OSLIFT_KEYS_DIR, name);
                r = write_file_atomic(ctx->root, path, a->key_texts[i].text, a->key_texts[i].len, 0600);
                if (r < 0)
                        return log_error_errno(r, "cannot stage key %s", a->opts->keys[i]);
                r = plan_add_key(plan, name);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int write_plan(const struct context *ctx, const struct assess_options *o,
                      const struct assessment *a) {
        _cleanup_(plan_freep) struct plan *plan = plan_new();
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        char created[32];
        FILE *f;
        int r;

        if (!plan)
                return -ENOMEM;
        timestamp_now(created);
        r = plan_set_header(plan, created, rpmdb_backend_name(a->backend), a->fingerprint,
                            a->target_backend);
        if (r < 0)
                return log_error_errno(r, "invalid plan header");
        plan->rollback = o->rollback_none ? PLAN_ROLLBACK_NONE : PLAN_ROLLBACK_LINKS;
        if (o->verify) {
                plan->verify = strdup(o->verify);
                if (!plan->verify)
                        return -ENOMEM;
                plan->verify_timeout = o->verify_timeout ?: PLAN_VERIFY_TIMEOUT_DEFAULT;
        }
        r = copy_keys(ctx, a, plan);
        if (r < 0)
                return r;
        for (size_t i = 0; i < a->n_candidates; i++) {
                const struct candidate *c = &a->candidates[i];
                r = plan_add_package(plan, c->op, c->file, c->size, c->sha256, c->nevra);
                if (r == -EEXIST) {
                        log_error("two packages named %s, or %s twice, in the target set", c->file,
                                  c->nevra);
                        return r;
                }
                if (r < 0)
                        return log_error_errno(r, "cannot add %s to the plan", c->file);
        }
        for (size_t i = 0; i < a->n_erase_nevras; i++) {
                r = plan_add_package(plan, PLAN_OP_ERASE, NULL, 0, NULL, a->erase_nevras[i]);
                if (r < 0)
                        return log_error_errno(r, "cannot add erasure of %s to the plan", a->erase_nevras[i]);
        }
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        r = plan_write(plan, f);
        fclose(f);
        if (r < 0)
                return log_error_errno(r, "cannot write the plan");
        return write_file_atomic(ctx->root, OSLIFT_PLAN_FILE, text, size, 0600);
}

/* The staging directories and their parents may exist already (status and
 * logs of an earlier upgrade); what is there must be a real directory,
 * never a symlink that would send root's writes (the spool beside the state
 * directory too) elsewhere. Read-only: before anything is written. */
static int check_staging_dirs(const struct context *ctx) {
        static const char *const dirs[] = { "/var", "/var/lib", OSLIFT_STATE_DIR, OSLIFT_PACKAGES_DIR,
                                            OSLIFT_KEYS_DIR };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                char path[PATH_MAX];
                struct stat st;
                int r = path_in_root(path, sizeof(path), ctx->root, dirs[i]);

                if (r < 0)
                        return log_error_errno(r, "cannot stage in %s", ctx->root);
                if (lstat(path, &st) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return log_error_errno(negative_errno(), "cannot examine %s", path);
                }
                if (S_ISLNK(st.st_mode)) {
                        log_error("%s is a symbolic link; oslift stages only into a real directory "
                                  "owned by root: remove the link and stage again", path);
                        return -ELOOP;
                }
                if (!S_ISDIR(st.st_mode)) {
                        log_error("%s is not a directory; remove it and stage again", path);
                        return -ENOTDIR;
                }
        }
        return 0;
}

/* In the state directory (opened and locked by root_lock(), so neither
 * it nor its parents are symlinks), without following one either. */
static int make_staging_dirs(int state_dir_fd) {
        static const char *const dirs[] = { OSLIFT_PACKAGES_DIR, OSLIFT_KEYS_DIR };

        /* Root only: the plan decides what runs as root at boot. */
        if (fchmod(state_dir_fd, 0700) < 0)
                return log_error_errno(negative_errno(), "cannot chmod %s", OSLIFT_STATE_DIR);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                const char *name = STATE_DIR_RELATIVE(dirs[i]);
                _cleanup_close_ int fd = -1;

                if (mkdirat(state_dir_fd, name, 0700) < 0 && errno != EEXIST)
                        return log_error_errno(negative_errno(), "cannot create %s", dirs[i]);
                fd = openat(state_dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return log_error_errno(negative_errno(), "%s is not a directory oslift made; run "
                                               "'host-prep cancel' and stage again", dirs[i]);
                if (fchmod(fd, 0700) < 0)
                        return log_error_errno(negative_errno(), "cannot chmod %s", dirs[i]);
        }
        return 0;
}

/* A new directory, root's alone, beside the staging directory: each
 * package is copied there once and everything is read from the copy. */
static int make_spool(const struct context *ctx, char buf[static PATH_MAX]) {
        int r = path_in_root(buf, PATH_MAX, ctx->root, "/var/lib/" OSLIFT_SPOOL_PREFIX "XXXXXX");

        if (r < 0)
                return log_error_errno(r, "cannot stage in %s", ctx->root);
        if (!mkdtemp(buf))
                return log_error_errno(negative_errno(), "cannot create %s", buf);
        return 0;
}

static int already_staged(const struct context *ctx) {
        char path[PATH_MAX];
        struct upgrade_status st;
        int r = path_in_root(path, sizeof(path), ctx->root, OSLIFT_PLAN_FILE);

        if (r < 0)
                return log_error_errno(r, "cannot look for %s in %s", OSLIFT_PLAN_FILE, ctx->root);
        if (access(path, F_OK) < 0)
                return 0;
        if (status_read(ctx->root, &st) == 0)
                log_error("an upgrade is already staged in %s (state: %s); run 'host-prep cancel' "
                          "first to stage again", ctx->root, upgrade_state_name(st.state));
        else
                log_error("an upgrade is already staged in %s; run 'host-prep cancel' first",
                          ctx->root);
        return -EEXIST;
}

static int reboot_into_upgrade(void) {
        int r = reboot_now("rebooting into the upgrade");

        return r < 0 ? log_error_errno(r, "cannot reboot; reboot by hand to upgrade") : 0;
}

/* The --upgrade-arg words, one blank between them; *ret NULL for none. */
static int join_upgrade_args(const struct assess_options *o, char **ret) {
        size_t len = 1;
        char *s, *p;

        *ret = NULL;
        if (o->n_upgrade_args == 0)
                return 0;
        for (size_t i = 0; i < o->n_upgrade_args; i++)
                len += strlen(o->upgrade_args[i]) + 1;
        p = s = malloc(len);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < o->n_upgrade_args; i++) {
                if (i > 0)
                        *p++ = ' ';
                p = stpcpy(p, o->upgrade_args[i]);
        }
        *ret = s;
        return 0;
}

int cmd_stage(const struct context *ctx, int argc, char **argv) {
        struct progress progress;
        _cleanup_(assess_options_done) struct assess_options o = {
                .root = ctx->root, .progress = progress_init(&progress, ctx),
        };
        struct upgrade_status st = { .state = UPGRADE_STAGED };
        _cleanup_free_ char *image = NULL, *upgrade_args = NULL;
        _cleanup_close_ int lock_fd = -1;
        char state_dir[PATH_MAX], spool[PATH_MAX];
        struct assessment a;
        int r = assess_options_parse(&o, "stage", argc, argv);
        /* Root-directory mode never touches the host's boot; the root's
         * own GRUB only with --boot-initramfs, an image built beforehand. */
        bool own = strcmp(ctx->root, "/") == 0;
        bool arm = !o.no_boot && (own || o.boot_initramfs);

        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        if (o.n_upgrade_args > 0 && !arm) {
                log_error("stage: --upgrade-arg is for the upgrade boot, and with --root %s none is armed "
                          "without --boot-initramfs: drop it, or give the image", ctx->root);
                return EXIT_USAGE;
        }
        if (already_staged(ctx) < 0)
                return EXIT_FAILED;
        if (check_staging_dirs(ctx) < 0 || make_spool(ctx, spool) < 0)
                return EXIT_FAILED;
        o.spool_dir = spool;
        r = assess(&o, &a);
        if (r < 0) {
                remove_tree(spool);
                return EXIT_FAILED;
        }
        if (!ctx->json)
                print_assessment_text(ctx, &a);
        if (findings_have_blockers(&a.findings)) {
                if (ctx->json)
                        print_assessment_json(ctx, &a, &(struct stage_result) {});
                log_error("not staged: resolve the blockers above and run stage again");
                assessment_done(&a);
                remove_tree(spool);
                return EXIT_BLOCKED;
        }

        r = path_in_root(state_dir, sizeof(state_dir), ctx->root, OSLIFT_STATE_DIR);
        if (r < 0) {
                log_error_errno(r, "cannot stage in %s", ctx->root);
                assessment_done(&a);
                remove_tree(spool);
                return EXIT_FAILED;
        }
        /* The first write: the state directory, locked before anything
         * goes into it, and held until stage exits. Then look again: the
         * holder of the lock may just have staged. */
        lock_fd = root_lock(ctx->root, true);
        if (lock_fd >= 0 && already_staged(ctx) < 0) {
                assessment_done(&a);
                remove_tree(spool);
                return EXIT_FAILED;
        }
        if (lock_fd < 0) {
                remove_tree(spool);
                log_error("not staged; nothing was changed by this stage in %s", ctx->root);
                if (ctx->json)
                        print_assessment_json(ctx, &a, &(struct stage_result) {});
                assessment_done(&a);
                return EXIT_FAILED;
        }
        r = make_staging_dirs(lock_fd);
        if (r == 0)
                r = move_packages(ctx, &a);
        if (r == 0)
                r = write_restore_record(ctx, &a);
        if (r == 0 && arm && own) {
                /* Before the plan: slow, and may run out of space in /boot. */
                log_info("building the upgrade initramfs with dracut");
                r = boot_entry_build_initramfs(ctx->root, NULL, &image);
        } else if (r == 0 && arm && !(image = strdup(o.boot_initramfs)))
                r = -ENOMEM;
        if (r == 0)
                r = write_plan(ctx, &o, &a); /* its presence means "staged" */
        if (r == 0 && arm)
                r = join_upgrade_args(&o, &upgrade_args);
        if (r == 0 && arm)
                r = boot_entry_arm(ctx->root,
                                   &(struct boot_entry_spec) {
                                           .initramfs = image,
                                           .initramfs_built = own, /* else --boot-initramfs: the operator's */
                                           .extra_args = upgrade_args,
                                   });
        if (r == 0) {
                snprintf(st.message, sizeof(st.message), "staged %zu packages", a.n_candidates);
                st.packages_total = (unsigned) a.n_candidates;
                r = status_write(ctx->root, &st);
        }
        if (r < 0) {
                /* Disarm first: its record lives in the staging directory. */
                if (arm)
                        (void) boot_entry_disarm(ctx->root);
                if (remove_in_root(ctx->root, OSLIFT_STATE_DIR) < 0)
                        log_error("staging failed and %s could not be removed; run 'host-prep cancel'",
                                  state_dir);
                else
                        log_error("staging failed; nothing is staged in %s", ctx->root);
                remove_tree(spool);
                if (ctx->json)
                        print_assessment_json(ctx, &a, &(struct stage_result) {});
                assessment_done(&a);
                return EXIT_FAILED;
        }
        remove_tree(spool);
        if (ctx->json)
                print_assessment_json(ctx, &a, &(struct stage_result) {
                        .staged = true, .state_dir = state_dir, .initramfs = arm ? image : NULL,
                        .reboot = arm && o.reboot,
                });
        else if (!ctx->quiet) {
                printf("staged %zu packages (%llu MiB) and the plan in %s\n", a.n_candidates,
                       (unsigned long long) (a.staging_bytes >> 20), state_dir);
                if (arm)
                        printf("the next boot (once) runs the upgrade: %s; 'host-prep cancel' undoes it\n",
                               image);
                else
                        printf("no boot armed; apply with 'upgrader --root %s'\n", ctx->root);
        }
        /* Said again after the findings, where a staging script's log ends:
         * without keys, whoever can write a package into the target
         * directory runs code as root at the next boot. */
        if (o.n_keys == 0)
                log_warning("package signatures are NOT enforced: no --key was given, so only digests "
                            "were checked; stage with the target release's key to enforce them");
        assessment_done(&a);
        if (arm && o.reboot)
                return reboot_into_upgrade() < 0 ? EXIT_FAILED : EXIT_OK;
        return EXIT_OK;
}
