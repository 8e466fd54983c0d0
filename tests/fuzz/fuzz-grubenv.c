/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GRUB environment block (liboslift/grubenv.c): host-prep stage reads
 * whatever GRUB, grub-editenv or an admin left in grubenv and writes it
 * back with next_entry set. A block that parses must serialize to the very
 * same bytes, and setting and unsetting next_entry on it must give blocks
 * that parse and say what was set.
 *
 * Only inputs of exactly GRUBENV_SIZE bytes get past the first check, so
 * every input is also tried as the content of a block: header + input +
 * '#' padding, as grub-editenv lays it out.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "grubenv.h"

#define HEADER_LEN (sizeof(GRUBENV_HEADER) - 1)
#define NAME "next_entry"
#define VALUE "oslift-upgrade"

static void check_edits(struct grubenv *env) {
        _cleanup_(grubenv_freep) struct grubenv *again = NULL;
        char buf[GRUBENV_SIZE];
        int r;

        r = grubenv_set(env, NAME, VALUE);
        fuzz_check(r == 0 || r == -ENOSPC || r == -ENOMEM);
        if (r < 0)
                return;
        fuzz_check(strcmp(grubenv_get(env, NAME), VALUE) == 0);
        fuzz_check(grubenv_serialize(env, buf) == 0);
        fuzz_check(grubenv_parse(buf, sizeof(buf), &again) == 0);
        fuzz_check(strcmp(grubenv_get(again, NAME), VALUE) == 0);

        fuzz_check(grubenv_unset(again, NAME) == 1);
        fuzz_check(!grubenv_get(again, NAME));
        fuzz_check(grubenv_serialize(again, buf) == 0);
        grubenv_free(again);
        again = NULL;
        fuzz_check(grubenv_parse(buf, sizeof(buf), &again) == 0);
        fuzz_check(!grubenv_get(again, NAME));
}

static void parse(const void *block, size_t size) {
        _cleanup_(grubenv_freep) struct grubenv *env = NULL;
        char buf[GRUBENV_SIZE];
        int r = grubenv_parse(block, size, &env);

        fuzz_check(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r < 0) {
                fuzz_check(!env);
                return;
        }
        fuzz_check(size == GRUBENV_SIZE);
        fuzz_check(grubenv_serialize(env, buf) == 0);
        fuzz_check(memcmp(buf, block, GRUBENV_SIZE) == 0);
        (void) grubenv_is_empty(env);
        check_edits(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *block;

        parse(data, size);
        if (size == GRUBENV_SIZE || HEADER_LEN + size > GRUBENV_SIZE)
                return 0;
        /* Exactly the block's size, so that ASan sees a read past it. */
        block = malloc(GRUBENV_SIZE);
        fuzz_check(block);
        memcpy(block, GRUBENV_HEADER, HEADER_LEN);
        memcpy(block + HEADER_LEN, data, size);
        memset(block + HEADER_LEN + size, '#', GRUBENV_SIZE - HEADER_LEN - size);
        parse(block, GRUBENV_SIZE);
        free(block);
        return 0;
}
