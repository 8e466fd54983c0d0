/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PES reader (host-prep/pes.c, docs/pes.md): the published files as
 * they are (AlmaLinux's leapp-data, upstream Leapp's sample with module
 * streams), which events a source -> target upgrade keeps, how they apply
 * in release order, and a message naming the event for what is refused.
 * The real files come from SHARED_FIXTURES; without it those tests skip.
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
#include <unistd.h>

#include "fake-root.h"

#include "pes.h"

static const struct pes_event *find(const struct pes_events *e, unsigned id) {
        for (size_t i = 0; i < e->n; i++)
                if (e->events[i].id == id)
                        return &e->events[i];
        return NULL;
}

static void count_actions(const struct pes_events *e, size_t counts[_PES_ACTION_MAX]) {
        memset(counts, 0, sizeof(size_t) * _PES_ACTION_MAX);
        for (size_t i = 0; i < e->n; i++)
                counts[e->events[i].action]++;
}

static const struct pes_release el79 = { 7, 9 }, el8 = { 8, PES_MINOR_ANY };

/* CentOS 7 -> AlmaLinux 8 on x86_64: the counts Leapp's filter gives
 * (python3's json on the same file agrees), and known events. */
static void test_real_almalinux(void **state) {
        char *path = shared_fixture("leapp-data/almalinux-leapp-data/almalinux/pes-events.json"), *error = NULL;
        struct pes_events e;
        size_t counts[_PES_ACTION_MAX];
        const struct pes_event *ev;

        if (!path)
                skip();
        assert_int_equal(pes_load(path, &e, &error), 0);
        assert_null(error);
        assert_int_equal(e.n, 2381);
        /* Events with no initial_release (present, deprecated) are read. */
        ev = find(&e, 71);
        assert_non_null(ev);
        assert_int_equal(ev->action, PES_SPLIT);
        assert_true(ev->has_from);
        assert_int_equal(ev->from.major, 7);
        assert_int_equal(ev->from.minor, 7);
        assert_int_equal(ev->to.major, 8);
        assert_int_equal(ev->to.minor, 0);
        assert_int_equal(ev->n_in, 1);
        assert_string_equal(ev->in[0].name, "policycoreutils-python");
        assert_string_equal(ev->in[0].repository, "base");
        assert_null(ev->in[0].module_stream);
        assert_int_equal(ev->n_out, 2);
        assert_string_equal(ev->out[0].name, "policycoreutils-python-utils");
        assert_string_equal(ev->out[1].name, "python3-policycoreutils");
        assert_string_equal(ev->out[1].repository, "almalinux8-baseos");
        assert_int_equal(ev->n_arches, 2);
        /* Ids as strings ("9003"), in the 8 -> 9 events. */
        ev = find(&e, 9003);
        assert_non_null(ev);
        assert_int_equal(ev->to.major, 9);
        assert_string_equal(ev->in[0].name, "unified-monitoring-agent");
        /* "module_stream": [null] and "modulestreams": [{...}]. */
        ev = find(&e, 1658);
        assert_non_null(ev);
        assert_null(ev->in[0].module_stream);
        assert_string_equal(ev->out[0].module_stream, "javapackages-tools:201801");

        assert_int_equal(pes_filter(&e, el79, el8, "x86_64"), 130);
        assert_int_equal(e.n, 2251);
        count_actions(&e, counts);
        assert_int_equal(counts[PES_PRESENT], 12);
        assert_int_equal(counts[PES_REMOVED], 930);
        assert_int_equal(counts[PES_DEPRECATED], 0); /* all of them to 7.5 */
        assert_int_equal(counts[PES_REPLACED], 262);
        assert_int_equal(counts[PES_SPLIT], 137);
        assert_int_equal(counts[PES_MERGED], 258);
        assert_int_equal(counts[PES_MOVED], 623);
        assert_int_equal(counts[PES_RENAMED], 29);
        /* In the order they apply: by release, then id. */
        for (size_t i = 1; i < e.n; i++) {
                int c = pes_release_compare(e.events[i - 1].to, e.events[i].to);
                assert_true(c < 0 || (c == 0 && e.events[i - 1].id <= e.events[i].id));
        }
        ev = find(&e, 4);
        assert_non_null(ev);
        assert_string_equal(ev->in[0].name, "ntp");
        assert_int_equal(ev->n_out, 2);
        assert_string_equal(ev->out[0].name, "chrony");
        ev = find(&e, 104);
        assert_non_null(ev);
        assert_int_equal(ev->action, PES_REPLACED);
        assert_string_equal(ev->out[0].name, "python3-libsemanage");

        {
                char *installed[] = { "bash", "policycoreutils-python", "ntp", "libsemanage-python", "yum-utils" };
                struct pes_result r;

                assert_int_equal(pes_apply(&e, installed, 5, NULL, 0, &r), 0);
                assert_int_equal(r.n_decisions, 4);
                for (size_t i = 0; i < r.n_decisions; i++)
                        assert_int_equal(r.decisions[i].outcome, PES_APPLIED);
                assert_int_equal(r.n_erase, 4);
                assert_int_equal(r.n_install, 6);
                pes_result_done(&r);
        }
        pes_events_done(&e);

        /* aarch64 keeps other events. */
        assert_int_equal(pes_load(path, &e, &error), 0);
        assert_int_equal(pes_filter(&e, el79, el8, "aarch64"), 133);
        count_actions(&e, counts);
        assert_int_equal(counts[PES_REMOVED], 933);
        pes_events_done(&e);
        free(path);
}

static void test_real_others(void **state) {
        static const struct {
                const char *path;
                size_t n, kept, removed, split;
        } files[] = {
                { "leapp-data/almalinux-leapp-data/centos/pes-events.json", 2289, 2160, 877, 138 },
                { "leapp-data/almalinux-leapp-data/rocky/pes-events.json", 2290, 2161, 877, 139 },
        };
        size_t found = 0;

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                char *path = shared_fixture(files[i].path), *error = NULL;
                struct pes_events e;
                size_t counts[_PES_ACTION_MAX];

                if (!path)
                        continue;
                found++;
                assert_int_equal(pes_load(path, &e, &error), 0);
                assert_int_equal(e.n, files[i].n);
                pes_filter(&e, el79, el8, "x86_64");
                assert_int_equal(e.n, files[i].kept);
                count_actions(&e, counts);
                assert_int_equal(counts[PES_REMOVED], files[i].removed);
                assert_int_equal(counts[PES_SPLIT], files[i].split);
                pes_events_done(&e);
                free(path);
        }
        if (!found)
                skip();
}

/* Upstream Leapp's newer format: "modulestreams" lists, null out sets. */
static void test_real_modulestreams(void **state) {
        char *path = shared_fixture("leapp-data/oamg-leapp-repository/pes-sample04.json"), *error = NULL;
        struct pes_events e;

        if (!path)
                skip();
        assert_int_equal(pes_load(path, &e, &error), 0);
        assert_int_equal(e.n, 3);
        assert_int_equal(e.events[0].action, PES_SPLIT);
        assert_string_equal(e.events[0].in[0].module_stream, "module:stream_in");
        assert_string_equal(e.events[0].out[1].module_stream, "module:stream_out");
        assert_false(e.events[0].has_from);
        assert_int_equal(e.events[0].n_arches, 0);
        assert_int_equal(e.events[1].n_out, 0);
        assert_null(e.events[2].out[0].module_stream); /* [null] */
        pes_events_done(&e);
        free(path);
}

#define PKG(n) "{\"name\": \"" n "\", \"repository\": \"r\", \"module_stream\": null}"
#define EVENT(id, action, in, out, major, minor, arches)                                                  \
        "{\"id\": " #id ", \"action\": " #action ", \"in_packageset\": {\"package\": [" in "]}, "             \
        "\"out_packageset\": {\"package\": [" out "]}, \"initial_release\": {\"major_version\": 7, "          \
        "\"minor_version\": 7}, \"release\": {\"major_version\": " #major ", \"minor_version\": " #minor "}, " \
        "\"architectures\": [" arches "]}"

static int parse(const char *text, struct pes_events *e, char **error) {
        return pes_parse(text, strlen(text), e, error);
}

static void test_refused(void **state) {
        static const struct {
                const char *text, *error;
        } cases[] = {
                { "", "not JSON: the text ends inside a value" },
                { "{\"packageinfo\": [", "not JSON: the text ends inside a value" },
                { "{\"packageinfo\": []} x", "not JSON: unexpected character at byte 20" },
                { "[]", "not a PES file: want an object with packageinfo" },
                { "{\"packageinfo\": {}}", "not a PES file: no packageinfo list" },
                { "{\"packageinfo\": [1]}", "event #1 of packageinfo: not an object" },
                { "{\"packageinfo\": [{\"action\": 1}]}", "event #1 of packageinfo: no id (a whole number)" },
                { "{\"packageinfo\": [{\"id\": -3}]}", "event #1 of packageinfo: no id (a whole number)" },
                { "{\"packageinfo\": [{\"id\": \"3x\"}]}", "event #1 of packageinfo: no id (a whole number)" },
                { "{\"packageinfo\": [{\"id\": \"3\"}]}", "event 3: action is not one of 0-8 (present ... reinstalled)" },
                { "{\"packageinfo\": [" EVENT(5, 9, PKG("a"), "", 8, 0, "") "]}",
                  "event 5: action is not one of 0-8 (present ... reinstalled)" },
                { "{\"packageinfo\": [" EVENT(5, 1, "", "", 8, 0, "") "]}", "event 5: in_packageset names no package" },
                { "{\"packageinfo\": [" EVENT(6, 3, PKG("a b"), PKG("c"), 8, 0, "") "]}",
                  "event 6: in_packageset.package[0] has no valid package name" },
                { "{\"packageinfo\": [" EVENT(6, 4, PKG("a"), PKG("c") "," PKG("c"), 8, 0, "") "]}",
                  "event 6: out_packageset names c twice" },
                { "{\"packageinfo\": [" EVENT(7, 1, PKG("a"), "", 8, "\"0\"", "") "]}",
                  "event 7: release wants major_version and minor_version, whole numbers 0-1000" },
                { "{\"packageinfo\": [" EVENT(7, 1, PKG("a"), "", 8, 0, "1") "]}",
                  "event 7: architectures[0] is not an architecture" },
                { "{\"packageinfo\": [{\"id\": 8, \"action\": 1, \"in_packageset\": {\"package\": [" PKG("a") "]}}]}",
                  "event 8: no release" },
                { "{\"packageinfo\": [{\"id\": 8, \"action\": 1, \"in_packageset\": {\"package\": [{\"name\": \"a\", "
                  "\"module_stream\": {\"name\": \"m\"}}]}, \"release\": {\"major_version\": 8, \"minor_version\": 0}}]}",
                  "event 8: in_packageset.package[0]: a module stream wants a name and a stream" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct pes_events e;
                char *error = NULL;

                assert_int_equal(parse(cases[i].text, &e, &error), -EBADMSG);
                assert_string_equal(error, cases[i].error);
                assert_int_equal(e.n, 0);
                free(error);
        }
        {
                struct pes_events e;
                char *error = NULL;
                static const char nul[] = "{\"packageinfo\": []}\0";

                assert_int_equal(pes_parse(nul, sizeof(nul) - 1, &e, &error), -EBADMSG);
                assert_string_equal(error, "not JSON: the file contains a NUL byte");
                free(error);
        }
}

/* Release order, chains across releases, merged and split, present,
 * architectures, the caller's own rules. */
static void test_apply(void **state) {
        const char *text = "{\"packageinfo\": ["
                EVENT(20, 7, PKG("b"), PKG("c"), 8, 1, "\"x86_64\"") ","  /* after event 10 */
                EVENT(10, 7, PKG("a"), PKG("b"), 8, 0, "") ","
                EVENT(11, 4, PKG("s"), PKG("s") "," PKG("s-libs"), 8, 0, "") ","
                EVENT(12, 5, PKG("m1") "," PKG("m2"), PKG("m"), 8, 0, "") ","
                EVENT(13, 3, PKG("r1") "," PKG("r2"), PKG("r"), 8, 0, "") ","  /* r2 not there */
                EVENT(14, 1, PKG("gone"), "", 8, 0, "") ","
                EVENT(15, 0, PKG("bash"), "", 8, 0, "") ","
                EVENT(16, 1, PKG("mine"), "", 8, 0, "") ","
                EVENT(17, 1, PKG("x"), "", 8, 0, "\"aarch64\"") ","           /* other arch */
                EVENT(18, 1, PKG("y"), "", 7, 6, "") ","                      /* before the source */
                EVENT(19, 1, PKG("z"), "", 9, 0, "") ","                      /* after the target */
                EVENT(21, 1, PKG("notthere"), "", 8, 0, "")
                "]}";
        char *installed[] = { "a", "s", "m1", "r1", "gone", "bash", "mine", "x", "y", "z" };
        char *mine[] = { "mine" };
        struct pes_events e;
        struct pes_result r;
        char *error = NULL;
        static const struct {
                unsigned id;
                enum pes_outcome outcome;
        } want[] = {
                { 10, PES_APPLIED }, { 11, PES_APPLIED }, { 12, PES_APPLIED },    { 13, PES_NOT_RELEVANT },
                { 14, PES_APPLIED }, { 15, PES_KEPT },    { 16, PES_OVERRIDDEN }, { 20, PES_APPLIED },
        };

        assert_int_equal(parse(text, &e, &error), 0);
        assert_int_equal(e.n, 12);
        assert_int_equal(pes_filter(&e, el79, (struct pes_release) { 8, 10 }, "x86_64"), 3);
        assert_int_equal(e.n, 9);
        assert_int_equal(e.events[0].id, 10);
        assert_int_equal(e.events[e.n - 1].id, 20);
        assert_int_equal(pes_apply(&e, installed, 10, mine, 1, &r), 0);
        assert_int_equal(r.n_decisions, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < r.n_decisions; i++) {
                assert_int_equal(r.decisions[i].event->id, want[i].id);
                assert_int_equal(r.decisions[i].outcome, want[i].outcome);
        }
        /* a -> b -> c: b came and went; s stays beside s-libs. */
        assert_int_equal(r.n_install, 3);
        assert_string_equal(r.install[0], "c");
        assert_string_equal(r.install[1], "m");
        assert_string_equal(r.install[2], "s-libs");
        assert_int_equal(r.n_erase, 3);
        assert_string_equal(r.erase[0], "a");
        assert_string_equal(r.erase[1], "gone");
        assert_string_equal(r.erase[2], "m1");
        pes_result_done(&r);
        pes_events_done(&e);
}

/* Leapp's repository maps: ELevate's (one repoid per pesid) and
 * upstream's (the same repoid in several majors). */
static void test_repomap(void **state) {
        char *alma = shared_fixture("leapp-data/almalinux-leapp-data/almalinux/repomap.json.el8"),
             *upstream = shared_fixture("leapp-data/oamg-leapp-repository/repomap.json"), *error = NULL;
        struct pes_repomap m;
        static const char hand[] = "{\"repositories\": [{\"pesid\": \"t8-baseos\", \"entries\": ["
                                   "{\"repoid\": \"baseos\", \"major_version\": \"8\"}, "
                                   "{\"repoid\": \"t8-base\", \"major_version\": 8}]}, "
                                   "{\"pesid\": \"t9-baseos\", \"entries\": [{\"repoid\": \"baseos\", "
                                   "\"major_version\": \"9\"}]}]}";

        assert_int_equal(pes_repomap_parse(hand, sizeof(hand) - 1, &m, &error), 0);
        assert_int_equal(m.n, 3);
        assert_string_equal(pes_repomap_pesid(&m, "baseos", 8), "t8-baseos");
        assert_string_equal(pes_repomap_pesid(&m, "baseos", 9), "t9-baseos");
        assert_string_equal(pes_repomap_pesid(&m, "t8-base", 8), "t8-baseos");
        assert_string_equal(pes_repomap_pesid(&m, "t9-baseos", 8), "t9-baseos"); /* a pesid itself */
        assert_null(pes_repomap_pesid(&m, "other", 8));
        pes_repomap_done(&m);

        assert_int_equal(pes_repomap_parse("{}", 2, &m, &error), -EBADMSG);
        assert_string_equal(error, "not a repository map: no repositories list");
        free(error);
        {
                static const char bad[] = "{\"repositories\": [{\"pesid\": \"x\", \"entries\": [{}]}]}";

                assert_int_equal(pes_repomap_parse(bad, sizeof(bad) - 1, &m, &error), -EBADMSG);
        }
        assert_string_equal(error, "repositories[0] (x): entries[0] has no repoid");
        free(error);

        if (!alma || !upstream)
                skip();
        assert_int_equal(pes_repomap_load(alma, &m, &error), 0);
        assert_int_equal(m.n, 26);
        assert_string_equal(pes_repomap_pesid(&m, "almalinux8-appstream", 8), "almalinux8-appstream");
        pes_repomap_done(&m);
        assert_int_equal(pes_repomap_load(upstream, &m, &error), 0);
        assert_int_equal(m.n, 755);
        assert_string_equal(pes_repomap_pesid(&m, "baseos", 8), "rhel8-BaseOS");
        assert_string_equal(pes_repomap_pesid(&m, "baseos", 9), "rhel9-BaseOS");
        assert_string_equal(pes_repomap_pesid(&m, "rhel-8-for-x86_64-baseos-rpms", 8), "rhel8-BaseOS");
        pes_repomap_done(&m);
        free(alma);
        free(upstream);
}

static void test_release_parse(void **state) {
        struct pes_release r;

        assert_int_equal(pes_release_parse("7.9", &r), 0);
        assert_int_equal(r.major, 7);
        assert_int_equal(r.minor, 9);
        assert_int_equal(pes_release_parse("8", &r), 0);
        assert_int_equal(r.minor, PES_MINOR_ANY);
        assert_int_equal(pes_release_parse("8.", &r), -EINVAL);
        assert_int_equal(pes_release_parse("-8", &r), -EINVAL);
        assert_int_equal(pes_release_parse("8.1.2", &r), -EINVAL);
        assert_int_equal(pes_release_parse("", &r), -EINVAL);
        assert_int_equal(pes_release_parse("x", &r), -EINVAL);
        assert_string_equal(pes_action_name(PES_SPLIT), "split");
        assert_string_equal(pes_action_name(PES_REINSTALLED), "reinstalled");
        assert_string_equal(pes_action_name(_PES_ACTION_MAX), "unknown");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_almalinux),  cmocka_unit_test(test_real_others),
                cmocka_unit_test(test_real_modulestreams), cmocka_unit_test(test_refused),
                cmocka_unit_test(test_apply),           cmocka_unit_test(test_release_parse),
                cmocka_unit_test(test_repomap),
        };
        return cmocka_run_group_tests_name("pes", tests, NULL, NULL);
}
