/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The root's /etc/fstab as the upgrader decides what to mount from it
 * (fstab_parse() in upgrader/fstab.c; libmount reads the lines): the
 * admin's file, of any age and any state. Every entry must come out with
 * its strings, every index must point at an entry, and the mount order
 * must hold each FSTAB_MOUNT entry once, after the entries it is below.
 *
 * Only our code is instrumented for coverage: libmount is Debian's.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "chase.h"
#include "fstab.h"
#include "mount-util.h"

static void check_table(const struct fstab *t) {
        size_t n_mount = 0;

        fuzz_check(t->n_entries <= FSTAB_ENTRIES_MAX && t->n_order <= t->n_entries);
        for (size_t i = 0; i < t->n_entries; i++) {
                const struct fstab_entry *e = &t->entries[i];

                fuzz_check(e->source && e->target);
                fuzz_check((unsigned) e->verdict < _FSTAB_VERDICT_MAX);
                if (e->verdict == FSTAB_SKIP_PARENT)
                        fuzz_check(e->parent < t->n_entries && e->parent != i);
                if (e->verdict == FSTAB_MOUNT) {
                        /* What is mounted is below the new root, nowhere else. */
                        fuzz_check(path_is_normalized(e->target) && strcmp(e->target, "/") != 0);
                        n_mount++;
                }
                (void) fstab_verdict_reason(e->verdict);
        }
        fuzz_check(t->n_order == n_mount);
        for (size_t k = 0; k < t->n_order; k++) {
                const struct fstab_entry *e = &t->entries[t->order[k]];

                fuzz_check(t->order[k] < t->n_entries && e->verdict == FSTAB_MOUNT);
                for (size_t j = 0; j < k; j++)
                        fuzz_check(t->order[j] != t->order[k]);
                /* Nothing mounted before what it is below. */
                for (size_t j = 0; j < k; j++)
                        fuzz_check(!path_is_below(t->entries[t->order[j]].target, e->target));
                (void) fstab_find_covering(t, e->target);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct fstab t;
        FILE *f;
        int r;

        /* glibc's fmemopen() takes an empty buffer: an empty fstab. */
        f = fmemopen((void *) data, size, "r");
        fuzz_check(f);
        r = fstab_parse(f, "fstab", &t);
        fclose(f);
        fuzz_check(r <= 0);
        if (r < 0)
                return 0;
        check_table(&t);
        fstab_done(&t);
        return 0;
}
