/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Durable progress during the transaction; see checkpoint.h. */
#include <fcntl.h>
#include <libmount.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "log.h"
#include "macro.h"

struct checkpoint {
        int *fds; /* one per file system at or below the root */
        size_t n_fds;
        struct journal_writer *journal;
        unsigned every, since, done;
};

static bool below(const char *path, const char *root) {
        size_t n = strlen(root);

        if (strcmp(root, "/") == 0)
                return true;
        while (n > 1 && root[n - 1] == '/')
                n--;
        return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int add_fd(struct checkpoint *c, const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int *p;

        if (fd < 0)
                return 0; /* hidden by a later mount, or gone: nothing to sync there */
        p = realloc(c->fds, (c->n_fds + 1) * sizeof(*p));
        if (!p) {
                close(fd);
                return -ENOMEM;
        }
        c->fds = p;
        c->fds[c->n_fds++] = fd;
        return 0;
}

int checkpoint_new(const char *root, struct journal_writer *journal, unsigned every, unsigned done_before,
                   struct checkpoint **ret) {
        struct checkpoint *c = calloc(1, sizeof(*c));
        struct libmnt_table *tb = NULL;
        struct libmnt_iter *it = NULL;
        struct libmnt_fs *fs;
        int r;

        if (!c)
                return -ENOMEM;
        c->journal = journal;
        c->done = done_before;
        c->every = every ? every : CHECKPOINT_EVERY_DEFAULT;
        r = add_fd(c, root);
        /* The file systems the transaction writes: whatever is mounted
         * below the root (its /boot, /var, /usr...). Pseudo file systems
         * hold nothing to keep. */
        tb = mnt_new_table_from_file("/proc/self/mountinfo");
        it = mnt_new_iter(MNT_ITER_FORWARD);
        while (r == 0 && tb && it && mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *target = mnt_fs_get_target(fs);
                if (target && !mnt_fs_is_pseudofs(fs) && below(target, root) && strcmp(target, root) != 0)
                        r = add_fd(c, target);
        }
        mnt_free_iter(it);
        mnt_unref_table(tb);
        if (r < 0) {
                checkpoint_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

void checkpoint_free(struct checkpoint *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_fds; i++)
                close(c->fds[i]);
        free(c->fds);
        free(c);
}

int checkpoint_sync(struct checkpoint *c) {
        int r = 0;

        for (size_t i = 0; i < c->n_fds; i++)
                if (syncfs(c->fds[i]) < 0 && r == 0)
                        r = negative_errno();
        return r;
}

int checkpoint_now(struct checkpoint *c) {
        int r = checkpoint_sync(c);

        if (r < 0)
                return log_error_errno(r, "cannot flush the file systems to disk");
        c->since = 0;
        r = journal_append(c->journal, true, "checkpoint %u", c->done);
        if (r < 0)
                return log_error_errno(r, "cannot record a checkpoint in the journal");
        log_debug("checkpoint: %u elements on disk", c->done);
        return 0;
}

int checkpoint_element_done(struct checkpoint *c, const char *nevra) {
        int r = journal_append(c->journal, false, "done %s", nevra);

        if (r < 0)
                return log_error_errno(r, "cannot record %s in the journal", nevra);
        c->done++;
        if (++c->since < c->every)
                return 0;
        return checkpoint_now(c);
}
