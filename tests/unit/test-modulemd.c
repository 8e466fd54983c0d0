/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module metadata reader and dnf's choice of streams
 * (host-prep/modulemd.c): hand-made modules.yaml texts in the shape EL 8
 * repositories carry (two streams of a module, a default, a dependency
 * between modules, documents of other kinds), the source system's
 * /etc/dnf/modules.d files, and what is refused with a message naming
 * the line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "findings.h"
#include "modulemd.h"

/* Two streams of "tool" (3 the default, two builds of it), "lib" that
 * tool:4 requires, an obsoletes document and a defaults document. */
static const char two_streams[] =
        "---\n"
        "document: modulemd\n"
        "version: 2\n"
        "data:\n"
        "  name: tool\n"
        "  stream: \"3\"\n"
        "  version: 8030020200101000000\n"
        "  context: aaaa0001\n"
        "  arch: x86_64\n"
        "  summary: a tool\n"
        "  description: >-\n"
        "    Folded text: that: is not a key\n"
        "  license: {module: [MIT]}\n"
        "  dependencies:\n"
        "  - buildrequires: {platform: [el8.3.0]}\n"
        "    requires: {platform: [el8]}\n"
        "  profiles:\n"
        "    common: {rpms: [tool]}\n"
        "  artifacts:\n"
        "    rpms:\n"
        "    - tool-0:3.0-1.module_el8+1.x86_64\n"
        "    - tool-libs-0:3.0-1.module_el8+1.x86_64\n"
        "...\n"
        "---\n"
        "document: modulemd\n"
        "version: 2\n"
        "data:\n"
        "  name: tool\n"
        "  stream: \"3\"\n"
        "  version: 8040020210101000000\n"
        "  context: aaaa0001\n"
        "  artifacts:\n"
        "    rpms: [tool-0:3.1-1.module_el8+2.x86_64]\n"
        "...\n"
        "---\n"
        "document: modulemd\n"
        "version: 2\n"
        "data:\n"
        "  name: tool\n"
        "  stream: 4\n"
        "  version: 8040020210101000000\n"
        "  context: bbbb0002\n"
        "  dependencies:\n"
        "  - requires:\n"
        "      platform: [el8]\n"
        "      lib: [\"2\"]\n"
        "  artifacts:\n"
        "    rpms:\n"
        "    - tool-1:4.0-1.module_el8+3.x86_64\n"
        "...\n"
        "---\n"
        "document: modulemd\n"
        "version: 2\n"
        "data:\n"
        "  name: lib\n"
        "  stream: \"1\"\n"
        "  version: 1\n"
        "  context: cccc\n"
        "  artifacts: {rpms: [liba-0:1.0-1.x86_64]}\n"
        "...\n"
        "---\n"
        "document: modulemd\n"
        "version: 2\n"
        "data:\n"
        "  name: lib\n"
        "  stream: \"2\"\n"
        "  version: 1\n"
        "  context: dddd\n"
        "  artifacts: {rpms: [liba-0:2.0-1.x86_64]}\n"
        "...\n"
        "---\n"
        "document: modulemd-obsoletes\n"
        "version: 1\n"
        "data: {module: tool, stream: \"2\", modified: 2021-01-01T00:00Z}\n"
        "...\n"
        "---\n"
        "document: modulemd-defaults\n"
        "version: 1\n"
        "data:\n"
        "  module: tool\n"
        "  stream: \"3\"\n"
        "  profiles:\n"
        "    3: [common]\n"
        "    4: [common, devel]\n"
        "...\n"
        "---\n"
        "document: modulemd-defaults\n"
        "version: 1\n"
        "data:\n"
        "  module: lib\n"
        "  stream: \"1\"\n"
        "...\n";

static void parse_ok(const char *text, struct modulemd *m) {
        char *error = NULL;
        int r = modulemd_parse(text, strlen(text), m, &error);

        if (r < 0)
                fail_msg("refused: %s", error ? error : "?");
        assert_null(error);
}

static void test_parse(void **state) {
        struct modulemd m = {};

        parse_ok(two_streams, &m);
        assert_int_equal(m.n_streams, 5);
        assert_int_equal(m.n_defaults, 2);
        assert_int_equal(m.n_other, 1);
        assert_string_equal(m.streams[0].name, "tool");
        assert_string_equal(m.streams[0].stream, "3");
        assert_true(m.streams[0].version == 8030020200101000000ULL);
        assert_string_equal(m.streams[0].context, "aaaa0001");
        assert_string_equal(m.streams[0].arch, "x86_64");
        assert_int_equal(m.streams[0].n_rpms, 2);
        assert_string_equal(m.streams[0].rpms[1], "tool-libs-0:3.0-1.module_el8+1.x86_64");
        assert_int_equal(m.streams[0].n_dependencies, 1);
        assert_int_equal(m.streams[0].dependencies[0].n_requires, 1);
        assert_string_equal(m.streams[0].dependencies[0].requires[0].module, "platform");
        /* An unquoted number is the stream as written. */
        assert_string_equal(m.streams[2].stream, "4");
        assert_string_equal(m.streams[2].arch, "");
        assert_int_equal(m.streams[2].dependencies[0].n_requires, 2);
        assert_string_equal(m.streams[2].dependencies[0].requires[1].module, "lib");
        assert_string_equal(m.streams[2].dependencies[0].requires[1].streams[0], "2");
        assert_string_equal(m.defaults[0].module, "tool");
        assert_string_equal(m.defaults[0].stream, "3");
        assert_int_equal(m.defaults[0].n_profiles, 1);
        assert_string_equal(m.defaults[0].profiles[0], "common");
        assert_int_equal(m.defaults[1].n_profiles, 0);

        /* A second repository's text is appended. */
        parse_ok("---\ndocument: modulemd-defaults\nversion: 1\ndata: {module: other}\n", &m);
        assert_int_equal(m.n_defaults, 3);
        assert_null(m.defaults[2].stream);
        modulemd_done(&m);

        /* Nothing at all is no modules, not an error. */
        parse_ok("", &m);
        assert_int_equal(m.n_streams + m.n_defaults + m.n_other, 0);
        modulemd_done(&m);
}

static void refused(const char *text, const char *want) {
        struct modulemd m = {};
        char *error = NULL;
        int r = modulemd_parse(text, strlen(text), &m, &error);

        assert_int_equal(r, -EBADMSG);
        assert_non_null(error);
        if (!strstr(error, want))
                fail_msg("\"%s\" does not say \"%s\"", error, want);
        free(error);
        modulemd_done(&m);
}

static void test_refused(void **state) {
        refused("---\ndocument: modulemd\nversion: 2\ndata:\n  name: [x]\n", "line 5: name is not a name");
        refused("---\ndocument: modulemd\nversion: 2\ndata:\n  stream: a\n  version: 1\n", "name is missing");
        refused("---\ndocument: modulemd\nversion: 2\ndata: {name: a, stream: b, version: -1}\n",
                "version is not a whole number");
        refused("---\ndocument: modulemd\nversion: 2\ndata: {name: a, stream: b, version: 99999999999999999999}\n",
                "version is not a whole number");
        refused("---\ndocument: modulemd\nversion: 2\ndata: {name: a, stream: b, version: 1, artifacts: {rpms: "
                "[nodash]}}\n",
                "nodash is not NAME-[EPOCH:]VERSION-RELEASE.ARCH");
        refused("---\ndocument: modulemd\nversion: 2\ndata: {name: a, stream: b, version: 1, artifacts: {rpms: "
                "x-1-1.x86_64}}\n",
                "artifacts.rpms is not a list");
        refused("---\ndocument: modulemd\nversion: 2\ndata: {name: a, stream: b, version: 1, dependencies: "
                "[{requires: {platform: el8}}]}\n",
                "streams is not a list");
        refused("---\ndocument: modulemd\nversion: 3\ndata: {}\n", "modulemd version 3 is not read");
        refused("---\ndocument: modulemd-defaults\nversion: 1\ndata: {stream: x}\n", "module is missing");
        refused("---\n- a list\n", "line 2: the document is not a mapping");
        refused("---\nversion: 2\n", "no \"document:\" kind");
        refused("---\ndocument: modulemd\nversion: 2\ndata: {name: \"a b\", stream: b, version: 1}\n",
                "name is not a name");
        refused("---\ndocument: modulemd\nversion: 2\ndata: {name: \"a\\0b\", stream: b, version: 1}\n",
                "name is not a name");
        /* Broken YAML: libyaml's complaint, with its line. */
        refused("---\ndocument: modulemd\nversion: 2\ndata: {name: [a, stream: b\n", "not YAML");
        refused("---\ndocument: modulemd\n  version: 2\n", "line 3: not YAML");
        /* A good document before a bad one is kept (the caller discards). */
        {
                struct modulemd m = {};
                char *error = NULL;
                const char *text = "---\ndocument: modulemd-defaults\nversion: 1\ndata: {module: a, stream: b}\n"
                                   "...\n---\n: : :\n  - ]\n";

                assert_int_equal(modulemd_parse(text, strlen(text), &m, &error), -EBADMSG);
                assert_int_equal(m.n_defaults, 1);
                free(error);
                modulemd_done(&m);
        }
}

static void test_state_parse(void **state) {
        struct module_state s;
        char *error = NULL;

        assert_int_equal(module_state_parse("[tool]\nname=tool\nstream=4\nprofiles=\nstate=enabled\n", &s, &error), 0);
        assert_string_equal(s.name, "tool");
        assert_string_equal(s.stream, "4");
        assert_true(s.enabled);
        assert_false(s.disabled);
        free(s.name);
        free(s.stream);

        assert_int_equal(module_state_parse("[lib]\nname = lib\nstream =\nprofiles =\nstate = disabled\n", &s, &error),
                         0);
        assert_null(s.stream);
        assert_true(s.disabled);
        free(s.name);

        assert_int_equal(module_state_parse("[x]\nstream=1\n", &s, &error), -EBADMSG);
        assert_non_null(strstr(error, "names no module"));
        free(error);
        assert_int_equal(module_state_parse("[x]\nname=x\ngarbage\n", &s, &error), -EBADMSG);
        assert_non_null(strstr(error, "line 3 is no KEY=VALUE line"));
        free(error);
}

/* The enabled stream of name in c, or NULL. */
static const struct module_enabled *enabled(const struct module_choice *c, const char *name) {
        for (size_t i = 0; i < c->n_enabled; i++)
                if (strcmp(c->enabled[i].name, name) == 0)
                        return &c->enabled[i];
        return NULL;
}

static const struct finding *finding(const struct findings *f, const char *id) {
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->items[i].id, id) == 0)
                        return &f->items[i];
        return NULL;
}

static void test_choose(void **state) {
        struct modulemd m = {};
        struct module_choice c;
        struct findings f = {};
        const struct module_enabled *e;

        parse_ok(two_streams, &m);

        /* Nothing asked, nothing on the system: the defaults, the newest
         * build of tool:3 active with its older version too. */
        assert_int_equal(module_choose(&m, NULL, 0, NULL, 0, &f, &c), 0);
        assert_int_equal(c.n_enabled, 2);
        e = enabled(&c, "tool");
        assert_string_equal(e->stream, "3");
        assert_int_equal(e->reason, MODULE_DEFAULT);
        assert_true(e->version == 8040020210101000000ULL);
        assert_true(c.active[0] && c.active[1]);
        assert_false(c.active[2]);
        assert_string_equal(enabled(&c, "lib")->stream, "1");
        assert_true(c.active[3]);
        assert_false(c.active[4]);
        assert_false(findings_have_blockers(&f));
        module_choice_done(&c);

        /* tool:4 asked for: it requires lib:2, which wins over lib's default. */
        char *asked[] = { (char *) "tool:4" };
        assert_int_equal(module_choose(&m, asked, 1, NULL, 0, &f, &c), 0);
        e = enabled(&c, "tool");
        assert_string_equal(e->stream, "4");
        assert_int_equal(e->reason, MODULE_ASKED);
        assert_false(c.active[0] || c.active[1]);
        assert_true(c.active[2]);
        e = enabled(&c, "lib");
        assert_string_equal(e->stream, "2");
        assert_int_equal(e->reason, MODULE_REQUIRED);
        assert_string_equal(e->required_by, "tool:4");
        assert_true(c.active[4]);
        assert_false(c.active[3]);
        module_choice_done(&c);

        /* Kept from the system: tool:4; lib disabled there makes tool:4
         * unusable, a blocker naming the requirement. */
        struct module_state sys[] = {
                { .name = (char *) "tool", .stream = (char *) "4", .enabled = true },
                { .name = (char *) "lib", .disabled = true },
        };
        assert_int_equal(module_choose(&m, NULL, 0, sys, 1, &f, &c), 0);
        assert_int_equal(enabled(&c, "tool")->reason, MODULE_KEPT);
        assert_string_equal(enabled(&c, "lib")->stream, "2");
        module_choice_done(&c);
        assert_int_equal(module_choose(&m, NULL, 0, sys, 2, &f, &c), 0);
        assert_null(enabled(&c, "lib"));
        assert_null(enabled(&c, "tool")->context);
        assert_false(c.active[2]);
        assert_non_null(finding(&f, "module-disabled"));
        assert_non_null(finding(&f, "module-dependency"));
        assert_true(findings_have_blockers(&f));
        module_choice_done(&c);
        findings_done(&f);
        f = (struct findings) {};

        /* A kept stream the target lacks: a warning, then the default. */
        struct module_state gone[] = { { .name = (char *) "tool", .stream = (char *) "2", .enabled = true } };
        assert_int_equal(module_choose(&m, NULL, 0, gone, 1, &f, &c), 0);
        assert_string_equal(enabled(&c, "tool")->stream, "3");
        assert_int_equal(enabled(&c, "tool")->reason, MODULE_DEFAULT);
        assert_non_null(finding(&f, "module-stream-dropped"));
        assert_non_null(strstr(finding(&f, "module-stream-dropped")->title, "the target has 3, 4; default 3"));
        assert_false(findings_have_blockers(&f));
        module_choice_done(&c);
        findings_done(&f);
        f = (struct findings) {};

        /* Unknown stream and unknown module: blockers naming what exists. */
        char *bad[] = { (char *) "tool:9", (char *) "nope:1" };
        assert_int_equal(module_choose(&m, bad, 2, NULL, 0, &f, &c), 0);
        assert_int_equal(f.n, 2);
        assert_string_equal(f.items[0].title, "--module-stream tool:9: module tool has no stream 9; its streams: 3, 4");
        assert_string_equal(f.items[1].title, "--module-stream nope:1: no module nope; the modules: tool, lib");
        assert_true(findings_have_blockers(&f));
        module_choice_done(&c);
        findings_done(&f);
        modulemd_done(&m);
}

static void test_nevra(void **state) {
        char name[64], *s;

        s = module_nevra_normalize("tool-0:3.0-1.module_el8+1.x86_64");
        assert_string_equal(s, "tool-3.0-1.module_el8+1.x86_64");
        free(s);
        s = module_nevra_normalize("tool-1:4.0-1.x86_64");
        assert_string_equal(s, "tool-1:4.0-1.x86_64");
        free(s);
        s = module_nevra_normalize("a-b-c-0:1-2.noarch");
        assert_string_equal(s, "a-b-c-1-2.noarch");
        free(s);
        assert_true(module_nevra_name("a-b-c-0:1-2.noarch", name, sizeof(name)));
        assert_string_equal(name, "a-b-c");
        assert_false(module_nevra_name("x-1", name, sizeof(name)));
}

static void test_states_load(void **state) {
        char dir[] = "/tmp/test-modulemd-XXXXXX", path[256];
        struct module_state *s;
        struct findings f = {};
        size_t n;
        FILE *fp;

        assert_non_null(mkdtemp(dir));
        /* No /etc/dnf/modules.d (EL 7): none, no finding. */
        assert_int_equal(module_states_load(dir, &f, &s, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(f.n, 0);
        snprintf(path, sizeof(path), "%s/etc/dnf/modules.d", dir);
        assert_int_equal(system(NULL) != 0, 1);
        {
                char cmd[300];

                snprintf(cmd, sizeof(cmd), "mkdir -p %s", path);
                assert_int_equal(system(cmd), 0);
        }
        snprintf(path, sizeof(path), "%s/etc/dnf/modules.d/tool.module", dir);
        assert_non_null(fp = fopen(path, "w"));
        fputs("[tool]\nname=tool\nstream=4\nprofiles=common\nstate=enabled\n", fp);
        fclose(fp);
        snprintf(path, sizeof(path), "%s/etc/dnf/modules.d/broken.module", dir);
        assert_non_null(fp = fopen(path, "w"));
        fputs("[broken]\nstream=1\n", fp);
        fclose(fp);
        snprintf(path, sizeof(path), "%s/etc/dnf/modules.d/README", dir);
        assert_non_null(fp = fopen(path, "w"));
        fclose(fp);
        assert_int_equal(module_states_load(dir, &f, &s, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(s[0].name, "tool");
        assert_int_equal(f.n, 1);
        assert_string_equal(f.items[0].id, "module-state-unreadable");
        assert_non_null(strstr(f.items[0].title, "/etc/dnf/modules.d/broken.module: it names no module"));
        module_states_free(s, n);
        findings_done(&f);
        {
                char cmd[300];

                snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
                assert_int_equal(system(cmd), 0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),  cmocka_unit_test(test_refused), cmocka_unit_test(test_state_parse),
                cmocka_unit_test(test_choose), cmocka_unit_test(test_nevra),   cmocka_unit_test(test_states_load),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
