#include "autoconfig.h"

#include "kinds.h"

#include <stdio.h>
#include <string.h>

#include "envelope.h"
#include "fields.h"
#include "json.h"

const struct job_kind *const job_kinds[VSPC_KIND_COUNT] = {
	[VSPC_KIND_VM] = &kind_vm,
	[VSPC_KIND_CDP] = &kind_cdp,
};

const struct job_kind *kind_of(enum vspc_kind id)
{
	return (unsigned)id < VSPC_KIND_COUNT ? job_kinds[id] : NULL;
}

const struct job_kind *kind_by_type(const char *type)
{
	for (size_t i = 0; i < VSPC_KIND_COUNT; i++)
		if (strcmp(job_kinds[i]->job_type, type) == 0)
			return job_kinds[i];
	return NULL;
}

const struct job_kind *kind_by_name(const char *name)
{
	for (size_t i = 0; i < VSPC_KIND_COUNT; i++)
		if (strcmp(job_kinds[i]->name, name) == 0)
			return job_kinds[i];
	return NULL;
}

const char *kind_foreign_option(const struct job_kind *k, const struct check_policy *p)
{
	for (size_t i = 0; i < VSPC_KIND_COUNT; i++) {
		const char *opt = job_kinds[i] == k ? NULL : job_kinds[i]->option_in(p);

		if (opt)
			return opt;
	}
	return NULL;
}

struct kind_answer {
	const struct job_kind *kind;
	struct vspc_job *job;
};

static void fill_job(const struct json_value *data, void *out)
{
	struct kind_answer *a = out;

	a->job->kind = a->kind->id;
	a->kind->decode(data, a->job);
}

enum vspc_error kind_decode_answer(const struct job_kind *k, const char *body, size_t len,
				   struct vspc_job *job, char *err, size_t errlen)
{
	struct kind_answer a = { k, job };

	memset(job, 0, sizeof *job);
	return envelope_decode(body, len, fill_job, &a, err, errlen);
}

enum vspc_error kind_decode_answer_doc(const struct job_kind *k, const struct json_doc *doc,
				       struct vspc_job *job, char *err, size_t errlen)
{
	struct kind_answer a = { k, job };

	memset(job, 0, sizeof *job);
	return envelope_decode_doc(doc, fill_job, &a, err, errlen);
}

void kind_decode_element(const struct job_kind *k, const struct json_value *item,
			 struct vspc_job *job, struct vspc_job_session *session, bool *has_session)
{
	const struct json_value *embedded;
	const struct json_value *bsj;
	struct vspc_field f;

	memset(job, 0, sizeof *job);
	memset(session, 0, sizeof *session);
	job->kind = k->id;
	k->decode(item, job);
	/* "_embedded": {"backupServerJob": null} means not expanded */
	embedded = field_object(item, "_embedded", &f);
	bsj = embedded ? field_object(embedded, "backupServerJob", &f) : NULL;
	*has_session = bsj != NULL;
	if (bsj)
		field_backup_server_job(bsj, session);
}

/* The element of @data whose instanceUid is @uid, or NULL. */
static const struct json_value *element_for(const struct json_value *data, const char *uid)
{
	for (size_t i = 0; i < json_count(data); i++) {
		const struct json_value *item = json_array_at(data, i);
		struct vspc_uid u;

		if (json_type_of(item) != JSON_OBJECT)
			continue;
		field_uid(item, "instanceUid", &u);
		if (u.f.state == VSPC_FIELD_VALUE && strcmp(u.value, uid) == 0)
			return item;
		field_uid(item, "originalUid", &u); /* API 3.5 */
		if (u.f.state == VSPC_FIELD_VALUE && strcmp(u.value, uid) == 0)
			return item;
	}
	return NULL;
}

enum vspc_error kind_decode_filtered_doc(const struct job_kind *k, const struct json_doc *doc,
					 const char *uid, struct vspc_job *job,
					 struct vspc_job_session *session, bool *found,
					 bool *has_session, char *err, size_t errlen)
{
	const struct json_value *data;
	const struct json_value *item;
	struct vspc_paging paging;
	enum vspc_error rc = vspc_decode_page_rest(doc, &paging, err, errlen);

	memset(job, 0, sizeof *job);
	memset(session, 0, sizeof *session);
	*found = *has_session = false;
	if (rc == VSPC_OK && json_object_get(json_root(doc), "data", &data) == JSON_OK) {
		item = element_for(data, uid);
		*found = item != NULL;
		if (item)
			kind_decode_element(k, item, job, session, has_session);
	}
	return rc;
}
