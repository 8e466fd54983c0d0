/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Applies the plan staged in root to root. 0 on success; a negative errno
 * after logging why. When it fails before changing anything it says so. */
int apply_plan(const char *root);
