/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The status file (liboslift/status.c): read by host-prep status and by
 * fleet tools' side of things, written by three programs across reboots,
 * so anything a crash or an editor left there. What parses must come out
 * of status_emit() as text that parses into the same status.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "status.h"

static void check_same(const struct upgrade_status *a, const struct upgrade_status *b) {
        fuzz_check(a->state == b->state);
        fuzz_check(a->packages_total == b->packages_total && a->packages_done == b->packages_done);
        fuzz_check(a->scriptlet_failures == b->scriptlet_failures);
        fuzz_check(strcmp(a->started, b->started) == 0 && strcmp(a->updated, b->updated) == 0);
        fuzz_check(strcmp(a->message, b->message) == 0 && strcmp(a->log, b->log) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct upgrade_status s, again;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        memset(&s, 0xaa, sizeof(s));
        r = status_parse((const char *) data, size, &s);
        fuzz_check(r == 0 || r == -EBADMSG);
        if (r < 0)
                return 0;

        /* Every string ends inside its buffer. */
        fuzz_check(strnlen(s.started, sizeof(s.started)) < sizeof(s.started));
        fuzz_check(strnlen(s.updated, sizeof(s.updated)) < sizeof(s.updated));
        fuzz_check(strnlen(s.message, sizeof(s.message)) < sizeof(s.message));
        fuzz_check(strnlen(s.log, sizeof(s.log)) < sizeof(s.log));
        fuzz_check(upgrade_state_name(s.state));

        f = open_memstream(&text, &len);
        fuzz_check(f);
        fuzz_check(status_emit(f, &s) == 0);
        fuzz_check(fclose(f) == 0);
        fuzz_check(status_parse(text, len, &again) == 0);
        check_same(&s, &again);
        return 0;
}
