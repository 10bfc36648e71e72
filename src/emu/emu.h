/*
 * emu.h - the server's shared state, passed to every handler.
 *
 * One struct emu per process: configuration, the store, and the state of
 * each service.  Services keep their private state behind opaque pointers.
 */
#ifndef EMU_EMU_H
#define EMU_EMU_H

#include <stdbool.h>

struct store;
struct kin_state;
struct lam_state;
struct lam_config;

#define EMU_VERSION "0.1.0"

typedef struct emu_config {
    const char *host;
    int port;
    const char *db_path;       /* NULL when in memory */
    bool in_memory;
    bool sync_full;            /* fsync every commit */
    const char *region;        /* default region for ARNs */
    const char *account;       /* default account id for ARNs */
    bool quiet;
    bool kinesis_realistic_delays;  /* CREATING/DELETING states take time */
    double kinesis_error_rate;      /* fraction of PutRecord(s) entries throttled */
    bool kinesis_enforce_limits;    /* per-shard throughput limits */
    struct lam_config *lam;         /* --function/--event-source (lam.h); owned */
} emu_config;

typedef struct emu {
    emu_config cfg;
    struct store *store;
    void *http;                /* struct MHD_Daemon * */
    struct kin_state *kin;
    struct lam_state *lam;
    char endpoint[128];        /* http://host:port, for children and ARNs */
} emu_t;

#endif
