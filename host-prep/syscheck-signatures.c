/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * third-party-package: installed packages signed by no key of the source
 * distribution, or unsigned, and what the upgrade does with each. The
 * distribution's keys: those in --source-keys FILE (Leapp's
 * gpg-signatures.DISTRO.json, or key ids one a line: every string of 16 or
 * 8 hex digits in it), else the key that signed the installed package
 * providing system-release.
 */
#include <ctype.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "strv.h"
#include "syscheck.h"

/* The signing key id of h, lower-case hex, or NULL when unsigned. */
static char *key_id(Header h) {
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
static void hex_ids(const char *text, char ***v, size_t *n) {
        for (const char *p = text; *p;) {
                size_t len = strspn(p, "0123456789abcdefABCDEF");
                bool word = p == text || !isalnum((unsigned char) p[-1]);
                if ((len == 16 || len == 8) && word && !isalnum((unsigned char) p[len])) {
                        _cleanup_free_ char *id = strndup(p, len);
                        if (!id)
                                abort();
                        for (char *q = id; *q; q++)
                                *q = (char) tolower((unsigned char) *q);
                        strv_push(v, n, id);
                }
                p += len ? len : 1;
        }
}

/* A 16-digit id matches a short 8-digit one by its tail. */
static bool is_source_key(char *const *keys, size_t n, const char *id) {
        size_t len = strlen(id);

        for (size_t i = 0; i < n; i++) {
                size_t kl = strlen(keys[i]);
                if ((kl <= len && strcmp(id + len - kl, keys[i]) == 0) ||
                    (len < kl && strcmp(keys[i] + kl - len, id) == 0))
                        return true;
        }
        return false;
}

void syscheck_signatures(struct syscheck_context *c) {
        char **keys = NULL;
        size_t n_keys = 0, n_third = 0;
        rpmdbMatchIterator mi;
        Header h;

        if (!c->ts)
                return;
        if (c->source_keys) {
                _cleanup_free_ char *text = NULL;
                if (syscheck_read("/", c->source_keys, &text) < 0) {
                        findings_add(c->findings, SEVERITY_INFO, "third-party-package", "", "",
                                     "could not read --source-keys %s: packages were not sorted by signer",
                                     c->source_keys);
                        return;
                }
                hex_ids(text, &keys, &n_keys);
        } else {
                mi = rpmtsInitIterator(c->ts, RPMDBI_PROVIDENAME, "system-release", 0);
                while ((h = rpmdbNextIterator(mi)) != NULL) {
                        _cleanup_free_ char *id = key_id(h);
                        if (id)
                                strv_push(&keys, &n_keys, id);
                }
                rpmdbFreeIterator(mi);
        }
        if (n_keys == 0) {
                findings_add(c->findings, SEVERITY_INFO, "third-party-package", "", "",
                             "could not tell the distribution's signing keys (%s): packages were not "
                             "sorted by signer; give them with --source-keys FILE",
                             c->source_keys ? "no key ids in --source-keys" : "no signed system-release package");
                return;
        }
        mi = rpmtsInitIterator(c->ts, RPMDBI_PACKAGES, NULL, 0);
        while ((h = rpmdbNextIterator(mi)) != NULL) {
                _cleanup_free_ char *id = key_id(h), *nevra = NULL;
                const char *name = headerGetString(h, RPMTAG_NAME);
                Header t;

                if (strcmp(name, "gpg-pubkey") == 0 || (id && is_source_key(keys, n_keys, id)))
                        continue;
                nevra = headerGetAsString(h, RPMTAG_NEVRA);
                t = syscheck_target_named(c, name);
                n_third++;
                if (t) {
                        _cleanup_free_ char *tn = headerGetAsString(t, RPMTAG_NEVRA);
                        findings_add(c->findings, SEVERITY_INFO, "third-party-package", "", "",
                                     "%s (%s%s) is not from the distribution; the target replaces it "
                                     "with %s", nevra, id ? "key " : "unsigned", id ?: "", tn);
                } else
                        findings_add(c->findings, SEVERITY_WARNING, "third-party-package",
                                     "the package is not the distribution's, and the target has no "
                                     "package of its name: it stays installed as it is, built for the "
                                     "old release, and may not work (or break dependencies) after the upgrade",
                                     "get a build for the target release from its vendor and add it to the "
                                     "target set, or erase it (--erase NAME); accept it with --accept "
                                     "third-party-package:NAME",
                                     "%s (%s%s) is not from the distribution and stays as it is",
                                     nevra, id ? "key " : "unsigned", id ?: "");
                findings_set_subject(c->findings, name);
        }
        rpmdbFreeIterator(mi);
        strv_free(keys, n_keys);
}
