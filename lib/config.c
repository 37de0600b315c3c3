#include "autoconfig.h"

#include "config.h"

#include <string.h>

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->conn.server.host = cfg->conn.host;
	cfg->conn.server.port = VSPC_DEFAULT_PORT;
	cfg->conn.api_version = NULL; /* negotiated */
	cfg->token.env_name = "VSPC_TOKEN";
	cfg->policy.mismatch_state = STATE_WARNING;
	cfg->policy.never_run_state = STATE_WARNING;
	cfg->policy.disabled_state = STATE_WARNING;
	cfg->job_status = true;
	cfg->timeout_seconds = 10;
	cfg->timeout_state = STATE_UNKNOWN;
}
