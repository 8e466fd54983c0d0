/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Durable progress during the transaction; see checkpoint.h. */
#include <fcntl.h>
#include <libmount.h>
#include <pthread.h>
#include <signal.h>
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
        unsigned recorded; /* N of the last checkpoint in the journal */

        /* Shared with the flusher, under lock. */
        pthread_mutex_t lock;
        pthread_cond_t wake;
        pthread_t flusher;
        bool flusher_running;
        bool busy;          /* a sync is asked for or running */
        bool stop;
        unsigned requested; /* elements done when the sync was asked for */
        unsigned flushed;   /* elements on disk: the last finished sync's */
        int flush_error;
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

int checkpoint_sync(struct checkpoint *c) {
        int r = 0;

        for (size_t i = 0; i < c->n_fds; i++)
                if (syncfs(c->fds[i]) < 0 && r == 0)
                        r = negative_errno();
        return r;
}

static void *flusher_main(void *userdata) {
        struct checkpoint *c = userdata;

        pthread_mutex_lock(&c->lock);
        for (;;) {
                unsigned target;
                int r;

                while (!c->stop && !c->busy)
                        pthread_cond_wait(&c->wake, &c->lock);
                if (c->stop)
                        break;
                target = c->requested;
                pthread_mutex_unlock(&c->lock);
                /* Everything elements 1..target wrote was written before
                 * this call: a finished syncfs() has it on disk. */
                r = checkpoint_sync(c);
                pthread_mutex_lock(&c->lock);
                if (r < 0 && c->flush_error == 0)
                        c->flush_error = r;
                else if (r == 0)
                        c->flushed = target;
                c->busy = false;
        }
        pthread_mutex_unlock(&c->lock);
        return NULL;
}

static int start_flusher(struct checkpoint *c) {
        sigset_t all, old;
        int r;

        /* Signals stay with the thread that runs rpm and its scriptlets. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = -pthread_create(&c->flusher, NULL, flusher_main, c);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r < 0)
                return r;
        c->flusher_running = true;
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
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->wake, NULL);
        c->journal = journal;
        c->done = c->recorded = c->flushed = done_before;
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
        if (r == 0)
                r = start_flusher(c);
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
        if (c->flusher_running) {
                pthread_mutex_lock(&c->lock);
                c->stop = true;
                pthread_cond_signal(&c->wake);
                pthread_mutex_unlock(&c->lock);
                pthread_join(c->flusher, NULL);
        }
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        for (size_t i = 0; i < c->n_fds; i++)
                close(c->fds[i]);
        free(c->fds);
        free(c);
}

/* Records the checkpoint of a sync that finished since the last call,
 * and asks for the next one when due and the flusher is free. */
static int poll_flusher(struct checkpoint *c) {
        unsigned flushed;
        int error;

        pthread_mutex_lock(&c->lock);
        flushed = c->flushed;
        error = c->flush_error;
        if (error == 0 && !c->busy && c->since >= c->every) {
                c->requested = c->done;
                c->busy = true;
                c->since = 0;
                pthread_cond_signal(&c->wake);
        }
        pthread_mutex_unlock(&c->lock);

        if (error < 0)
                return log_error_errno(error, "cannot flush the file systems to disk");
        if (flushed <= c->recorded)
                return 0;
        int r = journal_append(c->journal, true, "checkpoint %u", flushed);
        if (r < 0)
                return log_error_errno(r, "cannot record a checkpoint in the journal");
        c->recorded = flushed;
        log_debug("checkpoint: %u elements on disk", flushed);
        return 0;
}

int checkpoint_element_done(struct checkpoint *c, const char *nevra) {
        int r = journal_append(c->journal, false, "done %s", nevra);

        if (r < 0)
                return log_error_errno(r, "cannot record %s in the journal", nevra);
        c->done++;
        c->since++;
        return poll_flusher(c);
}
