#include "autoconfig.h"

#include "policy.h"

#include <string.h>

void policy_init(struct check_policy *p)
{
	memset(p, 0, sizeof *p);
	p->mismatch_state = STATE_WARNING;
	p->session.never_run_state = STATE_WARNING;
	p->session.disabled_state = STATE_WARNING;
}
