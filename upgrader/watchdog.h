/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A hung upgrade must end in a reboot (which counts as a failed attempt),
 * not in a machine that hangs until someone notices: the kernel's
 * watchdog (/dev/watchdog; the dracut module loads softdog when the
 * machine has no hardware one) reboots it when the upgrader stops showing
 * progress for the configured time. Every package and every step pets it.
 */
#pragma once

/* Arms the watchdog with a timeout of seconds. 0 or a negative errno
 * (-ENOENT: no watchdog device); the upgrade goes on without one. */
int watchdog_arm(unsigned seconds);

/* Tells the watchdog the upgrade is alive. No-op when not armed. */
void watchdog_ping(void);

/* Disarms it (magic close), for when the machine is meant to stay up. */
void watchdog_disarm(void);
