/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which fstab entries to mount; see fstab.h. */
#include <errno.h>
#include <libmount.h>
#include <stdlib.h>
#include <string.h>

#include "chase.h"
#include "fsutil.h"
#include "fstab.h"
#include "log.h"
#include "mount-util.h"

static bool below_api(const char *target) {
        static const char *const api[] = { "/proc", "/sys", "/dev", "/run" };

        for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++)
                if (strcmp(target, api[i]) == 0 || path_is_below(target, api[i]))
                        return true;
        return false;
}

/* Everything but FSTAB_SKIP_PARENT, which needs the other entries. */
static enum fstab_verdict decide(struct libmnt_fs *fs, const char *target) {
        const char *fstype = mnt_fs_get_fstype(fs);

        if (mnt_fs_is_swaparea(fs))
                return FSTAB_SKIP_SWAP;
        if (!target)
                return FSTAB_SKIP_BAD_TARGET;
        if (strcmp(target, "/") == 0)
                return FSTAB_SKIP_ROOT;
        if (mnt_fs_match_options(fs, "+noauto"))
                return FSTAB_SKIP_NOAUTO;
        if (mnt_fs_match_options(fs, "+bind") || mnt_fs_match_options(fs, "+rbind") ||
            mnt_fs_match_options(fs, "+move"))
                return FSTAB_SKIP_BIND;
        if (mnt_fs_is_netfs(fs) || mnt_fs_match_options(fs, "+_netdev"))
                return FSTAB_SKIP_NETWORK;
        if (has_prefix(fstype, "fuse"))
                return FSTAB_SKIP_FUSE;
        if (mnt_fs_is_pseudofs(fs))
                return FSTAB_SKIP_PSEUDO;
        if (below_api(target))
                return FSTAB_SKIP_API;
        return FSTAB_MOUNT;
}

static bool is_system_mount_point(const char *target) {
        static const char *const system[] = { "/boot", "/boot/efi", "/etc", "/usr", "/var" };

        for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++)
                if (strcmp(target, system[i]) == 0)
                        return true;
        return false;
}

static int add_entry(struct fstab *t, struct libmnt_fs *fs) {
        struct fstab_entry *e;
        const char *fstype = mnt_fs_get_fstype(fs), *target = mnt_fs_get_target(fs);
        char *normalized = NULL;
        int r;

        if (t->n_entries >= FSTAB_ENTRIES_MAX)
                return -E2BIG;
        e = &t->entries[t->n_entries];
        *e = (struct fstab_entry) {};
        if (target && target[0] == '/') {
                r = path_normalize(target, &normalized);
                if (r == -ENOMEM)
                        return r;
        }
        e->verdict = decide(fs, normalized);
        e->target = normalized;
        if (!e->target && (r = strdup_or_null(target ?: "", &e->target)) < 0)
                return r;
        t->n_entries++; /* owns what is set so far: fstab_done() frees it */
        if (fstype && strcmp(fstype, "auto") == 0)
                fstype = NULL;
        if ((r = strdup_or_null(mnt_fs_get_source(fs) ?: "", &e->source)) < 0 ||
            (r = strdup_or_null(fstype, &e->fstype)) < 0 ||
            (r = strdup_or_null(mnt_fs_get_options(fs), &e->options)) < 0)
                return r;
        e->nofail = mnt_fs_match_options(fs, "+nofail") == 1;
        e->required = !e->nofail || (normalized && is_system_mount_point(normalized));
        e->read_only = mnt_fs_match_options(fs, "+ro") == 1;
        return 0;
}

/* Only mountable entries have targets that can be parents here. */
static bool has_target(const struct fstab_entry *e) {
        return e->verdict != FSTAB_SKIP_SWAP && e->verdict != FSTAB_SKIP_BAD_TARGET;
}

/*
 * Entries below a mount point that will not be mounted are left out too:
 * they would land on the root's directory instead of in their parent, where
 * nothing of the system lives anyway. Then the order: file order, except
 * that an entry waits for the entries it is below (as "mount -a" assumes
 * and systemd ensures), the earliest ready entry first each time.
 */
static int decide_parents_and_order(struct fstab *t) {
        _cleanup_free_ unsigned *waiting = NULL;
        _cleanup_free_ bool *done = NULL;

        for (size_t i = 0; i < t->n_entries; i++) {
                struct fstab_entry *e = &t->entries[i];

                if (e->verdict != FSTAB_MOUNT)
                        continue;
                for (size_t j = 0; j < t->n_entries; j++) {
                        const struct fstab_entry *p = &t->entries[j];

                        if (p->verdict != FSTAB_MOUNT && p->verdict != FSTAB_SKIP_ROOT &&
                            p->verdict != FSTAB_SKIP_PARENT && has_target(p) &&
                            path_is_below(e->target, p->target)) {
                                e->verdict = FSTAB_SKIP_PARENT;
                                e->parent = j;
                                break;
                        }
                }
        }
        /* A skipped parent's children may have been decided before it. */
        for (bool changed = true; changed;) {
                changed = false;
                for (size_t i = 0; i < t->n_entries; i++) {
                        struct fstab_entry *e = &t->entries[i];
                        for (size_t j = 0; e->verdict == FSTAB_MOUNT && j < t->n_entries; j++)
                                if (t->entries[j].verdict == FSTAB_SKIP_PARENT &&
                                    path_is_below(e->target, t->entries[j].target)) {
                                        e->verdict = FSTAB_SKIP_PARENT;
                                        e->parent = j;
                                        changed = true;
                                }
                }
        }

        t->order = calloc(t->n_entries + 1, sizeof(size_t));
        waiting = calloc(t->n_entries + 1, sizeof(unsigned));
        done = calloc(t->n_entries + 1, sizeof(bool));
        if (!t->order || !waiting || !done)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_entries; i++)
                for (size_t j = 0; j < t->n_entries; j++)
                        if (t->entries[i].verdict == FSTAB_MOUNT && t->entries[j].verdict == FSTAB_MOUNT &&
                            path_is_below(t->entries[i].target, t->entries[j].target))
                                waiting[i]++;
        for (;;) {
                size_t i;

                for (i = 0; i < t->n_entries; i++)
                        if (t->entries[i].verdict == FSTAB_MOUNT && !done[i] && waiting[i] == 0)
                                break;
                if (i == t->n_entries)
                        break;
                done[i] = true;
                t->order[t->n_order++] = i;
                for (size_t j = 0; j < t->n_entries; j++)
                        if (t->entries[j].verdict == FSTAB_MOUNT &&
                            path_is_below(t->entries[j].target, t->entries[i].target))
                                waiting[j]--;
        }
        return 0;
}

static int count_bad_line(struct libmnt_table *tb, const char *filename, int line) {
        struct fstab *t = mnt_table_get_userdata(tb);

        if (t->n_bad_lines++ == 0)
                t->first_bad_line = line > 0 ? (unsigned) line : 0;
        return 1; /* recoverable: leave the line out, go on */
}

int fstab_parse(FILE *f, const char *name, struct fstab *ret) {
        struct fstab t = {};
        struct libmnt_table *tb = mnt_new_table();
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;
        int r, n;

        if (!tb || !it) {
                r = -ENOMEM;
                goto finish;
        }
        mnt_table_set_userdata(tb, &t);
        mnt_table_set_parser_errcb(tb, count_bad_line);
        r = mnt_table_parse_stream(tb, f, name);
        if (r < 0)
                goto finish;
        n = mnt_table_get_nents(tb);
        if (n < 0 || (unsigned) n > FSTAB_ENTRIES_MAX) {
                r = -E2BIG;
                goto finish;
        }
        t.entries = calloc((size_t) n + 1, sizeof(struct fstab_entry));
        if (!t.entries) {
                r = -ENOMEM;
                goto finish;
        }
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                r = add_entry(&t, fs);
                if (r < 0)
                        goto finish;
        }
        r = decide_parents_and_order(&t);
finish:
        mnt_free_iter(it);
        mnt_unref_table(tb);
        if (r < 0) {
                fstab_done(&t);
                return r;
        }
        *ret = t;
        return 0;
}

int fstab_read(const char *root, const char *path, struct fstab *ret) {
        _cleanup_free_ char *inside = NULL, *full = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        int r;

        r = chase_in_root(root, path, &inside);
        if (r < 0)
                return r;
        full = root_path_join(root, inside);
        if (!full)
                return -ENOMEM;
        f = fopen(full, "re");
        if (!f)
                return negative_errno();
        return fstab_parse(f, path, ret);
}

void fstab_done(struct fstab *t) {
        for (size_t i = 0; i < t->n_entries; i++) {
                free(t->entries[i].source);
                free(t->entries[i].target);
                free(t->entries[i].fstype);
                free(t->entries[i].options);
        }
        free(t->entries);
        free(t->order);
        *t = (struct fstab) {};
}

const char *fstab_verdict_reason(enum fstab_verdict v) {
        static const char *const reasons[] = {
                [FSTAB_MOUNT] = "to mount",
                [FSTAB_SKIP_SWAP] = "swap",
                [FSTAB_SKIP_BAD_TARGET] = "mount point is not an absolute path",
                [FSTAB_SKIP_ROOT] = "the root, mounted already",
                [FSTAB_SKIP_NOAUTO] = "noauto",
                [FSTAB_SKIP_BIND] = "bind mount",
                [FSTAB_SKIP_NETWORK] = "network file system",
                [FSTAB_SKIP_FUSE] = "FUSE file system",
                [FSTAB_SKIP_PSEUDO] = "virtual file system",
                [FSTAB_SKIP_API] = "below /proc, /sys, /dev or /run",
                [FSTAB_SKIP_PARENT] = "below a mount point that is not mounted",
        };
        return (unsigned) v < _FSTAB_VERDICT_MAX ? reasons[v] : "unknown";
}

const struct fstab_entry *fstab_find_covering(const struct fstab *t, const char *path) {
        const struct fstab_entry *found = NULL;

        for (size_t k = 0; k < t->n_order; k++) {
                const struct fstab_entry *e = &t->entries[t->order[k]];
                if (strcmp(e->target, path) == 0 || path_is_below(path, e->target))
                        found = e;
        }
        return found;
}
