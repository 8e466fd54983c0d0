/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdio.h>

/* Writes s as a JSON string literal (quoted, escaped). NULL becomes null. */
void json_write_string(FILE *f, const char *s);
