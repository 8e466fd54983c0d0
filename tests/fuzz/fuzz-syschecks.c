/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The system checks' readers of the system's own files (host-prep/
 * syscheck-*.c): the same bytes as /etc/fstab, /etc/selinux/config, a
 * .repo file, /etc/os-release, /proc/mounts, /proc/modules,
 * /proc/meminfo, /proc/cmdline and the kernel's osrelease of a scratch
 * root; and as an --accept-file. Whatever they hold, the checks stay
 * inside their buffers and only report.
 */
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "log.h"

#include "accept.h"
#include "findings.h"
#include "fsutil.h"
#include "strv.h"
#include "syscheck.h"

static const char *const files[] = {
        "etc/fstab", "etc/selinux/config", "etc/yum.repos.d/x.repo", "etc/os-release", "etc/accepted",
        "proc/mounts", "proc/modules", "proc/meminfo", "proc/cmdline", "proc/sys/kernel/osrelease",
        "proc/sys/crypto/fips_enabled",
};

static char root[64];

static void remove_root(void) {
        (void) remove_tree(root);
}

static void put(const char *rel, const uint8_t *data, size_t size) {
        _cleanup_free_ char *path = syscheck_path(root, rel);
        FILE *f = fopen(path, "we");

        fuzz_check(f);
        fuzz_check(fwrite(data, 1, size, f) == size);
        fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct findings findings = {};
        struct syscheck_context c;
        char **accepts = NULL;
        size_t n_accepts = 0;

        if (!root[0]) {
                /* Messages are formatted, so their arguments are read,
                 * but not printed: thousands of inputs a second. */
                log_set_quiet(true);
                snprintf(root, sizeof(root), "/tmp/oslift-fuzz-syschecks.XXXXXX");
                fuzz_check(mkdtemp(root));
                atexit(remove_root);
                fuzz_check(mkdir_in_root(root, "/etc/selinux", 0755) == 0);
                fuzz_check(mkdir_in_root(root, "/etc/yum.repos.d", 0755) == 0);
                fuzz_check(mkdir_in_root(root, "/proc/sys/kernel", 0755) == 0);
                fuzz_check(mkdir_in_root(root, "/proc/sys/crypto", 0755) == 0);
                fuzz_check(mkdir_in_root(root, "/sys", 0755) == 0);
        }
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                put(files[i], data, size);
        c = (struct syscheck_context) {
                .root = root, .proc = syscheck_path(root, "proc"), .sys = syscheck_path(root, "sys"),
                .findings = &findings,
        };
        syschecks_run_context(&c);
        for (size_t i = 0; i < findings.n; i++)
                fuzz_check(findings.items[i].id && findings.items[i].title);

        /* As an --accept-file: each entry it takes validates on its own. */
        {
                _cleanup_free_ char *path = syscheck_path(root, "etc/accepted");
                if (accept_read_file(path, &accepts, &n_accepts) == 0)
                        for (size_t i = 0; i < n_accepts; i++)
                                fuzz_check(accept_validate(accepts[i], "fuzz") == 0);
                accept_mark(&findings, accepts, n_accepts);
                accept_note_unused(&findings, accepts, n_accepts);
        }
        strv_free(accepts, n_accepts);
        findings_done(&findings);
        free(c.proc);
        free(c.sys);
        return 0;
}
