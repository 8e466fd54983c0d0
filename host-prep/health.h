/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The health check of stage --verify (health.c). */
#pragma once

#include <stddef.h>

struct context;

/* Runs cmd with /bin/sh -c (chrooted into root unless it is "/") until
 * it exits 0 or timeout seconds are up; every attempt and the output in
 * OSLIFT_VERIFY_LOG, the outcome in why. 0 when it succeeded, 1 when not,
 * a negative errno when it could not be run. */
int health_check(const char *root, const char *cmd, unsigned timeout, char *why, size_t why_size);

/* host-prep verify on ctx->root: the plan's command on a restored system,
 * the rollback when it fails (armed and rebooted into on the running
 * system, requested in a root directory). Returns the exit status. */
int health_verify(const struct context *ctx);
