/* The run's configuration: filled once by the argument parser, read-only
 * afterwards. Each module receives only the sub-struct it needs.
 *
 * String pointers point into argv or at constants; nothing in it is freed. */
#ifndef VSPC_CONFIG_H
#define VSPC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "range.h"
#include "state.h"
#include "vspc.h"

/* A threshold as parsed and as the user wrote it (echoed in perfdata). */
struct threshold {
	bool set;
	struct range range;
	const char *text;
};

enum expect_bool {
	EXPECT_ANY = 0,
	EXPECT_TRUE,
	EXPECT_FALSE
};

/* An expected UUID, or the expectation that the field is null. */
struct expect_uid {
	bool set;
	bool none;
	char uid[VSPC_UID_LEN + 1]; /* lower case */
};

/* What evaluate compares the decoded job with. */
struct check_policy {
	char job_uid[VSPC_UID_LEN + 1]; /* lower case */
	struct threshold warning;
	struct threshold critical;
	enum expect_bool wan;
	enum expect_bool cloud;
	struct expect_uid source_wan;
	struct expect_uid target_wan;
	struct expect_uid cloud_host;
	struct expect_uid target_host;
	enum state mismatch_state;
	/* job health, from the BackupServerJob */
	enum state never_run_state;
	enum state disabled_state;
	int64_t max_age_warning; /* seconds; 0 when not set */
	int64_t max_age_critical;
	const char *max_age_warning_text; /* as the user wrote it */
	const char *max_age_critical_text;
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
	MODE_SINGLE = 0, /* -j */
	MODE_FLEET,      /* --all */
	MODE_LIST_TABLE, /* --list */
	MODE_LIST_JSON   /* --list=json */
};

/* Where the token comes from, in order of precedence. */
struct token_source {
	const char *file;             /* --token-file */
	const char *inline_token;     /* --token */
	const char *credentials_file; /* --credentials-file: log in */
	const char *env_name;         /* environment variable consulted last */
};

#define CONFIG_HOST_MAX 255

struct connection {
	char host[CONFIG_HOST_MAX + 1]; /* without IPv6 brackets */
	struct vspc_server server;      /* host (pointing at the above), port, scheme */
	const char *ca_file;
	bool insecure;
	int ip_version;          /* 0, 4 or 6 */
	const char *api_version; /* --api-version; NULL: negotiated (auto) */
};

struct config {
	enum run_mode mode;
	struct connection conn;
	struct token_source token;
	struct check_policy policy;
	bool job_status; /* read BackupServerJob too (single mode) */
	struct fleet_filter filter;
	bool min_jobs_set;
	unsigned long min_jobs;
	const char *min_jobs_text;
	bool perfdata_per_job;
	const char *token_cache_dir; /* --token-cache; NULL: the default */
	bool no_token_cache;
	unsigned timeout_seconds;
	enum state timeout_state;
	int verbose;
};

/* Sets every default. The struct must not be copied afterwards:
 * conn.server.host points into it. */
void config_init(struct config *cfg);

#endif
