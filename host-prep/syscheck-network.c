/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * network-interface-names: interfaces with classic kernel names (ethN,
 * SYS/class/net, physical ones only) when the kernel command line
 * (PROC/cmdline) has no net.ifnames=0 and no persistent udev rule names
 * them: the target's udev gives them predictable names (ens3, enp0s3).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "syscheck.h"

static bool classic_name(const char *n) {
        return strncmp(n, "eth", 3) == 0 && n[3] && strspn(n + 3, "0123456789") == strlen(n + 3);
}

static bool has_word(const char *text, const char *word) {
        size_t len = strlen(word);

        for (const char *p = text; p && (p = strstr(p, word)); p += len)
                if ((p == text || strchr(" \t\n", p[-1])) && (p[len] == '\0' || strchr(" \t\n", p[len])))
                        return true;
        return false;
}

void syscheck_network(struct syscheck_context *c) {
        _cleanup_free_ char *net = syscheck_path(c->sys, "class/net"), *cmdline = NULL, *rules = NULL;
        DIR *d = opendir(net);
        struct dirent *de;

        if (!d)
                return; /* nothing to look at: no network, or no sysfs */
        (void) syscheck_read(c->proc, "cmdline", &cmdline);
        (void) syscheck_read(c->root, "etc/udev/rules.d/70-persistent-net.rules", &rules);
        while ((de = readdir(d))) {
                _cleanup_free_ char *dev = NULL, *quoted = NULL;

                if (!classic_name(de->d_name))
                        continue;
                if (asprintf(&dev, "%s/%s/device", net, de->d_name) < 0 ||
                    asprintf(&quoted, "NAME=\"%s\"", de->d_name) < 0)
                        abort();
                if (access(dev, F_OK) != 0)
                        continue; /* virtual: keeps its name */
                if ((cmdline && has_word(cmdline, "net.ifnames=0")) || (rules && strstr(rules, quoted)))
                        continue;
                findings_add(c->findings, SEVERITY_WARNING, "network-interface-names",
                             "the target release's udev names interfaces by their hardware (ens3, "
                             "enp0s3): configuration naming the old name (ifcfg files, firewall zones, "
                             "scripts) no longer matches, and the machine may come back without network",
                             "add net.ifnames=0 to the kernel command line (grubby --update-kernel=ALL "
                             "--args=net.ifnames=0) to keep the names, or pin each with a udev rule or "
                             "systemd .link file matching its MAC address",
                             "the interface %s has a kernel name that the target will change", de->d_name);
                findings_set_subject(c->findings, de->d_name);
        }
        closedir(d);
}
