/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rollback request (OSLIFT_ROLLBACK_REQUEST in the state directory):
 * written by host-prep rollback, by host-prep verify when the health check
 * fails, and by the upgrader when an upgrade gives up; read by the
 * upgrader, which puts the old system back while it is there, and by
 * host-prep status. One line:
 *
 *   rollback requested TIMESTAMP[: WHY]
 *
 * TIMESTAMP as timestamp_now() writes it (ends in "Z"); WHY for people,
 * without control characters.
 */
#pragma once

#include <stddef.h>

#define ROLLBACK_REQUEST_LINE_MAX 1024

/* Writes the request into state_dir_fd atomically (0600), WHY NULL when the
 * operator asked without a reason. 0 or a negative errno. */
int rollback_request_write_at(int state_dir_fd, const char *why);

/* The request's line (without the newline, control characters made
 * spaces) into line. 0, -ENOENT when there is none, another negative
 * errno when it cannot be read. */
int rollback_request_read_at(int state_dir_fd, char line[static ROLLBACK_REQUEST_LINE_MAX]);

/* WHY of a line read by rollback_request_read_at(), or NULL. */
const char *rollback_request_reason(const char *line);
