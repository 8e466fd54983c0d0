/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mount stack of the upgrade boot; see mounts.h. */
#include <fcntl.h>
#include <libmount.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "mounts.h"
#include "time-util.h"

enum undo_kind {
        UNDO_UNMOUNT,     /* we mounted it */
        UNDO_DETACH,      /* our recursive bind of an API file system */
        UNDO_REMOUNT_RO,  /* it was read-only, we made it read-write */
};

struct undo {
        enum undo_kind kind;
        char *path;  /* the full path, below sysroot */
        char *label; /* for messages: the path inside the root */
};

struct mounts {
        char *sysroot;
        bool lvm_tried; /* the volume groups were activated (device_wait_activating()) */
        struct undo *undo;
        size_t n_undo, n_allocated;
};

int mounts_new(const char *sysroot, struct mounts **ret) {
        struct mounts *m = calloc(1, sizeof(*m));

        if (!m)
                return -ENOMEM;
        m->sysroot = strdup(sysroot);
        if (!m->sysroot) {
                free(m);
                return -ENOMEM;
        }
        *ret = m;
        return 0;
}

void mounts_free(struct mounts *m) {
        if (!m)
                return;
        for (size_t i = 0; i < m->n_undo; i++) {
                free(m->undo[i].path);
                free(m->undo[i].label);
        }
        free(m->undo);
        free(m->sysroot);
        free(m);
}

void mounts_freep(struct mounts **m) {
        mounts_free(*m);
}

static int push_undo(struct mounts *m, enum undo_kind kind, const char *path, const char *label) {
        struct undo u = { .kind = kind, .path = strdup(path), .label = strdup(label) };

        if (m->n_undo == m->n_allocated) {
                size_t n = m->n_allocated ? m->n_allocated * 2 : 16;
                struct undo *p = realloc(m->undo, n * sizeof(*p));

                if (!p) {
                        free(u.path);
                        free(u.label);
                        return -ENOMEM;
                }
                m->undo = p;
                m->n_allocated = n;
        }
        if (!u.path || !u.label) {
                free(u.path);
                free(u.label);
                return -ENOMEM;
        }
        m->undo[m->n_undo++] = u;
        return 0;
}

/* Whether path is a mount point, and how the visible (last) mount there is
 * mounted, from a fresh read of /proc/self/mountinfo. -ENOENT when not. */
static int find_mount(const char *path, bool *ret_read_only, char **ret_source) {
        struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
        struct libmnt_fs *fs;
        int r = 0;

        if (!tb)
                return -EIO;
        fs = mnt_table_find_target(tb, path, MNT_ITER_BACKWARD);
        if (!fs)
                r = -ENOENT;
        else {
                /* Read-only per mount or per superblock. */
                if (ret_read_only)
                        *ret_read_only = mnt_fs_match_options(fs, "+ro") == 1;
                if (ret_source)
                        r = strdup_or_null(mnt_fs_get_source(fs) ?: "?", ret_source);
        }
        mnt_unref_table(tb);
        return r;
}

static struct libmnt_context *new_context(void) {
        struct libmnt_context *cxt = mnt_new_context();

        if (!cxt)
                return NULL;
        /* The system call alone: no /sbin/mount.* of the initramfs (what
         * needs one is skipped), no /run/mount/utab for mounts that go away. */
        mnt_context_disable_helpers(cxt, 1);
        mnt_context_disable_mtab(cxt, 1);
        return cxt;
}

/* Runs the context; on failure a negative errno and libmount's explanation
 * (as mount(8) prints it) in err. */
static int run_context(struct libmnt_context *cxt, char *err, size_t err_size) {
        int rc = mnt_context_mount(cxt), syscall_errno;

        if (rc == 0 && mnt_context_get_status(cxt) == 1)
                return 0;
        syscall_errno = mnt_context_syscall_called(cxt) ? mnt_context_get_syscall_errno(cxt) : 0;
        if (mnt_context_get_excode(cxt, rc, err, err_size) == 0 || err[0] == '\0')
                snprintf(err, err_size, "%s", strerror(syscall_errno ?: rc < 0 ? -rc : EIO));
        if (syscall_errno > 0)
                return -syscall_errno;
        return rc < 0 ? rc : -EIO;
}

static int remount(const char *path, bool read_only, char *err, size_t err_size) {
        struct libmnt_context *cxt = new_context();
        int r;

        if (!cxt)
                return -ENOMEM;
        if (mnt_context_set_target(cxt, path) < 0 || mnt_context_set_mflags(cxt, MS_REMOUNT) < 0 ||
            mnt_context_set_options(cxt, read_only ? "ro" : "rw") < 0)
                r = -ENOMEM;
        else
                r = run_context(cxt, err, err_size);
        mnt_free_context(cxt);
        return r;
}

/* "rw" last: it wins over a "ro" before it. */
static char *options_rw(const char *options) {
        char *s;

        if (!options || !*options)
                return strdup("rw");
        if (asprintf(&s, "%s,rw", options) < 0)
                return NULL;
        return s;
}

static int do_mount(const char *source, const char *target, const char *fstype, const char *options,
                    char *err, size_t err_size) {
        struct libmnt_context *cxt = new_context();
        _cleanup_free_ char *opts = options_rw(options);
        int r;

        if (!cxt || !opts) {
                mnt_free_context(cxt);
                return -ENOMEM;
        }
        if (mnt_context_set_source(cxt, source) < 0 || mnt_context_set_target(cxt, target) < 0 ||
            (fstype && *fstype && mnt_context_set_fstype(cxt, fstype) < 0) ||
            mnt_context_set_options(cxt, opts) < 0)
                r = -ENOMEM;
        else
                r = run_context(cxt, err, err_size);
        mnt_free_context(cxt);
        return r;
}

int mounts_root(struct mounts *m, const char *spec, const char *fstype, const char *flags) {
        _cleanup_free_ char *source = NULL, *dev = NULL;
        char err[256] = "";
        struct timespec t0;
        bool read_only;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = find_mount(m->sysroot, &read_only, &source);
        if (r == 0) {
                const char *name = spec && *spec ? spec : source;

                if (!read_only) {
                        log_info("/ (%s) is mounted read-write at %s already", name, m->sysroot);
                        return 0;
                }
                r = remount(m->sysroot, false, err, sizeof(err));
                if (r < 0) {
                        log_error("cannot remount / (%s) read-write: %s", name, err);
                        return r;
                }
                r = push_undo(m, UNDO_REMOUNT_RO, m->sysroot, "/");
                if (r < 0)
                        return log_error_errno(r, "cannot record the remount of /");
                log_info("remounted / (%s) read-write in %.1f s", name, seconds_since(&t0));
                return 0;
        }
        if (r != -ENOENT)
                return log_error_errno(r, "cannot read /proc/self/mountinfo");

        if (!spec || !*spec) {
                log_error("%s is not mounted, and the kernel command line names no root device to mount "
                          "there (root=UUID=..., LABEL=..., PARTUUID=..., PARTLABEL=... or /dev/...)",
                          m->sysroot);
                return -ENODEV;
        }
        r = device_wait_activating("/", spec, ROOT_DEVICE_TIMEOUT_MS, &m->lvm_tried, &dev);
        if (r < 0) {
                log_error("the root device %s did not appear within %u s", spec, ROOT_DEVICE_TIMEOUT_MS / 1000);
                return r;
        }
        r = do_mount(dev, m->sysroot, fstype, flags, err, sizeof(err));
        if (r < 0) {
                log_error("cannot mount / (%s, %s) at %s: %s", spec, dev, m->sysroot, err);
                return r;
        }
        r = push_undo(m, UNDO_UNMOUNT, m->sysroot, "/");
        if (r < 0) {
                (void) umount2(m->sysroot, 0);
                return log_error_errno(r, "cannot record the mount of /");
        }
        log_info("mounted / (%s) read-write in %.1f s", spec, seconds_since(&t0));
        return 0;
}

/* Where an fstab source lives: devices are waited for; other absolute paths
 * (a loop image) are files of the root. */
static int resolve_source(struct mounts *m, const struct fstab_entry *e, char **ret) {
        bool tag = has_prefix(e->source, "UUID=") || has_prefix(e->source, "LABEL=") ||
                   has_prefix(e->source, "PARTUUID=") || has_prefix(e->source, "PARTLABEL=") ||
                   has_prefix(e->source, "ID=");
        _cleanup_free_ char *inside = NULL;
        int r;

        if (tag || has_prefix(e->source, "/dev/")) {
                unsigned timeout = e->required ? FSTAB_DEVICE_TIMEOUT_MS : FSTAB_NOFAIL_DEVICE_TIMEOUT_MS;

                r = device_wait_activating("/", e->source, timeout, &m->lvm_tried, ret);
                if (r < 0)
                        log_msg(e->required ? LOG_LEVEL_ERROR : LOG_LEVEL_WARNING,
                                "the device %s for %s did not appear within %u s", e->source, e->target,
                                timeout / 1000);
                return r;
        }
        if (e->source[0] == '/') {
                r = chase_in_root(m->sysroot, e->source, &inside);
                if (r < 0) {
                        log_msg(e->required ? LOG_LEVEL_ERROR : LOG_LEVEL_WARNING,
                                "cannot resolve %s (for %s) in the root: %s", e->source, e->target, strerror(-r));
                        return r;
                }
                *ret = root_path_join(m->sysroot, inside);
                return *ret ? 0 : -ENOMEM;
        }
        *ret = strdup(e->source);
        return *ret ? 0 : -ENOMEM;
}

static int mount_entry(struct mounts *m, const struct fstab_entry *e) {
        enum log_level fail_level = e->required ? LOG_LEVEL_ERROR : LOG_LEVEL_WARNING;
        _cleanup_free_ char *inside = NULL, *path = NULL, *source = NULL;
        char err[256] = "";
        struct timespec t0;
        bool read_only;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = chase_in_root(m->sysroot, e->target, &inside);
        if (r < 0) {
                log_msg(fail_level, "cannot resolve the mount point %s in the root: %s", e->target, strerror(-r));
                return r;
        }
        if (strcmp(inside, "/") == 0) {
                log_msg(fail_level, "the mount point %s is the root itself (through a symlink)", e->target);
                return -EINVAL;
        }
        path = root_path_join(m->sysroot, inside);
        if (!path)
                return log_error_errno(-ENOMEM, "cannot mount %s", e->target);

        r = find_mount(path, &read_only, NULL);
        if (r == 0) {
                if (!read_only) {
                        log_info("%s is mounted already", e->target);
                        return 0;
                }
                r = remount(path, false, err, sizeof(err));
                if (r < 0) {
                        log_msg(fail_level, "cannot remount %s read-write: %s", e->target, err);
                        return r;
                }
                r = push_undo(m, UNDO_REMOUNT_RO, path, e->target);
                if (r < 0)
                        return log_error_errno(r, "cannot record the remount of %s", e->target);
                log_info("remounted %s (mounted already) read-write in %.1f s", e->target, seconds_since(&t0));
                return 0;
        }

        r = resolve_source(m, e, &source);
        if (r < 0)
                return r;
        /* As systemd does for fstab entries: a missing mount point is made. */
        r = mkdir_in_root(m->sysroot, inside, 0755);
        if (r < 0) {
                log_msg(fail_level, "cannot create the mount point %s: %s", e->target, strerror(-r));
                return r;
        }
        r = do_mount(source, path, e->fstype, e->options, err, sizeof(err));
        if (r < 0) {
                log_msg(fail_level, "cannot mount %s (%s): %s", e->target, e->source, err);
                return r;
        }
        r = push_undo(m, UNDO_UNMOUNT, path, e->target);
        if (r < 0) {
                (void) umount2(path, 0);
                return log_error_errno(r, "cannot record the mount of %s", e->target);
        }
        log_info("mounted %s (%s) read-write%s in %.1f s", e->target, e->source,
                 e->read_only ? " for the upgrade (ro in fstab)" : "", seconds_since(&t0));
        return 0;
}

int mounts_fstab(struct mounts *m, const struct fstab *t) {
        _cleanup_free_ bool *failed = calloc(t->n_entries + 1, sizeof(bool));

        if (!failed)
                return log_error_errno(-ENOMEM, "cannot mount the file systems of fstab");
        for (size_t k = 0; k < t->n_order; k++) {
                size_t i = t->order[k];
                const struct fstab_entry *e = &t->entries[i];
                bool skip = false;
                int r;

                /* Below a nofail entry that failed: its directory is the root's. */
                for (size_t j = 0; !skip && j < t->n_entries; j++)
                        if (failed[j] && path_is_below(e->target, t->entries[j].target)) {
                                log_warning("not mounting %s: it is below %s, which could not be mounted",
                                            e->target, t->entries[j].target);
                                skip = failed[i] = true;
                        }
                if (skip)
                        continue;
                if (e->nofail && e->required)
                        log_info("%s is nofail in fstab, but the upgrade writes there: it must mount", e->target);
                r = mount_entry(m, e);
                if (r < 0) {
                        if (e->required)
                                return r;
                        failed[i] = true;
                        log_warning("going on without %s (nofail)", e->target);
                }
        }
        return 0;
}

int mounts_api(struct mounts *m) {
        static const char *const api[] = { "/proc", "/sys", "/dev", "/run" };
        struct timespec t0;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
                _cleanup_free_ char *inside = NULL, *path = NULL;
                int r;

                r = chase_in_root(m->sysroot, api[i], &inside);
                if (r < 0)
                        return log_error_errno(r, "cannot resolve %s in the root", api[i]);
                path = root_path_join(m->sysroot, inside);
                if (!path)
                        return log_error_errno(-ENOMEM, "cannot bind %s", api[i]);
                r = mkdir_in_root(m->sysroot, inside, 0755);
                if (r < 0)
                        return log_error_errno(r, "cannot create %s in the root", api[i]);
                if (mount(api[i], path, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return log_error_errno(negative_errno(), "cannot bind %s to %s", api[i], path);
                /*
                 * Our copies must not be peers of the originals: unmounting
                 * a submount of a peer would unmount the initramfs's own
                 * /dev/pts and the like too.
                 */
                if (mount(NULL, path, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
                        r = negative_errno();
                        (void) umount2(path, MNT_DETACH);
                        return log_error_errno(r, "cannot make %s a slave mount", path);
                }
                r = push_undo(m, UNDO_DETACH, path, api[i]);
                if (r < 0) {
                        (void) umount2(path, MNT_DETACH);
                        return log_error_errno(r, "cannot record the bind mount of %s", api[i]);
                }
        }
        log_info("bound /proc, /sys, /dev and /run into the root in %.1f s", seconds_since(&t0));
        return 0;
}

int mounts_bind_file(struct mounts *m, const char *source, const char *inside, char *err, size_t err_size) {
        _cleanup_free_ char *path = root_path_join(m->sysroot, inside);
        int r;

        if (!path)
                return -ENOMEM;
        if (mount(source, path, NULL, MS_BIND, NULL) < 0) {
                r = negative_errno();
                snprintf(err, err_size, "cannot bind %s to %s: %s", source, path, strerror(-r));
                return r;
        }
        if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
                r = negative_errno();
                (void) umount2(path, MNT_DETACH);
                snprintf(err, err_size, "cannot make the bind mount %s read-only: %s", path, strerror(-r));
                return r;
        }
        r = push_undo(m, UNDO_DETACH, path, inside);
        if (r < 0) {
                (void) umount2(path, MNT_DETACH);
                snprintf(err, err_size, "cannot record the bind mount of %s: %s", path, strerror(-r));
                return r;
        }
        return 0;
}

/* Busy right after the transaction is the usual case of a lingering
 * scriptlet child; a few tries, then read-only and detached. */
static int unmount(const struct undo *u) {
        char err[256];
        int r = 0;

        for (unsigned tries = 0; tries < 5; tries++) {
                if (umount2(u->path, 0) == 0)
                        return 0;
                r = negative_errno();
                if (r == -EINVAL) {
                        log_warning("%s was unmounted already", u->label);
                        return 0;
                }
                if (r != -EBUSY)
                        break;
                usleep(200 * 1000);
        }
        log_warning("cannot unmount %s: %s; detaching it read-only", u->label, strerror(-r));
        if (remount(u->path, true, err, sizeof(err)) < 0)
                log_error("cannot remount %s read-only: %s", u->label, err);
        if (umount2(u->path, MNT_DETACH) < 0)
                return log_error_errno(negative_errno(), "cannot detach %s", u->label);
        return r;
}

int mounts_undo(struct mounts *m) {
        unsigned unmounted = 0, remounted = 0;
        struct timespec t0;
        int ret = 0;

        if (m->n_undo == 0)
                return 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        sync();
        while (m->n_undo > 0) {
                struct undo *u = &m->undo[--m->n_undo];
                char err[256] = "";
                int r = 0;

                switch (u->kind) {
                case UNDO_UNMOUNT:
                        r = unmount(u);
                        unmounted++;
                        break;
                case UNDO_DETACH:
                        if (umount2(u->path, MNT_DETACH) < 0)
                                r = log_error_errno(negative_errno(), "cannot unmount %s", u->path);
                        unmounted++;
                        break;
                case UNDO_REMOUNT_RO:
                        r = remount(u->path, true, err, sizeof(err));
                        if (r < 0)
                                log_error("cannot remount %s read-only: %s", u->label, err);
                        remounted++;
                        break;
                }
                if (r == 0)
                        log_debug("undid %s of %s", u->kind == UNDO_REMOUNT_RO ? "the remount" : "the mount",
                                  u->label);
                if (ret == 0)
                        ret = r;
                free(u->path);
                free(u->label);
        }
        log_info("unmounted %u and remounted read-only %u file systems in %.1f s", unmounted, remounted,
                 seconds_since(&t0));
        return ret;
}

bool mounts_root_writable(struct mounts *m) {
        bool read_only;
        return find_mount(m->sysroot, &read_only, NULL) == 0 && !read_only;
}

bool mounts_is_mount_point(struct mounts *m, const char *path) {
        _cleanup_free_ char *inside = NULL, *full = NULL;

        if (chase_in_root(m->sysroot, path, &inside) < 0)
                return false;
        full = root_path_join(m->sysroot, inside);
        return full && find_mount(full, NULL, NULL) == 0;
}

int mounts_root_read_only(struct mounts *m) {
        struct timespec t0;
        char err[256] = "";
        int r;

        if (!mounts_root_writable(m))
                return 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        sync();
        r = remount(m->sysroot, true, err, sizeof(err));
        if (r < 0) {
                log_error("cannot remount / read-only: %s", err);
                return r;
        }
        log_info("remounted / read-only in %.1f s", seconds_since(&t0));
        return 0;
}

