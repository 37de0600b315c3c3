/* The kinds of replication job: one table entry each.
 *
 * Everything that differs between a VM replication job and a CDP policy
 * lives behind this table: the API's names for the kind, how its object is
 * decoded, which fields and options its rules need, its summary, its rules
 * and its perfdata. Everything else (the session rules, identity, paging,
 * output) is written once. Adding a kind means a new kind_*.c with its
 * entry, its decoder, its tests and its documentation. */
#ifndef VSPC_KINDS_H
#define VSPC_KINDS_H

#include <stdbool.h>
#include <stddef.h>

#include "output.h"
#include "policy.h"
#include "vspc.h"

struct json_doc;
struct json_value;

struct job_kind {
	enum vspc_kind id;
	const char *name;       /* for --kind and listings: "vm", "cdp" */
	const char *title;      /* "VM replication job" */
	const char *plural;     /* "VM replication jobs" */
	const char *job_type;   /* BackupServerJob.type of such jobs */
	const char *collection; /* the path segment: "replicationVmJobs" */
	/* Decodes the kind's own fields of one object into @job (ids too). */
	void (*decode)(const struct json_value *obj, struct vspc_job *job);
	/* The name of the first option in @p that this kind uses, or NULL. */
	const char *(*option_in)(const struct check_policy *p);
	/* Appends "field problem" for each field @p needs that is unusable;
	 * false if any. */
	bool (*usable)(const struct check_policy *p, const struct vspc_job *job, char *problems,
		       size_t len);
	/* The kind's part of the summary, e.g. "protects 5 VMs". */
	void (*summary)(const struct vspc_job *job, char *dst, size_t dstlen);
	/* The kind's rules and perfdata. */
	void (*evaluate)(const struct check_policy *p, const struct vspc_job *job,
			 struct result *res);
};

extern const struct job_kind kind_vm;
extern const struct job_kind kind_cdp;

/* Every kind, in the order --all walks them. */
extern const struct job_kind *const job_kinds[VSPC_KIND_COUNT];

const struct job_kind *kind_of(enum vspc_kind id);

/* The kind whose BackupServerJob.type is @type, or NULL. */
const struct job_kind *kind_by_type(const char *type);

/* The kind called @name ("vm", "cdp"), or NULL. */
const struct job_kind *kind_by_name(const char *name);

/* An option in @p meant for another kind than @k, or NULL: for a single
 * job such an option is a usage error. */
const char *kind_foreign_option(const struct job_kind *k, const struct check_policy *p);

/* Decodes a 200 answer to GET .../jobs/COLLECTION/{uid}: one object of kind
 * @k. On error a one-line reason is in @err. */
enum vspc_error kind_decode_answer(const struct job_kind *k, const char *body, size_t len,
				   struct vspc_job *job, char *err, size_t errlen);

/* kind_decode_answer() of an answer already parsed (lib/answer.h streams
 * them), and the same for an answer to the collection of kind @k filtered
 * on the instanceUid @uid with the BackupServerJob expanded: the element
 * naming @uid (a server that ignored the filter may send others too).
 * *@found tells whether there was one, *@has_session whether it carried
 * its BackupServerJob. */
enum vspc_error kind_decode_answer_doc(const struct job_kind *k, const struct json_doc *doc,
				       struct vspc_job *job, char *err, size_t errlen);
enum vspc_error kind_decode_filtered_doc(const struct job_kind *k, const struct json_doc *doc,
					 const char *uid, struct vspc_job *job,
					 struct vspc_job_session *session, bool *found,
					 bool *has_session, char *err, size_t errlen);

/* Decodes one element of a collection of kind @k (an object): the job and,
 * when the BackupServerJob is embedded (*@has_session), its session. */
void kind_decode_element(const struct job_kind *k, const struct json_value *item,
			 struct vspc_job *job, struct vspc_job_session *session, bool *has_session);

#endif
