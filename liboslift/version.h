/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#ifndef OSLIFT_VERSION
#define OSLIFT_VERSION "0.0.0-dev"
#endif

/* Prints "<program> <version> (oslift)" and the versions of librpm,
 * libblkid and libmount linked into this binary, one per line, then a
 * "sources: ..." line for each pinned source package that was built from a
 * newer Debian revision than the lock names. */
void print_version(const char *program);
