/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "package-name.h"

bool package_name_valid(const char *s) {
        if (!*s || strlen(s) > 255)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      strchr("._+-~^", *s)))
                        return false;
        return true;
}
