#include "autoconfig.h"

#include "config.h"

#include <string.h>

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->conn.server.port = VSPC_DEFAULT_PORT;
	cfg->conn.api_version = NULL; /* negotiated */
	cfg->token.env_name = "VSPC_TOKEN";
	policy_init(&cfg->policy);
	cfg->target.kinds = (1u << VSPC_KIND_COUNT) - 1;
	cfg->job_status = true;
	cfg->timeout_seconds = 10;
	cfg->timeout_state = STATE_UNKNOWN;
}
