/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What host-prep accepts as a package or architecture name in the files
 * it is given (--package-map, --pes). */
#pragma once

#include <stdbool.h>

/* What rpm accepts in a package name, without the shell's and our own
 * separators: letters, digits and ._+-~^ (rpm also allows a few more,
 * which no distribution uses in names); 1 to 255 bytes. */
bool package_name_valid(const char *s);
