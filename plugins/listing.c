#include "autoconfig.h"

#include "listing.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "kinds.h"
#include "output.h"
#include "timeutil.h"

#define ROW_CAP (16u * 1024u)

static const struct vspc_job_session no_session;

static const char *uid_or(const struct vspc_uid *u, const char *fallback)
{
	return u->f.state == VSPC_FIELD_VALUE ? u->value : fallback;
}

static const char *bool_word(const struct vspc_bool *b, const char *yes, const char *no)
{
	return b->f.state != VSPC_FIELD_VALUE ? "-" : b->value ? yes : no;
}

void listing_header(enum run_mode mode)
{
	if (mode == MODE_LIST_TABLE)
		printf("%-36s  %-4s  %-30s  %-17s  %-33s  %8s  %4s  %5s  %-3s  %-5s\n", "UID",
		       "KIND", "NAME", "STATUS", "LAST END", "AGE", "SLA", "VMS", "WAN", "CLOUD");
}

static void table_row(const struct vspc_job *job, const struct vspc_job_session *js, int64_t now)
{
	const struct vspc_cdp_period *lp = &job->cdp.last_period;
	char name[40];
	char end[48];
	char age[24] = "-";
	char vms[16] = "-";
	char sla[8] = "-";
	bool vm = job->kind == VSPC_KIND_VM;

	output_sanitise(name, sizeof name, js->name.value, js->name.len);
	output_sanitise(end, sizeof end, js->last_end_time.text, strlen(js->last_end_time.text));
	if (js->last_end_time.f.state == VSPC_FIELD_VALUE)
		time_format_age(age, sizeof age, now - js->last_end_time.epoch);
	if (vm && job->vm.protected_vm_count.f.state == VSPC_FIELD_VALUE)
		snprintf(vms, sizeof vms, "%d", (int)job->vm.protected_vm_count.value);
	if (!vm && lp->f.state == VSPC_FIELD_VALUE && lp->sla.f.state == VSPC_FIELD_VALUE)
		snprintf(sla, sizeof sla, "%" PRId64 "%%", lp->sla.value);
	printf("%-36s  %-4s  %-30s  %-17s  %-33s  %8s  %4s  %5s  %-3s  %-5s\n",
	       uid_or(&job->ids.instance_uid, "-"), kind_of(job->kind)->name, name[0] ? name : "-",
	       js->status_text.f.state == VSPC_FIELD_VALUE ? js->status_text.value : "-",
	       end[0] ? end : "-", age, sla, vms,
	       vm ? bool_word(&job->vm.through_wan, "on", "off") : "-",
	       vm ? bool_word(&job->vm.is_cloud_job, "yes", "no") : "-");
}

static void member_uid(struct buf *b, const char *key, const struct vspc_uid *u)
{
	(void)buf_printf(b, ",\"%s\":", key);
	if (u->f.state == VSPC_FIELD_VALUE)
		(void)json_append_string(b, u->value, strlen(u->value));
	else
		(void)buf_append_str(b, "null");
}

static void member_text(struct buf *b, const char *key, const struct vspc_field *f, const char *s,
			size_t len)
{
	(void)buf_printf(b, ",\"%s\":", key);
	if (f->state == VSPC_FIELD_VALUE)
		(void)json_append_string(b, s, len);
	else
		(void)buf_append_str(b, "null");
}

static void member_bool(struct buf *b, const char *key, bool applies, const struct vspc_bool *v)
{
	(void)buf_printf(b, ",\"%s\":%s", key,
			 !applies || v->f.state != VSPC_FIELD_VALUE ? "null"
			 : v->value                                 ? "true"
								    : "false");
}

static void member_int(struct buf *b, const char *key, bool known, int64_t value)
{
	if (known)
		(void)buf_printf(b, ",\"%s\":%" PRId64, key, value);
	else
		(void)buf_printf(b, ",\"%s\":null", key);
}

static void json_row(const struct vspc_job *job, const struct vspc_job_session *js, int64_t now)
{
	const struct vspc_cdp_period *lp = &job->cdp.last_period;
	bool vm = job->kind == VSPC_KIND_VM;
	bool period = !vm && lp->f.state == VSPC_FIELD_VALUE;
	struct buf b;

	buf_init(&b, ROW_CAP);
	(void)buf_append_str(&b, "{\"instanceUid\":");
	if (job->ids.instance_uid.f.state == VSPC_FIELD_VALUE)
		(void)json_append_string(&b, job->ids.instance_uid.value, VSPC_UID_LEN);
	else
		(void)buf_append_str(&b, "null");
	(void)buf_printf(&b, ",\"kind\":\"%s\"", kind_of(job->kind)->name);
	member_text(&b, "name", &js->name.f, js->name.value, js->name.len);
	member_text(&b, "status", &js->status_text.f, js->status_text.value, js->status_text.len);
	member_text(&b, "lastEndTime", &js->last_end_time.f, js->last_end_time.text,
		    strlen(js->last_end_time.text));
	member_int(&b, "ageSeconds", js->last_end_time.f.state == VSPC_FIELD_VALUE,
		   now - js->last_end_time.epoch);
	member_int(&b, "protectedVmCount",
		   vm && job->vm.protected_vm_count.f.state == VSPC_FIELD_VALUE,
		   job->vm.protected_vm_count.value);
	member_bool(&b, "throughWanAccelerators", vm, &job->vm.through_wan);
	member_bool(&b, "isCloudJob", vm, &job->vm.is_cloud_job);
	member_int(&b, "sla", period && lp->sla.f.state == VSPC_FIELD_VALUE, lp->sla.value);
	member_int(&b, "maxDelay", period && lp->max_delay.f.state == VSPC_FIELD_VALUE,
		   lp->max_delay.value);
	member_int(&b, "errorsCount", period && lp->errors_count.f.state == VSPC_FIELD_VALUE,
		   lp->errors_count.value);
	member_uid(&b, "backupServerUid", &js->backup_server_uid);
	member_uid(&b, "organizationUid", &js->organization_uid);
	(void)buf_append_str(&b, "}\n");
	fputs(buf_str(&b), stdout);
	buf_free(&b);
}

void listing_row(enum run_mode mode, const struct vspc_job *job,
		 const struct vspc_job_session *session, int64_t now)
{
	const struct vspc_job_session *js = session ? session : &no_session;

	if (mode == MODE_LIST_JSON)
		json_row(job, js, now);
	else
		table_row(job, js, now);
}
