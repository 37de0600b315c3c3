/* The success envelopes of VSPC answers (lib-internal, lib/vspc.c):
 * {"data": {...}} for one object, {"data": [...], "meta": {"pagingInfo"}}
 * for a page of a collection. Implemented in lib/vspc.c. */
#ifndef VSPC_ENVELOPE_H
#define VSPC_ENVELOPE_H

#include <stddef.h>

#include "json.h"
#include "model.h"

/* Decodes the "data" object of a success envelope ({"data": {...}}, no
 * errors) with @fill (lib/vspc.c). */
enum vspc_error envelope_decode(const char *body, size_t len,
				void (*fill)(const struct json_value *data, void *out), void *out,
				char *err, size_t errlen);

/* The error of a parse that failed with @jrc (@why: the parser's reason):
 * VSPC_ERR_NOMEM or VSPC_ERR_JSON, with the message in @err. */
enum vspc_error vspc_json_failed(enum json_error jrc, const char *why, char *err, size_t errlen);

/* envelope_decode() of an answer already parsed. */
enum vspc_error envelope_decode_doc(const struct json_doc *doc,
				    void (*fill)(const struct json_value *data, void *out),
				    void *out, char *err, size_t errlen);

/* Reads the envelope of a collection page whose "data" was streamed:
 * errors, and meta.pagingInfo (absent paging leaves present false). */
enum vspc_error vspc_decode_page_rest(const struct json_doc *rest, struct vspc_paging *paging,
				      char *err, size_t errlen);

#endif
