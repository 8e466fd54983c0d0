/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The package map: renames, splits and removals between two releases that
 * the target repositories' Obsoletes do not express (the role Leapp's
 * package-evolution data plays). docs/package-map.md has the format.
 */
#pragma once

#include <stddef.h>

struct package_map_entry {
        char *from;  /* the installed name */
        char **to;   /* what replaces it; empty: it is gone from the target */
        size_t n_to;
        unsigned line;
};

struct package_map {
        struct package_map_entry *entries;
        size_t n;
};

/*
 * Parses the map in path. Returns 0, -EBADMSG with *ret_error saying
 * which line is wrong and why (malloc'd), or the negative errno of reading.
 */
int package_map_load(const char *path, struct package_map *ret, char **ret_error);
int package_map_parse(const char *text, struct package_map *ret, char **ret_error);
void package_map_done(struct package_map *m);
