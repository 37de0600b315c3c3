#include "autoconfig.h"

#include "listing.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "confesc.h"
#include "json.h"
#include "kinds.h"
#include "output.h"
#include "timeutil.h"

#define ROW_CAP (16u * 1024u)

/* A service name: the job's name, or its UID, and room for the suffix
 * that keeps it unique. */
#define KEY_CAP (VSPC_NAME_MAX + CONFESC_SUFFIX_MAX)
/* Names made from -H */
#define HOST_CAP (VSPC_HOST_MAX + 1)

static const struct vspc_job_session no_session;

static const char *uid_or(const struct vspc_uid *u, const char *fallback)
{
	return u->f.state == VSPC_FIELD_VALUE ? u->value : fallback;
}

static const char *bool_word(const struct vspc_bool *b, const char *yes, const char *no)
{
	return b->f.state != VSPC_FIELD_VALUE ? "-" : b->value ? yes : no;
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

/* --- monitoring configuration ----------------------------------------------
 *
 * --list=icinga2 is a file for /etc/icinga2/conf.d/: a Host template named
 * "vspc-replication-jobs-HOST" whose vars.vspc_replication_jobs dictionary
 * gets one entry per job, keyed by its service name (what the apply
 * Service for rule of contrib/icinga2 puts after "replication "), with the
 * job's vspc_replication_job (UID) and vspc_replication_kind. The host of
 * the VSPC imports the template.
 *
 * --list=icinga2-array is the JSON object that `icingacli director host
 * set HOST --json` reads from stdin: "vars.vspc_replication_vm_jobs" and
 * "vars.vspc_replication_cdp_jobs", arrays of job UIDs (only the kinds
 * walked). Director 1.10's apply for iterates an array and puts an element
 * into a custom variable only whole ($config$), so an element is exactly
 * what --job takes, and one array per kind lets each kind's apply rule set
 * --kind and the options of its kind. UIDs need no escaping.
 *
 * --list=nagios is a file for a cfg_dir: one define service per job for
 * the host named like -H, using the template vspc-replication-vm-job or
 * vspc-replication-cdp-job of contrib/nagios, the job in the custom
 * variables _VSPC_JOB and _VSPC_KIND, and all of them in the service group
 * "vspc-replication-HOST" that the footer defines.
 *
 * Service names. Icinga 2 keeps any byte of a name but '!' (object names
 * may not hold it); Nagios has no quoting, so its illegal bytes become '_'
 * (lib/confesc.h); control bytes become spaces in both, as in the plugin's
 * output. A job without a name is named by its UID. Two jobs must never
 * share a service name, or one service would silently replace the other,
 * yet the rows stream and a duplicate may come last: so the listing
 * remembers a digest of every name it handed out (16 bytes a job), the
 * first job keeps its name and a later one with the same name gets
 * " [first 8 hex digits of its UID]" (with a comment saying so). Rows come
 * sorted by UID, VM jobs first, so the same jobs give the same names on
 * every run. */

static const char *const nagios_template[VSPC_KIND_COUNT] = {
	[VSPC_KIND_VM] = "vspc-replication-vm-job",
	[VSPC_KIND_CDP] = "vspc-replication-cdp-job",
};

void listing_init(struct listing *l, const struct config *cfg)
{
	memset(l, 0, sizeof *l);
	l->mode = cfg->mode;
	l->host = cfg->conn.server.host;
	l->kinds = cfg->target.kinds;
	confesc_names_init(&l->names);
}

void listing_free(struct listing *l)
{
	confesc_names_free(&l->names);
}

static void print_buf(struct buf *b)
{
	fputs(buf_str(b), stdout);
	buf_free(b);
}

/* The -H value as a name in the listing's language. */
static void host_name(const struct listing *l, char *dst, enum confesc_lang lang)
{
	confesc_name(dst, HOST_CAP, l->host, strlen(l->host), lang);
}

#define TEMPLATE_PREFIX "vspc-replication-jobs-"

/* The literal of the template's name: the prefix and the -H value. */
static void template_literal(struct buf *b, const struct listing *l)
{
	char name[sizeof TEMPLATE_PREFIX + HOST_CAP];
	size_t n = strlen(TEMPLATE_PREFIX);

	memcpy(name, TEMPLATE_PREFIX, n);
	n += confesc_name(name + n, HOST_CAP, l->host, strlen(l->host), CONFESC_ICINGA2);
	(void)confesc_icinga2_string(b, name, n);
}

static void icinga2_header(const struct listing *l)
{
	struct buf b;

	buf_init(&b, ROW_CAP);
	(void)buf_append_str(&b,
			     "// check_vspc_replication --list=icinga2: the replication jobs of "
			     "the VSPC ");
	(void)confesc_icinga2_string(&b, l->host, strlen(l->host));
	(void)buf_append_str(&b, ",\n// one Service each by the apply Service for rule of "
				 "contrib/icinga2 (import the\n// template into the VSPC's Host)."
				 " Generated: the next run replaces this file.\n"
				 "template Host ");
	template_literal(&b, l);
	(void)buf_append_str(&b, " {\n\tvars.vspc_replication_jobs += {\n");
	print_buf(&b);
}

static void nagios_header(const struct listing *l)
{
	char host[HOST_CAP];

	host_name(l, host, CONFESC_NAGIOS);
	printf("# check_vspc_replication --list=nagios: one service per replication job of the\n"
	       "# VSPC %s, with the templates of contrib/nagios. Complete only with the\n"
	       "# service group at the end. Generated: the next run replaces this file.\n",
	       host);
}

void listing_header(struct listing *l)
{
	switch (l->mode) {
	case MODE_LIST_TABLE:
		printf("%-36s  %-4s  %-30s  %-17s  %-33s  %8s  %4s  %5s  %-3s  %-5s\n", "UID",
		       "KIND", "NAME", "STATUS", "LAST END", "AGE", "SLA", "VMS", "WAN", "CLOUD");
		break;
	case MODE_LIST_ICINGA2:
		icinga2_header(l);
		break;
	case MODE_LIST_ICINGA2_ARRAY:
		fputs("{", stdout);
		break;
	case MODE_LIST_NAGIOS:
		nagios_header(l);
		break;
	default:
		break;
	}
}

/* The job's service name in @lang, unique in the listing, in @key
 * (KEY_CAP bytes); *@suffixed tells whether it got its UID. */
static bool job_key(struct listing *l, const struct vspc_job *job,
		    const struct vspc_job_session *js, enum confesc_lang lang, char *key,
		    bool *suffixed, char *err, size_t errlen)
{
	const char *uid = job->ids.instance_uid.value;
	size_t len = 0;
	enum confesc_claim rc;

	if (js->name.f.state == VSPC_FIELD_VALUE)
		len = confesc_name(key, VSPC_NAME_MAX, js->name.value, js->name.len, lang);
	if (len == 0)
		len = confesc_name(key, VSPC_NAME_MAX, uid, strlen(uid), lang);
	rc = confesc_names_claim(&l->names, key, &len, KEY_CAP, uid);
	if (rc == CONFESC_NAME_NOMEM) {
		snprintf(err, errlen,
			 "job %s: out of memory for the service names (or more than %u)", uid,
			 UIDSET_MAX_MEMBERS);
		return false;
	}
	*suffixed = rc == CONFESC_NAME_SUFFIXED;
	return true;
}

static bool icinga2_row(struct listing *l, const struct vspc_job *job,
			const struct vspc_job_session *js, char *err, size_t errlen)
{
	char key[KEY_CAP];
	bool suffixed;
	struct buf b;

	if (!job_key(l, job, js, CONFESC_ICINGA2, key, &suffixed, err, errlen))
		return false;
	buf_init(&b, ROW_CAP);
	if (suffixed)
		(void)buf_append_str(&b, "\t\t// an earlier job has this name too: this one's "
					 "key ends in its UID\n");
	(void)buf_append_str(&b, "\t\t");
	(void)confesc_icinga2_string(&b, key, strlen(key));
	(void)buf_printf(&b,
			 " = { vspc_replication_job = \"%s\", vspc_replication_kind = \"%s\" }\n",
			 job->ids.instance_uid.value, kind_of(job->kind)->name);
	print_buf(&b);
	return true;
}

/* icinga2-array: closes the open array and opens the arrays of the kinds
 * walked up to @kind (the walk hands the kinds out in order; a kind
 * without jobs still gets its empty array, which empties the variable). */
static void open_arrays_through(struct listing *l, unsigned kind)
{
	for (unsigned k = l->next_kind; k <= kind && k < VSPC_KIND_COUNT; k++) {
		l->next_kind = k + 1;
		if (!(l->kinds & (1u << k)))
			continue;
		printf("%s\n\"vars.vspc_replication_%s_jobs\": [", l->array_printed ? "\n]," : "",
		       kind_of((enum vspc_kind)k)->name);
		l->array_printed = true;
	}
}

static bool array_row(struct listing *l, const struct vspc_job *job, char *err, size_t errlen)
{
	unsigned kind = (unsigned)job->kind;

	if (kind + 1 < l->next_kind || !(l->kinds & (1u << kind))) {
		snprintf(err, errlen, "job %s: a %s out of the walk's order",
			 job->ids.instance_uid.value, kind_of(job->kind)->title);
		return false;
	}
	open_arrays_through(l, kind);
	printf("%s\n\"%s\"", l->rows[kind] ? "," : "", job->ids.instance_uid.value);
	return true;
}

static bool nagios_row(struct listing *l, const struct vspc_job *job,
		       const struct vspc_job_session *js, char *err, size_t errlen)
{
	char key[KEY_CAP];
	char host[HOST_CAP];
	bool suffixed;

	if (!job_key(l, job, js, CONFESC_NAGIOS, key, &suffixed, err, errlen))
		return false;
	host_name(l, host, CONFESC_NAGIOS);
	printf("\n%s"
	       "define service {\n"
	       "    use                     %s\n"
	       "    host_name               %s\n"
	       "    service_description     Replication %s\n"
	       "    servicegroups           vspc-replication-%s\n"
	       "    _VSPC_JOB               %s\n"
	       "    _VSPC_KIND              %s\n"
	       "}\n",
	       suffixed ? "# an earlier job has this name too: this service's ends in its UID\n"
			: "",
	       nagios_template[job->kind], host, key, host, job->ids.instance_uid.value,
	       kind_of(job->kind)->name);
	return true;
}

/* A row of configuration needs what names the service. */
static bool config_row(struct listing *l, const struct vspc_job *job,
		       const struct vspc_job_session *js, char *err, size_t errlen)
{
	if (job->ids.instance_uid.f.state != VSPC_FIELD_VALUE) {
		snprintf(err, errlen,
			 "a %s without a usable instanceUid: no service can be made for it",
			 kind_of(job->kind)->title);
		return false;
	}
	if (js == NULL) {
		snprintf(err, errlen,
			 "job %s: no _embedded.backupServerJob (expand was not honoured): its "
			 "name and owner are unknown",
			 job->ids.instance_uid.value);
		return false;
	}
	if (l->mode == MODE_LIST_ICINGA2)
		return icinga2_row(l, job, js, err, errlen);
	if (l->mode == MODE_LIST_ICINGA2_ARRAY)
		return array_row(l, job, err, errlen);
	return nagios_row(l, job, js, err, errlen);
}

bool listing_row(struct listing *l, const struct vspc_job *job,
		 const struct vspc_job_session *session, int64_t now, char *err, size_t errlen)
{
	const struct vspc_job_session *js = session ? session : &no_session;

	if (MODE_IS_CONFIG_LIST(l->mode)) {
		if (!config_row(l, job, session, err, errlen))
			return false;
	} else if (l->mode == MODE_LIST_JSON) {
		json_row(job, js, now);
	} else {
		table_row(job, js, now);
	}
	l->rows[job->kind]++;
	return true;
}

/* ", 3 vm, 1 cdp" for the kinds walked. */
static void count_words(const struct listing *l, char *dst, size_t len)
{
	size_t used = 0;

	dst[0] = '\0';
	for (int k = 0; k < VSPC_KIND_COUNT && used < len; k++)
		if (l->kinds & (1u << k)) {
			int n = snprintf(dst + used, len - used, ", %" PRIu64 " %s", l->rows[k],
					 kind_of((enum vspc_kind)k)->name);

			if (n > 0)
				used += (size_t)n;
		}
}

void listing_footer(struct listing *l)
{
	uint64_t total = 0;
	char counts[96];
	char host[HOST_CAP];

	for (int k = 0; k < VSPC_KIND_COUNT; k++)
		total += l->rows[k];
	count_words(l, counts, sizeof counts);
	switch (l->mode) {
	case MODE_LIST_ICINGA2:
		printf("\t}\n}\n// complete: %" PRIu64 " jobs%s\n", total, counts);
		break;
	case MODE_LIST_ICINGA2_ARRAY:
		open_arrays_through(l, VSPC_KIND_COUNT - 1);
		fputs(l->array_printed ? "\n]\n}\n" : "\n}\n", stdout);
		break;
	case MODE_LIST_NAGIOS:
		host_name(l, host, CONFESC_NAGIOS);
		printf("\ndefine servicegroup {\n"
		       "    servicegroup_name       vspc-replication-%s\n"
		       "    alias                   Replication jobs of VSPC %s\n"
		       "}\n# complete: %" PRIu64 " jobs%s\n",
		       host, host, total, counts);
		break;
	default:
		break;
	}
}

void listing_abort(struct listing *l)
{
	if (l->mode == MODE_LIST_ICINGA2_ARRAY)
		putchar('\n');
}
