/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel watchdog during the upgrade; see watchdog.h. */
#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "macro.h"
#include "watchdog.h"

#define WATCHDOG_DEVICE "/dev/watchdog"

static int watchdog_fd = -1;

int watchdog_arm(unsigned seconds) {
        int timeout = (int) seconds;

        if (watchdog_fd >= 0)
                return 0;
        watchdog_fd = open(WATCHDOG_DEVICE, O_WRONLY | O_CLOEXEC);
        if (watchdog_fd < 0)
                return negative_errno();
        if (ioctl(watchdog_fd, WDIOC_SETTIMEOUT, &timeout) < 0) {
                int r = negative_errno();
                watchdog_disarm();
                return r;
        }
        watchdog_ping();
        return 0;
}

void watchdog_ping(void) {
        if (watchdog_fd >= 0)
                (void) ioctl(watchdog_fd, WDIOC_KEEPALIVE, 0);
}

void watchdog_disarm(void) {
        if (watchdog_fd < 0)
                return;
        /* The magic close: without it the watchdog keeps counting. */
        (void) write(watchdog_fd, "V", 1);
        close(watchdog_fd);
        watchdog_fd = -1;
}
