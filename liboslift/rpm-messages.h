/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * librpm reports through rpmlog (to stdout/stderr by default). We route its
 * messages into our own log, and let the code that is running librpm look
 * at them: some facts (".rpmnew created", "scriptlet failed, exit status
 * 7", why a signature failed) are only ever said there.
 */
#pragma once

#include <rpm/rpmlog.h>

typedef void (*rpm_message_fn)(rpmlogLvl level, const char *message, void *userdata);

/* Sends all of librpm's messages through our log (rpm_setup() does). */
void rpm_messages_route(void);

/* While pushed, fn (may be NULL) sees every message first. The messages
 * are logged at our matching level unless quiet; with demote_warnings,
 * warnings are logged as debug (e.g. bdb_ro's "could not open Name", said
 * for every index a Berkeley DB rpmdb lacks). Nestable. */
struct rpm_messages_scope {
        rpm_message_fn fn;
        void *userdata;
        int quiet;
        int demote_warnings;
        struct rpm_messages_scope *outer;
};

void rpm_messages_push(struct rpm_messages_scope *scope);
void rpm_messages_pop(struct rpm_messages_scope *scope);
