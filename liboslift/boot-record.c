/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The arming record and the next_entry switch; see boot-record.h. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "boot-record.h"
#include "chase.h"
#include "fsutil.h"
#include "grubenv.h"
#include "log.h"
#include "macro.h"
#include "record.h"

#define RECORD_MAX 16384
#define SEP '='

const char *const boot_grub_dirs[] = { "/boot/grub2", "/boot/grub", NULL };

const char *boot_grub_dir_known(const char *dir) {
        for (size_t i = 0; boot_grub_dirs[i]; i++)
                if (strcmp(dir, boot_grub_dirs[i]) == 0)
                        return boot_grub_dirs[i];
        return NULL;
}

static bool name_plain(const char *s, size_t n) {
        return n > 0 && n < 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") >= n &&
               !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

bool boot_grub_dir_valid(const char *dir) {
        static const char esp[] = BOOT_ESP_GRUB_PARENT "/";
        const char *vendor;

        if (boot_grub_dir_known(dir))
                return true;
        if (strncmp(dir, esp, strlen(esp)) != 0)
                return false;
        vendor = dir + strlen(esp);
        return name_plain(vendor, strlen(vendor));
}

bool boot_grubenv_path_valid(const char *path) {
        static const char suffix[] = "/grubenv";
        size_t n = strlen(path);

        if (n >= PATH_MAX || strncmp(path, "/boot/", 6) != 0 || n < strlen(suffix) ||
            strcmp(path + n - strlen(suffix), suffix) != 0 || !path_is_normalized(path))
                return false;
        /* Every component plain: no "..", nothing GRUB or a message would split. */
        for (const char *p = path + 1; *p;) {
                size_t len = strcspn(p, "/");
                if (!name_plain(p, len))
                        return false;
                p += len + (p[len] == '/');
        }
        return true;
}

void boot_record_done(struct boot_record *r) {
        free(r->next_entry);
        free(r->grub_dir);
        free(r->grubenv);
        free(r->kver);
        free(r->initramfs);
        *r = (struct boot_record) {};
}

int boot_record_write(const char *root, const struct boot_record *rec) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *out;
        int r;

        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        fprintf(out, "# What host-prep stage changed to arm the one-time upgrade boot, as it was\n"
                     "# before; host-prep cancel puts it back from here.\n");
        record_put(out, SEP, "grub_dir", rec->grub_dir);
        if (rec->grubenv)
                record_put(out, SEP, "grubenv", rec->grubenv);
        record_put_bool(out, SEP, "custom_cfg_existed", rec->custom_cfg_existed);
        record_put_bool(out, SEP, "custom_cfg_newline_added", rec->newline_added);
        record_put_bool(out, SEP, "grubenv_existed", rec->grubenv_existed);
        record_put_bool(out, SEP, "next_entry_was_set", rec->next_entry_was_set);
        record_put(out, SEP, "next_entry", rec->next_entry ?: "");
        record_put(out, SEP, "kver", rec->kver);
        record_put(out, SEP, "initramfs", rec->initramfs);
        record_put_bool(out, SEP, "initramfs_built", rec->initramfs_built);
        if (fclose(out) != 0)
                return -ENOMEM;
        r = mkdir_in_root(root, OSLIFT_STATE_DIR, 0700);
        if (r < 0)
                return r;
        return write_file_atomic(root, BOOT_ENTRY_RECORD, text, size, 0600);
}

/* -ENOENT when there is none, -EBADMSG when it is not one we wrote. */
int boot_record_read(const char *root, struct boot_record *ret) {
        _cleanup_free_ char *text = NULL;
        int r = record_read_file(root, BOOT_ENTRY_RECORD, RECORD_MAX, &text);

        if (r == -EFBIG)
                return -EBADMSG;
        if (r < 0)
                return r;
        return boot_record_parse(text, ret);
}

int boot_record_parse(char *text, struct boot_record *ret) {
        struct boot_record rec = {};
        char *key, *value, *p = text;
        int r;

        while ((r = record_next(&p, SEP, &key, &value)) > 0) {
                char **str = NULL;

                if (strcmp(key, "custom_cfg_existed") == 0)
                        r = record_parse_bool(value, &rec.custom_cfg_existed);
                else if (strcmp(key, "custom_cfg_newline_added") == 0)
                        r = record_parse_bool(value, &rec.newline_added);
                else if (strcmp(key, "grubenv_existed") == 0)
                        r = record_parse_bool(value, &rec.grubenv_existed);
                else if (strcmp(key, "next_entry_was_set") == 0)
                        r = record_parse_bool(value, &rec.next_entry_was_set);
                else if (strcmp(key, "initramfs_built") == 0)
                        r = record_parse_bool(value, &rec.initramfs_built);
                else if (strcmp(key, "next_entry") == 0)
                        str = &rec.next_entry;
                else if (strcmp(key, "grub_dir") == 0)
                        str = &rec.grub_dir;
                else if (strcmp(key, "grubenv") == 0)
                        str = &rec.grubenv;
                else if (strcmp(key, "kver") == 0)
                        str = &rec.kver;
                else if (strcmp(key, "initramfs") == 0)
                        str = &rec.initramfs;
                /* Other keys: a later oslift's, nothing this one undoes. */
                if (str) {
                        free(*str);
                        *str = strdup(value);
                        if (!*str)
                                r = -ENOMEM;
                }
                if (r < 0)
                        break;
        }
        if (r == 0 && (!rec.grub_dir || !boot_grub_dir_valid(rec.grub_dir) || !rec.next_entry))
                r = -EBADMSG;
        /* An older record: the grubenv beside custom.cfg, as it was armed. */
        if (r == 0 && !rec.grubenv && asprintf(&rec.grubenv, "%s/grubenv", rec.grub_dir) < 0) {
                rec.grubenv = NULL;
                r = -ENOMEM;
        }
        if (r == 0 && !boot_grubenv_path_valid(rec.grubenv))
                r = -EBADMSG;
        if (r < 0) {
                boot_record_done(&rec);
                return r;
        }
        *ret = rec;
        return 0;
}

/* grubenv_read()'s -ENOENT: 0 when the file is missing, -ENOENT (logged)
 * when its directory on the EFI system partition is: the ESP is not
 * mounted, and nothing on it can be changed. (A directory missing on /boot
 * keeps the old meaning, nothing there to change, so that cancel is never
 * stuck on a GRUB directory that was removed.) */
static int missing_grubenv(const char *root, const char *path) {
        const char *name;
        _cleanup_close_ int fd = -1;

        if (strncmp(path, BOOT_ESP_MOUNT "/", strlen(BOOT_ESP_MOUNT "/")) != 0)
                return 0;
        fd = open_parent_in_root(root, path, &name);
        if (fd >= 0)
                return 0;
        log_error("the directory of %s%s does not exist: is the EFI system partition mounted on "
                  BOOT_ESP_MOUNT "?", root_prefix(root), path);
        return -ENOENT;
}

int boot_switch_on(const char *root, const char *path) {
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        int r;

        r = grubenv_read(root, path, &env);
        if (r == -ENOENT && missing_grubenv(root, path) < 0)
                return -ENOENT;
        if (r == -ENOENT) {
                env = grubenv_new();
                if (!env)
                        return -ENOMEM;
        } else if (r < 0)
                return log_error_errno(r, "cannot read %s%s", root_prefix(root), path);
        if (grubenv_get(env, "next_entry") && strcmp(grubenv_get(env, "next_entry"), BOOT_ENTRY_ID) == 0)
                return 0; /* GRUB could not clear it (no save_env): still on */
        r = grubenv_set(env, "next_entry", BOOT_ENTRY_ID);
        if (r < 0)
                return log_error_errno(r, "cannot set next_entry in %s%s", root_prefix(root), path);
        r = grubenv_write(root, path, env);
        if (r < 0)
                return log_error_errno(r, "cannot write %s%s", root_prefix(root), path);
        return 0;
}

int boot_switch_off(const char *root, const char *path, const struct boot_record *rec) {
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        _cleanup_free_ char *full = NULL;
        const char *now;
        int r;

        r = grubenv_read(root, path, &env);
        if (r == -ENOENT)
                return missing_grubenv(root, path);
        if (r < 0) {
                log_error_errno(r, "cannot read %s%s", root_prefix(root), path);
                log_error("if it says next_entry=%s, the next boot is the upgrade boot: run "
                          "'grub2-editenv %s unset next_entry'", BOOT_ENTRY_ID, path);
                return r;
        }
        now = grubenv_get(env, "next_entry");
        /* Someone else's since (grub2-reboot), or GRUB used ours already. */
        if (!now || strcmp(now, BOOT_ENTRY_ID) != 0)
                return 0;
        if (rec && rec->next_entry_was_set)
                r = grubenv_set(env, "next_entry", rec->next_entry);
        else
                r = grubenv_unset(env, "next_entry");
        if (r < 0)
                return log_error_errno(r, "cannot reset next_entry in %s%s", root_prefix(root), path);
        if (rec && !rec->grubenv_existed && grubenv_is_empty(env)) {
                full = root_path_join(root, path);
                if (!full)
                        return -ENOMEM;
                if (unlink(full) < 0 && errno != ENOENT)
                        return log_error_errno(negative_errno(), "cannot remove %s", full);
                return 0;
        }
        r = grubenv_write(root, path, env);
        if (r < 0)
                return log_error_errno(r, "cannot write %s%s", root_prefix(root), path);
        return 0;
}

/* Trailing blanks and a CR do not count: an editor may have saved the
 * file with CRLF line ends, and the block must still be found. */
static bool line_is(const char *line, const char *end, const char *what) {
        size_t n = strlen(what);

        while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        return (size_t) (end - line) == n && memcmp(line, what, n) == 0;
}

int boot_entry_find_block(const char *text, size_t size, size_t *ret_begin, size_t *ret_end) {
        const char *p = text, *end = text + size, *begin = NULL;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *eol = nl ?: end, *next = nl ? nl + 1 : end;

                if (!begin && line_is(p, eol, BOOT_ENTRY_BEGIN_MARKER))
                        begin = p;
                else if (begin && line_is(p, eol, BOOT_ENTRY_END_MARKER)) {
                        *ret_begin = (size_t) (begin - text);
                        *ret_end = (size_t) (next - text);
                        return 1;
                }
                p = next;
        }
        return begin ? -EBADMSG : 0;
}
