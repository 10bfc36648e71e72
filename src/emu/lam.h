/*
 * lam.h - AWS Lambda: the Runtime API, Invoke, and Kinesis event source
 * mappings.  The public entry points used by main.c and route.c.
 *
 * Owned by the Lambda module (lam*.c, store_lam.c).
 *
 * Functions are declared on the command line (lam_config_option):
 *   --function NAME[=COMMAND]   a function; with COMMAND, emu runs it
 *                               (sh -c COMMAND) as the runtime process
 *   --fn-timeout S, --fn-memory MB, --fn-concurrency N, --fn-handler H,
 *   --fn-env K=V, --fn-role ARN  settings of the last --function
 *   --event-source STREAM:FUNCTION[,Key=Value...]  a Kinesis mapping
 *   --config FILE               functions and mappings from a JSON file
 *                               (format in lam_config_file.c; example in
 *                               docker/emu.example.json)
 *
 * How a runtime names its function (the Runtime API has no such field):
 *   AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT/_fn/NAME      (external runtime)
 *   AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT/_fn/NAME/K    (instance K that
 *                                                         emu started)
 * Runtimes build `"http://" + $AWS_LAMBDA_RUNTIME_API + "/2018-06-01/..."`
 * by string concatenation (aws-lambda-cpp, and through it the Python RIC;
 * aws-lambda-go; the Rust runtime keeps a base path), so the path prefix
 * reaches emu unchanged and routes /_fn/NAME[/K]/2018-06-01/... to NAME.
 * A runtime that keeps only host:port (the Node RIC splits on ':') lands on
 * the plain /2018-06-01/... routes, which serve the first declared
 * function, so a single-function setup works with every runtime.
 * The instance number K lets emu tell which of its processes holds an
 * invocation, so a process that exits mid-invoke fails exactly that one
 * with Runtime.ExitError.
 */
#ifndef EMU_LAM_H
#define EMU_LAM_H

#include "emu.h"
#include "http.h"

struct lam_config;

/* Record one command-line option (name without "--", e.g. "function";
 * "config" reads a file);
 * allocates *cfg on first use.  0, or -1 after printing the problem. */
int lam_config_option(struct lam_config **cfg, const char *name, const char *arg);
/* Release a configuration (lam_stop does it for emu->cfg.lam). */
void lam_config_free(struct lam_config *cfg);

/* Allocate emu->lam, start the runtime processes, restore persisted event
 * source mappings and create the command-line ones; call after kin_start.
 * 0 / -1. */
int lam_start(emu_t *emu);
/* Wake every blocked Runtime API `next` and Invoke so that the HTTP
 * daemon can stop; call before http_stop. */
void lam_quiesce(emu_t *emu);
/* After lam_quiesce, before http_stop: wait (at most LAM_STOP_GRACE_MS)
 * for the invocations runtimes already run to answer, while the HTTP
 * daemon still takes their responses. */
#define LAM_STOP_GRACE_MS 2000
void lam_drain(emu_t *emu);
/* Stop pollers and runtime processes, free emu->lam; after http_stop and
 * before kin_stop/store_close. */
void lam_stop(emu_t *emu);

/* The Lambda REST API under /2015-03-31/ (Invoke, event source mappings,
 * GetFunction/ListFunctions) and the emu extension under /_emu/lambda/. */
void lam_api_handle(emu_t *emu, http_req *req, http_resp *resp);
/* The Runtime API under /2018-06-01/ and /_fn/NAME[/K]/2018-06-01/. */
void lam_runtime_handle(emu_t *emu, http_req *req, http_resp *resp);

/* `emu event kinesis --stream NAME [...]`: print a ready Lambda Kinesis
 * event (from a running emu, over HTTP).  argv[0] is "event".  Returns the
 * process exit status. */
int lam_cli_event(int argc, char **argv);

#endif
