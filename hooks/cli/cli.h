/*
 * The twokey command line: one file per command, dispatched by main.c.
 * Each command returns the process exit status.
 */
#ifndef TK_CLI_H
#define TK_CLI_H

int cmd_approve(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_install(int argc, char **argv);

/* Prints "twokey: error: ..." to stderr and returns exit status 2. */
int cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True when argv[1] asks for help. */
int cli_wants_help(int argc, char **argv);

#endif
