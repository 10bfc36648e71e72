/*
 * curl_lazy.c - libcurl for emu's client subcommands (`emu generate`,
 * `emu event kinesis`), loaded on first use.
 *
 * Linked the usual way, libcurl and the eighteen libraries behind it
 * (Kerberos, LDAP, SSH, HTTP/2, brotli...) were mapped into every emu
 * server at start although the server never makes a request: 1.5 MB of its
 * 10 MB idle RSS, and part of its start-up time.  The few entry points emu
 * uses are defined here with libcurl's own prototypes (curl.h checks them)
 * and forward to the library, opened with dlopen the first time one is
 * called (the names in parentheses keep curl.h's type-checking macros
 * from expanding).  ./handler links libcurl directly and does not use this file.
 * Without libcurl, curl_easy_init returns NULL and callers report it.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "../common/log.h"

static struct {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    char *(*easy_escape)(CURL *, const char *, int);
    void (*free)(void *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} lz;
static bool lz_ok;
static pthread_once_t lz_once = PTHREAD_ONCE_INIT;

static bool lz_sym(void *lib, void *slot, const char *name)
{
    void *f = dlsym(lib, name);
    memcpy(slot, &f, sizeof f); /* object to function pointer, as POSIX allows */
    return f != NULL;
}

static void lz_load(void)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        log_error("cannot load libcurl: %s", dlerror());
        return;
    }
    lz_ok = lz_sym(lib, &lz.easy_init, "curl_easy_init") &&
            lz_sym(lib, &lz.easy_setopt, "curl_easy_setopt") &&
            lz_sym(lib, &lz.easy_perform, "curl_easy_perform") &&
            lz_sym(lib, &lz.easy_cleanup, "curl_easy_cleanup") &&
            lz_sym(lib, &lz.easy_getinfo, "curl_easy_getinfo") &&
            lz_sym(lib, &lz.easy_strerror, "curl_easy_strerror") &&
            lz_sym(lib, &lz.easy_escape, "curl_easy_escape") &&
            lz_sym(lib, &lz.free, "curl_free") &&
            lz_sym(lib, &lz.slist_append, "curl_slist_append") &&
            lz_sym(lib, &lz.slist_free_all, "curl_slist_free_all");
    if (!lz_ok)
        log_error("libcurl lacks an expected function: %s", dlerror());
}

static bool lz_ready(void)
{
    pthread_once(&lz_once, lz_load);
    return lz_ok;
}

CURL *curl_easy_init(void)
{
    return lz_ready() ? lz.easy_init() : NULL;
}

/* The one argument after `option` has the type its number range says
 * (curl.h's CURLOPTTYPE_*); it is read as that type and passed on. */
CURLcode (curl_easy_setopt)(CURL *curl, CURLoption option, ...)
{
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = lz.easy_setopt(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = lz.easy_setopt(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = lz.easy_setopt(curl, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        rc = lz.easy_setopt(curl, option, va_arg(ap, curl_off_t));
    else
        rc = lz.easy_setopt(curl, option, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
    return lz.easy_perform(curl);
}

void curl_easy_cleanup(CURL *curl)
{
    if (curl != NULL)
        lz.easy_cleanup(curl);
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode (curl_easy_getinfo)(CURL *curl, CURLINFO info, ...)
{
    va_list ap;
    va_start(ap, info);
    CURLcode rc = lz.easy_getinfo(curl, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

const char *curl_easy_strerror(CURLcode code)
{
    return lz_ready() ? lz.easy_strerror(code) : "libcurl could not be loaded";
}

char *curl_easy_escape(CURL *curl, const char *s, int len)
{
    return lz.easy_escape(curl, s, len);
}

void curl_free(void *p)
{
    if (p != NULL)
        lz.free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
    return lz_ready() ? lz.slist_append(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
    if (list != NULL && lz_ready())
        lz.slist_free_all(list);
}
