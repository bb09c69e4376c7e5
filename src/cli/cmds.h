/* The subcommands of attache, one file each. */
#ifndef ATT_CMDS_H
#define ATT_CMDS_H

#include "cli.h"

int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_user(struct cli *cli, int argc, char **argv);
int cmd_post(struct cli *cli, int argc, char **argv);
int cmd_staffing(struct cli *cli, int argc, char **argv);
int cmd_appoint(struct cli *cli, int argc, char **argv);
int cmd_audit(struct cli *cli, int argc, char **argv);
int cmd_demo(struct cli *cli, int argc, char **argv);
int cmd_case(struct cli *cli, int argc, char **argv);
int cmd_send(struct cli *cli, int argc, char **argv);
int cmd_inbox(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_ack(struct cli *cli, int argc, char **argv);
int cmd_forward(struct cli *cli, int argc, char **argv);
int cmd_permit(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_attach(struct cli *cli, int argc, char **argv);
int cmd_attachment(struct cli *cli, int argc, char **argv);
int cmd_hits(struct cli *cli, int argc, char **argv);
int cmd_overdue(struct cli *cli, int argc, char **argv);
int cmd_protect(struct cli *cli, int argc, char **argv);
int cmd_review(struct cli *cli, int argc, char **argv);
int cmd_neutrality(struct cli *cli, int argc, char **argv);
int cmd_watchlist(struct cli *cli, int argc, char **argv);
int cmd_screen(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_help(struct cli *cli, int argc, char **argv);

/* Opens the node at cli->db_path; prints the error and returns NULL on
 * failure. */
struct att_node *cli_open(struct cli *cli, int *exit_code);

#endif
