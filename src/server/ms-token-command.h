/* ms-token-command.h: `mediastore-server token ...`, minting a token
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs the subcommand; @argv[0] is "token" and the options follow.
 * Prints the token on stdout and returns the exit status: 0 on success,
 * 1 on failure (no secret, unreadable config), 2 on a usage error. */
int ms_token_command_run (int    argc,
                          char **argv);

G_END_DECLS
