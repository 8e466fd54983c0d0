/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel command line of the upgrade initramfs: words split as the
 * kernel splits them, root= in all its forms, our flags, last-wins, and
 * garbage that must neither crash nor read outside its buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "macro.h"

/* Parses s from an exactly sized heap copy, so that ASan catches any read
 * past its end (there is no NUL to stop at). */
static void parse(const char *s, struct boot_cmdline *c) {
        size_t n = strlen(s);
        char *copy = malloc(n ? n : 1);

        assert_non_null(copy);
        memcpy(copy, s, n);
        cmdline_parse(copy, n, c);
        free(copy);
}

/* The words of s, as "key" or "key=[value]", joined by '|'. */
static void words(const char *s, char *out, size_t size) {
        size_t n = strlen(s), o = 0;
        char *copy = malloc(n ? n : 1);
        const char *pos, *end;
        struct cmdline_word w;

        assert_non_null(copy);
        memcpy(copy, s, n);
        pos = copy;
        end = copy + n;
        out[0] = '\0';
        while (cmdline_next_word(&pos, end, &w) > 0) {
                assert_true(w.key >= copy && w.key + w.key_len <= end);
                if (w.value)
                        assert_true(w.value >= copy && w.value + w.value_len <= end);
                o += (size_t) snprintf(out + o, size - o, "%s%.*s", o ? "|" : "", (int) w.key_len, w.key);
                if (w.value)
                        o += (size_t) snprintf(out + o, size - o, "=[%.*s]", (int) w.value_len, w.value);
                assert_true(o < size);
        }
        assert_true(pos >= copy && pos <= end);
        free(copy);
}

static void test_words_like_the_kernel(void **state) {
        static const struct {
                const char *in, *want;
        } cases[] = {
                { "", "" },
                { "   \t\n", "" },
                { "a", "a" },
                { "a b=c  d\n", "a|b=[c]|d" },
                { "a\tb\nc\rd\ve\ff", "a|b|c|d|e|f" },
                /* A quote opening the word or the value is dropped with its partner. */
                { "\"a=b c\" d", "a=[b c]|d" },
                { "a=\"b c\" d", "a=[b c]|d" },
                { "\"flag\" x", "flag|x" },
                /* Quotes elsewhere only keep spaces in; they stay. */
                { "a=b\"c d\"e f", "a=[b\"c d\"e]|f" },
                { "\"a=b\"c d", "a=[b\"c]|d" },
                { "LABEL=\"my root\"", "LABEL=[my root]" },
                { "root=LABEL=\"my root\" x", "root=[LABEL=\"my root\"]|x" },
                /* An unterminated quote runs to the end. */
                { "a=\"b c", "a=[b c]" },
                { "\"a b c", "a b c" },
                { "\"", "" },
                { "a=\"", "a=[]" },
                { "\"a=\"", "a=[]" },
                { "\"\"", "" },
                /* The key ends at the first '=' (even inside quotes), except
                 * that a leading '=' belongs to the key. */
                { "a=b=c", "a=[b=c]" },
                { "a=", "a=[]" },
                { "\"a\"=b", "a\"=[b]" },
                { "a\"=b c\"", "a\"=[b c\"]" },
                { "=x", "=x" },
                { "=a=b", "=a=[b]" },
                { "\"=\"", "=" },
                { "==", "==[]" },
                { "===", "==[=]" },
                /* "--" ends the kernel's arguments; the rest is init's. */
                { "a -- rd.oslift.upgrade", "a" },
                { "a \"--\" b", "a" },
                { "a --x b", "a|--x|b" },
                { "a --=1 b", "a|--=[1]|b" },
        };
        char out[512];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                words(cases[i].in, out, sizeof(out));
                if (strcmp(out, cases[i].want) != 0)
                        fail_msg("case %zu: \"%s\" gave \"%s\", want \"%s\"", i, cases[i].in, out, cases[i].want);
        }
}

static void test_words_stop_at_nul(void **state) {
        const char text[] = { 'a', ' ', 'b', '\0', 'c', ' ', 'd' };
        const char *pos = text;
        struct cmdline_word w;

        assert_int_equal(cmdline_next_word(&pos, text + sizeof(text), &w), 1);
        assert_int_equal(cmdline_next_word(&pos, text + sizeof(text), &w), 1);
        assert_int_equal(w.key_len, 1);
        assert_int_equal(w.key[0], 'b');
        assert_int_equal(cmdline_next_word(&pos, text + sizeof(text), &w), 0);
        assert_int_equal(cmdline_next_word(&pos, text + sizeof(text), &w), 0);
}

static void test_typical_el_cmdline(void **state) {
        struct boot_cmdline c;

        parse("BOOT_IMAGE=(hd0,msdos1)/vmlinuz-4.18.0-513.el8.x86_64 root=UUID=0f5b1c7e-2a59-4d8f-a7d4-"
              "3c1b0e2f9a11 ro crashkernel=auto resume=/dev/mapper/cl-swap rd.lvm.lv=cl/root "
              "rd.oslift.upgrade console=tty0 console=ttyS0,115200n8\n",
              &c);
        assert_true(c.upgrade);
        assert_false(c.stop);
        assert_false(c.debug);
        assert_int_equal(c.read_only, 1);
        assert_int_equal(c.root_kind, ROOT_UUID);
        assert_string_equal(c.root, "UUID=0f5b1c7e-2a59-4d8f-a7d4-3c1b0e2f9a11");
        assert_string_equal(c.rootfstype, "");
        assert_string_equal(c.rootflags, "");
        assert_int_equal(c.n_problems, 0);
}

static void test_nothing(void **state) {
        struct boot_cmdline c;

        parse("", &c);
        assert_false(c.upgrade);
        assert_false(c.stop);
        assert_false(c.debug);
        assert_int_equal(c.read_only, -1);
        assert_int_equal(c.root_kind, ROOT_NONE);
        assert_string_equal(c.root, "");
        assert_int_equal(c.n_problems, 0);

        cmdline_parse(NULL, 0, &c);
        assert_false(c.upgrade);
        assert_int_equal(c.root_kind, ROOT_NONE);
}

static void test_root_forms(void **state) {
        static const struct {
                const char *in;
                enum root_kind kind;
                const char *root;
        } cases[] = {
                { "root=/dev/sda1", ROOT_PATH, "/dev/sda1" },
                { "root=/dev/mapper/rhel-root", ROOT_PATH, "/dev/mapper/rhel-root" },
                { "root=/dev/disk/by-uuid/0f5b", ROOT_PATH, "/dev/disk/by-uuid/0f5b" },
                { "root=block:/dev/vda2", ROOT_PATH, "/dev/vda2" },
                { "root=UUID=abcd-1234", ROOT_UUID, "UUID=abcd-1234" },
                { "root=LABEL=root", ROOT_LABEL, "LABEL=root" },
                { "root=PARTUUID=1234abcd-02", ROOT_PARTUUID, "PARTUUID=1234abcd-02" },
                { "root=PARTLABEL=system", ROOT_PARTLABEL, "PARTLABEL=system" },
                /* Quoted whole, or quoted inside (blkid drops those quotes). */
                { "\"root=LABEL=my root\"", ROOT_LABEL, "LABEL=my root" },
                { "root=\"LABEL=my root\"", ROOT_LABEL, "LABEL=my root" },
                { "root=LABEL=\"my root\"", ROOT_LABEL, "LABEL=\"my root\"" },
                /* Not a local device we can find. */
                { "root=nfs:10.0.0.1:/export/root", ROOT_UNSUPPORTED, "nfs:10.0.0.1:/export/root" },
                { "root=live:CDLABEL=Fedora", ROOT_UNSUPPORTED, "live:CDLABEL=Fedora" },
                { "root=/dev/nfs", ROOT_UNSUPPORTED, "/dev/nfs" },
                { "root=0801", ROOT_UNSUPPORTED, "0801" },
                { "root=UUID=", ROOT_UNSUPPORTED, "UUID=" },
                { "root=LABEL=", ROOT_UNSUPPORTED, "LABEL=" },
                { "root=uuid=abcd", ROOT_UNSUPPORTED, "uuid=abcd" },
                { "root=PARTUUID=1234abcd-02/PARTNROFF=1", ROOT_UNSUPPORTED, "PARTUUID=1234abcd-02/PARTNROFF=1" },
                { "root=block:", ROOT_UNSUPPORTED, "block:" },
                { "root=block:UUID=abcd", ROOT_UNSUPPORTED, "block:UUID=abcd" },
                /* None at all. */
                { "root=", ROOT_NONE, "" },
                { "root", ROOT_NONE, "" },
                { "rootx=/dev/sda1", ROOT_NONE, "" },
                /* The last one wins, even when it is unusable or empty. */
                { "root=LABEL=a root=UUID=b", ROOT_UUID, "UUID=b" },
                { "root=UUID=b root=nfs:x", ROOT_UNSUPPORTED, "nfs:x" },
                { "root=UUID=b root=", ROOT_NONE, "" },
                { "root=UUID=b root", ROOT_UUID, "UUID=b" },
                /* After "--" it is init's, not ours. */
                { "root=UUID=b -- root=UUID=c", ROOT_UUID, "UUID=b" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct boot_cmdline c;

                parse(cases[i].in, &c);
                if (c.root_kind != cases[i].kind || strcmp(c.root, cases[i].root) != 0)
                        fail_msg("case %zu: \"%s\" gave %s \"%s\", want %s \"%s\"", i, cases[i].in,
                                 root_kind_name(c.root_kind), c.root, root_kind_name(cases[i].kind), cases[i].root);
        }
}

static void test_root_options(void **state) {
        struct boot_cmdline c;

        parse("root=/dev/vda1 rootfstype=xfs rootflags=subvol=root,compress=zstd", &c);
        assert_string_equal(c.rootfstype, "xfs");
        assert_string_equal(c.rootflags, "subvol=root,compress=zstd");

        parse("rootflags=a rootflags=b rootfstype=ext4 rootfstype=xfs", &c);
        assert_string_equal(c.rootflags, "b");
        assert_string_equal(c.rootfstype, "xfs");

        /* Without '=' they are something else (passed on to init). */
        parse("rootflags=a rootflags rootfstype", &c);
        assert_string_equal(c.rootflags, "a");
        assert_string_equal(c.rootfstype, "");

        parse("rootflags=", &c);
        assert_string_equal(c.rootflags, "");
}

static void test_ro_rw(void **state) {
        static const struct {
                const char *in;
                int want;
        } cases[] = {
                { "ro", 1 },       { "rw", 0 },      { "ro rw", 0 },    { "rw ro", 1 },
                { "ro=1", -1 },    { "rw=", -1 },    { "rox", -1 },     { "\"ro\"", 1 },
                { "ro -- rw", 1 }, { "quiet", -1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct boot_cmdline c;

                parse(cases[i].in, &c);
                if (c.read_only != cases[i].want)
                        fail_msg("case %zu: \"%s\" gave %d, want %d", i, cases[i].in, c.read_only, cases[i].want);
        }
}

static void test_flags(void **state) {
        static const struct {
                const char *in;
                bool upgrade, stop, debug;
                unsigned problems;
        } cases[] = {
                { "rd.oslift.upgrade", true, false, false, 0 },
                { "rd.oslift.break", false, true, false, 0 },
                { "rd.oslift.debug", false, false, true, 0 },
                { "rd.oslift.upgrade rd.oslift.break rd.oslift.debug", true, true, true, 0 },
                { "rd.oslift.upgrade=1 rd.oslift.break=yes rd.oslift.debug=on", true, true, true, 0 },
                { "rd.oslift.upgrade=TRUE rd.oslift.break=Y rd.oslift.debug=t", true, true, true, 0 },
                { "rd.oslift.upgrade=0", false, false, false, 0 },
                { "rd.oslift.upgrade=no rd.oslift.break=off rd.oslift.debug=false", false, false, false, 0 },
                /* Last wins. */
                { "rd.oslift.debug rd.oslift.debug=0", false, false, false, 0 },
                { "rd.oslift.upgrade=0 rd.oslift.upgrade", true, false, false, 0 },
                /* A value that is not a boolean leaves the flag as it was. */
                { "rd.oslift.upgrade=maybe", false, false, false, 1 },
                { "rd.oslift.upgrade rd.oslift.upgrade=maybe", true, false, false, 1 },
                { "rd.oslift.upgrade=", false, false, false, 1 },
                { "rd.oslift.upgrade=10", false, false, false, 1 },
                /* Not ours. */
                { "rd.oslift.upgradex rd.oslift rd.oslift.Upgrade oslift.upgrade", false, false, false, 0 },
                { "\"rd.oslift.upgrade\"", true, false, false, 0 },
                { "rd.oslift.upgrade=\"1\"", true, false, false, 0 },
                { "-- rd.oslift.upgrade", false, false, false, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct boot_cmdline c;

                parse(cases[i].in, &c);
                if (c.upgrade != cases[i].upgrade || c.stop != cases[i].stop || c.debug != cases[i].debug ||
                    c.n_problems != cases[i].problems)
                        fail_msg("case %zu: \"%s\" gave upgrade=%d break=%d debug=%d problems=%u", i, cases[i].in,
                                 c.upgrade, c.stop, c.debug, c.n_problems);
        }
}

static void test_problem_messages(void **state) {
        struct boot_cmdline c;

        parse("rd.oslift.break=perhaps", &c);
        assert_int_equal(c.n_problems, 1);
        assert_string_equal(c.problems[0], "rd.oslift.break=perhaps is not a boolean; ignored");

        /* Control characters never reach the console through a message. */
        parse("rd.oslift.debug=\x1b[31mred", &c);
        assert_int_equal(c.n_problems, 1);
        assert_null(strchr(c.problems[0], '\x1b'));
        assert_non_null(strstr(c.problems[0], "?[31mred"));

        /* Only the first few are kept, all are counted. */
        parse("rd.oslift.debug=a rd.oslift.debug=b rd.oslift.debug=c rd.oslift.debug=d rd.oslift.debug=e "
              "rd.oslift.debug=g",
              &c);
        assert_int_equal(c.n_problems, 6);
        assert_non_null(strstr(c.problems[CMDLINE_PROBLEMS_MAX - 1], "=d "));
}

static void test_oversized_values(void **state) {
        size_t n = CMDLINE_VALUE_SIZE + 100;
        char *s = malloc(n + 64);
        struct boot_cmdline c;

        assert_non_null(s);

        /* An unusable last root= does not fall back to an earlier one. */
        strcpy(s, "root=UUID=good root=LABEL=");
        memset(s + strlen(s), 'x', CMDLINE_VALUE_SIZE);
        strcpy(s + strlen("root=UUID=good root=LABEL=") + CMDLINE_VALUE_SIZE, " rd.oslift.upgrade");
        parse(s, &c);
        assert_true(c.upgrade);
        assert_int_equal(c.root_kind, ROOT_UNSUPPORTED);
        assert_string_equal(c.root, "");
        assert_int_equal(c.n_problems, 1);
        assert_non_null(strstr(c.problems[0], "root= is too long"));

        /* The longest value that fits. */
        strcpy(s, "root=/");
        memset(s + 6, 'd', CMDLINE_VALUE_SIZE - 2);
        s[6 + CMDLINE_VALUE_SIZE - 2] = '\0';
        parse(s, &c);
        assert_int_equal(c.root_kind, ROOT_PATH);
        assert_int_equal(strlen(c.root), CMDLINE_VALUE_SIZE - 1);
        assert_int_equal(c.n_problems, 0);

        strcpy(s, "rootfstype=");
        memset(s + 11, 'f', CMDLINE_FSTYPE_SIZE);
        s[11 + CMDLINE_FSTYPE_SIZE] = '\0';
        parse(s, &c);
        assert_string_equal(c.rootfstype, "");
        assert_int_equal(c.n_problems, 1);
        free(s);
}

static void test_size_limit(void **state) {
        size_t n = CMDLINE_SIZE_MAX + 4096;
        char *s = malloc(n);
        struct boot_cmdline c;
        const char *flag = " rd.oslift.upgrade";

        assert_non_null(s);
        /* Within the limit: seen. */
        memset(s, ' ', n);
        memcpy(s + CMDLINE_SIZE_MAX - strlen(flag), flag, strlen(flag));
        cmdline_parse(s, n, &c);
        assert_true(c.upgrade);
        /* Beyond it: not read. */
        memset(s, ' ', n);
        memcpy(s + CMDLINE_SIZE_MAX, flag, strlen(flag));
        cmdline_parse(s, n, &c);
        assert_false(c.upgrade);
        /* Across it: a word cut short is not the word. */
        memset(s, ' ', n);
        memcpy(s + CMDLINE_SIZE_MAX - 5, flag, strlen(flag));
        cmdline_parse(s, n, &c);
        assert_false(c.upgrade);
        free(s);
}

/* xorshift: the same garbage on every run. */
static uint32_t next_random(uint32_t *x) {
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        return *x;
}

static void check_invariants(const struct boot_cmdline *c) {
        assert_true(c->read_only >= -1 && c->read_only <= 1);
        assert_true(c->root_kind >= ROOT_NONE && c->root_kind <= ROOT_UNSUPPORTED);
        assert_true(memchr(c->root, '\0', sizeof(c->root)) != NULL);
        assert_true(memchr(c->rootfstype, '\0', sizeof(c->rootfstype)) != NULL);
        assert_true(memchr(c->rootflags, '\0', sizeof(c->rootflags)) != NULL);
        if (c->root_kind == ROOT_NONE)
                assert_string_equal(c->root, "");
        if (c->root_kind == ROOT_PATH)
                assert_int_equal(c->root[0], '/');
        for (unsigned i = 0; i < c->n_problems && i < CMDLINE_PROBLEMS_MAX; i++) {
                assert_true(memchr(c->problems[i], '\0', CMDLINE_PROBLEM_SIZE) != NULL);
                for (const char *p = c->problems[i]; *p; p++)
                        assert_true((unsigned char) *p >= 0x20 && *p != 0x7f);
        }
}

/* Random bytes from an alphabet heavy in what the parser cares about. */
static void test_garbage(void **state) {
        static const char alphabet[] = "\"\"\"=== \t\n\\-rootUIDLABE:/.dkflagsy01\xff\x80\xc3\x1b";
        uint32_t x = 0x9e3779b9;

        for (unsigned round = 0; round < 20000; round++) {
                size_t n = next_random(&x) % 300;
                unsigned char *buf = malloc(n ? n : 1);
                struct boot_cmdline c;
                char out[4096];

                assert_non_null(buf);
                for (size_t i = 0; i < n; i++)
                        buf[i] = round % 4 == 0 ? (unsigned char) next_random(&x)
                                                : (unsigned char) alphabet[next_random(&x) % (sizeof(alphabet) - 1)];
                cmdline_parse((const char *) buf, n, &c);
                check_invariants(&c);

                /* The word splitter alone, on the same bytes. */
                {
                        const char *pos = (const char *) buf, *end = (const char *) buf + n;
                        struct cmdline_word w;
                        unsigned count = 0;

                        while (cmdline_next_word(&pos, end, &w) > 0) {
                                assert_true(w.key >= (const char *) buf && w.key + w.key_len <= end);
                                if (w.value)
                                        assert_true(w.value >= w.key + w.key_len && w.value + w.value_len <= end);
                                assert_true(pos <= end);
                                assert_true(++count <= n);
                        }
                }
                (void) out;
                free(buf);
        }
}

/* Strings built from the tricky pieces, so that every combination of
 * quotes, '=', "--" and keys meets every other. */
static void test_combinations(void **state) {
        static const char *const pieces[] = {
                "\"", "=", " ", "--", "root", "root=", "UUID=", "block:", "/dev/x", "rd.oslift.upgrade",
                "rd.oslift.break=", "0", "ro", "rw", "rootflags=", "\t", "\\", "\xff",
        };
        const size_t n = ELEMENTSOF(pieces);

        for (size_t a = 0; a < n; a++)
                for (size_t b = 0; b < n; b++)
                        for (size_t d = 0; d < n; d++)
                                for (size_t e = 0; e < n; e++) {
                                        char s[128];
                                        struct boot_cmdline c;

                                        snprintf(s, sizeof(s), "%s%s%s%s", pieces[a], pieces[b], pieces[d], pieces[e]);
                                        parse(s, &c);
                                        check_invariants(&c);
                                }
}

static void test_read(void **state) {
        char path[] = "/tmp/oslift-unit-cmdline.XXXXXX";
        struct boot_cmdline c;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "root=LABEL=r ro rd.oslift.upgrade\n", 34), 34);
        assert_int_equal(close(fd), 0);
        assert_int_equal(cmdline_read(path, &c), 0);
        assert_true(c.upgrade);
        assert_int_equal(c.root_kind, ROOT_LABEL);
        assert_int_equal(c.read_only, 1);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(cmdline_read(path, &c), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_words_like_the_kernel),
                cmocka_unit_test(test_words_stop_at_nul),
                cmocka_unit_test(test_typical_el_cmdline),
                cmocka_unit_test(test_nothing),
                cmocka_unit_test(test_root_forms),
                cmocka_unit_test(test_root_options),
                cmocka_unit_test(test_ro_rw),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_problem_messages),
                cmocka_unit_test(test_oversized_values),
                cmocka_unit_test(test_size_limit),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_combinations),
                cmocka_unit_test(test_read),
        };
        return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
