/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Waiting for a block device; see device-wait.h. */
#include <blkid.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "device-wait.h"
#include "log.h"
#include "lvm.h"
#include "macro.h"
#include "time-util.h"

static bool is_block_device(const char *path) {
        struct stat st;
        return path && stat(path, &st) == 0 && S_ISBLK(st.st_mode);
}

int device_wait(const char *spec, unsigned timeout_ms, char **ret) {
        struct timespec t0;
        bool told = false;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                /* No cache kept between tries: a new device must be seen. */
                char *dev = spec[0] == '/' ? strdup(spec) : blkid_evaluate_spec(spec, NULL);

                if (is_block_device(dev)) {
                        if (told)
                                log_info("%s appeared after %.1f s", spec, seconds_since(&t0));
                        *ret = dev;
                        return 0;
                }
                free(dev);
                if (seconds_since(&t0) * 1000 >= timeout_ms)
                        return -ENODEV;
                if (!told && timeout_ms > 0) {
                        log_info("waiting up to %u s for %s", (timeout_ms + 999) / 1000, spec);
                        told = true;
                }
                usleep(250 * 1000);
        }
}

int device_wait_activating(const char *root, const char *spec, unsigned timeout_ms, bool *lvm_tried, char **ret) {
        _cleanup_free_ char *lvm = NULL;
        unsigned first = timeout_ms < LVM_ACTIVATE_AFTER_MS ? timeout_ms : LVM_ACTIVATE_AFTER_MS;
        int r;

        if (*lvm_tried || lvm_find(root, &lvm) < 0)
                return device_wait(spec, timeout_ms, ret);
        r = device_wait(spec, first, ret);
        if (r != -ENODEV)
                return r;
        *lvm_tried = true;
        log_info("%s has not appeared within %.0f s: activating every LVM volume group "
                 "(the kernel command line's rd.lvm.lv= may name only some logical volumes)",
                 spec, first / 1000.0);
        (void) lvm_activate_all(lvm);
        return device_wait(spec, timeout_ms, ret);
}
