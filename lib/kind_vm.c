/* VM replication jobs: BackupServerReplicationVmJob, protectedVmCount
 * ranges and the configuration expectations. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "kinds.h"
#include "rules.h"

struct uid_check {
	const char *name;
	const struct expect_uid *expect;
	const struct vspc_uid *actual;
	bool nullable;
};

struct bool_check {
	const char *name;
	enum expect_bool expect;
	const struct vspc_bool *actual;
};

static void decode(const struct json_value *obj, struct vspc_job *job)
{
	struct vspc_replication_job *vm = &job->vm;

	field_ids(obj, &job->ids);
	field_count(obj, "protectedVmCount", &vm->protected_vm_count);
	field_bool(obj, "isCloudJob", &vm->is_cloud_job);
	field_uid(obj, "cloudHostUid", &vm->cloud_host_uid);
	field_uid(obj, "targetHostUid", &vm->target_host_uid);
	field_uid(obj, "sourceWanAcceleratorUid", &vm->source_wan_uid);
	field_uid(obj, "targetWanAcceleratorUid", &vm->target_wan_uid);
	field_bool(obj, "throughWanAccelerators", &vm->through_wan);
}

static size_t uid_checks(const struct check_policy *p, const struct vspc_replication_job *vm,
			 struct uid_check out[4])
{
	const struct uid_check all[] = {
		{ "sourceWanAcceleratorUid", &p->vm.source_wan, &vm->source_wan_uid, true },
		{ "targetWanAcceleratorUid", &p->vm.target_wan, &vm->target_wan_uid, true },
		{ "cloudHostUid", &p->vm.cloud_host, &vm->cloud_host_uid, true },
		{ "targetHostUid", &p->vm.target_host, &vm->target_host_uid, false },
	};

	memcpy(out, all, sizeof all);
	return 4;
}

static size_t bool_checks(const struct check_policy *p, const struct vspc_replication_job *vm,
			  struct bool_check out[2])
{
	const struct bool_check all[] = {
		{ "throughWanAccelerators", p->vm.wan, &vm->through_wan },
		{ "isCloudJob", p->vm.cloud, &vm->is_cloud_job },
	};

	memcpy(out, all, sizeof all);
	return 2;
}

static const char *option_in(const struct check_policy *p)
{
	const struct policy_vm *v = &p->vm;

	if (v->warning.set)
		return "--warning";
	if (v->critical.set)
		return "--critical";
	if (v->wan != EXPECT_ANY)
		return "--wan";
	if (v->cloud != EXPECT_ANY)
		return "--cloud";
	if (v->source_wan.set)
		return "--source-wan";
	if (v->target_wan.set)
		return "--target-wan";
	if (v->cloud_host.set)
		return "--cloud-host";
	return v->target_host.set ? "--target-host" : NULL;
}

static bool usable(const struct check_policy *p, const struct vspc_job *job, char *problems,
		   size_t len)
{
	struct uid_check uids[4];
	struct bool_check bools[2];
	size_t n_uids = uid_checks(p, &job->vm, uids);
	size_t n_bools = bool_checks(p, &job->vm, bools);
	bool ok = rule_field_usable("protectedVmCount", &job->vm.protected_vm_count.f, false,
				    problems, len);

	for (size_t i = 0; i < n_bools; i++)
		if (bools[i].expect != EXPECT_ANY)
			ok &= rule_field_usable(bools[i].name, &bools[i].actual->f, false, problems,
						len);
	for (size_t i = 0; i < n_uids; i++)
		if (uids[i].expect->set)
			ok &= rule_field_usable(uids[i].name, &uids[i].actual->f, uids[i].nullable,
						problems, len);
	return ok;
}

static void summary(const struct vspc_job *job, char *dst, size_t dstlen)
{
	int32_t count = job->vm.protected_vm_count.value;

	snprintf(dst, dstlen, "protects %d VM%s", (int)count, count == 1 ? "" : "s");
}

static const char *uid_text(const struct vspc_uid *u)
{
	return u->f.state == VSPC_FIELD_VALUE ? u->value : "none";
}

static void check_uid(const struct uid_check *c, enum state mismatch, struct result *res)
{
	bool actual_none = c->actual->f.state == VSPC_FIELD_NULL;
	bool match = c->expect->none
			 ? actual_none
			 : !actual_none && strcmp(c->expect->uid, c->actual->value) == 0;
	const char *want = c->expect->none ? "none" : c->expect->uid;

	if (match)
		result_check(res, STATE_OK, c->name, "%s is %s", c->name, want);
	else
		rule_mismatch(c->name, want, uid_text(c->actual), mismatch, res);
}

static void check_bool(const struct bool_check *c, enum state mismatch, struct result *res)
{
	bool want = c->expect == EXPECT_TRUE;

	if (c->actual->value == want)
		result_check(res, STATE_OK, c->name, "%s is %s", c->name, want ? "true" : "false");
	else
		rule_mismatch(c->name, want ? "true" : "false", c->actual->value ? "true" : "false",
			      mismatch, res);
}

static void evaluate(const struct check_policy *p, const struct vspc_job *job, struct result *res)
{
	struct uid_check uids[4];
	struct bool_check bools[2];
	size_t n_uids = uid_checks(p, &job->vm, uids);
	size_t n_bools = bool_checks(p, &job->vm, bools);
	int32_t count = job->vm.protected_vm_count.value;

	result_perf(res, &(struct perfdata){ .label = "protected_vms",
					     .value = count,
					     .uom = "",
					     .warn = p->vm.warning.text,
					     .crit = p->vm.critical.text,
					     .min = "0" });
	rule_ranges("protectedVmCount", "protectedVmCount", count, "", &p->vm.warning,
		    &p->vm.critical, res);
	for (size_t i = 0; i < n_bools; i++)
		if (bools[i].expect != EXPECT_ANY)
			check_bool(&bools[i], p->mismatch_state, res);
	for (size_t i = 0; i < n_uids; i++)
		if (uids[i].expect->set)
			check_uid(&uids[i], p->mismatch_state, res);
}

const struct job_kind kind_vm = {
	.id = VSPC_KIND_VM,
	.name = "vm",
	.title = "VM replication job",
	.plural = "VM replication jobs",
	.job_type = "ReplicationVM",
	.collection = "replicationVmJobs",
	.decode = decode,
	.option_in = option_in,
	.usable = usable,
	.summary = summary,
	.evaluate = evaluate,
};
