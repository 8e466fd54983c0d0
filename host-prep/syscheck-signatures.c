/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * third-party-package: installed packages signed by no key of the source
 * distribution, or unsigned, and what the upgrade does with each. The
 * distribution's keys: signer_source_keys() (signer.h), read once by
 * assess.c: those in the --source-keys files, else the key that signed
 * the installed package providing system-release. What the upgrade does
 * with each is its verdict (verdict.h) when the solver decided them
 * before the checks run (--repo), else whether the target has a package
 * of its name.
 */
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "signer.h"
#include "strv.h"
#include "syscheck.h"

void syscheck_signatures(struct syscheck_context *c) {
        char *const *keys = c->source_key_ids;
        size_t n_keys = c->n_source_key_ids, n_third = 0;
        rpmdbMatchIterator mi;
        Header h;

        if (!c->ts)
                return;
        if (n_keys == 0) {
                findings_add(c->findings, SEVERITY_INFO, "third-party-package", "", "",
                             "could not tell the distribution's signing keys (%s): packages were not "
                             "sorted by signer; give them with --source-keys FILE",
                             c->source_keys_given ? "no key ids in --source-keys" : "no signed system-release package");
                return;
        }
        mi = rpmtsInitIterator(c->ts, RPMDBI_PACKAGES, NULL, 0);
        while ((h = rpmdbNextIterator(mi)) != NULL) {
                _cleanup_free_ char *id = signer_key_id(h), *nevra = NULL;
                const char *name = headerGetString(h, RPMTAG_NAME);
                const struct verdict *v;
                Header t;

                if (strcmp(name, "gpg-pubkey") == 0 || (id && signer_is_source(keys, n_keys, id)))
                        continue;
                nevra = headerGetAsString(h, RPMTAG_NEVRA);
                v = c->verdicts ? verdicts_find(c->verdicts, nevra) : NULL;
                t = v ? NULL : syscheck_target_named(c, name);
                n_third++;
                if (v && v->action == VERDICT_MOVE)
                        findings_add(c->findings, SEVERITY_INFO, "third-party-package", "", "",
                                     "%s (%s%s) is not from the distribution; the target replaces it "
                                     "with %s", nevra, id ? "key " : "unsigned", id ?: "", v->target);
                else if (v && v->action == VERDICT_ERASE)
                        findings_add(c->findings, SEVERITY_INFO, "third-party-package", "", "",
                                     "%s (%s%s) is not from the distribution; the upgrade erases it",
                                     nevra, id ? "key " : "unsigned", id ?: "");
                else if (v && v->reason == VERDICT_SAME_VERSION)
                        findings_add(c->findings, SEVERITY_INFO, "third-party-package", "", "",
                                     "%s (%s%s) is not from the distribution; the target holds the same",
                                     nevra, id ? "key " : "unsigned", id ?: "");
                else if (v && v->reason == VERDICT_INSTALL_ONLY)
                        findings_add(c->findings, SEVERITY_INFO, "third-party-package", "", "",
                                     "%s (%s%s) is not from the distribution; a new one of its name is "
                                     "installed beside it", nevra, id ? "key " : "unsigned", id ?: "");
                else if (t) {
                        _cleanup_free_ char *tn = headerGetAsString(t, RPMTAG_NEVRA);
                        findings_add(c->findings, SEVERITY_INFO, "third-party-package", "", "",
                                     "%s (%s%s) is not from the distribution; the target replaces it "
                                     "with %s", nevra, id ? "key " : "unsigned", id ?: "", tn);
                } else
                        findings_add(c->findings, SEVERITY_WARNING, "third-party-package",
                                     "the package is not the distribution's, and nothing in the target "
                                     "replaces it: it stays installed as it is, built for the "
                                     "old release, and may not work (or break dependencies) after the upgrade",
                                     "get a build for the target release from its vendor and add it to the "
                                     "target set, or erase it (--erase NAME); accept it with --accept "
                                     "third-party-package:NAME",
                                     "%s (%s%s) is not from the distribution and stays as it is",
                                     nevra, id ? "key " : "unsigned", id ?: "");
                findings_set_subject(c->findings, name);
        }
        rpmdbFreeIterator(mi);
}
