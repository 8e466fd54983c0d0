/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LVM in the upgrade boot; see lvm.h. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "lvm.h"
#include "macro.h"
#include "run-logged.h"
#include "time-util.h"

int lvm_find(const char *root, char **ret) {
        static const char *const paths[] = LVM_PATHS;

        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_free_ char *p = root_path_join(root, paths[i]);
                struct stat st;

                if (!p)
                        return -ENOMEM;
                if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

int lvm_activate_all(const char *lvm) {
        struct timespec t0;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = run_logged_at(LOG_LEVEL_INFO, "/",
                          (char *const[]) { (char *) lvm, (char *) "vgchange", (char *) "-ay", (char *) "--sysinit",
                                            NULL });
        if (r < 0)
                log_warning("activating the LVM volume groups failed (%s vgchange -ay --sysinit); "
                            "waiting for the device all the same", lvm);
        else
                log_info("activated the LVM volume groups in %.1f s", seconds_since(&t0));
        return r;
}
