/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan decides what runs as root at the next boot, so the upgrader
 * acts only on a staging directory that nobody but root could have
 * written: the directory, packages/ and keys/, the plan, every staged
 * package and key must be owned by root and writable by no group or
 * other user, and none may be a symlink. host-prep stage makes them so
 * (0700 directories, 0600 files).
 */
#pragma once

/* 0, or -EPERM after logging what is wrong and how to fix it. */
int staging_check(const char *root, int state_dir_fd);
