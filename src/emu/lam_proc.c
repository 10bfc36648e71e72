/*
 * lam_proc.c - runtime processes for `--function NAME=COMMAND`: start
 * (fork + exec of `sh -c COMMAND`), watch, restart with backoff, kill on
 * timeout, stop on shutdown.
 *
 * One supervisor thread polls its children with waitpid(pid, WNOHANG)
 * every 50 ms (never waitpid(-1): other modules may own children).  Each
 * child runs in its own process group (so a shell's children die with it)
 * and gets SIGTERM if emu dies (PR_SET_PDEATHSIG).  Instance K of function
 * NAME gets AWS_LAMBDA_RUNTIME_API=HOST:PORT/_fn/NAME/K (see lam.h).
 * Process fields (lam_proc) are guarded by the function's mutex.
 */
#include "lam_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"

extern char **environ;

#define LAM_ENV_MAX 512

unsigned lam_proc_gen(lam_fn *f, int k)
{
    return k >= 1 && k <= f->nprocs ? f->procs[k - 1].gen : 0;
}

bool lam_proc_current(lam_fn *f, int k, unsigned gen)
{
    if (k < 1 || k > f->nprocs)
        return true;
    return f->procs[k - 1].gen == gen && f->procs[k - 1].pid > 0;
}

void lam_proc_kill(lam_fn *f, int k)
{
    /* Called with f->mu held, from the invoker that saw the deadline. */
    if (k >= 1 && k <= f->nprocs && f->procs[k - 1].pid > 0)
        kill(-f->procs[k - 1].pid, SIGKILL);
}

/* Append "K=V" to env unless K is already set by an earlier entry. */
static void lam_env_add(char **env, int *n, char *kv)
{
    if (kv == NULL || *n >= LAM_ENV_MAX - 1) {
        free(kv);
        return;
    }
    size_t klen = strcspn(kv, "=");
    for (int i = 0; i < *n; i++)
        if (strncmp(env[i], kv, klen + 1) == 0) {
            free(kv);
            return;
        }
    env[(*n)++] = kv;
}

static char *lam_kv(const char *k, const char *v)
{
    char *s;
    return asprintf(&s, "%s=%s", k, v) < 0 ? NULL : s;
}

/* The child's environment (malloc'd strings, NULL-terminated): the
 * function's --fn-env, Lambda's reserved variables, then emu's own. */
static char **lam_proc_env(lam_state *l, lam_fn *f, int k)
{
    char **env = calloc(LAM_ENV_MAX, sizeof *env);
    if (env == NULL)
        return NULL;
    int n = 0;
    emu_t *emu = l->emu;
    char buf[512];
    for (int i = 0; i < f->cfg.nenv; i++)
        lam_env_add(env, &n, strdup(f->cfg.env[i]));
    snprintf(buf, sizeof buf, "%s:%d/_fn/%s/%d", emu->cfg.host, emu->cfg.port, f->cfg.name, k);
    lam_env_add(env, &n, lam_kv("AWS_LAMBDA_RUNTIME_API", buf));
    lam_env_add(env, &n, lam_kv("AWS_LAMBDA_FUNCTION_NAME", f->cfg.name));
    snprintf(buf, sizeof buf, "%d", f->cfg.memory_mb);
    lam_env_add(env, &n, lam_kv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", buf));
    snprintf(buf, sizeof buf, "%d", f->cfg.timeout_s);
    lam_env_add(env, &n, lam_kv("AWS_LAMBDA_FUNCTION_TIMEOUT", buf));
    lam_env_add(env, &n, lam_kv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"));
    snprintf(buf, sizeof buf, "/aws/lambda/%s", f->cfg.name);
    lam_env_add(env, &n, lam_kv("AWS_LAMBDA_LOG_GROUP_NAME", buf));
    lam_env_add(env, &n, lam_kv("_HANDLER", f->cfg.handler ? f->cfg.handler : f->cfg.name));
    lam_env_add(env, &n, lam_kv("AWS_REGION", emu->cfg.region));
    lam_env_add(env, &n, lam_kv("AWS_DEFAULT_REGION", emu->cfg.region));
    lam_env_add(env, &n, lam_kv("AWS_ENDPOINT_URL", emu->endpoint));
    for (char **e = environ; *e != NULL; e++)
        lam_env_add(env, &n, strdup(*e));
    lam_env_add(env, &n, lam_kv("AWS_ACCESS_KEY_ID", "test"));
    lam_env_add(env, &n, lam_kv("AWS_SECRET_ACCESS_KEY", "test"));
    return env;
}

static void lam_env_free(char **env)
{
    for (int i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* Start instance k (1-based) of f; f->mu held. */
static void lam_proc_spawn(lam_state *l, lam_fn *f, int k)
{
    lam_proc *p = &f->procs[k - 1];
    char **env = lam_proc_env(l, f, k);
    if (env == NULL)
        return;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* Child: only async-signal-safe calls until exec. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        execle("/bin/sh", "sh", "-c", f->cfg.command, (char *)NULL, env);
        _exit(127);
    }
    lam_env_free(env);
    if (pid < 0) {
        log_error("lambda %s: fork: %s", f->cfg.name, strerror(errno));
        p->restart_at_ms = lam_now_ms() + 1000;
        return;
    }
    setpgid(pid, pid);
    p->pid = pid;
    p->gen++;
    p->started_ms = lam_now_ms();
    log_info("lambda %s: runtime %d started (pid %d): %s", f->cfg.name, k, (int)pid,
             f->cfg.command);
}

/* Reap instance k if it exited; schedule its restart.  f->mu not held. */
static void lam_proc_check(lam_state *l, lam_fn *f, int k)
{
    pthread_mutex_lock(&f->mu);
    lam_proc *p = &f->procs[k - 1];
    int status = 0;
    int64_t now = lam_now_ms();
    if (p->pid > 0 && waitpid(p->pid, &status, WNOHANG) == p->pid) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        log_warn("lambda %s: runtime %d (pid %d) exited with status %d", f->cfg.name, k,
                 (int)p->pid, code);
        kill(-p->pid, SIGKILL); /* leftovers of its process group */
        p->pid = 0;
        /* Crash loops back off from 100 ms to 5 s; a long life resets. */
        p->backoff_ms = now - p->started_ms > 10000 ? 0 : p->backoff_ms;
        p->backoff_ms = p->backoff_ms == 0 ? 100 : p->backoff_ms * 2;
        if (p->backoff_ms > 5000)
            p->backoff_ms = 5000;
        p->restart_at_ms = now + p->backoff_ms;
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
        lam_fn_instance_exited(f, k, code);
        return;
    }
    if (p->pid == 0 && now >= p->restart_at_ms && !l->stopping) {
        lam_proc_spawn(l, f, k);
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
}

static void *lam_proc_main(void *arg)
{
    lam_state *l = arg;
    while (!l->stopping) {
        for (int i = 0; i < l->nfns; i++)
            for (int k = 1; k <= l->fns[i].nprocs; k++)
                lam_proc_check(l, &l->fns[i], k);
        pthread_mutex_lock(&l->mu);
        if (!l->stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 50 * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&l->cv, &l->mu, &ts);
        }
        pthread_mutex_unlock(&l->mu);
    }
    return NULL;
}

int lam_proc_start(lam_state *l)
{
    bool any = false;
    for (int i = 0; i < l->nfns; i++)
        any = any || l->fns[i].nprocs > 0;
    if (!any)
        return 0;
    if (pthread_create(&l->sup_thread, NULL, lam_proc_main, l) != 0)
        return -1;
    l->sup_started = true;
    return 0;
}

/* Signal every live child; true if any is left. */
static bool lam_proc_signal_all(lam_state *l, int sig)
{
    bool left = false;
    for (int i = 0; i < l->nfns; i++) {
        lam_fn *f = &l->fns[i];
        for (int k = 0; k < f->nprocs; k++) {
            lam_proc *p = &f->procs[k];
            if (p->pid <= 0)
                continue;
            int st;
            if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
                kill(-p->pid, SIGKILL);
                p->pid = 0;
                continue;
            }
            kill(-p->pid, sig);
            left = true;
        }
    }
    return left;
}

void lam_proc_stop(lam_state *l)
{
    if (l->sup_started) {
        pthread_mutex_lock(&l->mu);
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->sup_thread, NULL);
        l->sup_started = false;
    }
    /* SIGTERM, up to 2 s of grace, then SIGKILL. */
    bool left = lam_proc_signal_all(l, SIGTERM);
    for (int i = 0; left && i < 40; i++) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
        left = lam_proc_signal_all(l, 0);
    }
    if (left) {
        lam_proc_signal_all(l, SIGKILL);
        for (int i = 0; i < l->nfns; i++)
            for (int k = 0; k < l->fns[i].nprocs; k++)
                if (l->fns[i].procs[k].pid > 0)
                    waitpid(l->fns[i].procs[k].pid, NULL, 0);
    }
}
