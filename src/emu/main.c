/*
 * main.c - emu's command line: options, start-up, signals, shutdown.
 *
 *   ./emu [--host H] [--port P] [--db PATH | --in-memory] [--region R]
 *         [--quiet] [--log-level L] ...
 * Environment equivalents: EMU_HOST, EMU_PORT, EMU_DB, EMU_IN_MEMORY,
 * EMU_REGION, EMU_ACCOUNT, EMU_LOG_LEVEL.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "emu.h"
#include "gen.h"
#include "http.h"
#include "kin.h"
#include "lam.h"
#include "store.h"

static const char emu_usage[] =
    "usage: emu [options]\n"
    "An offline DynamoDB + Kinesis + Lambda endpoint on one port.\n"
    "\n"
    "  --host ADDR          listen address (default 127.0.0.1; EMU_HOST)\n"
    "  --port N             listen port, 0 = any free port (default 8000; EMU_PORT)\n"
    "  --db PATH            SQLite database file (default ./emu.db; EMU_DB)\n"
    "  --in-memory          keep everything in memory (EMU_IN_MEMORY=1)\n"
    "  --sync MODE          normal (default: acknowledged writes survive a crash of\n"
    "                       emu) or full (also a power loss: fsync per commit)\n"
    "  --region NAME        region used in ARNs (default us-east-1; EMU_REGION)\n"
    "  --account ID         account id used in ARNs (default 000000000000; EMU_ACCOUNT)\n"
    "  --quiet              no per-request log lines\n"
    "  --log-level LEVEL    error, warn, info (default) or debug (EMU_LOG_LEVEL)\n"
    "  --kinesis-delays     realistic CREATING/DELETING stream states\n"
    "  --kinesis-error-rate F  fail fraction F of PutRecord(s) entries with throttling\n"
    "  --kinesis-limits     enforce per-shard read/write throughput limits\n"
    "  --function NAME[=COMMAND]  a Lambda function; emu runs COMMAND as its runtime\n"
    "                       (repeatable; settings below apply to the last one)\n"
    "  --fn-timeout S --fn-memory MB --fn-concurrency N --fn-handler H --fn-env K=V\n"
    "  --fn-role ARN        function settings (defaults 3 s, 128 MB, 1)\n"
    "  --event-source STREAM:FUNCTION[,Key=Value...]  a Kinesis event source mapping\n"
    "                       (keys as in CreateEventSourceMapping, e.g. BatchSize=10)\n"
    "  --config FILE        functions and event sources from a JSON file\n"
    "                       (see docker/emu.example.json)\n"
    "  emu generate --stream NAME [--rate N] [--duration T] [--seed N] ...\n"
    "                       put face-search records into a stream (emu generate --help)\n"
    "  emu event kinesis --stream NAME [--shard ID] [--limit N] [--endpoint URL]\n"
    "                       print a ready Lambda Kinesis event from a running emu\n"
    "  --version            print the version and exit\n"
    "  --help               this text\n";

static volatile sig_atomic_t emu_stop;

static void emu_on_signal(int sig)
{
    (void)sig;
    emu_stop = 1;
}

static const char *emu_env(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

enum { OPT_SYNC = 250, OPT_KIN_DELAYS = 256, OPT_KIN_ERROR_RATE, OPT_KIN_LIMITS, OPT_REGION, OPT_ACCOUNT, OPT_LAM };

/* Fill cfg from the environment, then the command line; 0 ok, 1 exit
 * successfully (help/version), -1 usage error. */
static int emu_parse_args(int argc, char **argv, emu_config *cfg)
{
    static const struct option opts[] = {
        {"host", required_argument, 0, 'h'}, {"port", required_argument, 0, 'p'},
        {"db", required_argument, 0, 'd'}, {"in-memory", no_argument, 0, 'm'},
        {"quiet", no_argument, 0, 'q'}, {"log-level", required_argument, 0, 'l'},
        {"version", no_argument, 0, 'V'}, {"help", no_argument, 0, 'H'},
        {"region", required_argument, 0, OPT_REGION},
        {"sync", required_argument, 0, OPT_SYNC},
        {"account", required_argument, 0, OPT_ACCOUNT},
        {"kinesis-delays", no_argument, 0, OPT_KIN_DELAYS},
        {"kinesis-error-rate", required_argument, 0, OPT_KIN_ERROR_RATE},
        {"kinesis-limits", no_argument, 0, OPT_KIN_LIMITS},
        {"function", required_argument, 0, OPT_LAM}, {"fn-timeout", required_argument, 0, OPT_LAM},
        {"fn-memory", required_argument, 0, OPT_LAM}, {"fn-concurrency", required_argument, 0, OPT_LAM},
        {"fn-handler", required_argument, 0, OPT_LAM}, {"fn-env", required_argument, 0, OPT_LAM},
        {"fn-role", required_argument, 0, OPT_LAM}, {"event-source", required_argument, 0, OPT_LAM},
        {"config", required_argument, 0, OPT_LAM},
        {0, 0, 0, 0}};
    cfg->host = emu_env("EMU_HOST", "127.0.0.1");
    cfg->port = atoi(emu_env("EMU_PORT", "8000"));
    cfg->db_path = emu_env("EMU_DB", "emu.db");
    cfg->in_memory = atoi(emu_env("EMU_IN_MEMORY", "0")) != 0;
    cfg->region = emu_env("EMU_REGION", "us-east-1");
    cfg->account = emu_env("EMU_ACCOUNT", "000000000000");
    int lvl = log_level_parse(emu_env("EMU_LOG_LEVEL", "info"));
    log_set_level(lvl < 0 ? LOG_INFO : (log_level)lvl);
    int c, li = 0;
    while ((c = getopt_long(argc, argv, "", opts, &li)) != -1) {
        switch (c) {
        case 'h': cfg->host = optarg; break;
        case 'p': cfg->port = atoi(optarg); break;
        case 'd': cfg->db_path = optarg; cfg->in_memory = false; break;
        case 'm': cfg->in_memory = true; break;
        case 'q': cfg->quiet = true; break;
        case OPT_REGION: cfg->region = optarg; break;
        case OPT_SYNC:
            if (strcmp(optarg, "normal") != 0 && strcmp(optarg, "full") != 0) {
                fprintf(stderr, "emu: --sync must be normal or full\n");
                return -1;
            }
            cfg->sync_full = strcmp(optarg, "full") == 0;
            break;
        case OPT_ACCOUNT: cfg->account = optarg; break;
        case OPT_KIN_DELAYS: cfg->kinesis_realistic_delays = true; break;
        case OPT_KIN_ERROR_RATE: cfg->kinesis_error_rate = atof(optarg); break;
        case OPT_KIN_LIMITS: cfg->kinesis_enforce_limits = true; break;
        case OPT_LAM:
            if (lam_config_option(&cfg->lam, opts[li].name, optarg) != 0)
                return -1;
            break;
        case 'l':
            if ((lvl = log_level_parse(optarg)) < 0) {
                fprintf(stderr, "emu: unknown log level %s\n", optarg);
                return -1;
            }
            log_set_level((log_level)lvl);
            break;
        case 'V': printf("emu %s\n", EMU_VERSION); return 1;
        case 'H': fputs(emu_usage, stdout); return 1;
        default: fputs(emu_usage, stderr); return -1;
        }
    }
    if (cfg->port < 0 || cfg->port > 65535) {
        fprintf(stderr, "emu: invalid port %d\n", cfg->port);
        return -1;
    }
    if (cfg->in_memory)
        cfg->db_path = NULL;
    return 0;
}

int main(int argc, char **argv)
{
    emu_t emu = {0};
    if (argc > 1 && strcmp(argv[1], "generate") == 0)
        return gen_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "event") == 0)
        return lam_cli_event(argc - 1, argv + 1);
    int rc = emu_parse_args(argc, argv, &emu.cfg);
    if (rc != 0) {
        lam_config_free(emu.cfg.lam);
        return rc > 0 ? 0 : 2;
    }
    err_t err = {0};
    if (store_open(emu.cfg.db_path, &emu.store, &err) != 0) {
        log_error("%s", err.msg);
        return 1;
    }
    if (emu.cfg.sync_full && store_sync_full(emu.store, &err) != 0) {
        log_error("%s", err.msg);
        store_close(emu.store);
        return 1;
    }
    if (kin_start(&emu) != 0) {
        store_close(emu.store);
        return 1;
    }
    struct sigaction sa = {.sa_handler = emu_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int port = emu.cfg.port;
    if (http_start(&emu, emu.cfg.host, &port) != 0) {
        kin_stop(&emu);
        store_close(emu.store);
        return 1;
    }
    emu.cfg.port = port;
    snprintf(emu.endpoint, sizeof emu.endpoint, "http://%s:%d", emu.cfg.host, port);
    log_info("emu %s listening on %s (storage: %s)", EMU_VERSION, emu.endpoint,
             emu.cfg.in_memory ? "memory" : emu.cfg.db_path);
    if (lam_start(&emu) != 0) {
        http_stop(&emu);
        kin_stop(&emu);
        store_close(emu.store);
        return 1;
    }
    /* The signal may land on any thread (HTTP, Kinesis, Lambda), leaving
     * pause() asleep: poll the flag instead. */
    while (!emu_stop) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    log_info("shutting down");
    lam_quiesce(&emu); /* wakes blocked Runtime API `next` calls and invokes */
    lam_drain(&emu);   /* lets running invocations answer */
    http_stop(&emu);
    lam_stop(&emu);
    kin_stop(&emu);
    store_close(emu.store);
    return 0;
}
