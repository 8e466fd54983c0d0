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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct restore_record rec;
        int r;

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
