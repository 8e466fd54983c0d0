/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/* The bytes the undo set (OSLIFT_UNDO_DIR) holds: its regular files, each
 * inode once. -ENOENT when there is none. */
int undo_set_size(int state_dir_fd, uint64_t *ret);

struct context;

/*
 * Asks for the rollback of ctx->root (the request, the state rolling-back)
 * and, on the running system, builds the upgrade initramfs and arms the
 * one-time boot into it; with image (a root's, built beforehand) arms the
 * root's GRUB with it. why (NULL for the operator's own request) says what
 * asked for it, in the request and the status message. Returns the exit
 * status; refuses (EXIT_FAILED, nothing changed) as cmd_rollback() does.
 */
int rollback_arm(const struct context *ctx, const char *image, const char *why);
