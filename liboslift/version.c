/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <blkid.h>
#include <libmount.h>
#include <rpm/rpmlib.h>
#include <stdio.h>

#include "version.h"

/* The static build defines OSLIFT_SOURCES_NOTE_H: a header generated from
 * the sysroot's VERSIONS that names each pinned source package the build
 * took in a newer Debian revision (initrd/sources.sh says when). */
#ifdef OSLIFT_SOURCES_NOTE_H
#include OSLIFT_SOURCES_NOTE_H
#endif
#ifndef OSLIFT_SOURCES_NOTE
#define OSLIFT_SOURCES_NOTE ""
#endif

void print_version(const char *program) {
        const char *blkid_version = NULL, *blkid_date = NULL, *mount_version = NULL;

        blkid_get_library_version(&blkid_version, &blkid_date);
        mnt_get_library_version(&mount_version);

        printf("%s %s (oslift)\n", program, OSLIFT_VERSION);
        printf("librpm %s\n", RPMVERSION);
        printf("libblkid %s (%s)\n", blkid_version ?: "unknown", blkid_date ?: "unknown date");
        printf("libmount %s\n", mount_version ?: "unknown");
        fputs(OSLIFT_SOURCES_NOTE, stdout);
}
