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

/* Reads the envelope of a collection page whose "data" was streamed:
 * errors, and meta.pagingInfo (absent paging leaves present false). */
enum vspc_error vspc_decode_page_rest(const struct json_doc *rest, struct vspc_paging *paging,
				      char *err, size_t errlen);

#endif
