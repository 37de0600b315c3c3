/* The run's configuration: filled once by the argument parser, read-only
 * afterwards. Each module receives only the sub-struct it needs.
 *
 * String pointers point into argv or at constants; nothing in it is freed. */
#ifndef VSPC_CONFIG_H
#define VSPC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evaluate.h"
#include "state.h"
#include "vspc.h"

/* Which job a check is about: one UID (-j), or every job a walk of the
 * collections finds (--all, --list). */
enum target_how {
	TARGET_ONE = 0,
	TARGET_WALK
};

struct job_target {
	enum target_how how;
	char uid[VSPC_UID_LEN + 1]; /* TARGET_ONE: lower case */
	bool uid_set;
	/* --kind: the kinds to check (bit 1 << enum vspc_kind); all by default */
	unsigned kinds;
	bool kind_given;
};

#define CONFIG_MAX_FILTERS 32

/* Which jobs --all and --list cover. */
struct fleet_filter {
	bool has_backup_server;
	char backup_server[VSPC_UID_LEN + 1];
	size_t n_organizations;
	char organizations[CONFIG_MAX_FILTERS][VSPC_UID_LEN + 1];
	size_t n_names;
	const char *names[CONFIG_MAX_FILTERS];
	size_t n_excludes;
	const char *excludes[CONFIG_MAX_FILTERS];
};

enum run_mode {
	MODE_SINGLE = 0,         /* -j */
	MODE_FLEET,              /* --all */
	MODE_LIST_TABLE,         /* --list */
	MODE_LIST_JSON,          /* --list=json */
	MODE_LIST_ICINGA2,       /* --list=icinga2: a Host template, one dictionary entry per job */
	MODE_LIST_ICINGA2_ARRAY, /* --list=icinga2-array: JSON, the UID arrays Director iterates */
	MODE_LIST_NAGIOS         /* --list=nagios: one define service per job */
};

/* Whether @mode is one of the listings. */
#define MODE_IS_LIST(mode) ((mode) >= MODE_LIST_TABLE)

/* Whether @mode is a listing that is monitoring configuration, which must
 * hold every job or fail. */
#define MODE_IS_CONFIG_LIST(mode) ((mode) >= MODE_LIST_ICINGA2)

/* Where the token comes from, in order of precedence. */
struct token_source {
	const char *file;             /* --token-file */
	const char *inline_token;     /* --token */
	const char *credentials_file; /* --credentials-file: log in */
	const char *env_name;         /* environment variable consulted last */
};

struct connection {
	struct vspc_server server; /* host, port, scheme */
	const char *ca_file;
	bool insecure;
	int ip_version;          /* 0, 4 or 6 */
	const char *api_version; /* --api-version; NULL: negotiated (auto) */
};

struct config {
	enum run_mode mode;
	struct connection conn;
	struct token_source token;
	struct job_target target;
	struct check_policy policy;
	bool job_status; /* read BackupServerJob too (single mode) */
	struct fleet_filter filter;
	bool min_jobs_set;
	unsigned long min_jobs;
	const char *min_jobs_text;
	bool perfdata_per_job;
	const char *cache_dir; /* --cache-dir (or --token-cache); NULL: the default */
	/* --snapshot-max-age: answer from a shared snapshot at most this old;
	 * 0: never (every run asks VSPC) */
	int64_t snapshot_max_age;
	bool no_token_cache;
	unsigned timeout_seconds;
	enum state timeout_state;
	int verbose;
	bool output_json; /* --output-format=test-json: the result tree, for tests */
};

/* Sets every default. */
void config_init(struct config *cfg);

#endif
