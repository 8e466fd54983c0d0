/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The boot configuration in the undo set; see undo-boot.h. Layout of
 * OSLIFT_UNDO_DIR/boot:
 *
 *   list   "oslift-undo-boot 1", then one line per path: KIND MODE N PATH
 *          (KIND f: a file, put back as it was (grub.cfg, a loader entry);
 *          c: custom.cfg without our block; C: custom.cfg absent before;
 *          e: grubenv without our next_entry; E: grubenv absent before;
 *          L: /boot/loader/entries, whose files not listed go; MODE octal;
 *          N the name of the copy in this directory, or - for none)
 *   N      the copies, numbered
 *   done   written when the rollback has put all of it back
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot-record.h"
#include "chase.h"
#include "fsutil.h"
#include "grubenv.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "strv.h"
#include "undo-boot.h"

#define LIST_MAGIC "oslift-undo-boot 1"
#define BOOT_FILE_MAX (4u << 20)
#define LOADER_ENTRIES "/boot/loader/entries"
#define ITEMS_MAX 512

struct item {
        char kind;
        mode_t mode;
        char name[16]; /* "-" for none */
        char path[PATH_MAX];
};

struct boot_set {
        struct item *items;
        size_t n;
};

static void boot_set_done(struct boot_set *s) {
        free(s->items);
        *s = (struct boot_set) {};
}

static struct item *add_item(struct boot_set *s, char kind, mode_t mode, const char *path) {
        struct item *v;

        if (s->n >= ITEMS_MAX || strlen(path) >= sizeof(v->path))
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->items[i].path, path) == 0)
                        return NULL; /* once: a symlink led to one taken already */
        v = realloc(s->items, (s->n + 1) * sizeof(*v));
        if (!v)
                return NULL;
        s->items = v;
        v = &s->items[s->n];
        *v = (struct item) { .kind = kind, .mode = mode };
        snprintf(v->name, sizeof(v->name), "-");
        snprintf(v->path, sizeof(v->path), "%s", path);
        s->n++;
        return v;
}

/* The whole regular file path in root: 0, -ENOENT, or another negative errno. */
static int read_in_root(const char *root, const char *path, char **ret, size_t *ret_len, mode_t *ret_mode) {
        _cleanup_close_ int fd = open_in_root(root, path, O_RDONLY | O_NOFOLLOW, 0);
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (ret_mode)
                *ret_mode = st.st_mode & 07777;
        return read_bounded(fd, BOOT_FILE_MAX, 4096, ret, ret_len) < 0 ? -EIO : 0;
}

static bool exists_in_root(const char *root, const char *path, mode_t type) {
        _cleanup_free_ char *resolved = NULL, *full = NULL;
        struct stat st;

        if (chase_in_root(root, path, &resolved) < 0 || !(full = root_path_join(root, resolved)))
                return false;
        return lstat(full, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

/* text without our blocks, in place; the newline arm added to end the
 * last line when rec says so. */
static int strip_blocks(char *text, size_t *size, const struct boot_record *rec) {
        size_t begin, end;
        bool at_end = false, removed = false;
        int r;

        while ((r = boot_entry_find_block(text, *size, &begin, &end)) > 0) {
                at_end = end == *size;
                memmove(text + begin, text + end, *size - end);
                *size -= end - begin;
                removed = true;
        }
        if (r < 0)
                return r;
        if (removed && rec && rec->newline_added && at_end && *size > 0 && text[*size - 1] == '\n')
                (*size)--;
        return 0;
}

struct taker {
        const char *root, *undo_dir;
        const struct boot_record *rec; /* NULL: the root was not armed */
        struct boot_set set;
        unsigned next;
};

static int save_copy(struct taker *t, struct item *it, const void *data, size_t size) {
        char path[PATH_MAX];

        snprintf(it->name, sizeof(it->name), "%u", t->next++);
        if (snprintf(path, sizeof(path), "%s/boot/%s", t->undo_dir, it->name) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        return write_file_atomic(t->root, path, data, size, 0600);
}

static int take_file(struct taker *t, char kind, const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        mode_t mode = 0644;
        struct item *it;
        int r = read_in_root(t->root, path, &data, &size, &mode);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "cannot read %s%s for the undo set", root_prefix(t->root), path);
        it = add_item(&t->set, kind, mode, path);
        return it ? save_copy(t, it, data, size) : 0;
}

static int take_custom(struct taker *t, const char *dir) {
        _cleanup_free_ char *data = NULL;
        char path[PATH_MAX];
        size_t size = 0;
        mode_t mode = 0600;
        struct item *it;
        int r;

        snprintf(path, sizeof(path), "%s/custom.cfg", dir);
        r = read_in_root(t->root, path, &data, &size, &mode);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "cannot read %s%s for the undo set", root_prefix(t->root), path);
        if (r == 0 && strip_blocks(data, &size, t->rec) < 0)
                return log_error_errno(-EBADMSG, "%s%s has a '%s' line without its '%s'", root_prefix(t->root),
                                       path, BOOT_ENTRY_BEGIN_MARKER, BOOT_ENTRY_END_MARKER);
        /* Absent before the upgrade boot was armed, if arming made it. */
        if (r == -ENOENT || (size == 0 && t->rec && !t->rec->custom_cfg_existed &&
                             t->rec->grub_dir && strcmp(t->rec->grub_dir, dir) == 0))
                return add_item(&t->set, 'C', 0600, path) ? 0 : 0;
        it = add_item(&t->set, 'c', mode, path);
        return it ? save_copy(t, it, data, size) : 0;
}

static int take_grubenv(struct taker *t, const char *dir) {
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        _cleanup_free_ char *resolved = NULL;
        char path[PATH_MAX], buf[GRUBENV_SIZE];
        bool armed_here = t->rec && t->rec->grub_dir && strcmp(t->rec->grub_dir, dir) == 0;
        const char *now;
        struct item *it;
        int r;

        if (armed_here && t->rec->grubenv)
                snprintf(path, sizeof(path), "%s", t->rec->grubenv);
        else {
                snprintf(path, sizeof(path), "%s/grubenv", dir);
                if (chase_in_root(t->root, path, &resolved) == 0)
                        snprintf(path, sizeof(path), "%s", resolved);
        }
        r = grubenv_read(t->root, path, &env);
        if (r == -ENOENT)
                return add_item(&t->set, 'E', 0644, path) ? 0 : 0;
        if (r < 0)
                return log_error_errno(r, "cannot read %s%s for the undo set", root_prefix(t->root), path);
        now = grubenv_get(env, "next_entry");
        if (armed_here) {
                /* Since it was armed, only arm, GRUB (save_env) and the
                 * upgrader's switch wrote next_entry. */
                r = t->rec->next_entry_was_set ? grubenv_set(env, "next_entry", t->rec->next_entry)
                                              : grubenv_unset(env, "next_entry");
                if (r < 0)
                        return log_error_errno(r, "cannot take next_entry out of %s", path);
                if (!t->rec->grubenv_existed && grubenv_is_empty(env))
                        return add_item(&t->set, 'E', 0644, path) ? 0 : 0;
        } else if (now && strcmp(now, BOOT_ENTRY_ID) == 0)
                (void) grubenv_unset(env, "next_entry");
        r = grubenv_serialize(env, buf);
        if (r < 0)
                return log_error_errno(r, "cannot keep %s in the undo set", path);
        it = add_item(&t->set, 'e', 0644, path);
        return it ? save_copy(t, it, buf, sizeof(buf)) : 0;
}

static int take_dir(struct taker *t, const char *dir) {
        char cfg[PATH_MAX];
        int r;

        snprintf(cfg, sizeof(cfg), "%s/grub.cfg", dir);
        if (!exists_in_root(t->root, cfg, S_IFREG) &&
            !(t->rec && t->rec->grub_dir && strcmp(t->rec->grub_dir, dir) == 0))
                return 0;
        r = take_file(t, 'f', cfg);
        if (r == 0)
                r = take_custom(t, dir);
        if (r == 0)
                r = take_grubenv(t, dir);
        return r;
}

static int take_entries(struct taker *t) {
        _cleanup_free_ char *resolved = NULL, *full = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r = 0;

        if (!exists_in_root(t->root, LOADER_ENTRIES, S_IFDIR))
                return 0;
        if (chase_in_root(t->root, LOADER_ENTRIES, &resolved) < 0 || !(full = root_path_join(t->root, resolved)))
                return -ENOMEM;
        d = opendir(full);
        if (!d)
                return log_error_errno(negative_errno(), "cannot read %s", full);
        if (!add_item(&t->set, 'L', 0755, LOADER_ENTRIES))
                return 0;
        while (r == 0 && (de = readdir(d))) {
                char path[PATH_MAX];
                struct stat st;

                if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode) || strchr(de->d_name, ' '))
                        continue;
                if (snprintf(path, sizeof(path), "%s/%s", LOADER_ENTRIES, de->d_name) >= (int) sizeof(path))
                        continue;
                r = take_file(t, 'f', path);
        }
        return r;
}

static int write_list(struct taker *t) {
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        if (!f)
                return -ENOMEM;
        fputs(LIST_MAGIC "\n", f);
        for (size_t i = 0; i < t->set.n; i++)
                fprintf(f, "%c %04o %s %s\n", t->set.items[i].kind, (unsigned) t->set.items[i].mode,
                        t->set.items[i].name, t->set.items[i].path);
        if (fclose(f) != 0)
                return -ENOMEM;
        snprintf(path, sizeof(path), "%s/boot/list", t->undo_dir);
        return write_file_atomic(t->root, path, text, len, 0600);
}

int undo_boot_take(const char *root, const char *undo_dir) {
        _cleanup_(boot_record_done) struct boot_record rec = {};
        struct taker t = { .root = root, .undo_dir = undo_dir };
        char dir[PATH_MAX];
        int r;

        r = boot_record_read(root, &rec);
        if (r == 0)
                t.rec = &rec;
        else if (r != -ENOENT)
                return log_error_errno(r, "cannot read %s", BOOT_ENTRY_RECORD);
        snprintf(dir, sizeof(dir), "%s/boot", undo_dir);
        r = mkdir_in_root(root, dir, 0700);
        if (r < 0)
                return log_error_errno(r, "cannot create %s", dir);
        for (size_t i = 0; r == 0 && boot_grub_dirs[i]; i++)
                r = take_dir(&t, boot_grub_dirs[i]);
        if (r == 0 && t.rec && t.rec->grub_dir && !boot_grub_dir_known(t.rec->grub_dir))
                r = take_dir(&t, t.rec->grub_dir);
        if (r == 0)
                r = take_entries(&t);
        if (r == 0)
                r = write_list(&t);
        if (r == 0)
                log_info("the undo set holds the boot configuration: %zu paths (GRUB's grub.cfg, custom.cfg, "
                         "grubenv%s)", t.set.n, exists_in_root(root, LOADER_ENTRIES, S_IFDIR) ?
                         ", the loader entries" : "");
        else
                log_error_errno(r, "cannot keep the boot configuration in the undo set");
        boot_set_done(&t.set);
        return r;
}

/* ---- putting it back --------------------------------------------------------- */

static int read_list(const char *root, struct boot_set *s) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        char *p, *line;
        int r = read_in_root(root, OSLIFT_UNDO_DIR "/boot/list", &text, &len, NULL);

        if (r < 0)
                return r;
        if (memchr(text, '\0', len))
                return -EBADMSG;
        p = text;
        line = strsep(&p, "\n");
        if (!line || strcmp(line, LIST_MAGIC) != 0)
                return -EBADMSG;
        while ((line = strsep(&p, "\n")) && *line) {
                char kind, name[16], path[PATH_MAX];
                unsigned mode;
                struct item *it;

                if (strlen(line) >= sizeof(path) ||
                    sscanf(line, "%c %o %15s %4095s", &kind, &mode, name, path) != 4 || path[0] != '/' ||
                    !strchr("fcCeEL", kind))
                        return -EBADMSG;
                it = add_item(s, kind, mode & 07777, path);
                if (!it)
                        return -EBADMSG;
                snprintf(it->name, sizeof(it->name), "%s", name);
        }
        return 0;
}

static int copy_text(const char *root, const struct item *it, char **ret, size_t *ret_len) {
        char path[PATH_MAX];

        if (strcmp(it->name, "-") == 0 || strchr(it->name, '/'))
                return -EBADMSG;
        snprintf(path, sizeof(path), OSLIFT_UNDO_DIR "/boot/%s", it->name);
        return read_in_root(root, path, ret, ret_len, NULL);
}

static bool listed(const struct boot_set *s, const char *path) {
        for (size_t i = 0; i < s->n; i++)
                if (s->items[i].kind == 'f' && strcmp(s->items[i].path, path) == 0)
                        return true;
        return false;
}

/* Loader entries the upgrade added (a new kernel's) go. */
static int prune_entries(const char *root, const struct boot_set *s) {
        _cleanup_free_ char *resolved = NULL, *full = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (chase_in_root(root, LOADER_ENTRIES, &resolved) < 0 || !(full = root_path_join(root, resolved)))
                return -ENOMEM;
        d = opendir(full);
        if (!d)
                return errno == ENOENT ? mkdir_in_root(root, LOADER_ENTRIES, 0755) : negative_errno();
        while ((de = readdir(d))) {
                char path[PATH_MAX];

                if (de->d_name[0] == '.' ||
                    snprintf(path, sizeof(path), "%s/%s", LOADER_ENTRIES, de->d_name) >= (int) sizeof(path) ||
                    listed(s, path))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0)
                        return log_error_errno(negative_errno(), "cannot remove the loader entry %s", path);
                log_info("removed the loader entry %s, which the upgrade added", path);
        }
        return 0;
}

/* custom.cfg as it was, and after it the block of the armed rollback boot
 * if keep_block and there is one now. */
static int put_custom(const char *root, const struct item *it, bool keep_block) {
        _cleanup_free_ char *old = NULL, *now = NULL, *text = NULL;
        size_t old_len = 0, now_len = 0, len = 0, begin, end;
        bool block = false;
        FILE *f;
        int r;

        if (it->kind == 'c') {
                r = copy_text(root, it, &old, &old_len);
                if (r < 0)
                        return r;
        }
        if (keep_block && read_in_root(root, it->path, &now, &now_len, NULL) == 0 &&
            boot_entry_find_block(now, now_len, &begin, &end) > 0)
                block = true;
        if (it->kind == 'C' && !block) {
                r = remove_in_root(root, it->path);
                return r == -ENOENT ? 0 : r;
        }
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        if (old_len)
                fwrite(old, 1, old_len, f);
        if (block) {
                if (old_len && old[old_len - 1] != '\n')
                        fputc('\n', f);
                fwrite(now + begin, 1, end - begin, f);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        return write_file_atomic(root, it->path, text, len, it->mode);
}

int undo_boot_put_back(const char *root) {
        _cleanup_(boot_set_done) struct boot_set s = {};
        unsigned n = 0;
        int r = read_list(root, &s);

        if (r == -ENOENT) {
                log_info("the undo set holds no boot configuration (taken by an older oslift): GRUB's is left "
                         "as it is");
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "cannot read the boot configuration of the undo set");
        for (size_t i = 0; i < s.n; i++) {
                const struct item *it = &s.items[i];
                _cleanup_free_ char *data = NULL;
                size_t len = 0;

                if (it->kind == 'L')
                        r = prune_entries(root, &s);
                else if (it->kind == 'f') {
                        r = copy_text(root, it, &data, &len);
                        if (r == 0)
                                r = write_file_atomic(root, it->path, data, len, it->mode);
                } else if (it->kind == 'c' || it->kind == 'C')
                        r = put_custom(root, it, true);
                else
                        continue;
                if (r < 0)
                        return log_error_errno(r, "cannot put %s back", it->path);
                n++;
        }
        log_info("put back the old boot configuration: %u paths (grubenv last)", n);
        return 0;
}

int undo_boot_switch_back(const char *root) {
        _cleanup_(boot_set_done) struct boot_set s = {};
        int r = read_list(root, &s);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "cannot read the boot configuration of the undo set");
        for (size_t i = 0; i < s.n; i++) {
                const struct item *it = &s.items[i];
                _cleanup_(grubenv_freep) struct grubenv *env = NULL;
                _cleanup_free_ char *data = NULL;
                size_t len = 0;

                if (it->kind == 'e') {
                        r = copy_text(root, it, &data, &len);
                        if (r == 0)
                                r = grubenv_parse(data, len, &env);
                        if (r == 0)
                                r = grubenv_write(root, it->path, env);
                } else if (it->kind == 'E') {
                        r = remove_in_root(root, it->path);
                        if (r == -ENOENT)
                                r = 0;
                } else
                        continue;
                if (r < 0)
                        return log_error_errno(r, "cannot put %s back", it->path);
                log_info("put %s back as it was before the upgrade: the next boot is the old release", it->path);
        }
        /* Not selected any more: our block goes too. */
        for (size_t i = 0; i < s.n; i++) {
                const struct item *it = &s.items[i];

                if (it->kind != 'c' && it->kind != 'C')
                        continue;
                r = put_custom(root, it, false);
                if (r < 0)
                        return log_error_errno(r, "cannot put %s back", it->path);
        }
        return 0;
}

bool undo_boot_pending(const char *root) {
        char list[PATH_MAX], done[PATH_MAX];

        if (path_in_root(list, sizeof(list), root, OSLIFT_UNDO_DIR "/boot/list") < 0 ||
            path_in_root(done, sizeof(done), root, OSLIFT_UNDO_DIR "/boot/done") < 0)
                return false;
        return access(list, F_OK) == 0 && access(done, F_OK) < 0;
}

int undo_boot_mark_done(const char *root) {
        if (!exists_in_root(root, OSLIFT_UNDO_DIR "/boot", S_IFDIR))
                return 0;
        return write_file_atomic(root, OSLIFT_UNDO_DIR "/boot/done", "", 0, 0600);
}
