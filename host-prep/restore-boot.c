/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The new kernel's boot entry after a change of scheme; see restore-boot.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <rpm/rpmver.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "boot-common.h"
#include "boot-entry.h"
#include "chase.h"
#include "fsutil.h"
#include "grubenv.h"
#include "kernel-args.h"
#include "log.h"
#include "macro.h"
#include "restore-boot.h"
#include "run.h"

#define BLS_DIR "/boot/loader/entries"
#define GRUB_DEFAULTS "/etc/default/grub"
#define BLS_SNIPPET_MAX ((size_t) 64 << 10)

/* The newest snippet: its id (file name without .conf) and version. */
struct snippet {
        char *id;
        char *kver;
        char *linux_path, *initrd; /* as the snippet names them: on /boot's file system */
};

static void snippet_done(struct snippet *s) {
        free(s->id);
        free(s->kver);
        free(s->linux_path);
        free(s->initrd);
}

/* An id goes on a command line and is looked for in grub.cfg between
 * single quotes: what kernel-install names them of (machine id or entry
 * token, kernel version). */
static bool id_valid(const char *id) {
        if (!*id || strlen(id) > 200)
                return false;
        for (const char *p = id; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-~", *p))
                        return false;
        return true;
}

/* The value of "key value" in a snippet (a copy), NULL when absent. */
static char *snippet_field(const char *text, const char *key) {
        size_t klen = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strncmp(l, key, klen) != 0 || (l[klen] != ' ' && l[klen] != '\t'))
                        continue;
                const char *v = l + klen + strspn(l + klen, " \t");
                size_t n = strcspn(v, "\r\n");
                while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                        n--;
                return strndup(v, n);
        }
        return NULL;
}

/* The snippet of the newest kernel version: 1, 0 when there is none. */
static int newest_snippet(const char *root, struct snippet *ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        char dir[PATH_MAX];
        struct dirent *de;

        *ret = (struct snippet) {};
        if (path_in_root(dir, sizeof(dir), root, BLS_DIR) < 0 || !(d = opendir(dir)))
                return 0;
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                _cleanup_free_ char *path = NULL, *text = NULL, *kver = NULL, *id = NULL;

                if (n <= 5 || strcmp(de->d_name + n - 5, ".conf") != 0)
                        continue;
                id = strndup(de->d_name, n - 5);
                if (!id || !id_valid(id) || asprintf(&path, "%s/%s", BLS_DIR, de->d_name) < 0)
                        continue;
                if (boot_read_file(root, path, BLS_SNIPPET_MAX, &text, NULL, NULL) < 0)
                        continue;
                kver = snippet_field(text, "version");
                if (!kver || !boot_kver_valid(kver))
                        continue;
                if (ret->kver && rpmvercmp(kver, ret->kver) <= 0)
                        continue;
                snippet_done(ret);
                ret->id = TAKE_PTR(id);
                ret->kver = TAKE_PTR(kver);
                ret->linux_path = snippet_field(text, "linux");
                ret->initrd = snippet_field(text, "initrd");
        }
        return ret->kver ? 1 : 0;
}

/* Where "vmlinuz-KVER" is in text as a whole word, NULL when nowhere. */
static const char *find_kernel(const char *text, const char *kver) {
        char word[PATH_MAX];
        size_t n;

        n = (size_t) snprintf(word, sizeof(word), "vmlinuz-%s", kver);
        for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
                if (!p[n] || strchr(" \t\r\n", p[n]))
                        return p;
        return NULL;
}

/* Whether grub.cfg boots kver: an entry of its own, or blscfg (which reads
 * the snippets at boot). */
static bool cfg_boots(const char *cfg, const char *kver) {
        return strstr(cfg, "blscfg") || find_kernel(cfg, kver);
}

/* Whether the menu entry named entry (title or id, single-quoted as
 * grub-mkconfig writes them) boots kver; with blscfg, whether entry is the
 * snippet's id bls_id (NULL: none). */
static bool cfg_entry_boots(const char *cfg, const char *entry, const char *kver, const char *bls_id) {
        _cleanup_free_ char *quoted = NULL;

        if (bls_id && strstr(cfg, "blscfg") && strcmp(entry, bls_id) == 0)
                return true;
        if (asprintf(&quoted, "'%s'", entry) < 0)
                return false;
        for (const char *p = strstr(cfg, quoted); p; p = strstr(p + 1, quoted)) {
                const char *start = p, *end = strstr(p, "\n}"), *k;

                while (start > cfg && start[-1] != '\n')
                        start--;
                if (strncmp(start, "menuentry ", 10) != 0 || !end)
                        continue;
                k = find_kernel(p, kver);
                if (k && k < end)
                        return true;
        }
        return false;
}

/* The name grub2-set-default takes for the first menu entry of grub.cfg
 * that boots kver: its id ($menuentry_id_option or --id), else its title;
 * NULL when there is none. */
static char *cfg_entry_name(const char *cfg, const char *kver) {
        for (const char *p = cfg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                const char *end, *k, *eol, *q, *name = NULL;

                if (strncmp(p, "menuentry ", 10) != 0 || !(end = strstr(p, "\n}")))
                        continue;
                k = find_kernel(p, kver);
                if (!k || k > end)
                        continue;
                eol = p + strcspn(p, "\n");
                for (const char *opt = p; (opt = strstr(opt, "$menuentry_id_option '")) && opt < eol; opt++)
                        name = opt + strlen("$menuentry_id_option '");
                if (!name)
                        for (const char *opt = p; (opt = strstr(opt, "--id '")) && opt < eol; opt++)
                                name = opt + strlen("--id '");
                if (!name && (q = memchr(p, '\'', (size_t) (eol - p))))
                        name = q + 1;
                if (!name || !(q = memchr(name, '\'', (size_t) (eol - name))))
                        continue;
                return strndup(name, (size_t) (q - name));
        }
        return NULL;
}

/* Whether a snippet's path names a file: on the file system holding
 * /boot, so below /boot when that is a file system of its own. */
static bool snippet_file_exists(const char *root, const char *path) {
        _cleanup_free_ char *below_boot = NULL;

        if (!path || path[0] != '/' || strstr(path, "/../") || strlen(path) >= PATH_MAX - 8)
                return false;
        if (boot_exists_in_root(root, path, S_IFREG))
                return true;
        return asprintf(&below_boot, "/boot%s", path) >= 0 && boot_exists_in_root(root, below_boot, S_IFREG);
}

/* The first of the paths that is an executable in root, NULL if none. */
static const char *find_tool(const char *root, const char *const *paths) {
        char path[PATH_MAX];

        for (; *paths; paths++)
                if (path_in_root(path, sizeof(path), root, *paths) == 0 && access(path, X_OK) == 0)
                        return *paths;
        return NULL;
}

static int problem(char **ret, int r, const char *fmt, ...) _printf_(3, 4);
static int problem(char **ret, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret, fmt, ap) < 0)
                *ret = NULL;
        va_end(ap);
        return r;
}

/* GRUB_DEFAULT=0 in /etc/default/grub (text) changed to saved: *ret the
 * new text, NULL when there is no such line. */
static int defaults_saved(const char *text, char **ret) {
        *ret = NULL;
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                size_t n = strcspn(l, "\r\n");

                if (n > 12 && strncmp(l, "GRUB_DEFAULT=", 13) == 0 &&
                    ((n == 14 && l[13] == '0') || (n == 16 && (strncmp(l + 13, "\"0\"", 3) == 0 ||
                                                               strncmp(l + 13, "'0'", 3) == 0))))
                        return asprintf(ret, "%.*sGRUB_DEFAULT=saved%s", (int) (l - text), text, l + n) < 0
                                       ? -ENOMEM
                                       : 0;
        }
        return 0;
}

int restore_boot_entries(const char *root, const char *old_kver, struct kernel_trial *ret_trial, char **ret_action,
                         char **ret_problem) {
        static const char *const mkconfigs[] = { "/usr/sbin/grub2-mkconfig", "/usr/bin/grub2-mkconfig", NULL };
        static const char *const grubbys[] = { "/usr/sbin/grubby", "/usr/bin/grubby", NULL };
        static const char *const set_defaults[] = { "/usr/sbin/grub2-set-default", "/usr/bin/grub2-set-default",
                                                    NULL };
        _cleanup_(boot_grub_done) struct boot_grub g = {};
        _cleanup_(grubenv_freep) struct grubenv *env_before = NULL, *env_after = NULL;
        _cleanup_free_ char *reason = NULL, *cfg = NULL, *cfg_path = NULL, *new_cfg = NULL,
                            *kernel = NULL, *fix = NULL, *defaults = NULL, *saved_defaults = NULL,
                            *old_entry = NULL, *old_kernel = NULL;
        struct snippet s __attribute__((cleanup(snippet_done))) = {};
        const char *mkconfig, *set_tool, *saved, *was;
        mode_t defaults_mode = 0644;
        char snippet_path[PATH_MAX];
        bool have_env;
        int r;

        *ret_action = *ret_problem = NULL;
        if (newest_snippet(root, &s) <= 0)
                return 0;
        snprintf(snippet_path, sizeof(snippet_path), "%s/%s.conf", BLS_DIR, s.id);
        r = boot_grub_find(root, &g, &reason);
        if (r < 0)
                return problem(ret_problem, r,
                               "the new kernel %s has a Boot Loader Specification entry (%s), but GRUB's "
                               "configuration was not found (%s), so it could not be made the default; "
                               "the system boots what it booted before. Make %s the default with the "
                               "system's boot loader tools (grubby --set-default /boot/vmlinuz-%s)",
                               s.kver, snippet_path, reason ?: strerror(-r), s.kver, s.kver);
        if (asprintf(&cfg_path, "%s/grub.cfg", g.grub_dir) < 0 ||
            asprintf(&kernel, "/boot/vmlinuz-%s", s.kver) < 0)
                return -ENOMEM;
        r = boot_read_grub_cfg(root, g.grub_dir, &cfg);
        if (r < 0)
                return problem(ret_problem, r, "%s%s cannot be read (%s), so the new kernel %s was not made "
                               "the default", root_prefix(root), cfg_path, strerror(-r), s.kver);
        if (cfg_boots(cfg, s.kver))
                return 0; /* nothing changed scheme, or it was dealt with */

        /* The scheme changed: the snippet is there, grub.cfg never reads it. */
        if (!snippet_file_exists(root, s.linux_path) || (s.initrd && !snippet_file_exists(root, s.initrd)))
                return problem(ret_problem, -ENOENT,
                               "the new kernel %s has a Boot Loader Specification entry (%s) that GRUB's %s "
                               "never reads, but the kernel or initramfs it names (%s, %s) is missing, so it "
                               "was not made the default; the system still boots %s. Reinstall the kernel "
                               "package (its %%posttrans runs kernel-install add), then run the target's "
                               "'grub2-mkconfig -o %s' and 'grubby --set-default %s'",
                               s.kver, snippet_path, cfg_path, s.linux_path ?: "no linux line",
                               s.initrd ?: "none", old_kver ?: "the old kernel", cfg_path, kernel);
        if (asprintf(&fix, "run the target's 'grub2-mkconfig -o %s' and 'grubby --set-default %s' (or "
                           "'grub2-set-default %s'), check that %s is the first and default entry, and "
                           "reboot",
                     cfg_path, kernel, s.id, s.kver) < 0)
                return -ENOMEM;
        mkconfig = find_tool(root, mkconfigs);
        set_tool = find_tool(root, grubbys) ?: find_tool(root, set_defaults);
        if (!mkconfig || !set_tool)
                return problem(ret_problem, -ENOENT,
                               "the new kernel %s has a Boot Loader Specification entry (%s) that GRUB's "
                               "%s never reads, and the target's %s is not installed, so the system "
                               "still boots %s by default. To boot the new kernel: install grub2-tools "
                               "(and grubby), then %s",
                               s.kver, snippet_path, cfg_path,
                               !mkconfig ? "grub2-mkconfig" : "grubby or grub2-set-default",
                               old_kver ?: "the old kernel", fix);

        if (!old_kver)
                return problem(ret_problem, -ENOENT,
                               "the new kernel %s has a Boot Loader Specification entry (%s) that GRUB's %s "
                               "never reads, but the kernel the system booted before is not known, and the new "
                               "kernel is made the default only after it has booted once, with the old one as "
                               "the default meanwhile; the system still boots what it booted before. To boot "
                               "the new kernel: %s",
                               s.kver, snippet_path, cfg_path, fix);

        r = grubenv_read(root, g.grubenv, &env_before);
        have_env = r == 0;
        if (r < 0 && r != -ENOENT)
                return problem(ret_problem, r, "the new kernel %s was not made the default: %s%s cannot be "
                               "read (%s); %s", s.kver, root_prefix(root), g.grubenv, strerror(-r), fix);

        /* A trial boot needs the menu's default to be grubenv's saved_entry:
         * with the first entry as the default (GRUB_DEFAULT=0), that is
         * the new kernel's from grub2-mkconfig on, and a new kernel that
         * does not come up would boot again and again. */
        r = boot_read_file(root, GRUB_DEFAULTS, 65536, &defaults, NULL, &defaults_mode);
        if (r < 0 && r != -ENOENT)
                return problem(ret_problem, r, "the new kernel %s was not made the default: %s%s cannot be "
                               "read (%s); %s", s.kver, root_prefix(root), GRUB_DEFAULTS, strerror(-r), fix);
        if (r == 0 && (r = defaults_saved(defaults, &saved_defaults)) < 0)
                return -ENOMEM;
        if (saved_defaults) {
                r = write_file_atomic(root, GRUB_DEFAULTS, saved_defaults, strlen(saved_defaults),
                                      defaults_mode & 07777);
                if (r < 0)
                        return problem(ret_problem, r, "the new kernel %s was not made the default: %s%s has "
                                       "GRUB_DEFAULT=0 and setting it to saved failed (%s); %s", s.kver,
                                       root_prefix(root), GRUB_DEFAULTS, strerror(-r), fix);
                log_info("%s: GRUB_DEFAULT=0 set to saved, so that the old kernel stays the default while "
                         "the new one boots once on trial", GRUB_DEFAULTS);
        }

        log_info("the new kernel %s has a Boot Loader Specification entry that %s does not read: running "
                 "the target's %s -o %s", s.kver, cfg_path, mkconfig, cfg_path);
        r = run_logged_in(root, (char *const[]) { (char *) mkconfig, (char *) "-o", cfg_path, NULL });
        const char *failed = NULL;
        const char *old_tool = find_tool(root, set_defaults) ?: set_tool;
        bool old_grubby = !find_tool(root, set_defaults);
        if (r < 0)
                failed = "grub2-mkconfig failed (its output is in the log above)";
        else if (boot_read_grub_cfg(root, g.grub_dir, &new_cfg) < 0)
                failed = "grub2-mkconfig left no readable grub.cfg";
        else if (!cfg_boots(new_cfg, s.kver))
                failed = "the grub.cfg grub2-mkconfig wrote does not boot the new kernel";
        else if (!find_kernel(new_cfg, old_kver))
                failed = "the grub.cfg grub2-mkconfig wrote has no entry for the old kernel, the fallback";
        else if (!strstr(new_cfg, "custom.cfg") || !strstr(new_cfg, "next_entry"))
                failed = "the grub.cfg grub2-mkconfig wrote reads no custom.cfg or next_entry (one-time "
                         "boots would not work)";
        else if (!strstr(new_cfg, "${saved_entry}"))
                failed = "the grub.cfg grub2-mkconfig wrote does not boot grubenv's saved_entry by default, so "
                         "the old kernel cannot stay the default while the new one boots once (set "
                         "GRUB_DEFAULT=saved in /etc/default/grub)";
        else if (!cfg_entry_boots(new_cfg, s.id, s.kver, s.id))
                failed = "the grub.cfg grub2-mkconfig wrote has no menu entry named after the new kernel's "
                         "snippet, for its one-time boot";
        else if (!old_grubby && !(old_entry = cfg_entry_name(new_cfg, old_kver)))
                failed = "the grub.cfg grub2-mkconfig wrote has no menu entry of the old kernel's that "
                         "grub2-set-default could name";
        else {
                /* The old kernel the default, with the target's tool, then the
                 * new one once: next_entry, in place. */
                if (asprintf(&old_kernel, "/boot/vmlinuz-%s", old_kver) < 0)
                        return -ENOMEM;
                char *const grubby_argv[] = { (char *) old_tool, (char *) "--set-default", old_kernel, NULL };
                char *const set_argv[] = { (char *) old_tool, old_entry, NULL };

                log_info("keeping the old kernel %s the default while the new one boots once: %s %s", old_kver,
                         old_tool, old_grubby ? old_kernel : old_entry);
                r = run_logged_in(root, old_grubby ? grubby_argv : set_argv);
                if (r < 0)
                        failed = old_grubby ? "grubby --set-default failed (its output is in the log above)"
                                            : "grub2-set-default failed (its output is in the log above)";
                else if (grubenv_read(root, g.grubenv, &env_after) < 0 ||
                         !(saved = grubenv_get(env_after, "saved_entry")) || !*saved)
                        failed = "no saved_entry was set in grubenv";
                else if (!cfg_entry_boots(new_cfg, saved, old_kver, NULL))
                        failed = "grubenv's saved_entry does not name the old kernel's entry";
                else if (grubenv_set(env_after, "next_entry", s.id) < 0 ||
                         grubenv_write(root, g.grubenv, env_after) < 0)
                        failed = "setting next_entry in grubenv failed";
        }
        if (!failed) {
                *ret_trial = (struct kernel_trial) { .result = KERNEL_TRIAL_PENDING };
                snprintf(ret_trial->kernel, sizeof(ret_trial->kernel), "%s", s.kver);
                snprintf(ret_trial->entry, sizeof(ret_trial->entry), "%s", s.id);
                snprintf(ret_trial->old_kernel, sizeof(ret_trial->old_kernel), "%s", old_kver);
                if (asprintf(ret_action,
                             "the new kernel %s boots once, on trial, at the next boot: its Boot Loader "
                             "Specification entry (%s) was not read by GRUB's %s, so restore ran the target's "
                             "%s -o %s%s, kept %s the default (%s %s) and set next_entry=%s in %s; the next "
                             "boot makes %s the default once it has come up on it, %s stays in the menu as the "
                             "fallback",
                             s.kver, snippet_path, cfg_path, mkconfig, cfg_path,
                             saved_defaults ? " (after setting GRUB_DEFAULT=0 to saved in /etc/default/grub)" : "",
                             old_kver, old_tool, old_grubby ? old_kernel : old_entry, s.id, g.grubenv, s.kver,
                             old_kver) < 0)
                        *ret_action = NULL;
                return 1;
        }

        /* Back to how it was: the old kernel stays the default. */
        bool put_back = write_file_atomic(root, cfg_path, cfg, strlen(cfg), 0644) == 0;
        if (saved_defaults)
                put_back = write_file_atomic(root, GRUB_DEFAULTS, defaults, strlen(defaults),
                                             defaults_mode & 07777) == 0 && put_back;
        if (have_env) {
                _cleanup_(grubenv_freep) struct grubenv *now = NULL;
                const char *next = grubenv_get(env_before, "next_entry");
                was = grubenv_get(env_before, "saved_entry");
                /* Only saved_entry and next_entry back, unless the tool left
                 * no block to edit: then the whole block as it was. */
                if (grubenv_read(root, g.grubenv, &now) == 0 &&
                    (was ? grubenv_set(now, "saved_entry", was) : grubenv_unset(now, "saved_entry")) >= 0 &&
                    (next ? grubenv_set(now, "next_entry", next) : grubenv_unset(now, "next_entry")) >= 0)
                        put_back = grubenv_write(root, g.grubenv, now) == 0 && put_back;
                else
                        put_back = grubenv_write(root, g.grubenv, env_before) == 0 && put_back;
        }
        return problem(ret_problem, -EIO,
                       "the new kernel %s has a Boot Loader Specification entry (%s) that GRUB's %s did not "
                       "read, and making it the default failed: %s. %s; the system boots %s by default. To "
                       "boot the new kernel: %s",
                       s.kver, snippet_path, cfg_path, failed,
                       put_back ? "grub.cfg and grubenv were put back as they were"
                                : "PUTTING BACK grub.cfg AND grubenv FAILED: check them before rebooting",
                       old_kver, fix);
}

int restore_running_kernel(const char *root, char **ret) {
        _cleanup_free_ char *proc = boot_proc_or_sys(root, "OSLIFT_PROC", "/proc"), *text = NULL;

        *ret = NULL;
        if (!proc)
                return -ENOMEM;
        if (boot_read_file(proc, "/sys/kernel/osrelease", 4096, &text, NULL, NULL) == 0) {
                text[strcspn(text, "\r\n")] = '\0';
                if (boot_kver_valid(text)) {
                        *ret = TAKE_PTR(text);
                        return 0;
                }
        }
        if (strcmp(root, "/") == 0) {
                struct utsname u;

                if (uname(&u) < 0)
                        return negative_errno();
                *ret = strdup(u.release);
                return *ret ? 0 : -ENOMEM;
        }
        return -ENOENT;
}

int restore_boot_trial(const char *root, const struct kernel_trial *t, const char *running, char **ret_action,
                       char **ret_problem) {
        static const char *const grubbys[] = { "/usr/sbin/grubby", "/usr/bin/grubby", NULL };
        static const char *const set_defaults[] = { "/usr/sbin/grub2-set-default", "/usr/bin/grub2-set-default",
                                                    NULL };
        _cleanup_(boot_grub_done) struct boot_grub g = {};
        _cleanup_(grubenv_freep) struct grubenv *env_before = NULL, *env_after = NULL;
        _cleanup_free_ char *reason = NULL, *cfg = NULL, *kernel = NULL, *fix = NULL;
        const char *set_tool, *saved, *failed = NULL;
        int r;

        *ret_action = *ret_problem = NULL;
        if (asprintf(&kernel, "/boot/vmlinuz-%s", t->kernel) < 0 ||
            asprintf(&fix, "'grubby --set-default %s' (or 'grub2-set-default %s'), then check that grubenv's "
                           "saved_entry names it",
                     kernel, t->entry) < 0)
                return -ENOMEM;
        r = boot_grub_find(root, &g, &reason);
        if (r < 0)
                return problem(ret_problem, r, "GRUB's configuration was not found (%s), so %s is not the "
                               "default; the system boots %s by default. Make the new kernel the default: %s",
                               reason ?: strerror(-r), t->kernel, t->old_kernel, fix);
        r = grubenv_read(root, g.grubenv, &env_before);
        if (r < 0)
                return problem(ret_problem, r, "%s%s cannot be read (%s), so %s is not the default; the "
                               "system boots %s by default. Make the new kernel the default: %s",
                               root_prefix(root), g.grubenv, strerror(-r), t->kernel, t->old_kernel, fix);

        /* The trial is over: should next_entry still name it (GRUB did
         * not get to save_env, or no GRUB booted the root), it goes: one
         * trial only. */
        const char *next = grubenv_get(env_before, "next_entry");
        if (next && strcmp(next, t->entry) == 0 &&
            (grubenv_unset(env_before, "next_entry") < 0 || grubenv_write(root, g.grubenv, env_before) < 0))
                log_warning("could not take next_entry=%s out of %s%s: the next boot boots %s once more",
                            t->entry, root_prefix(root), g.grubenv, t->kernel);
        /* GRUB consumed next_entry and the machine came back on the
         * default: the new kernel did not come up. */
        if (strcmp(running, t->kernel) != 0)
                return 0;

        set_tool = find_tool(root, grubbys);
        bool grubby = set_tool;
        if (!set_tool)
                set_tool = find_tool(root, set_defaults);
        if (!set_tool)
                return problem(ret_problem, -ENOENT, "the new kernel %s came up on its trial boot, but the "
                               "target's grubby or grub2-set-default is not installed, so it is not the "
                               "default; the system boots %s by default. Install grub2-tools (and grubby), "
                               "then %s", t->kernel, t->old_kernel, fix);
        char *const grubby_argv[] = { (char *) set_tool, (char *) "--set-default", kernel, NULL };
        char *const set_argv[] = { (char *) set_tool, (char *) t->entry, NULL };

        log_info("the new kernel %s came up on its trial boot: making it the default: %s %s", t->kernel, set_tool,
                 grubby ? kernel : t->entry);
        r = run_logged_in(root, grubby ? grubby_argv : set_argv);
        if (r < 0)
                failed = grubby ? "grubby --set-default failed (its output is in the log above)"
                                : "grub2-set-default failed (its output is in the log above)";
        else if (boot_read_grub_cfg(root, g.grub_dir, &cfg) < 0)
                failed = "grub.cfg cannot be read";
        else if (!strstr(cfg, "${saved_entry}"))
                failed = "grub.cfg's default is not grubenv's saved_entry";
        else if (grubenv_read(root, g.grubenv, &env_after) < 0 ||
                 !(saved = grubenv_get(env_after, "saved_entry")) || !*saved)
                failed = "no saved_entry was set in grubenv";
        else if (!cfg_entry_boots(cfg, saved, t->kernel, t->entry))
                failed = "grubenv's saved_entry does not name the new kernel's entry";
        if (!failed) {
                if (asprintf(ret_action, "the new kernel %s came up on its trial boot and boots by default now "
                                         "(%s %s); %s stays in the menu as the fallback",
                             t->kernel, set_tool, grubby ? kernel : t->entry, t->old_kernel) < 0)
                        *ret_action = NULL;
                return 1;
        }

        /* The old kernel stays the default: saved_entry back. */
        _cleanup_(grubenv_freep) struct grubenv *now = NULL;
        const char *was = grubenv_get(env_before, "saved_entry");
        bool put_back = grubenv_read(root, g.grubenv, &now) == 0 &&
                        (was ? grubenv_set(now, "saved_entry", was) : grubenv_unset(now, "saved_entry")) >= 0 &&
                        grubenv_write(root, g.grubenv, now) == 0;
        return problem(ret_problem, -EIO,
                       "the new kernel %s came up on its trial boot, but making it the default failed: %s. %s; the "
                       "system boots %s by default. Make the new kernel the default: %s",
                       t->kernel, failed,
                       put_back ? "grubenv's saved_entry was put back as it was"
                                : "PUTTING BACK grubenv's saved_entry FAILED: check it before rebooting",
                       t->old_kernel, fix);
}

/* Whether the raw word [w, w + n) is a word of the command line text. */
static bool cmdline_has_word(const char *text, const char *w, size_t n) {
        const char *pos = text, *end = text + strlen(text), *word;
        size_t len;

        while (cmdline_next_raw_word(&pos, end, &word, &len) > 0)
                if (len == n && memcmp(word, w, n) == 0)
                        return true;
        return false;
}

static bool word_is_unattended(const char *w, size_t n) {
        static const char *const unattended[] = OSLIFT_ARGS_UNATTENDED;

        for (size_t i = 0; i < ELEMENTSOF(unattended); i++)
                if (strlen(unattended[i]) == n && memcmp(unattended[i], w, n) == 0)
                        return true;
        return false;
}

int restore_boot_options(const char *root, char **ret_action, char **ret_problem) {
        struct snippet s __attribute__((cleanup(snippet_done))) = {};
        _cleanup_free_ char *path = NULL, *text = NULL, *proc = NULL, *running = NULL, *kept = NULL,
                            *removed = NULL, *new_text = NULL;
        size_t kept_size = 0, removed_size = 0, n;
        const char *line = NULL, *value, *end, *pos, *word;
        FILE *k, *x;
        int r;

        *ret_action = *ret_problem = NULL;
        if (newest_snippet(root, &s) <= 0)
                return 0;
        if (asprintf(&path, "%s/%s.conf", BLS_DIR, s.id) < 0)
                return -ENOMEM;
        if (boot_read_file(root, path, BLS_SNIPPET_MAX, &text, NULL, NULL) < 0)
                return 0;
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, "options", 7) == 0 && (l[7] == ' ' || l[7] == '\t')) {
                        line = l;
                        break;
                }
        if (!line)
                return 0;
        value = line + 7 + strspn(line + 7, " \t");
        end = value + strcspn(value, "\r\n");

        proc = boot_proc_or_sys(root, "OSLIFT_PROC", "/proc");
        if (!proc)
                return -ENOMEM;
        if (boot_read_file(proc, "/cmdline", 65536, &running, NULL, NULL) < 0)
                running = NULL;

        k = open_memstream(&kept, &kept_size);
        x = k ? open_memstream(&removed, &removed_size) : NULL;
        if (!x) {
                if (k)
                        fclose(k);
                return -ENOMEM;
        }
        for (pos = value; cmdline_next_raw_word(&pos, end, &word, &n) > 0;) {
                bool drop = cmdline_word_is_ours(word, n) ||
                            (running && word_is_unattended(word, n) && !cmdline_has_word(running, word, n));
                FILE *to = drop ? x : k;

                fprintf(to, "%s%.*s", ftell(to) > 0 ? " " : "", (int) n, word);
        }
        r = fclose(k) != 0 ? -ENOMEM : 0;
        if (fclose(x) != 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        if (removed_size == 0)
                return 0;

        if (asprintf(&new_text, "%.*soptions%s%s%s", (int) (line - text), text, *kept ? " " : "", kept, end) < 0)
                return -ENOMEM;
        r = write_file_atomic(root, path, new_text, strlen(new_text), 0644);
        if (r < 0)
                return problem(ret_problem, r,
                               "the new kernel %s's boot entry (%s) has the upgrade boot's kernel arguments "
                               "(%s) in its options, and rewriting it failed (%s): every boot of it gets "
                               "them. Take them out of its options line (grubby --update-kernel "
                               "/boot/vmlinuz-%s --remove-args='%s')",
                               s.kver, path, removed, strerror(-r), s.kver, removed);
        log_info("took the upgrade boot's kernel arguments (%s) out of the new kernel's boot entry %s", removed,
                 path);
        if (asprintf(ret_action, "took the upgrade boot's kernel arguments (%s) out of the new kernel %s's boot "
                                 "entry (%s): its options are now '%s'",
                     removed, s.kver, path, kept) < 0)
                *ret_action = NULL;
        return 1;
}
