/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Leapp's package evolution data (PES events, pes-events.json as Leapp and
 * ELevate publish it): what happens to packages between two releases.
 * Read with json-c; docs/pes.md has the format and how events are chosen
 * and applied.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum pes_action {
        PES_PRESENT = 0,
        PES_REMOVED = 1,
        PES_DEPRECATED = 2,
        PES_REPLACED = 3,
        PES_SPLIT = 4,
        PES_MERGED = 5,
        PES_MOVED = 6,
        PES_RENAMED = 7,
        PES_REINSTALLED = 8, /* ELevate's */
        _PES_ACTION_MAX,
};

struct pes_release {
        int major, minor; /* minor PES_MINOR_ANY: any minor of major */
};
#define PES_MINOR_ANY 1000000

struct pes_package {
        char *name;
        char *repository;    /* Leapp's repository id, or NULL */
        char *module_stream; /* "NAME:STREAM", or NULL */
};

struct pes_event {
        unsigned id;
        enum pes_action action;
        struct pes_package *in, *out;
        size_t n_in, n_out;
        bool has_from;           /* initial_release given (it may be null) */
        struct pes_release from; /* initial_release */
        struct pes_release to;   /* release */
        char **arches;           /* empty: every architecture */
        size_t n_arches;
};

struct pes_events {
        struct pes_event *events;
        size_t n;
};

/*
 * Parses a pes-events.json text of len bytes. Returns 0, -EBADMSG with
 * *ret_error naming the event (by id, or by index when it has none) and
 * what is wrong with it (malloc'd), or -ENOMEM.
 */
int pes_parse(const char *text, size_t len, struct pes_events *ret, char **ret_error);
/* The same for the file at path; the negative errno of reading, -EFBIG
 * past PES_SIZE_MAX. */
#define PES_SIZE_MAX (256u * 1024u * 1024u)
int pes_load(const char *path, struct pes_events *ret, char **ret_error);
/* Appends the events of b to a (b is left empty). */
int pes_events_append(struct pes_events *a, struct pes_events *b);
void pes_events_done(struct pes_events *e);

const char *pes_action_name(enum pes_action a);

/* Parses "7", "7.9" (minor omitted: PES_MINOR_ANY). */
int pes_release_parse(const char *s, struct pes_release *ret);
int pes_release_compare(struct pes_release a, struct pes_release b);

/*
 * Leapp's choice of events: those whose release lies after source and at
 * or before target, for arch (events naming no architecture apply to any).
 * Keeps them in e, in the order they are applied: by release, then id.
 * Returns how many were left out.
 */
size_t pes_filter(struct pes_events *e, struct pes_release source, struct pes_release target,
                  const char *arch);

/* What one event did to the package set as it stood when its turn came. */
enum pes_outcome {
        PES_APPLIED,     /* its in-packages were there: they became its out-packages */
        PES_KEPT,        /* present or deprecated: the installed package stays */
        PES_NOT_RELEVANT,/* its in-packages were not (all) there */
        PES_OVERRIDDEN,  /* an in-package is one the caller decides on (--package-map) */
};

struct pes_decision {
        const struct pes_event *event;
        enum pes_outcome outcome;
};

struct pes_result {
        struct pes_decision *decisions; /* the events that concerned installed names */
        size_t n_decisions;
        char **install; /* names the events bring, not installed now */
        size_t n_install;
        char **erase; /* installed names the events take away */
        size_t n_erase;
};

/*
 * Applies the filtered events e, in order, to the installed names, as
 * Leapp does: an event applies when all its in-packages are in the set as
 * it stands (merged: any of them), and replaces them by its out-packages;
 * later releases see what earlier ones made. Names in overridden (the
 * caller's own rules) are left to the caller: events touching them are
 * PES_OVERRIDDEN. Decisions keep pointers into e.
 */
int pes_apply(const struct pes_events *e, char *const *installed, size_t n_installed,
              char *const *overridden, size_t n_overridden, struct pes_result *ret);
void pes_result_done(struct pes_result *r);

/* Leapp's repository map (repomap.json, version_format 1.x): which
 * repository ids (repoid, as a .repo file names a repository) belong to
 * which PES repository id (pesid, as events name them). */
struct pes_repomap {
        char **repoids, **pesids; /* pairs */
        int *majors;              /* the pair's major_version; -1: not given */
        size_t n;
};

/* Parses it; -EBADMSG with *ret_error saying what is wrong (malloc'd). */
int pes_repomap_parse(const char *text, size_t len, struct pes_repomap *ret, char **ret_error);
int pes_repomap_load(const char *path, struct pes_repomap *ret, char **ret_error);
void pes_repomap_done(struct pes_repomap *m);
/* The pesid of a repository called name in release major: its repoid's
 * (the same repoid, "baseos", is in several majors), or name itself when
 * it is a pesid; NULL when the map knows neither. */
const char *pes_repomap_pesid(const struct pes_repomap *m, const char *name, int major);
