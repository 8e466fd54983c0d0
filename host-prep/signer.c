/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmpgp.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"
#include "signer.h"
#include "strv.h"

char *signer_key_id(Header h) {
        _cleanup_free_ char *s = headerFormat(
                h, "%|RSAHEADER?{%{RSAHEADER:pgpsig}}:{%|DSAHEADER?{%{DSAHEADER:pgpsig}}:{%|SIGPGP?"
                   "{%{SIGPGP:pgpsig}}:{%|SIGGPG?{%{SIGGPG:pgpsig}}:{}|}|}|}|", NULL);
        const char *k = s ? strstr(s, "Key ID ") : NULL;
        char *id;

        if (!k)
                return NULL;
        k += 7;
        id = strndup(k, strspn(k, "0123456789abcdefABCDEF"));
        if (!id)
                abort();
        for (char *p = id; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return id;
}

/* Every run of exactly 8 or 16 hex digits in text. */
static void hex_runs(const char *text, char ***ids, size_t *n) {
        for (const char *p = text; *p;) {
                size_t len = strspn(p, "0123456789abcdefABCDEF");
                bool word = p == text || !isalnum((unsigned char) p[-1]);
                if ((len == 16 || len == 8) && word && !isalnum((unsigned char) p[len])) {
                        _cleanup_free_ char *id = strndup(p, len);
                        if (!id)
                                abort();
                        for (char *q = id; *q; q++)
                                *q = (char) tolower((unsigned char) *q);
                        if (!strv_contains(*ids, *n, id) && strv_push(ids, n, id) < 0)
                                abort();
                }
                p += len ? len : 1;
        }
}

/* Deeper than gpg-signatures.json nests (3 levels). */
#define SIGNER_JSON_DEPTH 8

int signer_parse_ids(const char *text, size_t len, char ***ids, size_t *n, char **ret_error) {
        const char *p = text + strspn(text, " \t\r\n");
        enum json_tokener_error jerr;
        json_object *o, *keys;
        json_tokener *tok;
        int r = 0;

        if (*p != '{') {
                hex_runs(text, ids, n);
                return 0;
        }
        if (len > INT_MAX || memchr(text, '\0', len)) {
                *ret_error = strdup("not a gpg-signatures.json file: too large, or a NUL byte in it");
                return -EBADMSG;
        }
        tok = json_tokener_new_ex(SIGNER_JSON_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, text, (int) len);
        jerr = json_tokener_get_error(tok);
        if (jerr != json_tokener_success || !o) {
                if (asprintf(ret_error, "not JSON: %s at byte %zu",
                             jerr == json_tokener_continue ? "the text ends inside a value" :
                                                             json_tokener_error_desc(jerr),
                             json_tokener_get_parse_end(tok)) < 0)
                        *ret_error = NULL;
                json_tokener_free(tok);
                json_object_put(o);
                return -EBADMSG;
        }
        json_tokener_free(tok);
        /* Leapp's format: {"keys": {"<16 hex digits>": [gpg-pubkey NVRs], ...},
         * "obsoleted-keys": {...}}; the obsoleted ones no longer sign. */
        if (!json_object_object_get_ex(o, "keys", &keys) || !json_object_is_type(keys, json_type_object)) {
                *ret_error = strdup("a JSON file without a \"keys\" object: give Leapp's gpg-signatures.json");
                r = -EBADMSG;
        } else {
                size_t i = 0;

                json_object_object_foreach(keys, id, value) {
                        (void) value;
                        i++;
                        /* Named by its place: the name may hold anything. */
                        if (strlen(id) != 16 || strspn(id, "0123456789abcdefABCDEF") != 16) {
                                if (asprintf(ret_error, "name %zu of \"keys\" is not a key id of 16 hex digits",
                                             i) < 0)
                                        *ret_error = NULL;
                                r = -EBADMSG;
                                break;
                        }
                        hex_runs(id, ids, n);
                }
        }
        json_object_put(o);
        return r;
}

int signer_source_keys(char *const *files, size_t n_files, rpmts ts, char ***ids, size_t *n) {
        rpmdbMatchIterator mi;
        Header h;

        for (size_t i = 0; i < n_files; i++) {
                _cleanup_free_ char *data = NULL, *text = NULL, *error = NULL;
                size_t len = 0;
                int r = read_regular_file(files[i], SIGNER_FILE_MAX, &data, &len);

                if (r < 0) {
                        log_error("--source-keys %s cannot be read (%s): give a file of the source "
                                  "distribution's key ids (one a line, or Leapp's gpg-signatures.json)",
                                  files[i], strerror(-r));
                        return -EINVAL;
                }
                if (memchr(data, '\0', len)) {
                        log_error("--source-keys %s: the file contains a NUL byte: give Leapp's "
                                  "gpg-signatures.json or key ids one a line", files[i]);
                        return -EINVAL;
                }
                text = strndup(data, len);
                if (!text)
                        return -ENOMEM;
                r = signer_parse_ids(text, len, ids, n, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        log_error("--source-keys %s: %s", files[i], error ?: "cannot be parsed");
                        return -EINVAL;
                }
        }
        if (n_files > 0 || !ts)
                return 0;
        mi = rpmtsInitIterator(ts, RPMDBI_PROVIDENAME, "system-release", 0);
        while ((h = rpmdbNextIterator(mi)) != NULL) {
                _cleanup_free_ char *id = signer_key_id(h);
                if (id && !strv_contains(*ids, *n, id) && strv_push(ids, n, id) < 0)
                        abort();
        }
        rpmdbFreeIterator(mi);
        return 0;
}

/* The key id of key (its signid), as 16 lower-case hex digits, added. */
static void add_key_id(rpmPubkey key, char ***ids, size_t *n) {
        pgpDigParams p = rpmPubkeyPgpDigParams(key);
        const uint8_t *id = p ? pgpDigParamsSignID(p) : NULL;
        char hex[17];

        if (!id)
                return;
        for (size_t i = 0; i < 8; i++)
                snprintf(hex + 2 * i, 3, "%02x", id[i]);
        if (!strv_contains(*ids, *n, hex) && strv_push(ids, n, hex) < 0)
                abort();
}

void signer_key_file_ids(const char *armor, char ***ids, size_t *n) {
        uint8_t *pkt = NULL;
        size_t len = 0;
        rpmPubkey key, *subkeys;
        int n_subkeys = 0;

        if (pgpParsePkts(armor, &pkt, &len) != PGPARMOR_PUBKEY) {
                free(pkt);
                return;
        }
        key = rpmPubkeyNew(pkt, len);
        free(pkt);
        if (!key)
                return;
        add_key_id(key, ids, n);
        subkeys = rpmGetSubkeys(key, &n_subkeys);
        for (int i = 0; i < n_subkeys; i++) {
                add_key_id(subkeys[i], ids, n);
                rpmPubkeyFree(subkeys[i]);
        }
        free(subkeys);
        rpmPubkeyFree(key);
}

bool signer_is_source(char *const *ids, size_t n, const char *id) {
        size_t len = strlen(id);

        for (size_t i = 0; i < n; i++) {
                size_t kl = strlen(ids[i]);
                if ((kl <= len && strcmp(id + len - kl, ids[i]) == 0) ||
                    (len < kl && strcmp(ids[i] + kl - len, id) == 0))
                        return true;
        }
        return false;
}
