/*
 * lam_config.c - the Lambda command-line options (see lam.h; --config files
 * are read by lam_config_file.c) and the module's start/quiesce/stop.
 *
 * Entry points: lam_config_option, lam_config_free, lam_start,
 * lam_quiesce, lam_stop.  The configuration owns every string it holds.
 */
#include "lam_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"

static int lam_cfg_int(const char *opt, const char *arg, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "emu: --%s expects an integer in %d..%d, got '%s'\n", opt, lo, hi, arg);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int lam_cfg_push(char ***list, int *n, const char *s)
{
    char **l = realloc(*list, (size_t)(*n + 1) * sizeof *l);
    if (l == NULL)
        return -1;
    *list = l;
    if ((l[*n] = strdup(s)) == NULL)
        return -1;
    (*n)++;
    return 0;
}

static bool lam_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '-' || s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
              (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
    return true;
}

static int lam_cfg_function(struct lam_config *c, const char *arg)
{
    size_t n = strcspn(arg, "=");
    if (!lam_name_valid(arg, n)) {
        fprintf(stderr, "emu: --function NAME[=COMMAND]: invalid name in '%s' "
                        "(1-64 of [A-Za-z0-9_-])\n", arg);
        return -1;
    }
    for (int i = 0; i < c->nfns; i++)
        if (strlen(c->fns[i].name) == n && strncmp(c->fns[i].name, arg, n) == 0) {
            fprintf(stderr, "emu: function %.*s declared twice\n", (int)n, arg);
            return -1;
        }
    if (c->nfns >= 64) {
        fprintf(stderr, "emu: too many functions\n");
        return -1;
    }
    lam_fn_config *f = realloc(c->fns, (size_t)(c->nfns + 1) * sizeof *f);
    if (f == NULL)
        return -1;
    c->fns = f;
    f = &c->fns[c->nfns++];
    memset(f, 0, sizeof *f);
    f->name = strndup(arg, n);
    f->command = arg[n] == '=' && arg[n + 1] ? strdup(arg + n + 1) : NULL;
    f->timeout_s = 3;
    f->memory_mb = 128;
    f->concurrency = 1;
    return f->name ? 0 : -1;
}

int lam_config_option(struct lam_config **cfg, const char *name, const char *arg)
{
    if (*cfg == NULL && (*cfg = calloc(1, sizeof **cfg)) == NULL)
        return -1;
    struct lam_config *c = *cfg;
    if (strcmp(name, "function") == 0)
        return lam_cfg_function(c, arg);
    if (strcmp(name, "event-source") == 0)
        return lam_cfg_push(&c->sources, &c->nsources, arg);
    if (strcmp(name, "config") == 0)
        return lam_config_file(c, arg);
    if (c->nfns == 0) {
        fprintf(stderr, "emu: --%s applies to the preceding --function\n", name);
        return -1;
    }
    lam_fn_config *f = &c->fns[c->nfns - 1];
    if (strcmp(name, "fn-timeout") == 0)
        return lam_cfg_int(name, arg, 1, 900, &f->timeout_s);
    if (strcmp(name, "fn-memory") == 0)
        return lam_cfg_int(name, arg, 128, 10240, &f->memory_mb);
    if (strcmp(name, "fn-concurrency") == 0)
        return lam_cfg_int(name, arg, 1, LAM_MAX_PROCS, &f->concurrency);
    if (strcmp(name, "fn-handler") == 0 || strcmp(name, "fn-role") == 0) {
        char **dst = name[3] == 'h' ? &f->handler : &f->role;
        free(*dst);
        return (*dst = strdup(arg)) ? 0 : -1;
    }
    if (strcmp(name, "fn-env") == 0) {
        if (strchr(arg, '=') == NULL || arg[0] == '=') {
            fprintf(stderr, "emu: --fn-env expects KEY=VALUE, got '%s'\n", arg);
            return -1;
        }
        return lam_cfg_push(&f->env, &f->nenv, arg);
    }
    fprintf(stderr, "emu: unknown Lambda option --%s\n", name);
    return -1;
}

void lam_config_free(struct lam_config *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < c->nfns; i++) {
        lam_fn_config *f = &c->fns[i];
        free(f->name);
        free(f->command);
        free(f->handler);
        free(f->role);
        for (int k = 0; k < f->nenv; k++)
            free(f->env[k]);
        free(f->env);
    }
    free(c->fns);
    for (int i = 0; i < c->nsources; i++)
        free(c->sources[i]);
    free(c->sources);
    json_decref(c->source_reqs);
    free(c);
}

int lam_start(emu_t *emu)
{
    lam_state *l = calloc(1, sizeof *l);
    if (l == NULL)
        return -1;
    l->emu = emu;
    l->cfg = emu->cfg.lam;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    int n = l->cfg ? l->cfg->nfns : 0;
    l->fns = calloc((size_t)(n > 0 ? n : 1), sizeof *l->fns);
    if (l->fns == NULL) {
        free(l);
        return -1;
    }
    for (int i = 0; i < n; i++)
        lam_fn_init(l, &l->fns[i], &l->cfg->fns[i]);
    l->nfns = n;
    emu->lam = l;
    for (int i = 0; i < n; i++)
        log_info("lambda function %s (%s, timeout %d s, concurrency %d): runtime API "
                 "%s:%d/_fn/%s%s", l->fns[i].cfg.name,
                 l->fns[i].cfg.command ? l->fns[i].cfg.command : "external runtime",
                 l->fns[i].cfg.timeout_s, l->fns[i].cfg.concurrency, emu->cfg.host,
                 emu->cfg.port, l->fns[i].cfg.name, i == 0 ? " (or host:port alone)" : "");
    err_t err = {0};
    if (lam_proc_start(l) != 0 || lam_esm_start(l, &err) != 0) {
        log_error("lambda: %s", err.msg[0] ? err.msg : "cannot start");
        err_clear(&err);
        lam_quiesce(emu);
        lam_stop(emu);
        return -1;
    }
    return 0;
}

void lam_quiesce(emu_t *emu)
{
    lam_state *l = emu->lam;
    if (l == NULL)
        return;
    pthread_mutex_lock(&l->mu);
    if (!l->stopping)
        l->grace_until_ms = lam_now_ms() + LAM_STOP_GRACE_MS;
    l->stopping = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < l->nfns; i++)
        lam_fn_wake(&l->fns[i]);
}

void lam_drain(emu_t *emu)
{
    lam_state *l = emu->lam;
    if (l == NULL)
        return;
    for (int i = 0; i < l->nfns; i++) {
        lam_fn *f = &l->fns[i];
        for (;;) {
            pthread_mutex_lock(&f->mu);
            bool busy = f->running != NULL;
            pthread_mutex_unlock(&f->mu);
            if (!busy || lam_now_ms() >= l->grace_until_ms)
                break;
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
}

void lam_stop(emu_t *emu)
{
    lam_state *l = emu->lam;
    if (l == NULL)
        return;
    lam_quiesce(emu);
    lam_esm_stop(l);
    lam_proc_stop(l);
    for (int i = 0; i < l->nfns; i++)
        lam_fn_shutdown(&l->fns[i]);
    free(l->fns);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    emu->lam = NULL;
    lam_config_free(l->cfg);
    emu->cfg.lam = NULL;
    free(l);
}
