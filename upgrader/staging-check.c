/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who could have written the staging directory; see staging-check.h. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "staging-check.h"

static int check_one(const char *state_dir, int dirfd, const char *name, const char *shown) {
        struct stat st;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : log_error_errno(negative_errno(), "cannot examine %s/%s", state_dir, shown);
        if (S_ISLNK(st.st_mode)) {
                log_error("%s/%s is a symlink; the staging directory holds none: run 'host-prep cancel', "
                          "then 'host-prep stage' again", state_dir, shown);
                return -EPERM;
        }
        if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
                log_error("%s/%s is %s (owner uid %u, mode %04o): someone other than root could have "
                          "changed what runs at boot, so it is not used; run 'host-prep cancel', then "
                          "'host-prep stage' again",
                          state_dir, shown, st.st_uid != 0 ? "not owned by root" : "writable by others",
                          (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

/* The directory itself and each entry in it. */
static int check_dir(const char *state_dir, int state_dir_fd, const char *sub) {
        _cleanup_close_ int fd = -1;
        DIR *d;
        struct dirent *de;
        int r = check_one(state_dir, state_dir_fd, sub, sub);

        if (r < 0)
                return r;
        fd = openat(state_dir_fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : log_error_errno(negative_errno(), "cannot open %s/%s", state_dir, sub);
        d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -ENOMEM;
        while (r == 0 && (de = readdir(d))) {
                char shown[512];

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(shown, sizeof(shown), "%s/%s", sub, de->d_name);
                r = check_one(state_dir, dirfd(d), de->d_name, shown);
        }
        closedir(d);
        return r;
}

int staging_check(const char *root, int state_dir_fd) {
        char state_dir[4096];
        int r;

        snprintf(state_dir, sizeof(state_dir), "%s%s", root_prefix(root), OSLIFT_STATE_DIR);
        r = check_one(state_dir, state_dir_fd, ".", ".");
        if (r == 0)
                r = check_one(state_dir, state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_PLAN_FILE),
                              STATE_DIR_RELATIVE(OSLIFT_PLAN_FILE));
        if (r == 0)
                r = check_dir(state_dir, state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_PACKAGES_DIR));
        if (r == 0)
                r = check_dir(state_dir, state_dir_fd, STATE_DIR_RELATIVE(OSLIFT_KEYS_DIR));
        return r;
}
