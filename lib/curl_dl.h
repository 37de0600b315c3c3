/* libcurl, loaded with dlopen() on first use.
 *
 * libcurl and the thirty-odd libraries behind it cost several milliseconds
 * of CPU to load; a run that never makes a request (a usage error, --help,
 * a listing from the snapshot) should not pay for them. So the plugin is
 * not linked against libcurl: http.c calls it through this table, filled
 * on first use. <curl/curl.h> still gives the types and constants. The
 * binary's ".note.dlopen" ELF note names the library for packagers. */
#ifndef VSPC_CURL_DL_H
#define VSPC_CURL_DL_H

#include <stddef.h>

#include <curl/curl.h>

#define CURL_DL_SONAME "libcurl.so.4"

/* One pointer per libcurl function http.c uses, each of the very type
 * <curl/curl.h> declares (variadic ones stay variadic). */
struct curl_dl {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_global_cleanup) *global_cleanup;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_easy_escape) *easy_escape;
	__typeof__(curl_free) *mem_free;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
};

/* Loads libcurl and resolves every function of the table; later calls
 * return the same table at once. The library is never unloaded (leak
 * reports at exit need its symbols). Returns NULL with a one-line reason
 * in @err, "cannot load libcurl.so.4: ...", if the library or one of the
 * functions is missing. Not thread-safe: call it before threads exist. */
const struct curl_dl *curl_dl_load(char *err, size_t errlen);

#endif
