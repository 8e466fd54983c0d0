/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/* The bytes the undo set (OSLIFT_UNDO_DIR) holds: its regular files, each
 * inode once. -ENOENT when there is none. */
int undo_set_size(int state_dir_fd, uint64_t *ret);
