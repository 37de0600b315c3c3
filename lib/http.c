#include "autoconfig.h"

#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "clock.h"
#include "curl_dl.h"
#include "secret.h"

#define TRACE_LINE_MAX 1024

/* libcurl's functions, there once http_global_init() has succeeded. */
static const struct curl_dl *libcurl;

struct http_client {
	CURL *curl;
	struct http_options opt;
	char errbuf[CURL_ERROR_SIZE];
	bool too_big;               /* the write callback hit the cap */
	struct http_response *resp; /* the response being filled */
	const struct http_sink *sink;
};

bool http_global_init(char *err, size_t errlen)
{
	const struct curl_dl *lib = curl_dl_load(err, errlen);

	if (lib == NULL)
		return false;
	if (lib->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl failed to initialise");
		return false;
	}
	libcurl = lib;
	return true;
}

void http_global_cleanup(void)
{
	if (libcurl)
		libcurl->global_cleanup();
	libcurl = NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct http_client *c = ctx;
	struct http_response *resp = c->resp;
	size_t n = size * nmemb;
	long status = 0;

	if (c->sink &&
	    libcurl->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
	    status == 200) {
		if (n > resp->body.cap - resp->streamed) {
			c->too_big = true;
			return 0; /* makes libcurl abort the transfer */
		}
		resp->streamed += n;
		if (!c->sink->write(c->sink->ctx, data, n)) {
			resp->sink_aborted = true;
			return 0;
		}
		return n;
	}
	if (buf_append(&resp->body, data, n) != BUF_OK) {
		c->too_big = true;
		return 0;
	}
	return n;
}

/* Copies a header value without surrounding white space. */
static void copy_header_value(char *dst, size_t dstlen, const char *v, size_t n)
{
	while (n && isspace((unsigned char)*v))
		v++, n--;
	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static bool header_is(const char *line, size_t n, const char *name, const char **value,
		      size_t *vlen)
{
	size_t k = strlen(name);

	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return false;
	*value = line + k + 1;
	*vlen = n - k - 1;
	return true;
}

static void parse_retry_after(struct http_response *resp, const char *v, size_t n)
{
	char tmp[32];
	char *end;
	long secs;

	copy_header_value(tmp, sizeof tmp, v, n);
	secs = strtol(tmp, &end, 10);
	/* An HTTP date instead of seconds is ignored: the body says it too. */
	if (end != tmp && *end == '\0' && secs >= 0)
		resp->retry_after = secs;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ctx)
{
	struct http_client *c = ctx;
	struct http_response *resp = c->resp;
	size_t n = size * nmemb;
	const char *v;
	size_t vlen;

	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* a new response (after a 100 Continue, say): forget the old headers */
		resp->content_type[0] = '\0';
		resp->location[0] = '\0';
		resp->retry_after = -1;
	} else if (header_is(line, n, "Content-Type", &v, &vlen)) {
		copy_header_value(resp->content_type, sizeof resp->content_type, v, vlen);
	} else if (header_is(line, n, "Location", &v, &vlen)) {
		copy_header_value(resp->location, sizeof resp->location, v, vlen);
	} else if (header_is(line, n, "Retry-After", &v, &vlen)) {
		parse_retry_after(resp, v, vlen);
	}
	return n;
}

/* Hides credentials in a trace line of @size bytes: the value of an
 * Authorization header, and every occurrence of the secret anywhere. */
static void redact_line(char *line, size_t size, const char *secret)
{
	size_t slen = secret ? strlen(secret) : 0;

	if (strncasecmp(line, "Authorization:", 14) == 0) {
		char *v = line + 14;

		while (*v == ' ')
			v++;
		if (strncasecmp(v, "Bearer ", 7) == 0)
			v += 7;
		snprintf(v, size - (size_t)(v - line), "****");
	}
	if (slen == 0)
		return;
	for (char *p = strstr(line, secret); p; p = strstr(p, secret)) {
		if (slen < 4) {
			memset(p, '*', slen);
			p += slen;
			continue;
		}
		memcpy(p, "****", 4);
		memmove(p + 4, p + slen, strlen(p + slen) + 1);
		p += 4;
	}
}

static void trace_lines(struct http_client *c, const char *prefix, const char *data, size_t n)
{
	char line[TRACE_LINE_MAX];

	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t len = nl ? (size_t)(nl - data) : n;
		size_t take = len;

		if (take && data[take - 1] == '\r')
			take--;
		if (take > 0) {
			int p = snprintf(line, sizeof line, "%s", prefix);
			size_t room = sizeof line - (size_t)p - 1;

			if (take > room)
				take = room;
			memcpy(line + p, data, take);
			line[(size_t)p + take] = '\0';
			redact_line(line + p, sizeof line - (size_t)p, c->opt.redact);
			c->opt.trace(c->opt.trace_ctx, line);
			secret_wipe(line, sizeof line);
		}
		data += nl ? len + 1 : len;
		n -= nl ? len + 1 : len;
	}
}

static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *ctx)
{
	(void)curl;
	switch (type) {
	case CURLINFO_TEXT:
		trace_lines(ctx, "* ", data, size);
		break;
	case CURLINFO_HEADER_OUT:
		trace_lines(ctx, "> ", data, size);
		break;
	case CURLINFO_HEADER_IN:
		trace_lines(ctx, "< ", data, size);
		break;
	default:
		break;
	}
	return 0;
}

/* Sets a libcurl option; a refusal is a plugin fault: each user of this
 * macro has a setup_failed label. */
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (libcurl->easy_setopt(c->curl, opt, val) != CURLE_OK) {                         \
			snprintf(err, errlen, "libcurl refused option %s", #opt);                  \
			goto setup_failed;                                                         \
		}                                                                                  \
	} while (0)

struct http_client *http_client_new(const struct http_options *opt, char *err, size_t errlen)
{
	struct http_client *c = calloc(1, sizeof *c);

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->opt = *opt;
	c->curl = libcurl->easy_init();
	if (c->curl == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		goto setup_failed;
	}
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, opt->allow_http ? "http,https" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, c);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, c);
	SET(CURLOPT_USERAGENT, opt->user_agent);
	SET(CURLOPT_SSL_VERIFYPEER, opt->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, opt->insecure ? 0L : 2L);
	if (opt->ca_file) {
		/* the given bundle alone decides, not the system directory too */
		SET(CURLOPT_CAINFO, opt->ca_file);
		SET(CURLOPT_CAPATH, NULL);
	}
	SET(CURLOPT_IPRESOLVE, opt->ip_version == 4   ? (long)CURL_IPRESOLVE_V4
			       : opt->ip_version == 6 ? (long)CURL_IPRESOLVE_V6
						      : (long)CURL_IPRESOLVE_WHATEVER);
	if (opt->trace) {
		SET(CURLOPT_DEBUGFUNCTION, on_debug);
		SET(CURLOPT_DEBUGDATA, c);
		SET(CURLOPT_VERBOSE, 1L);
	}
	return c;
setup_failed:
	http_client_free(c);
	return NULL;
}

void http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	if (c->curl)
		libcurl->easy_cleanup(c->curl);
	free(c);
}

static void slist_free_wipe(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		secret_wipe(l->data, strlen(l->data));
	libcurl->slist_free_all(list);
}

static enum http_error map_curl_error(struct http_client *c, CURLcode rc, char *err, size_t errlen)
{
	const char *text = c->errbuf[0] ? c->errbuf : libcurl->easy_strerror(rc);

	if (c->resp->sink_aborted) {
		snprintf(err, errlen, "the answer was refused while reading it");
		return HTTP_ERR_TRANSPORT;
	}
	if (c->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errlen, "answer larger than %zu bytes, refused", c->resp->body.cap);
		return HTTP_ERR_TOO_BIG;
	}
	snprintf(err, errlen, "%s", text);
	return rc == CURLE_OPERATION_TIMEDOUT ? HTTP_ERR_TIMEOUT : HTTP_ERR_TRANSPORT;
}

/* One request: a GET, or a POST of @post_body when it is not NULL. */
static enum http_error perform(struct http_client *c, const char *url, const char *const *headers,
			       size_t nheaders, const struct buf *post_body,
			       const struct http_sink *sink, int64_t deadline_ms, size_t body_cap,
			       struct http_response *resp, char *err, size_t errlen)
{
	struct curl_slist *list = NULL;
	enum http_error rc = HTTP_OK;
	int64_t left = clock_remaining_ms(deadline_ms);
	curl_off_t total_us = 0;
	CURLcode cc;

	memset(resp, 0, sizeof *resp);
	buf_init(&resp->body, body_cap);
	resp->retry_after = -1;
	c->resp = resp;
	c->sink = sink;
	c->too_big = false;
	c->errbuf[0] = '\0';
	if (left <= 0) {
		snprintf(err, errlen, "no time left for the request");
		return HTTP_ERR_TIMEOUT;
	}
	for (size_t i = 0; i < nheaders; i++) {
		struct curl_slist *l = libcurl->slist_append(list, headers[i]);

		if (l == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = HTTP_ERR_SETUP;
			goto out;
		}
		list = l;
	}
	SET(CURLOPT_URL, url);
	if (post_body) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_body->len);
		SET(CURLOPT_POSTFIELDS, buf_str(post_body));
	} else {
		SET(CURLOPT_HTTPGET, 1L);
	}
	SET(CURLOPT_HTTPHEADER, list);
	SET(CURLOPT_TIMEOUT_MS, (long)left);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body_cap);

	cc = libcurl->easy_perform(c->curl);
	if (libcurl->easy_getinfo(c->curl, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK)
		resp->seconds = (double)total_us / 1e6;
	if (cc != CURLE_OK) {
		rc = map_curl_error(c, cc, err, errlen);
		goto out;
	}
	if (libcurl->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status) != CURLE_OK) {
		snprintf(err, errlen, "libcurl has no response code");
		rc = HTTP_ERR_SETUP;
	}
	goto out;
setup_failed:
	rc = HTTP_ERR_SETUP;
out:
	/* drop libcurl's pointers to what the caller frees */
	libcurl->easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	if (post_body) {
		libcurl->easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
		libcurl->easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	}
	slist_free_wipe(list);
	c->resp = NULL;
	c->sink = NULL;
	return rc;
}

enum http_error http_get(struct http_client *c, const char *url, const char *const *headers,
			 size_t nheaders, const struct http_sink *sink, int64_t deadline_ms,
			 size_t body_cap, struct http_response *resp, char *err, size_t errlen)
{
	return perform(c, url, headers, nheaders, NULL, sink, deadline_ms, body_cap, resp, err,
		       errlen);
}

/* Appends name=value, percent-encoded, to a form body. */
static bool form_append(struct http_client *c, struct buf *body, const char *name,
			const char *value)
{
	char *enc = libcurl->easy_escape(c->curl, value, 0);
	bool ok;

	if (enc == NULL)
		return false;
	ok = buf_printf(body, "%s%s=%s", body->len ? "&" : "", name, enc) == BUF_OK;
	secret_wipe(enc, strlen(enc));
	libcurl->mem_free(enc);
	return ok;
}

enum http_error http_post_form(struct http_client *c, const char *url, const char *const *headers,
			       size_t nheaders, const char *const *fields, size_t nfields,
			       int64_t deadline_ms, size_t body_cap, struct http_response *resp,
			       char *err, size_t errlen)
{
	struct buf body;
	enum http_error rc;

	buf_init(&body, 64 * 1024);
	for (size_t i = 0; i < nfields; i++) {
		if (!form_append(c, &body, fields[2 * i], fields[2 * i + 1])) {
			memset(resp, 0, sizeof *resp);
			buf_init(&resp->body, body_cap);
			buf_free_wipe(&body);
			snprintf(err, errlen, "cannot encode the form");
			return HTTP_ERR_SETUP;
		}
	}
	rc = perform(c, url, headers, nheaders, &body, NULL, deadline_ms, body_cap, resp, err,
		     errlen);
	buf_free_wipe(&body);
	return rc;
}

void http_response_free(struct http_response *resp)
{
	buf_free(&resp->body);
}
