/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host-prep restore: the first boot of the upgraded system (or, with
 * --root, right after the upgrader). Puts back what stage recorded, brings
 * the rpmdb to the target's native format, writes the final report and
 * removes the staged packages (plan, logs and report stay).
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot-common.h"
#include "boot-entry.h"
#include "boot-record.h"
#include "chase.h"
#include "fsutil.h"
#include "health.h"
#include "host-prep.h"
#include "json.h"
#include "log.h"
#include "modulemd.h"
#include "outcome.h"
#include "paths.h"
#include "plan.h"
#include "restore-boot.h"
#include "restore-record.h"
#include "run.h"
#include "root-lock.h"
#include "rpmdb.h"
#include "status.h"
#include "strv.h"

struct restore {
        const char *root;
        bool json, quiet; /* what the report on stdout is */
        struct restore_record record;
        struct upgrade_outcome outcome;
        struct plan *plan;
        char **actions; /* what restore did */
        size_t n_actions;
        char **warnings; /* what it could not do */
        size_t n_warnings;
        char *rpmdb_problem; /* why the system's rpm cannot read its database; NULL: it can */
        char *boot_problem;  /* why the new kernel is not the default, and the fix; NULL: none */
        struct kernel_trial trial; /* the new kernel's trial boot, when armed */
        bool trial_armed;
};

static void note(char ***v, size_t *n, const char *fmt, ...) _printf_(3, 4);
static void note(char ***v, size_t *n, const char *fmt, ...) {
        char text[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        strv_push(v, n, text);
}

static int set_selinux_mode(struct restore *x, const char *mode) {
        char line[512];
        _cleanup_free_ char *text = NULL;
        _cleanup_fclose_ FILE *in = NULL;
        size_t size = 0;
        FILE *out;
        int fd = open_in_root(x->root, "/etc/selinux/config", O_RDONLY, 0);

        if (fd < 0)
                return fd;
        in = fdopen(fd, "r");
        if (!in) {
                close(fd);
                return -ENOMEM;
        }
        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        while (fgets(line, sizeof(line), in))
                if (strncmp(line, "SELINUX=", 8) == 0)
                        fprintf(out, "SELINUX=%s\n", mode);
                else
                        fputs(line, out);
        fclose(out);
        return write_file_atomic(x->root, "/etc/selinux/config", text, size, 0644);
}

/* The upgrade environment has no SELinux policy: every file it wrote is
 * unlabelled, so a system that uses SELinux must relabel on this boot. */
static void restore_selinux(struct restore *x) {
        char now[16];

        if (!*x->record.selinux)
                return;
        if (selinux_config_mode(x->root, now, sizeof(now)) < 0 || !*now) {
                note(&x->warnings, &x->n_warnings, "SELinux was %s before the upgrade, but the new "
                     "system has no /etc/selinux/config", x->record.selinux);
                return;
        }
        if (strcmp(now, x->record.selinux) != 0) {
                if (set_selinux_mode(x, x->record.selinux) < 0)
                        note(&x->warnings, &x->n_warnings, "could not set SELinux back to %s",
                             x->record.selinux);
                else
                        note(&x->actions, &x->n_actions, "SELinux mode set back to %s (was %s)",
                             x->record.selinux, now);
        }
        if (strcmp(x->record.selinux, "disabled") != 0) {
                if (write_file_atomic(x->root, "/.autorelabel", "", 0, 0644) < 0)
                        note(&x->warnings, &x->n_warnings, "could not schedule an SELinux relabel");
                else
                        note(&x->actions, &x->n_actions, "SELinux relabel scheduled (%s%s)",
                             root_prefix(x->root), "/.autorelabel");
        }
}

/* The module streams stage enabled that the old system had not
 * (--module-stream, what they require): enabled on the new one as
 * dnf module enable does, in /etc/dnf/modules.d/NAME.module, unless that
 * file already enables the same stream. */
static void restore_modules(struct restore *x) {
        for (size_t i = 0; i < x->record.n_modules; i++) {
                const char *item = x->record.modules[i], *stream = strchr(item, ':') + 1;
                int name_len = (int) (stream - 1 - item);
                _cleanup_free_ char *text = NULL, *old = NULL, *error = NULL;
                char path[PATH_MAX];
                struct module_state s = {};
                size_t len = 0;
                int fd, r;

                snprintf(path, sizeof(path), "/etc/dnf/modules.d/%.*s.module", name_len, item);
                fd = open_in_root(x->root, path, O_RDONLY | O_NOFOLLOW, 0);
                if (fd >= 0) {
                        r = read_bounded(fd, 65536, 1024, &old, &len);
                        close(fd);
                        if (r >= 0 && !memchr(old, 0, len)) {
                                _cleanup_free_ char *str = strndup(old, len);

                                if (str && module_state_parse(str, &s, &error) == 0) {
                                        bool same = s.enabled && s.stream && strcmp(s.stream, stream) == 0;

                                        free(s.name);
                                        free(s.stream);
                                        if (same)
                                                continue;
                                }
                        }
                }
                if (asprintf(&text, "[%.*s]\nname=%.*s\nstream=%s\nprofiles=\nstate=enabled\n", name_len, item,
                             name_len, item, stream) < 0 ||
                    mkdir_in_root(x->root, "/etc/dnf/modules.d", 0755) < 0 ||
                    write_file_atomic(x->root, path, text, strlen(text), 0644) < 0) {
                        note(&x->warnings, &x->n_warnings,
                             "could not enable module stream %s in %s: run dnf module enable %s", item, path, item);
                        continue;
                }
                note(&x->actions, &x->n_actions, "module stream %s enabled (%s), as stage chose it", item, path);
        }
}

/* Runs the target's own rpmdb, inside root, to write its native format.
 * Returns its exit status (0: success), 128 + N when signal N ended it,
 * or a negative errno when it could not be started or waited for. */
static int run_target_rpmdb(struct restore *x, const char *backend) {
        char define[64];
        pid_t pid;
        int status;

        snprintf(define, sizeof(define), "_db_backend %s", backend);
        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                if (strcmp(x->root, "/") != 0 && (chroot(x->root) < 0 || chdir("/") < 0))
                        _exit(127);
                execl("/usr/bin/rpmdb", "rpmdb", "--rebuilddb", "--define", define, (char *) NULL);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return negative_errno();
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int count_header(Header h, void *userdata) {
        (void) h;
        (*(uint64_t *) userdata)++;
        return 0;
}

/* How many packages the database in root holds, read whole
 * (rpmdb_foreach_installed); a negative errno, *ret_error saying why,
 * when it cannot be read so. */
static int count_installed(const char *root, uint64_t *ret, char **ret_error) {
        *ret = 0;
        return rpmdb_foreach_installed(root, count_header, ret, ret_error);
}

/* What to do when the system's rpm cannot read its database. */
static void rpmdb_fix_hint(char *buf, size_t size, const char *target) {
        snprintf(buf, size,
                 "until it is converted, rpm and dnf cannot see the installed packages. Fix what is "
                 "named, then run the system's own 'rpmdb --rebuilddb --define \"_db_backend %s\"' (as "
                 "root, on the system or chrooted into it) and check with 'rpm -qa'. Nothing was "
                 "removed: a copy of the upgraded database is in %s (put its files back into "
                 "/var/lib/rpm if they are gone), the pre-upgrade one in %s",
                 target, OSLIFT_RPMDB_UPGRADED_DIR, OSLIFT_RPMDB_BACKUP_DIR);
}

static void rpmdb_problem(struct restore *x, const char *fmt, ...) _printf_(2, 3);
static void rpmdb_problem(struct restore *x, const char *fmt, ...) {
        va_list ap;

        free(x->rpmdb_problem);
        va_start(ap, fmt);
        if (vasprintf(&x->rpmdb_problem, fmt, ap) < 0)
                x->rpmdb_problem = strdup("the conversion of the rpm database failed");
        va_end(ap);
}

/*
 * The upgrader wrote sqlite; a target whose rpm is older than 4.16 (EL 8:
 * 4.14) reads only its own format, so its own rpmdb converts it here. The
 * conversion counts as done only when that tool exited 0, the database is
 * then in the target's format, and it reads whole with as many packages as
 * the sqlite one held. Anything else is x->rpmdb_problem: the system's rpm
 * cannot read its database, and nothing is removed: a copy of the sqlite
 * database taken first stays in OSLIFT_RPMDB_UPGRADED_DIR, the pre-upgrade
 * one in OSLIFT_RPMDB_BACKUP_DIR.
 */
static void restore_rpmdb(struct restore *x) {
        _cleanup_free_ char *error = NULL, *error_after = NULL, *dbpath = NULL;
        char copy[PATH_MAX];
        enum rpmdb_backend now, after = RPMDB_BACKEND_NONE;
        uint64_t before_count = 0, after_count = 0;
        const char *target = x->record.target_backend;
        char path[PATH_MAX];
        int r;

        if (rpmdb_detect_backend(x->root, &now) < 0)
                return;
        if (*target && strcmp(target, rpmdb_backend_name(now)) != 0) {
                r = count_installed(x->root, &before_count, &error);
                if (r < 0)
                        rpmdb_problem(x, "the upgraded %s database cannot be read whole before converting it "
                                      "to %s: %s", rpmdb_backend_name(now), target,
                                      error ?: strerror(-r));
                else if (path_in_root(path, sizeof(path), x->root, "/usr/bin/rpmdb") < 0 ||
                         access(path, X_OK) < 0)
                        rpmdb_problem(x, "the rpmdb is %s, but the target's rpmdb tool (/usr/bin/rpmdb) "
                                      "is not installed, so it cannot be converted to %s",
                                      rpmdb_backend_name(now), target);
                else if ((r = rpmdb_path(x->root, &dbpath)) < 0 ||
                         (r = path_in_root(copy, sizeof(copy), x->root, OSLIFT_RPMDB_UPGRADED_DIR)) < 0 ||
                         (r = copy_dir_files(dbpath, copy)) < 0)
                        rpmdb_problem(x, "cannot keep a copy of the upgraded %s database in %s before "
                                      "converting it to %s: %s", rpmdb_backend_name(now),
                                      OSLIFT_RPMDB_UPGRADED_DIR, target, strerror(-r));
                else if ((r = run_target_rpmdb(x, target)) != 0) {
                        if (r < 0)
                                rpmdb_problem(x, "the target's rpmdb could not be run to convert the %s "
                                              "database to %s: %s", rpmdb_backend_name(now), target,
                                              strerror(-r));
                        else
                                rpmdb_problem(x, "the target's 'rpmdb --rebuilddb --define \"_db_backend "
                                              "%s\"' failed (exit status %d)", target, r);
                } else if (rpmdb_detect_backend(x->root, &after) < 0 ||
                           strcmp(rpmdb_backend_name(after), target) != 0)
                        rpmdb_problem(x, "the target's rpmdb exited 0 but did not write a %s database "
                                      "(the rpmdb directory holds %s)", target,
                                      rpmdb_backend_name(after));
                else if ((r = count_installed(x->root, &after_count, &error_after)) < 0)
                        rpmdb_problem(x, "the %s database the target's rpmdb wrote cannot be read whole: %s",
                                      target, error_after ?: strerror(-r));
                else if (after_count != before_count)
                        rpmdb_problem(x, "the %s database the target's rpmdb wrote holds %llu packages, the "
                                      "upgraded %s one held %llu", target, (unsigned long long) after_count,
                                      rpmdb_backend_name(now), (unsigned long long) before_count);
                else
                        note(&x->actions, &x->n_actions, "rpmdb converted from %s to %s (the target's "
                             "native format), %llu packages", rpmdb_backend_name(now), target,
                             (unsigned long long) after_count);
        }
        if (x->rpmdb_problem) {
                char hint[1024];

                log_error("the system's rpm cannot read its database: %s", x->rpmdb_problem);
                rpmdb_fix_hint(hint, sizeof(hint), target);
                log_error("what to do: %s", hint);
                return;
        }
        if (remove_in_root(x->root, OSLIFT_RPMDB_BACKUP_DIR) == 0)
                note(&x->actions, &x->n_actions, "removed the copy of the pre-upgrade rpmdb");
        r = remove_in_root(x->root, OSLIFT_RPMDB_UPGRADED_DIR);
        if (r < 0 && r != -ENOENT)
                note(&x->warnings, &x->n_warnings, "could not remove %s: %s", OSLIFT_RPMDB_UPGRADED_DIR,
                     strerror(-r));
}

static void count_ops(const struct plan *p, size_t counts[_PLAN_OP_MAX]) {
        memset(counts, 0, sizeof(size_t) * _PLAN_OP_MAX);
        for (size_t i = 0; p && i < p->n_packages; i++)
                counts[p->packages[i].op]++;
}

static void write_json_list(FILE *f, const char *key, char **v, size_t n) {
        fprintf(f, ",\"%s\":[", key);
        for (size_t i = 0; i < n; i++) {
                if (i)
                        fputc(',', f);
                json_write_string(f, v[i]);
        }
        fputc(']', f);
}

/* report.json's "kernel_trial": the trial as result says it ended
 * ("pending", "committed", "failed"), and what restore did or the problem
 * and its fix (NULL: none). The pending one is written by the boot that
 * armed the trial, replaced whole by the next (report_trial_update()). */
static void write_trial_json(FILE *f, const struct kernel_trial *t, const char *result, const char *message) {
        fprintf(f, "{\"kernel\":");
        json_write_string(f, t->kernel);
        fprintf(f, ",\"entry\":");
        json_write_string(f, t->entry);
        fprintf(f, ",\"old_kernel\":");
        json_write_string(f, t->old_kernel);
        fprintf(f, ",\"result\":");
        json_write_string(f, result);
        fprintf(f, ",\"message\":");
        if (message)
                json_write_string(f, message);
        else
                fputs("null", f);
        fputc('}', f);
}

static char *trial_json(const struct kernel_trial *t, const char *result, const char *message) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return NULL;
        write_trial_json(f, t, result, message);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

static int write_reports(struct restore *x) {
        _cleanup_free_ char *txt = NULL, *json = NULL;
        size_t txt_size = 0, json_size = 0, counts[_PLAN_OP_MAX];
        const struct upgrade_outcome *o = &x->outcome;
        FILE *f;
        int r;

        count_ops(x->plan, counts);
        f = open_memstream(&txt, &txt_size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "oslift upgrade report\n\nresult: %s in %.1f s\n", o->result, o->seconds);
        if (x->rpmdb_problem) {
                char hint[1024];

                rpmdb_fix_hint(hint, sizeof(hint), x->record.target_backend);
                fprintf(f, "\nPROBLEM: the system's rpm cannot read its database: %s\n  what to do: %s\n",
                        x->rpmdb_problem, hint);
        }
        if (x->boot_problem)
                fprintf(f, "\nPROBLEM: the new kernel is not the default boot entry: %s\n", x->boot_problem);
        if (x->trial_armed)
                fprintf(f, "\nkernel trial: %s boots once at the next boot; %s stays the default until it has "
                           "come up (then restore makes it the default)\n",
                        x->trial.kernel, x->trial.old_kernel);
        fprintf(f, "plan: %zu upgrades, %zu new packages, %zu install-only (kernels), %zu erasures\n",
                counts[PLAN_OP_UPGRADE], counts[PLAN_OP_INSTALL], counts[PLAN_OP_INSTALL_ONLY],
                counts[PLAN_OP_ERASE]);
        fprintf(f, "rpm: %u packages installed, %u erased (old versions and obsoleted)\n", o->installed,
                o->erased);
        if (o->n_failures) {
                fprintf(f, "\npackages rpm failed, not upgraded (%zu):\n", o->n_failures);
                for (size_t i = 0; i < o->n_failures; i++) {
                        const struct upgrade_failure *g = &o->failures[i];
                        fprintf(f, "  %s: %s\n", g->nevra, g->reason);
                        if (strcmp(g->kept, "-") == 0)
                                fprintf(f, "    not installed\n");
                        else
                                fprintf(f, "    kept: %s\n", g->kept);
                }
                fprintf(f, "  what to do: fix what made rpm fail them (the reason above, %s), then "
                           "install them with rpm or dnf\n", OSLIFT_UPGRADE_LOG);
        }
        fprintf(f, "\nconfiguration files kept as they were (%zu):\n", o->n_config_files);
        for (size_t i = 0; i < o->n_config_files; i++)
                fprintf(f, "  %s\n", o->config_files[i]);
        fprintf(f, "\nscriptlet failures (%zu):\n", o->n_script_failures);
        for (size_t i = 0; i < o->n_script_failures; i++)
                fprintf(f, "  %s\n", o->script_failures[i]);
        fprintf(f, "\nerrors (%zu):\n", o->n_errors);
        for (size_t i = 0; i < o->n_errors; i++)
                fprintf(f, "  %s\n", o->errors[i]);
        fprintf(f, "\nrestore:\n");
        for (size_t i = 0; i < x->n_actions; i++)
                fprintf(f, "  %s\n", x->actions[i]);
        for (size_t i = 0; i < x->n_warnings; i++)
                fprintf(f, "  warning: %s\n", x->warnings[i]);
        fprintf(f, "\nlog: %s\n", OSLIFT_UPGRADE_LOG);
        fclose(f);

        f = open_memstream(&json, &json_size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "{\"version\":1,\"result\":");
        json_write_string(f, o->result);
        fprintf(f, ",\"seconds\":%.3f,\"plan\":{\"upgrade\":%zu,\"install\":%zu,\"install_only\":%zu,"
                   "\"erase\":%zu},\"installed\":%u,\"erased\":%u",
                o->seconds, counts[PLAN_OP_UPGRADE], counts[PLAN_OP_INSTALL],
                counts[PLAN_OP_INSTALL_ONLY], counts[PLAN_OP_ERASE], o->installed, o->erased);
        write_json_list(f, "config_files", o->config_files, o->n_config_files);
        write_json_list(f, "scriptlet_failures", o->script_failures, o->n_script_failures);
        write_json_list(f, "errors", o->errors, o->n_errors);
        fprintf(f, ",\"failed_packages\":[");
        for (size_t i = 0; i < o->n_failures; i++) {
                const struct upgrade_failure *g = &o->failures[i];
                fprintf(f, "%s{\"package\":", i ? "," : "");
                json_write_string(f, g->nevra);
                fprintf(f, ",\"kept\":[");
                /* "a,b" or "-" for none */
                if (strcmp(g->kept, "-") != 0) {
                        const char *p = g->kept;
                        for (bool first = true; *p; first = false) {
                                size_t n = strcspn(p, ",");
                                _cleanup_free_ char *one = strndup(p, n);
                                if (!first)
                                        fputc(',', f);
                                json_write_string(f, one ?: "");
                                p += n + (p[n] == ',');
                        }
                }
                fprintf(f, "],\"reason\":");
                json_write_string(f, g->reason);
                fputc('}', f);
        }
        fputc(']', f);
        write_json_list(f, "restore_actions", x->actions, x->n_actions);
        write_json_list(f, "restore_warnings", x->warnings, x->n_warnings);
        fprintf(f, ",\"rpmdb_problem\":");
        if (x->rpmdb_problem)
                json_write_string(f, x->rpmdb_problem);
        else
                fputs("null", f);
        fprintf(f, ",\"boot_problem\":");
        if (x->boot_problem)
                json_write_string(f, x->boot_problem);
        else
                fputs("null", f);
        fprintf(f, ",\"kernel_trial\":");
        if (x->trial_armed)
                write_trial_json(f, &x->trial, "pending", NULL);
        else
                fputs("null", f);
        fprintf(f, ",\"log\":\"%s\"}\n", OSLIFT_UPGRADE_LOG);
        fclose(f);

        r = mkdir_in_root(x->root, OSLIFT_LOG_DIR, 0755);
        if (r == 0)
                r = write_file_atomic(x->root, OSLIFT_REPORT_TXT, txt, txt_size, 0644);
        if (r == 0)
                r = write_file_atomic(x->root, OSLIFT_REPORT_JSON, json, json_size, 0644);
        if (r == 0 && x->json)
                fputs(json, stdout);
        else if (r == 0 && !x->quiet)
                fputs(txt, stdout);
        return r;
}

/* As systemctl enable would, by a symlink (the unit's [Install]). */
static int enable_verify_unit(const char *root) {
        _cleanup_free_ char *dir = NULL, *link = NULL;
        int r = mkdir_in_root(root, OSLIFT_VERIFY_WANTS_DIR, 0755);

        if (r == 0)
                r = chase_in_root(root, OSLIFT_VERIFY_WANTS_DIR, &dir);
        if (r < 0)
                return r;
        if (asprintf(&link, "%s%s/%s", root_prefix(root), strcmp(dir, "/") ? dir : "", OSLIFT_VERIFY_UNIT_NAME) < 0)
                return -ENOMEM;
        (void) unlink(link);
        return symlink(OSLIFT_VERIFY_UNIT, link) < 0 ? negative_errno() : 0;
}

/* The reports the boot that armed the trial wrote, with its end: in
 * report.json the pending "kernel_trial" replaced (and "boot_problem" set
 * when there is one), report.txt with text added at its end. */
static int report_trial_update(const char *root, const struct kernel_trial *t, const char *result,
                               const char *message, const char *problem, const char *txt_add) {
        _cleanup_free_ char *json = NULL, *txt = NULL, *pending = trial_json(t, "pending", NULL),
                            *ended = trial_json(t, result, message), *out = NULL, *prob = NULL;
        size_t prob_size = 0;
        const char *at, *null_problem = ",\"boot_problem\":null,";
        int r;

        if (!pending || !ended)
                return -ENOMEM;
        r = boot_read_file(root, OSLIFT_REPORT_JSON, (size_t) 16 << 20, &json, NULL, NULL);
        if (r < 0)
                return r;
        if (!(at = strstr(json, pending)))
                return -EBADMSG;
        if (asprintf(&out, "%.*s%s%s", (int) (at - json), json, ended, at + strlen(pending)) < 0)
                return -ENOMEM;
        if (problem && (at = strstr(out, null_problem))) {
                FILE *f = open_memstream(&prob, &prob_size);
                char *with = NULL;

                if (!f)
                        return -ENOMEM;
                fprintf(f, "%.*s,\"boot_problem\":", (int) (at - out), out);
                json_write_string(f, problem);
                fprintf(f, ",%s", at + strlen(null_problem));
                if (fclose(f) != 0)
                        return -ENOMEM;
                with = TAKE_PTR(prob);
                free(out);
                out = with;
        }
        if (!json_valid(out, strlen(out)))
                return -EBADMSG;
        r = write_file_atomic(root, OSLIFT_REPORT_JSON, out, strlen(out), 0644);
        if (r < 0)
                return r;
        free(out);
        out = NULL;
        r = boot_read_file(root, OSLIFT_REPORT_TXT, (size_t) 16 << 20, &txt, NULL, NULL);
        if (r < 0)
                return r;
        if (asprintf(&out, "%s%s", txt, txt_add) < 0)
                return -ENOMEM;
        return write_file_atomic(root, OSLIFT_REPORT_TXT, out, strlen(out), 0644);
}

/*
 * The boot after restore armed the new kernel's trial boot: whether it came
 * up on it (the running kernel is the trial's) decides. It did: the new
 * kernel is made the default. It did not (GRUB booted it once, the machine
 * came back on the old kernel, the default): the old kernel stays the
 * default, and the record, the report and the status say so loudly, with
 * what to do. Either way this is the unit's last run.
 */
static int restore_trial(const struct context *ctx, struct upgrade_status *st, struct kernel_trial *t) {
        _cleanup_free_ char *running = NULL, *action = NULL, *problem = NULL, *txt = NULL;
        int r = restore_running_kernel(ctx->root, &running), exit_status = EXIT_OK;

        if (r < 0) {
                _cleanup_free_ char *proc = boot_proc_or_sys(ctx->root, "OSLIFT_PROC", "/proc");
                log_error("the new kernel %s's trial boot is pending, but the running kernel cannot be told "
                          "(no %s/sys/kernel/osrelease: %s): nothing changed; write it there, or set "
                          "OSLIFT_PROC, and run 'host-prep restore' again",
                          t->kernel, proc ?: "/proc", strerror(-r));
                return EXIT_FAILED;
        }
        r = restore_boot_trial(ctx->root, t, running, &action, &problem);
        if (r == 0) {
                if (asprintf(&problem,
                             "the new kernel %s DID NOT COME UP on its trial boot: GRUB booted it once and the "
                             "machine came back on %s (a panic, a hang ended by a reset or the watchdog, a "
                             "missing driver for the root file system), which stays the default: the system "
                             "runs the new release on the old kernel. What to do: read the new kernel's boot on "
                             "the console (its last messages before the reset), fix what made it fail (rebuild "
                             "its initramfs: dracut -f /boot/initramfs-%s.img %s; check the options of "
                             "/boot/loader/entries/%s.conf), boot it once more with 'grub2-reboot %s' and "
                             "reboot; once it has come up, make it the default with 'grubby --set-default "
                             "/boot/vmlinuz-%s'",
                             t->kernel, running, t->kernel, t->kernel, t->entry, t->entry, t->kernel) < 0)
                        return log_error("out of memory"), EXIT_FAILED;
                log_error("%s", problem);
                t->result = KERNEL_TRIAL_FAILED;
                snprintf(t->booted, sizeof(t->booted), "%s", running);
                if (kernel_trial_write(ctx->root, t) < 0)
                        log_warning("could not record the failed trial in %s", OSLIFT_KERNEL_TRIAL_FILE);
                st->state = UPGRADE_RESTORED_WITH_PROBLEMS;
                snprintf(st->message, sizeof(st->message),
                         "restored with problems: the new kernel %.100s did not come up on its trial boot; "
                         "the old kernel %.100s stays the default ('host-prep status' and %s say what to do)",
                         t->kernel, running, OSLIFT_REPORT_TXT);
                exit_status = EXIT_FAILED;
        } else if (r < 0) {
                if (!problem && !(problem = strdup("making the new kernel the default failed (out of memory)")))
                        return log_error("out of memory"), EXIT_FAILED;
                log_error("the new kernel is not the default boot entry: %s", problem);
                (void) remove_in_root(ctx->root, OSLIFT_KERNEL_TRIAL_FILE);
                st->state = UPGRADE_RESTORED_WITH_PROBLEMS;
                snprintf(st->message, sizeof(st->message),
                         "restored with problems: the new kernel %.100s came up on its trial boot but is not "
                         "the default boot entry; see %s", t->kernel, OSLIFT_REPORT_TXT);
                exit_status = EXIT_FAILED;
        } else {
                log_info("%s", action ?: "the new kernel is the default now");
                if (remove_in_root(ctx->root, OSLIFT_KERNEL_TRIAL_FILE) < 0)
                        log_warning("could not remove %s", OSLIFT_KERNEL_TRIAL_FILE);
                if (st->state == UPGRADE_RESTORED)
                        snprintf(st->message, sizeof(st->message),
                                 "restored: the new kernel %.100s came up on its trial boot and boots by default",
                                 t->kernel);
        }
        if (problem && asprintf(&txt, "\nPROBLEM: the new kernel is not the default boot entry: %s\n", problem) < 0)
                txt = NULL;
        else if (!problem && asprintf(&txt, "\nkernel trial: %s\n", action ?: "the new kernel is the default") < 0)
                txt = NULL;
        r = report_trial_update(ctx->root, t, r == 0 ? "failed" : r < 0 ? "not-committed" : "committed",
                                problem ?: action, problem, txt ?: "");
        if (r < 0)
                log_warning("could not add the trial boot's end to %s and %s: %s", OSLIFT_REPORT_JSON,
                            OSLIFT_REPORT_TXT, strerror(-r));
        if (!ctx->quiet)
                printf("%s", txt ?: "");
        if (remove_in_root(ctx->root, OSLIFT_RESTORE_UNIT_LINK) == 0)
                log_info("disabled %s", OSLIFT_RESTORE_UNIT_NAME);
        if (status_write(ctx->root, st) < 0)
                return EXIT_FAILED;
        return exit_status;
}

int cmd_restore(const struct context *ctx, int argc, char **argv) {
        struct restore x = { .root = ctx->root, .json = ctx->json, .quiet = ctx->quiet };
        struct upgrade_status st;
        char path[PATH_MAX];
        int r;

        if (argc > 1) {
                if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                        printf("Usage: host-prep [--root DIR] [--json] restore\n"
                               "Finishes an applied upgrade: restores recorded settings, converts the\n"
                               "rpmdb to the target's format, writes the report, removes staged packages.\n");
                        return EXIT_OK;
                }
                log_error("restore takes no arguments, got '%s'", argv[1]);
                return EXIT_USAGE;
        }
        /* Held to the end: not while another oslift command works here. */
        _cleanup_close_ int lock_fd = root_lock(ctx->root, false);
        if (lock_fd < 0 && lock_fd != -ENOENT)
                return EXIT_FAILED;
        r = status_read(ctx->root, &st);
        if (r == -ENOENT) {
                log_info("nothing to restore in %s: no upgrade was staged", ctx->root);
                return EXIT_OK;
        }
        if (r < 0)
                return log_error_errno(r, "cannot read %s", OSLIFT_STATUS_FILE), EXIT_FAILED;
        if (st.state == UPGRADE_RESTORED || st.state == UPGRADE_RESTORED_WITH_PROBLEMS) {
                struct kernel_trial t;

                if (kernel_trial_read(ctx->root, &t) == 0 && t.result == KERNEL_TRIAL_PENDING)
                        return restore_trial(ctx, &st, &t);
                log_info("already restored; the report is %s", OSLIFT_REPORT_TXT);
                return EXIT_OK;
        }
        /* Some packages kept their old version: the system is the new
         * release all the same, and what stage recorded goes back. */
        if (st.state != UPGRADE_APPLIED && st.state != UPGRADE_APPLIED_WITH_PROBLEMS) {
                log_error("the upgrade is %s, not applied: nothing to restore (%s)",
                          upgrade_state_name(st.state), st.message);
                return EXIT_FAILED;
        }
        r = restore_record_read(ctx->root, &x.record);
        if (r < 0)
                log_warning("no record of what to restore (%s): skipping that part", strerror(-r));
        r = upgrade_outcome_read(ctx->root, &x.outcome);
        if (r < 0)
                snprintf(x.outcome.result, sizeof(x.outcome.result), "%s",
                         st.state == UPGRADE_APPLIED ? OUTCOME_RESULT_APPLIED : OUTCOME_RESULT_APPLIED_WITH_PROBLEMS);
        /* The plan only names the packages in the report: without it, none. */
        if (path_in_root(path, sizeof(path), ctx->root, OSLIFT_PLAN_FILE) == 0)
                plan_load(AT_FDCWD, path, &x.plan, NULL);

        restore_selinux(&x);
        restore_modules(&x);
        restore_rpmdb(&x);
        r = remove_in_root(ctx->root, OSLIFT_PACKAGES_DIR);
        if (r == 0)
                note(&x.actions, &x.n_actions, "removed the staged packages");
        else if (r != -ENOENT)
                note(&x.warnings, &x.n_warnings, "could not remove %s: %s", OSLIFT_PACKAGES_DIR, strerror(-r));

        bool armed = path_in_root(path, sizeof(path), ctx->root, BOOT_ENTRY_RECORD) == 0 && access(path, F_OK) == 0;
        _cleanup_(boot_record_done) struct boot_record armed_rec = {};
        bool theirs = boot_record_read(ctx->root, &armed_rec) == 0 && !armed_rec.initramfs_built;
        if (boot_entry_disarm(ctx->root) < 0)
                note(&x.warnings, &x.n_warnings, "could not remove the oslift upgrade boot entry "
                     "(### BEGIN oslift ### in the GRUB directory's custom.cfg)");
        else if (armed && theirs)
                note(&x.actions, &x.n_actions, "removed the one-time upgrade boot entry (the initramfs %s, "
                     "given with --boot-initramfs, is kept)", armed_rec.initramfs);
        else if (armed)
                note(&x.actions, &x.n_actions, "removed the one-time upgrade boot entry and its initramfs");

        /* The new kernel's boot entry, after a change of scheme (EL 7 -> 8):
         * after the upgrade entry is gone, with the kernel it booted as the
         * old one. */
        bool reboot = false;
        {
                _cleanup_free_ char *action = NULL, *old_kver = NULL;
                if (armed_rec.kver && *armed_rec.kver)
                        old_kver = strdup(armed_rec.kver);
                else if (boot_entry_default_kver(ctx->root, &old_kver) < 0)
                        old_kver = NULL;
                _cleanup_free_ char *options_action = NULL, *options_problem = NULL;
                if (restore_boot_options(ctx->root, &options_action, &options_problem) < 0) {
                        log_warning("%s", options_problem ?: "cannot rewrite the new kernel's boot entry (out of memory)");
                        note(&x.warnings, &x.n_warnings, "%s",
                             options_problem ?: "cannot rewrite the new kernel's boot entry (out of memory)");
                } else if (options_action)
                        note(&x.actions, &x.n_actions, "%s", options_action);
                r = restore_boot_entries(ctx->root, old_kver, &x.trial, &action, &x.boot_problem);
                if (r > 0 && kernel_trial_write(ctx->root, &x.trial) < 0) {
                        /* Without the record no boot would make it the
                         * default: the one-time entry stays, and says so. */
                        if (asprintf(&x.boot_problem, "%s; but recording the trial in %s failed, so nothing makes "
                                     "it the default once it has come up: after the next boot, if it runs %s, "
                                     "run 'grubby --set-default /boot/vmlinuz-%s'",
                                     action ?: "the new kernel boots once at the next boot", OSLIFT_KERNEL_TRIAL_FILE,
                                     x.trial.kernel, x.trial.kernel) < 0)
                                x.boot_problem = NULL;
                        r = -EIO;
                }
                x.trial_armed = r > 0;
                if (r < 0) {
                        if (!x.boot_problem)
                                x.boot_problem = strdup("making the new kernel the default failed (out of memory)");
                        log_error("the new kernel is not the default boot entry: %s", x.boot_problem);
                } else if (r > 0 && action) {
                        /* This boot still runs the old kernel: on the running
                         * system, reboot into the new one before the services
                         * start (restore runs before sysinit.target), so they
                         * come up once, on the kernel they keep. */
                        reboot = strcmp(ctx->root, "/") == 0;
                        note(&x.actions, &x.n_actions, "%s; %s", action,
                             reboot ? "rebooting into it now, before the services start"
                                    : "it runs at the next boot");
                }
        }

        /* One first boot only, and the trial's after it. */
        if (x.trial_armed)
                note(&x.actions, &x.n_actions, "kept %s enabled: it runs once more at the next boot, to make the "
                     "new kernel the default if it came up", OSLIFT_RESTORE_UNIT_NAME);
        else if (remove_in_root(ctx->root, OSLIFT_RESTORE_UNIT_LINK) == 0)
                note(&x.actions, &x.n_actions, "disabled oslift-restore.service");
        /* The health check, once the new release is up (its services
         * running): a unit after multi-user on the running system; in a
         * root directory right after this, below. */
        if (x.plan && x.plan->verify && strcmp(ctx->root, "/") == 0) {
                if (enable_verify_unit(ctx->root) < 0)
                        note(&x.warnings, &x.n_warnings, "could not enable %s: run 'host-prep verify' by hand "
                             "once the system is up", OSLIFT_VERIFY_UNIT_NAME);
                else {
                        note(&x.actions, &x.n_actions, "enabled %s: it runs '%s' once the system is up (%u s to "
                             "succeed) and rolls back when it does not succeed", OSLIFT_VERIFY_UNIT_NAME,
                             x.plan->verify, x.plan->verify_timeout);
                        /* This boot's transaction was computed before the
                         * link: queue the unit for it (after multi-user),
                         * unless restore reboots into the new kernel first:
                         * then the link starts it in that boot, where the
                         * check belongs. */
                        const char *systemctl = systemctl_path();
                        if (!reboot && access("/run/systemd/system", F_OK) == 0 &&
                            (!systemctl ||
                             run_logged((char *const[]) { (char *) systemctl, (char *) "--no-block",
                                                          (char *) "start", (char *) OSLIFT_VERIFY_UNIT_NAME,
                                                          NULL }) < 0))
                                note(&x.warnings, &x.n_warnings, "could not queue %s for this boot: it runs at "
                                     "the next one", OSLIFT_VERIFY_UNIT_NAME);
                }
        } else if (x.plan && x.plan->verify)
                note(&x.actions, &x.n_actions, "the verify command '%s' runs next, chrooted into %s (no "
                     "service of the new release runs there); when it fails the rollback is asked for",
                     x.plan->verify, ctx->root);

        r = write_reports(&x);
        if (r < 0)
                log_error_errno(r, "cannot write the report");
        if (x.boot_problem && !x.rpmdb_problem) {
                st.state = UPGRADE_RESTORED_WITH_PROBLEMS;
                snprintf(st.message, sizeof(st.message),
                         "restored with problems: the new kernel is not the default boot entry; see %s",
                         OSLIFT_REPORT_TXT);
        } else if (x.rpmdb_problem) {
                st.state = UPGRADE_RESTORED_WITH_PROBLEMS;
                snprintf(st.message, sizeof(st.message),
                         "restored with problems: the system's rpm cannot read its database: %s; see %s",
                         x.rpmdb_problem, OSLIFT_REPORT_TXT);
        } else if (st.state == UPGRADE_APPLIED_WITH_PROBLEMS) {
                st.state = UPGRADE_RESTORED_WITH_PROBLEMS;
                snprintf(st.message, sizeof(st.message),
                         "restored: %zu actions, %zu warnings; applied with problems: rpm failed %zu packages, "
                         "what they replace stays installed (%s%s); see %s",
                         x.n_actions, x.n_warnings, x.outcome.n_failures,
                         x.outcome.n_failures ? x.outcome.failures[0].nevra : "see the log",
                         x.outcome.n_failures > 1 ? ", ..." : "", OSLIFT_REPORT_TXT);
        } else {
                st.state = UPGRADE_RESTORED;
                snprintf(st.message, sizeof(st.message), "restored: %zu actions, %zu warnings%s%.100s%s",
                         x.n_actions, x.n_warnings, x.trial_armed ? "; the new kernel " : "",
                         x.trial_armed ? x.trial.kernel : "",
                         x.trial_armed ? " boots once on trial at the next boot, the old one stays the default "
                                         "until it has come up" : "");
        }
        if (status_write(ctx->root, &st) < 0)
                r = -EIO;

        if (reboot) {
                const char *systemctl = systemctl_path();
                log_info("rebooting into the new kernel, once (its trial boot; the old kernel stays the default)");
                if (!systemctl ||
                    run_logged((char *const[]) { (char *) systemctl, (char *) "reboot", (char *) "--no-block", NULL }) < 0)
                        log_warning("could not reboot (systemctl reboot): the new kernel runs from the next boot");
        }

        bool verify = x.plan && x.plan->verify && strcmp(ctx->root, "/") != 0 && r >= 0;
        upgrade_outcome_done(&x.outcome);
        plan_free(x.plan);
        strv_free(x.actions, x.n_actions);
        strv_free(x.warnings, x.n_warnings);
        bool problem = x.rpmdb_problem || x.boot_problem;
        free(x.rpmdb_problem);
        free(x.boot_problem);
        if (verify) {
                /* The lock is taken again by the rollback it may ask for. */
                if (lock_fd >= 0) {
                        close(lock_fd);
                        lock_fd = -1;
                }
                if (health_verify(ctx) != EXIT_OK)
                        return EXIT_FAILED;
        }
        return r < 0 || problem ? EXIT_FAILED : EXIT_OK;
}
