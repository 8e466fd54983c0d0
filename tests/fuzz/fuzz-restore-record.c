/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The restore record (host-prep/restore-record.c): written by host-prep
 * stage on the old system, read by host-prep restore on the first boot of
 * the new one.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "restore-record.h"

/* The new kernel's trial record, the same "key=value" lines: restore
 * compares its kernel with the running one and runs the target's tools
 * with its entry. */
static void trial(const uint8_t *data, size_t size) {
        struct kernel_trial t;
        int r;

        memset(&t, 0xaa, sizeof(t));
        r = kernel_trial_parse((const char *) data, size, &t);
        fuzz_check(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r < 0)
                return;
        fuzz_check(t.result == KERNEL_TRIAL_PENDING || t.result == KERNEL_TRIAL_FAILED);
        fuzz_check(*t.kernel && strnlen(t.kernel, sizeof(t.kernel)) < sizeof(t.kernel) && !strchr(t.kernel, '\n'));
        fuzz_check(*t.entry && strnlen(t.entry, sizeof(t.entry)) < sizeof(t.entry) && !strchr(t.entry, '\n'));
        fuzz_check(*t.old_kernel && strnlen(t.old_kernel, sizeof(t.old_kernel)) < sizeof(t.old_kernel));
        fuzz_check(strnlen(t.booted, sizeof(t.booted)) < sizeof(t.booted));
        fuzz_check((t.result == KERNEL_TRIAL_PENDING) == !*t.booted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct restore_record rec;
        int r;

        trial(data, size);

        memset(&rec, 0xaa, sizeof(rec));
        r = restore_record_parse((const char *) data, size, &rec);
        fuzz_check(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r < 0)
                return 0;
        fuzz_check(strnlen(rec.selinux, sizeof(rec.selinux)) < sizeof(rec.selinux));
        fuzz_check(strnlen(rec.source_backend, sizeof(rec.source_backend)) < sizeof(rec.source_backend));
        fuzz_check(strnlen(rec.target_backend, sizeof(rec.target_backend)) < sizeof(rec.target_backend));
        /* Only values stage writes get through. */
        fuzz_check(strspn(rec.selinux, "abcdefghijklmnopqrstuvwxyz") == strlen(rec.selinux));
        fuzz_check(!*rec.target_backend || strcmp(rec.target_backend, "bdb") == 0 ||
                   strcmp(rec.target_backend, "ndb") == 0 || strcmp(rec.target_backend, "sqlite") == 0);
        /* Module streams name files restore writes: no '/', one ':'. */
        fuzz_check(rec.n_modules <= RESTORE_MODULES_MAX);
        for (size_t i = 0; i < rec.n_modules; i++)
                fuzz_check(restore_module_valid(rec.modules[i]) && !strchr(rec.modules[i], '/') &&
                           strchr(rec.modules[i], ':') == strrchr(rec.modules[i], ':'));
        return 0;
}
