/* SPDX-License-Identifier: GPL-2.0-or-later */
/* host-prep check: the pre-upgrade report, and the assessment as text or
 * JSON, which stage prints too. Reads only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess.h"
#include "host-prep.h"
#include "json.h"
#include "log.h"
#include "outcome.h"
#include "solve.h"

void print_assessment_json(const struct context *ctx, const struct assessment *a,
                           const struct stage_result *staged) {
        printf("{\"root\":");
        json_write_string(stdout, ctx->root);
        printf(",\"blockers\":%zu,\"warnings\":%zu,\"accepted\":%zu,\"target_packages\":%zu,\"staging_bytes\":%llu,"
               "\"findings\":",
               findings_count(&a->findings, SEVERITY_BLOCKER), findings_count(&a->findings, SEVERITY_WARNING),
               findings_count_accepted(&a->findings),
               a->n_candidates, (unsigned long long) a->staging_bytes);
        findings_print_json(&a->findings, stdout);
        printf(",\"module_streams\":[");
        for (size_t i = 0; i < a->n_modules; i++) {
                printf("%s{\"name\":", i ? "," : "");
                json_write_string(stdout, a->modules[i].name);
                printf(",\"stream\":");
                json_write_string(stdout, a->modules[i].stream);
                printf(",\"reason\":\"%s\",\"required_by\":", module_reason_name(a->modules[i].reason));
                json_write_string(stdout, a->modules[i].required_by);
                printf("}");
        }
        printf("]");
        /* Undecided verdicts (blockers came first) would read as "kept". */
        printf(",\"packages\":");
        if (a->verdicts_decided)
                verdicts_print_json(&a->verdicts, stdout);
        else
                printf("[]");
        if (staged) {
                printf(",\"staged\":%s,\"state_dir\":", staged->staged ? "true" : "false");
                json_write_string(stdout, staged->state_dir);
                printf(",\"boot_armed\":%s,\"initramfs\":", staged->initramfs ? "true" : "false");
                json_write_string(stdout, staged->initramfs);
                printf(",\"reboot\":%s", staged->reboot ? "true" : "false");
        }
        printf("}\n");
}

void print_assessment_text(const struct context *ctx, const struct assessment *a) {
        if (!ctx->quiet) {
                printf("oslift pre-upgrade check of %s: %zu target packages, %llu MiB to stage\n",
                       ctx->root, a->n_candidates, (unsigned long long) (a->staging_bytes >> 20));
                if (a->verdicts_decided)
                        verdicts_print_text(&a->verdicts, stdout, a->opts->list_verdicts);
                else if (a->verdicts.n > 0)
                        printf("packages: %zu installed, no verdicts: what blocks stopped the check before "
                               "the target set was decided\n", a->verdicts.n);
        }
        findings_print_text(&a->findings, stdout,
                            (ctx->colour ? FINDINGS_COLOUR : 0) | (ctx->quiet ? FINDINGS_QUIET : 0));
}

int print_assessment(const struct context *ctx, const struct assessment *a) {
        if (ctx->json)
                print_assessment_json(ctx, a, NULL);
        else
                print_assessment_text(ctx, a);
        return findings_have_blockers(&a->findings) ? EXIT_BLOCKED : EXIT_OK;
}

int cmd_check(const struct context *ctx, int argc, char **argv) {
        _cleanup_(assess_options_done) struct assess_options o = { .root = ctx->root };
        struct assessment a;
        int r = assess_options_parse(&o, "check", argc, argv);

        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        r = assess(&o, &a);
        if (r < 0)
                return EXIT_FAILED;
        r = print_assessment(ctx, &a);
        assessment_done(&a);
        return r;
}
