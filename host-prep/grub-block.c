/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Our block in custom.cfg: written, found and put in place
 * (boot-entry-internal.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot-entry.h"
#include "boot-entry-internal.h"
#include "boot-record.h"
#include "macro.h"
#include "strv.h"

void boot_entry_put_grub_word(FILE *out, const char *w) {
        fputs(" '", out);
        for (; *w; w++)
                if (*w != '"')
                        fputc(*w, out);
        fputc('\'', out);
}

void boot_entry_linux_commands(const char *cfg, const char **ret_linux, const char **ret_initrd) {
        static const struct {
                const char *kernel_cmd, *initrd_cmd;
        } pairs[] = { { "linux16", "initrd16" }, { "linuxefi", "initrdefi" }, { "linux", "initrd" } };

        for (const char *l = cfg; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                l += strspn(l, " \t");
                for (size_t i = 0; i < ELEMENTSOF(pairs); i++) {
                        size_t n = strlen(pairs[i].kernel_cmd);
                        if (strncmp(l, pairs[i].kernel_cmd, n) == 0 && (l[n] == ' ' || l[n] == '\t')) {
                                *ret_linux = pairs[i].kernel_cmd;
                                *ret_initrd = pairs[i].initrd_cmd;
                                return;
                        }
                }
        }
        *ret_linux = "linux";
        *ret_initrd = "initrd";
}

int boot_entry_format_block(const struct boot_entry_params *p, char **ret) {
        _cleanup_(strv_freep) char **words = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *out;
        int r;

        r = boot_entry_split_words(p->cmdline, &words);
        if (r < 0)
                return r;
        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        fprintf(out,
                BOOT_ENTRY_BEGIN_MARKER "\n"
                "# The one-time boot into the oslift upgrade environment: 'host-prep stage'\n"
                "# wrote this block and set next_entry=%s in grubenv; 'host-prep cancel'\n"
                "# removes both. oslift replaces the whole block: do not edit it.\n"
                "menuentry 'oslift upgrade (%s)' --id %s {\n"
                "\tinsmod gzio\n",
                BOOT_ENTRY_ID, p->kver, BOOT_ENTRY_ID);
        if (p->fs_uuid)
                fprintf(out, "\tsearch --no-floppy --fs-uuid --set=root %s\n", p->fs_uuid);
        else
                fprintf(out, "\tsearch --no-floppy --file --set=root %s\n", p->initrd);
        fprintf(out, "\techo 'Loading the oslift upgrade environment ...'\n\t%s %s", p->linux_cmd, p->kernel);
        for (char **w = words; *w; w++)
                boot_entry_put_grub_word(out, *w);
        fprintf(out, "\n\t%s %s\n}\n" BOOT_ENTRY_END_MARKER "\n", p->initrd_cmd, p->initrd);
        if (fclose(out) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        return 0;
}

int boot_entry_compose_custom(const char *old, size_t old_size, const char *block, struct boot_record *rec,
                              bool fresh, char **ret, size_t *ret_size) {
        size_t begin, end;
        FILE *out;
        int r = boot_entry_find_block(old, old_size, &begin, &end);

        if (r < 0)
                return r;
        out = open_memstream(ret, ret_size);
        if (!out)
                return -ENOMEM;
        if (r > 0) {
                fwrite(old, 1, begin, out);
                fputs(block, out);
                fwrite(old + end, 1, old_size - end, out);
                if (fresh)
                        rec->newline_added = false; /* a leftover of ours, as it was */
        } else {
                bool unended = old_size > 0 && old[old_size - 1] != '\n';
                fwrite(old, 1, old_size, out);
                if (unended)
                        fputc('\n', out);
                fputs(block, out);
                rec->newline_added = unended;
        }
        return fclose(out) != 0 ? -ENOMEM : 0;
}
