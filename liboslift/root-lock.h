/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One lock per root for every command that writes into it: host-prep
 * stage, cancel and restore, and the upgrader. It is an flock() on the
 * state directory ROOT/var/lib/oslift itself (so there is no lock file to
 * leave behind, and cancel can remove everything), taken before the
 * command's first write and held until it exits. The loser does not wait
 * for the holder to finish: it is told who holds the lock and changes
 * nothing.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Locks the open state directory fd (exclusive). When another process holds
 * it (waiting at most two seconds while the holder /proc/locks names is
 * gone or exiting, or none is named: the lock is being let go of), logs "another oslift command (PID N, NAME) is working
 * on ROOT; try again when it has finished" and returns -EBUSY. Returns
 * -ESTALE when the directory was removed while this process waited to open
 * it (the holder removed it: look again).
 */
int root_lock_fd(const char *root, int state_dir_fd);

/*
 * Opens and locks ROOT/var/lib/oslift; with create, creates it (0700, its
 * missing parents 0755). No component of the path may be a symlink: that is
 * refused with a message naming it (-ELOOP). Returns the fd (O_CLOEXEC,
 * kept open to hold the lock), -ENOENT when it does not exist and create is
 * false (not logged), -EBUSY as root_lock_fd(), or another negative errno
 * (logged).
 */
int root_lock(const char *root, bool create);

/* The PID of a process holding an flock() or POSIX lock on the file fd
 * has open, from /proc/locks; 0 when it cannot be told. */
pid_t lock_holder(int fd);

/* "PID N, NAME" (NAME from /proc/PID/comm) or "another process" for 0. */
void lock_holder_describe(pid_t pid, char *buf, size_t size);
