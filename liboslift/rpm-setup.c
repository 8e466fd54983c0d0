/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmmacro.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "rpm-messages.h"
#include "rpm-setup.h"

static char config_dir[PATH_MAX];

static int has_rpmrc(const char *dir) {
        char path[PATH_MAX];
        struct stat st;

        if (snprintf(path, sizeof(path), "%s/rpmrc", dir) >= (int) sizeof(path))
                return 0;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* "rpm" in the directory the running executable lives in, if it exists. */
static int dir_beside_executable(char *buf, size_t size) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        char *slash;

        if (n <= 0)
                return -ENOENT;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (!slash)
                return -ENOENT;
        *slash = '\0';
        if (snprintf(buf, size, "%s/rpm", exe) >= (int) size)
                return -ENAMETOOLONG;
        return 0;
}

static int find_config_dir(void) {
        const char *env = getenv("OSLIFT_RPM_CONFIGDIR");
        char beside[PATH_MAX];

        if (env && *env) {
                /* An explicit choice that does not work is an error, not a hint. */
                if (!has_rpmrc(env)) {
                        log_error("OSLIFT_RPM_CONFIGDIR=%s has no rpmrc; unset it or point it at "
                                  "oslift's rpm configuration directory", env);
                        return -ENOENT;
                }
                snprintf(config_dir, sizeof(config_dir), "%s", env);
                return 0;
        }
        if (dir_beside_executable(beside, sizeof(beside)) == 0 && has_rpmrc(beside)) {
                snprintf(config_dir, sizeof(config_dir), "%s", beside);
                return 0;
        }
        if (has_rpmrc(OSLIFT_RPM_CONFIGDIR)) {
                snprintf(config_dir, sizeof(config_dir), "%s", OSLIFT_RPM_CONFIGDIR);
                return 0;
        }
        log_error("librpm's configuration (rpmrc, macros) was not found in %s or %s; "
                  "reinstall oslift or set OSLIFT_RPM_CONFIGDIR",
                  *beside ? beside : "the executable's directory", OSLIFT_RPM_CONFIGDIR);
        return -ENOENT;
}

int rpm_setup(void) {
        static char macro_path[3 * PATH_MAX];
        char rpmrc[PATH_MAX + 8];
        int r;

        if (*config_dir)
                return 0;
        r = find_config_dir();
        if (r < 0)
                return r;

        /* rpmConfigDir() reads this: keeps librpm off the host's /usr/lib/rpm. */
        if (setenv("RPM_CONFIGDIR", config_dir, 1) < 0)
                return log_error_errno(negative_errno(), "setenv");

        /* Only our macros: neither the host's /etc/rpm nor ~/.rpmmacros may
         * change what a transaction does between staging and the boot. */
        snprintf(macro_path, sizeof(macro_path), "%1$s/macros:%1$s/platform/%%{_target}/macros",
                 config_dir);
        macrofiles = macro_path;

        rpm_messages_route();
        snprintf(rpmrc, sizeof(rpmrc), "%s/rpmrc", config_dir);
        if (rpmReadConfigFiles(rpmrc, NULL) != 0) {
                log_error("librpm could not read its configuration in %s", config_dir);
                *config_dir = '\0';
                return -EINVAL;
        }
        return 0;
}

const char *rpm_config_dir(void) {
        return *config_dir ? config_dir : NULL;
}
