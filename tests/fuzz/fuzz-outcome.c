/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The outcome file (liboslift/outcome.c): written by the upgrader at the
 * end of the transaction, read by host-prep restore on the first boot of
 * the new system, after a reboot that may have cut it short.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "outcome.h"

static void check_list(char **v, size_t n) {
        fuzz_check(!v == (n == 0));
        for (size_t i = 0; i < n; i++)
                fuzz_check(v[i] && !strchr(v[i], '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct upgrade_outcome o;
        int r;

        memset(&o, 0xaa, sizeof(o));
        r = upgrade_outcome_parse((const char *) data, size, &o);
        fuzz_check(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r < 0)
                return 0;
        fuzz_check(o.result[0] != '\0' && strnlen(o.result, sizeof(o.result)) < sizeof(o.result));
        /* Goes into report.json as a number. */
        fuzz_check(isfinite(o.seconds) && o.seconds >= 0);
        check_list(o.config_files, o.n_config_files);
        check_list(o.script_failures, o.n_script_failures);
        check_list(o.errors, o.n_errors);
        upgrade_outcome_done(&o);
        return 0;
}
