/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The serial dump, version 1 (docs/serial-dump.md): the contract between
 * its writer, serial_dump_write() in upgrader/console.c, which the upgrader
 * runs at boot, and its reader, host-prep/serial-dump.c (host-prep log
 * --from-serial). tests/unit/test-serial-dump.c has the writer's dumps read
 * back by the reader.
 *
 *   -----BEGIN OSLIFT LOG v1 bytes=<n> lines=<m> crc32=<8 hex>-----
 *   OSL00001 <base64 of 42 bytes of the zlib stream> <crc32 of "OSL00001 <base64>">
 *   ...
 *   OSL<m> <base64 of the last 1..42 bytes> <crc32>
 *   -----END OSLIFT LOG v1-----
 *
 * bytes and crc32 (zlib's CRC-32, lowercase hex) are those of the log text;
 * the data lines carry its zlib stream (RFC 1950) in order, each line its
 * own base64 (RFC 4648, padded) and its own CRC-32, so a line that a kernel
 * message broke into shows as missing rather than decoding into garbage.
 * Lines are at most 74 columns: nothing wraps on an 80-column console.
 */
#pragma once

#define SERIAL_DUMP_VERSION 1
#define SERIAL_DUMP_VERSION_STR "1"

/* The BEGIN line: the marker, the version, then the three fields, then
 * SERIAL_DUMP_BEGIN_TAIL. */
#define SERIAL_DUMP_BEGIN_MARKER "-----BEGIN OSLIFT LOG v"
#define SERIAL_DUMP_FIELD_BYTES " bytes="
#define SERIAL_DUMP_FIELD_LINES " lines="
#define SERIAL_DUMP_FIELD_CRC32 " crc32="
#define SERIAL_DUMP_BEGIN_TAIL "-----"
#define SERIAL_DUMP_END_LINE "-----END OSLIFT LOG v" SERIAL_DUMP_VERSION_STR "-----"

/* A data line: the tag and its 5-digit number, from 1, then a space. */
#define SERIAL_DUMP_LINE_TAG "OSL"
#define SERIAL_DUMP_LINE_PREFIX_LEN 9 /* "OSL00001 " */
#define SERIAL_DUMP_BYTES_PER_LINE 42 /* 56 base64 characters */
#define SERIAL_DUMP_B64_MAX 56
#define SERIAL_DUMP_LINES_MAX 99999u
/* prefix + base64 (4 to SERIAL_DUMP_B64_MAX) + " " + 8 hex */
#define SERIAL_DUMP_LINE_MIN (SERIAL_DUMP_LINE_PREFIX_LEN + 4 + 1 + 8)
#define SERIAL_DUMP_LINE_MAX (SERIAL_DUMP_LINE_PREFIX_LEN + SERIAL_DUMP_B64_MAX + 1 + 8)
