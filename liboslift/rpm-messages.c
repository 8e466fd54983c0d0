/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "log.h"
#include "rpm-messages.h"

static struct rpm_messages_scope *current;

static int on_rpmlog(rpmlogRec rec, rpmlogCallbackData data) {
        rpmlogLvl level = rpmlogRecPriority(rec);
        const char *msg = rpmlogRecMessage(rec);
        size_t len = strlen(msg);

        /* librpm's messages end in a newline; ours add one. */
        while (len > 0 && msg[len - 1] == '\n')
                len--;
        if (current && current->fn)
                current->fn(level, msg, current->userdata);
        if (current && current->quiet)
                return 0;
        if (level == RPMLOG_WARNING && current && current->demote_warnings)
                level = RPMLOG_DEBUG;
        if (level <= RPMLOG_ERR)
                log_error("rpm: %.*s", (int) len, msg);
        else if (level == RPMLOG_WARNING)
                log_warning("rpm: %.*s", (int) len, msg);
        else if (level <= RPMLOG_INFO)
                log_info("rpm: %.*s", (int) len, msg);
        else
                log_debug("rpm: %.*s", (int) len, msg);
        return 0;
}

void rpm_messages_route(void) {
        rpmlogSetCallback(on_rpmlog, NULL);
}

void rpm_messages_push(struct rpm_messages_scope *scope) {
        scope->outer = current;
        current = scope;
        rpm_messages_route();
}

void rpm_messages_pop(struct rpm_messages_scope *scope) {
        current = scope->outer;
}
