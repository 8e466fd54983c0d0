/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EL 8 module metadata (a repository's modules.yaml, repomd.xml type
 * "modules") and the choice of module streams dnf makes from it. Read with
 * libyaml: only what that choice needs of modulemd v2 documents (name,
 * stream, version, context, arch, artifacts.rpms, dependencies' requires)
 * and modulemd-defaults v1 documents (module, stream, profiles); other
 * documents (modulemd-obsoletes, translations) are counted and left alone.
 * docs/repo-solving.md says how streams are chosen and how that matches
 * libdnf's ModulePackageContainer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "findings.h"

/* One "module: [streams]" of a dependencies entry's requires. */
struct module_require {
        char *module;
        char **streams; /* empty: any stream; "-S": any but S */
        size_t n_streams;
};

/* One dependencies entry: all of its requires together. */
struct module_dependency {
        struct module_require *requires;
        size_t n_requires;
};

/* One modulemd v2 document: a build of one stream of a module. */
struct module_stream {
        char *name, *stream, *context, *arch; /* context, arch: "" when absent */
        uint64_t version;
        char **rpms; /* artifacts.rpms: NEVRAs, epoch always written ("0:") */
        size_t n_rpms;
        struct module_dependency *dependencies; /* alternatives: any one of them */
        size_t n_dependencies;
        unsigned line; /* where its document starts, for messages */
};

/* One modulemd-defaults v1 document. */
struct module_default {
        char *module;
        char *stream; /* the default stream, or NULL: none */
        char **profiles; /* the default stream's default profiles */
        size_t n_profiles;
};

struct modulemd {
        struct module_stream *streams;
        size_t n_streams;
        struct module_default *defaults;
        size_t n_defaults;
        size_t n_other; /* documents of other kinds, not read */
};

/* modules.yaml of EL 8's AppStream is a few MiB; more is not module data. */
#define MODULEMD_SIZE_MAX (256u * 1024u * 1024u)

/*
 * Parses the YAML stream text (len bytes, any number of documents) and
 * appends its documents to m (which may hold another repository's already).
 * Returns 0, -EBADMSG with *ret_error naming the line and what is wrong
 * (malloc'd; m then holds what came before the bad document), or -ENOMEM.
 */
int modulemd_parse(const char *text, size_t len, struct modulemd *m, char **ret_error);
void modulemd_done(struct modulemd *m);

/* The stream a module has on the source system, from
 * /etc/dnf/modules.d/NAME.module (dnf's INI file: name, stream,
 * profiles, state). */
struct module_state {
        char *name;
        char *stream; /* NULL: none */
        bool enabled, disabled; /* state=enabled, state=disabled; neither: reset */
};

/* Parses one NAME.module text into *ret; -EBADMSG with a message. */
int module_state_parse(const char *text, struct module_state *ret, char **ret_error);
/* Every *.module below root's /etc/dnf/modules.d (none on EL 7: empty). An
 * unreadable or malformed file is a warning finding and is left out. */
int module_states_load(const char *root, struct findings *f, struct module_state **ret, size_t *ret_n);
void module_states_free(struct module_state *s, size_t n);

/* Why a stream is enabled. */
enum module_reason {
        MODULE_DEFAULT,  /* the repositories' default stream */
        MODULE_KEPT,     /* enabled on the source system, and the target has it */
        MODULE_ASKED,    /* --module-stream */
        MODULE_REQUIRED, /* an enabled stream requires it */
};
const char *module_reason_name(enum module_reason r);

struct module_enabled {
        char *name, *stream;
        enum module_reason reason;
        char *required_by; /* MODULE_REQUIRED: "NAME:STREAM" */
        char *context; /* the context whose packages are available */
        uint64_t version; /* its newest version */
};

struct module_choice {
        struct module_enabled *enabled;
        size_t n_enabled;
        bool *active; /* per m->streams: its packages are available */
};

/*
 * dnf's choice of streams for m: asked ("NAME:STREAM", --module-stream)
 * first, then the source system's enabled streams the target has, then
 * the defaults of modules neither enabled nor disabled there, then what
 * enabled streams require (the platform module is the target release
 * itself and always met). Per enabled stream, the context of its newest
 * version whose requires are met is active, with all of its versions.
 * What stands in the way (an unknown module or stream asked for, a kept
 * stream the target lacks, requires that cannot be met) becomes findings.
 * Returns 0 or -ENOMEM.
 */
int module_choose(const struct modulemd *m, char *const *asked, size_t n_asked, const struct module_state *system,
                  size_t n_system, struct findings *f, struct module_choice *ret);
void module_choice_done(struct module_choice *c);

/* "name-0:1.0-1.x86_64" as libsolv writes a solvable ("name-1.0-1.x86_64":
 * no epoch when it is 0), into a new string; NULL when out of memory. */
char *module_nevra_normalize(const char *nevra);
/* The name part of a NEVRA, into buf (size bytes); false when it has none. */
bool module_nevra_name(const char *nevra, char *buf, size_t size);
