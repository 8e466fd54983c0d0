/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemctl and the reboot of host-prep; see run.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "run.h"

const char *systemctl_path(void) {
        static const char *const paths[] = { "/bin/systemctl", "/usr/bin/systemctl" };

        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        return NULL;
}

int reboot_now(const char *what) {
        const char *systemctl = systemctl_path();

        sync();
        log_info("%s", what);
        if (systemctl)
                execl(systemctl, "systemctl", "reboot", (char *) NULL);
        if (reboot(RB_AUTOBOOT) < 0)
                return negative_errno();
        return 0;
}
