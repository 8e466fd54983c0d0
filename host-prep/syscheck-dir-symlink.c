/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dir-symlink-conflict: a path that is a directory in the installed system
 * and a symlink or file in a target package: rpm cannot replace a
 * directory, and the transaction fails there. The reverse (a symlink
 * installed, a directory in the package: /var/run) is a warning,
 * symlink-dir: rpm keeps the symlink and installs into what it points to.
 */
#include <rpm/rpmfi.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "syscheck.h"

void syscheck_dir_symlink(struct syscheck_context *c) {
        for (size_t i = 0; i < c->n_targets; i++) {
                rpmfi fi = rpmfiNew(NULL, c->targets[i], RPMTAG_BASENAMES, RPMFI_KEEPHEADER);
                const char *pkg = headerGetString(c->targets[i], RPMTAG_NAME);

                while (fi && rpmfiNext(fi) >= 0) {
                        _cleanup_free_ char *path = syscheck_path(c->root, rpmfiFN(fi));
                        mode_t mode = (mode_t) rpmfiFMode(fi);
                        struct stat st;

                        if (lstat(path, &st) < 0)
                                continue;
                        if (S_ISDIR(st.st_mode) && !S_ISDIR(mode)) {
                                findings_add(c->findings, SEVERITY_BLOCKER, "dir-symlink-conflict",
                                             "rpm cannot replace a directory with a symlink or a file: the "
                                             "transaction would fail on it part way",
                                             "move the directory's contents where the target expects them "
                                             "and remove it (or make it the symlink) before the upgrade, as "
                                             "the target release's notes describe",
                                             "%s is a directory, but %s installs it as a %s", rpmfiFN(fi),
                                             pkg, S_ISLNK(mode) ? "symlink" : "file");
                                findings_set_subject(c->findings, rpmfiFN(fi));
                        } else if (S_ISLNK(st.st_mode) && S_ISDIR(mode)) {
                                findings_add(c->findings, SEVERITY_WARNING, "symlink-dir",
                                             "rpm keeps the installed symlink and installs the directory's "
                                             "files where it points",
                                             "nothing, if the symlink points where the files belong (as "
                                             "/var/run to /run does); otherwise replace it by a directory",
                                             "%s is a symlink, but %s installs it as a directory", rpmfiFN(fi),
                                             pkg);
                                findings_set_subject(c->findings, rpmfiFN(fi));
                        }
                }
                rpmfiFree(fi);
        }
}
