/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EL 8 module metadata (host-prep/modulemd.c): a repository's
 * modules.yaml, read with Debian's libyaml. What parses must keep the
 * reader's promises (every stream named, every artifact a NEVRA with a
 * name); what is refused must say why in one printable line. What parses
 * then goes through the choice of streams, with nothing asked and with
 * the first stream asked for: every enabled module once, an active build
 * only of an enabled stream's chosen context. The same bytes are also an
 * /etc/dnf/modules.d file.
 *
 * Only our code is instrumented for coverage: libyaml is Debian's.
 */
#include <errno.h>
#include <string.h>

#include "findings.h"
#include "fuzz.h"
#include "modulemd.h"

static void check_choice(const struct modulemd *m, char *const *asked, size_t n_asked) {
        struct module_choice c;
        struct findings f = {};

        fuzz_check(module_choose(m, asked, n_asked, NULL, 0, &f, &c) == 0);
        for (size_t i = 0; i < c.n_enabled; i++) {
                fuzz_check(c.enabled[i].name && c.enabled[i].stream);
                for (size_t j = 0; j < i; j++)
                        fuzz_check(strcmp(c.enabled[i].name, c.enabled[j].name) != 0);
                /* No build of it usable: a blocker says so. */
                fuzz_check(c.enabled[i].context || findings_have_blockers(&f));
        }
        for (size_t i = 0; i < m->n_streams; i++) {
                bool ok = false;

                if (!c.active[i])
                        continue;
                for (size_t j = 0; j < c.n_enabled; j++)
                        ok |= strcmp(c.enabled[j].name, m->streams[i].name) == 0 &&
                              strcmp(c.enabled[j].stream, m->streams[i].stream) == 0 && c.enabled[j].context &&
                              strcmp(c.enabled[j].context, m->streams[i].context) == 0;
                fuzz_check(ok);
        }
        for (size_t i = 0; i < f.n; i++)
                fuzz_check(fuzz_printable(f.items[i].title));
        module_choice_done(&c);
        findings_done(&f);
}

static void fuzz_state(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1), *error = NULL;
        struct module_state s;
        int r;

        fuzz_check(text);
        memcpy(text, data, size);
        text[size] = '\0';
        r = module_state_parse(text, &s, &error);
        if (r < 0)
                fuzz_check(r == -EBADMSG && error && fuzz_printable(error));
        else {
                fuzz_check(s.name && *s.name && !(s.enabled && s.disabled));
                free(s.name);
                free(s.stream);
        }
        free(error);
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct modulemd m = {};
        char *error = NULL, *asked = NULL;
        int r;

        fuzz_state(data, size);
        r = modulemd_parse((const char *) data, size, &m, &error);
        if (r < 0) {
                fuzz_check(r == -EBADMSG && error && fuzz_printable(error));
                free(error);
                modulemd_done(&m);
                return 0;
        }
        fuzz_check(!error);
        for (size_t i = 0; i < m.n_streams; i++) {
                const struct module_stream *s = &m.streams[i];

                fuzz_check(*s->name && *s->stream && s->context && s->arch);
                for (size_t j = 0; j < s->n_rpms; j++) {
                        char name[600], *n = module_nevra_normalize(s->rpms[j]);

                        fuzz_check(n && module_nevra_name(n, name, sizeof(name)) && *name);
                        free(n);
                }
        }
        for (size_t i = 0; i < m.n_defaults; i++)
                fuzz_check(*m.defaults[i].module && (m.defaults[i].stream || m.defaults[i].n_profiles == 0));
        check_choice(&m, NULL, 0);
        if (m.n_streams && asprintf(&asked, "%s:%s", m.streams[0].name, m.streams[0].stream) > 0) {
                check_choice(&m, &asked, 1);
                free(asked);
        }
        modulemd_done(&m);
        return 0;
}
