/* Subcommands of the matching engine: `attache match` and `attache id`. */
#ifndef ATT_CMD_MATCH_H
#define ATT_CMD_MATCH_H

#include "cli.h"

/* attache match pair NAME1 NAME2 [--json] | attache match pairs FILE */
int cmd_match(struct cli *cli, int argc, char **argv);
/* attache id TYPE VALUE [--country CC] [--json] */
int cmd_id(struct cli *cli, int argc, char **argv);

#endif
