/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <rpm/rpmcli.h>
#include <rpm/rpmpgp.h>
#include <rpm/rpmts.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "log.h"
#include "rpm-messages.h"
#include "verify.h"

/* An armoured public key is a few KiB; a keyring export of many keys some
 * hundred. */
#define KEY_FILE_MAX (4u << 20)

/* Reads the key file at path once, whole, into a NUL-terminated text. */
static int read_key_file(const char *path, char **ret, size_t *ret_len, char **ret_error) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0) {
                asprintf(ret_error, "cannot open %s: %s", path, strerror(errno));
                return -errno;
        }
        if (!S_ISREG(st.st_mode)) {
                asprintf(ret_error, "%s is not a regular file", path);
                return -EBADFD;
        }
        r = read_bounded(fd, KEY_FILE_MAX + 1, (size_t) st.st_size + 1, &data, &len);
        if (r < 0) {
                asprintf(ret_error, "cannot read %s: %s", path, strerror(-r));
                return r;
        }
        if (len > KEY_FILE_MAX || memchr(data, '\0', len)) {
                asprintf(ret_error, "%s is not an ASCII-armoured OpenPGP public key", path);
                return -EBADMSG;
        }
        *ret = malloc(len + 1);
        if (!*ret)
                return -ENOMEM;
        memcpy(*ret, data, len);
        (*ret)[len] = '\0';
        *ret_len = len;
        return 0;
}

int keyring_load(char *const *key_files, size_t n, rpmKeyring *ret, struct key_text *ret_texts,
                 char **ret_error) {
        rpmKeyring keyring = rpmKeyringNew();
        size_t loaded = 0;
        int r = 0;

        for (size_t i = 0; i < n; i++, loaded++) {
                uint8_t *pkt = NULL;
                size_t pktlen = 0;
                rpmPubkey key, *subkeys;
                int n_subkeys = 0;

                ret_texts[i] = (struct key_text) {};
                r = read_key_file(key_files[i], &ret_texts[i].text, &ret_texts[i].len, ret_error);
                if (r < 0)
                        break;
                if (pgpParsePkts(ret_texts[i].text, &pkt, &pktlen) != PGPARMOR_PUBKEY) {
                        free(pkt);
                        asprintf(ret_error, "%s is not an ASCII-armoured OpenPGP public key",
                                 key_files[i]);
                        r = -EBADMSG;
                        loaded++;
                        break;
                }
                key = rpmPubkeyNew(pkt, pktlen);
                free(pkt);
                if (!key) {
                        asprintf(ret_error, "%s: librpm cannot use this public key", key_files[i]);
                        r = -EBADMSG;
                        loaded++;
                        break;
                }
                rpmKeyringAddKey(keyring, key);
                subkeys = rpmGetSubkeys(key, &n_subkeys);
                for (int j = 0; j < n_subkeys; j++) {
                        rpmKeyringAddKey(keyring, subkeys[j]);
                        rpmPubkeyFree(subkeys[j]);
                }
                free(subkeys);
                rpmPubkeyFree(key);
        }
        if (r < 0) {
                for (size_t i = 0; i < loaded && i < n; i++)
                        free(ret_texts[i].text);
                rpmKeyringFree(keyring);
                return r;
        }
        *ret = keyring;
        return 0;
}

struct verify_messages {
        char text[1024];
        size_t len;
};

/* rpmcliVerifySignatures() says what failed only through rpmlog; in
 * verbose mode one line per digest or signature, ending in its status
 * ("Payload SHA256 digest: BAD (Expected ...)", "... key ID 15217ee0:
 * NOKEY"). Keep the lines whose status is a failure. */
static void collect(rpmlogLvl level, const char *message, void *userdata) {
        static const char *const failures[] = { "BAD", "NOKEY", "NOTTRUSTED" };
        struct verify_messages *m = userdata;
        const char *status = strrchr(message, ':');
        size_t room = sizeof(m->text) - m->len;
        int n;

        if (!status || room < 2)
                return;
        status += strspn(status, ": ");
        for (size_t i = 0; i < ELEMENTSOF(failures); i++) {
                if (strncmp(status, failures[i], strlen(failures[i])) != 0)
                        continue;
                while (*message == ' ')
                        message++;
                n = snprintf(m->text + m->len, room, "%s%.*s", m->len ? "; " : "",
                             (int) strcspn(message, "\n"), message);
                if (n > 0)
                        m->len += (size_t) n < room ? (size_t) n : room - 1;
                return;
        }
}

int package_verify(const char *path, rpmKeyring keyring, char **ret_error) {
        struct verify_messages messages = {};
        struct rpm_messages_scope scope = { .fn = collect, .userdata = &messages, .quiet = 1 };
        char *argv[] = { (char *) path, NULL };
        rpmKeyring empty = NULL;
        rpmts ts = rpmtsCreate();
        int failures;

        /* Never the rpmdb's keyring: only the keys the operator named. */
        if (!keyring)
                keyring = empty = rpmKeyringNew();
        rpmtsSetKeyring(ts, keyring);
        /* Without keys, signatures are not checked at all: a package signed
         * by a key nobody gave us is still whole. */
        rpmtsSetVfyFlags(ts, empty ? RPMVSF_MASK_NOSIGNATURES : RPMVSF_DEFAULT);
        rpmtsSetVfyLevel(ts, empty ? RPMSIG_DIGEST_TYPE : RPMSIG_DIGEST_TYPE | RPMSIG_SIGNATURE_TYPE);

        rpm_messages_push(&scope);
        rpmSetVerbosity(RPMLOG_INFO);
        failures = rpmcliVerifySignatures(ts, (ARGV_const_t) argv);
        rpmSetVerbosity(RPMLOG_NOTICE);
        rpm_messages_pop(&scope);

        rpmtsFree(ts);
        rpmKeyringFree(empty);
        if (failures == 0)
                return 0;

        if (messages.len)
                asprintf(ret_error, "%s", messages.text);
        else if (!empty)
                asprintf(ret_error, "not signed by any of the given keys");
        else
                asprintf(ret_error, "rpm could not verify the package");
        return -EBADMSG;
}

int package_verify_fd(int fd, rpmKeyring keyring, char **ret_error) {
        char path[64];
        struct stat st;

        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        /* Without /proc the name would not lead to fd's file. */
        if (stat(path, &st) < 0) {
                asprintf(ret_error, "cannot read the package through %s (is /proc mounted?)", path);
                return -EBADMSG;
        }
        return package_verify(path, keyring, ret_error);
}
