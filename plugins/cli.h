/* The command line: option table, typed option helpers, --help and
 * --version text. Parsing fills a struct config and reports; it never prints
 * a result or exits. */
#ifndef VSPC_CLI_H
#define VSPC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "ini.h"

enum cli_status {
	CLI_RUN = 0,
	CLI_HELP,
	CLI_VERSION,
	CLI_USAGE_ERROR /* a one-line reason naming the option is in the error text */
};

/* The command line with --extra-opts expanded: the ini options first, then
 * the rest of argv. Owns the ini strings (wiped when freed). */
struct cli_args {
	int argc;
	char **argv;
	struct ini_args extra;
};

/* Expands every --extra-opts[=section][@file] of @argv. On error (any
 * problem with the ini file) returns false with a reason in @err. */
bool cli_expand_extra_opts(int argc, char **argv, struct cli_args *out, char *err, size_t errlen);
void cli_args_free(struct cli_args *args);

/* Parses @argv into @cfg (which must have been config_init()ed). Strings in
 * @cfg point into @argv. getopt's own messages are silenced: every problem
 * is reported through @err. */
enum cli_status cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen);

void cli_print_help(FILE *out);

/* The option table (terminated by a NULL name), for tests that check the
 * documentation lists every option. */
struct option;
const struct option *cli_long_options(void);
void cli_print_version(FILE *out);

#endif
