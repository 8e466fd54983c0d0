/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Leapp's package evolution data (host-prep/pes.c): a JSON file the
 * operator downloads from a distribution's leapp-data. What parses must
 * keep the reader's promises (a name in every package, an action in range,
 * at least one in-package); what is refused must say why in one printable
 * line. What parses is then filtered and applied to a package set made of
 * its own names, as host-prep's solver would. The same bytes also go to
 * the repository map's reader (repomap.json) and to the --source-keys
 * reader (Leapp's gpg-signatures.json, host-prep/signer.c).
 *
 * Only our code is instrumented for coverage: json-c is Debian's.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "pes.h"
#include "signer.h"
#include "strv.h"

static void check_packages(const struct pes_package *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                fuzz_check(p[i].name && *p[i].name && fuzz_printable(p[i].name));
                fuzz_check(!p[i].module_stream || strchr(p[i].module_stream, ':'));
        }
}

/* The same bytes as Leapp's repository map (repomap.json). */
static void fuzz_repomap(const uint8_t *data, size_t size) {
        struct pes_repomap m;
        char *error = NULL;
        int r = pes_repomap_parse((const char *) data, size, &m, &error);

        if (r < 0) {
                fuzz_check(r == -EBADMSG && error && fuzz_printable(error) && m.n == 0);
                free(error);
                return;
        }
        for (size_t i = 0; i < m.n; i++) {
                const char *p = pes_repomap_pesid(&m, m.repoids[i], m.majors[i]);

                fuzz_check(p && *p);
        }
        pes_repomap_done(&m);
}

/* The same bytes as a --source-keys file: every id found is 8 or 16
 * lower-case hex digits; a refusal is one printable line. */
static void fuzz_source_keys(const uint8_t *data, size_t size) {
        char *text, *error = NULL, **ids = NULL;
        size_t n = 0;
        int r;

        if (memchr(data, '\0', size))
                return; /* refused before parsing: signer_source_keys() */
        text = strndup((const char *) data, size);
        fuzz_check(text);
        r = signer_parse_ids(text, size, &ids, &n, &error);
        if (r < 0) {
                fuzz_check(r == -EBADMSG && error && fuzz_printable(error));
                free(error);
        }
        for (size_t i = 0; i < n; i++)
                fuzz_check((strlen(ids[i]) == 8 || strlen(ids[i]) == 16) &&
                           strspn(ids[i], "0123456789abcdef") == strlen(ids[i]));
        strv_free(ids, n);
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct pes_events e;
        struct pes_result res;
        char *error = NULL, **names = NULL;
        size_t n_names = 0;
        int r;

        fuzz_repomap(data, size);
        fuzz_source_keys(data, size);
        r = pes_parse((const char *) data, size, &e, &error);
        if (r < 0) {
                fuzz_check(r == -EBADMSG && error && fuzz_printable(error));
                fuzz_check(e.n == 0);
                free(error);
                return 0;
        }
        fuzz_check(!error);
        for (size_t i = 0; i < e.n; i++) {
                const struct pes_event *ev = &e.events[i];

                fuzz_check((unsigned) ev->action < _PES_ACTION_MAX && ev->n_in > 0);
                check_packages(ev->in, ev->n_in);
                check_packages(ev->out, ev->n_out);
                (void) pes_action_name(ev->action);
                /* Every other event's in-packages are installed. */
                for (size_t j = 0; i % 2 == 0 && j < ev->n_in; j++)
                        fuzz_check(strv_push(&names, &n_names, ev->in[j].name) == 0);
        }
        pes_filter(&e, (struct pes_release) { 7, 9 }, (struct pes_release) { 8, PES_MINOR_ANY }, "x86_64");
        for (size_t i = 1; i < e.n; i++)
                fuzz_check(pes_release_compare(e.events[i - 1].to, e.events[i].to) <= 0);
        fuzz_check(pes_apply(&e, names, n_names, names, n_names > 1 ? 1 : 0, &res) == 0);
        for (size_t i = 0; i < res.n_decisions; i++)
                fuzz_check(res.decisions[i].event >= e.events && res.decisions[i].event < e.events + e.n);
        /* What is erased was installed; what is installed was not. */
        for (size_t i = 0; i < res.n_erase; i++)
                fuzz_check(strv_contains(names, n_names, res.erase[i]));
        for (size_t i = 0; i < res.n_install; i++)
                fuzz_check(!strv_contains(names, n_names, res.install[i]));
        pes_result_done(&res);
        strv_free(names, n_names);
        pes_events_done(&e);
        return 0;
}
