/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Waiting for the rpm database and rpm's transaction lock with a bound.
 * librpm waits forever for a sqlite rpmdb that another process holds
 * exclusively, and fails a transaction whose lock another process holds
 * (after oslift may have started writing). These look first, before the
 * first write: they say once who holds what ("waiting for the rpm database
 * ..., held by PID N (NAME)"), wait at most OSLIFT_LOCK_WAIT seconds
 * (default 30), then refuse with a message.
 */
#pragma once

/* The bound of the waits, in seconds: $OSLIFT_LOCK_WAIT, else 30. */
unsigned lock_wait_seconds(void);

/*
 * Returns 0 once no other process holds the sqlite rpmdb of root
 * exclusively (or when the rpmdb is not sqlite or absent); -EBUSY (logged:
 * who holds it, what to do) when one still does after the wait.
 */
int rpmdb_wait_unlocked(const char *root);

/*
 * Takes rpm's transaction lock of root (%_rpmlock_path, a POSIX write lock
 * on the whole file, as librpm takes it), waiting as above. Returns the fd
 * that holds it (keep it open), -ENOENT when the lock file does not exist
 * (nobody holds it; it is not created, not logged), -EBUSY (logged) or
 * another negative errno (logged). librpm takes the same lock from the same process without
 * conflict, but drops it when it closes its own descriptor of the file:
 * rpm_transaction_relock() takes it again on fd (-EBUSY when another
 * process was quicker, logged).
 */
int rpm_transaction_lock(const char *root);
int rpm_transaction_relock(const char *root, int fd);
