/*
 * A Redis client on nginx events: one pipelined connection per worker,
 * owned by nginx (ngx_event_connect_peer); commands are formatted and
 * replies parsed by hiredis, which never touches the socket.
 *
 * Commands are answered in order.  A handler always runs later, from an
 * event, never from inside ngx_http_dossier_redis_command(); it gets NULL
 * when the command failed (timeout, connection lost).  While Redis is
 * unreachable commands are refused at once and the client reconnects with
 * exponential backoff.
 */

#ifndef NGX_HTTP_DOSSIER_REDIS_H
#define NGX_HTTP_DOSSIER_REDIS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <hiredis/hiredis.h>

#include "ngx_http_dossier_stats.h"


typedef struct ngx_http_dossier_redis_s      ngx_http_dossier_redis_t;
typedef struct ngx_http_dossier_redis_cmd_s  ngx_http_dossier_redis_cmd_t;

typedef void (*ngx_http_dossier_redis_pt)(void *data, redisReply *reply);

/* Runs right after every (re)connection, before queued work: the place
 * for commands that must precede everything else. */
typedef void (*ngx_http_dossier_redis_connect_pt)(ngx_http_dossier_redis_t *rd,
    void *data);

/* Asks whoever locates the master (a Sentinel) to look again. */
typedef void (*ngx_http_dossier_redis_locate_pt)(void *data);


typedef struct {
    ngx_str_t                     text;
    u_char                        sha1[41];
} ngx_http_dossier_redis_script_t;


typedef struct {
    ngx_addr_t                    *addrs;     /* tried in turn */
    ngx_uint_t                     naddrs;    /* 0: located, see below */
    ngx_str_t                      password;
    ngx_uint_t                     db;
    ngx_msec_t                     connect_timeout;
    ngx_msec_t                     command_timeout;
    ngx_array_t                    scripts;   /* loaded on connect */
} ngx_http_dossier_redis_conf_t;


struct ngx_http_dossier_redis_cmd_s {
    ngx_queue_t                   queue;
    ngx_http_dossier_redis_pt     handler;     /* NULL: cancelled */
    void                         *data;
};


/* stats: where the connection's counts go, or NULL (not counted: a
 * Sentinel's). */
ngx_http_dossier_redis_t *ngx_http_dossier_redis_create(ngx_cycle_t *cycle,
    ngx_http_dossier_redis_conf_t *conf,
    ngx_http_dossier_redis_connect_pt on_connect, void *data,
    ngx_http_dossier_redis_stats_t *stats);
void ngx_http_dossier_redis_destroy(ngx_http_dossier_redis_t *rd);

/*
 * Queues a command; the commands of one event-loop pass leave in one
 * write, at its end.  NGX_OK: handler(data, reply) will run once; *cmd (if
 * cmd is not NULL) may be cancelled until then.  NGX_DECLINED: Redis is
 * unreachable, nothing was sent.  NGX_ERROR: out of memory.
 */
ngx_int_t ngx_http_dossier_redis_command(ngx_http_dossier_redis_t *rd,
    int argc, const char **argv, const size_t *argvlen,
    ngx_http_dossier_redis_pt handler, void *data,
    ngx_http_dossier_redis_cmd_t **cmd);

/* The command's reply will be dropped; its handler won't run. */
void ngx_http_dossier_redis_cancel(ngx_http_dossier_redis_cmd_t *cmd);

ngx_uint_t ngx_http_dossier_redis_ready(ngx_http_dossier_redis_t *rd);

/* Publish/subscribe: "message" replies go to handler, not to a command. */
void ngx_http_dossier_redis_on_message(ngx_http_dossier_redis_t *rd,
    ngx_http_dossier_redis_pt handler, void *data);

/*
 * A client with no address of its own (conf->naddrs 0) is located: it
 * waits for ngx_http_dossier_redis_set_addr(), checks with ROLE that each
 * connection reaches the master, treats READONLY refusals as a lost
 * connection, and calls locate(data) when the master was not one.
 */
void ngx_http_dossier_redis_located_by(ngx_http_dossier_redis_t *rd,
    ngx_http_dossier_redis_locate_pt locate, void *data);

/* Where the master is: a new address drops the connection (pending
 * commands fail) and connects there at once. */
void ngx_http_dossier_redis_set_addr(ngx_http_dossier_redis_t *rd,
    struct sockaddr *sockaddr, socklen_t socklen);

/* Drops the connection (pending commands fail) and reconnects, which
 * sets the connection up again (scripts included). */
void ngx_http_dossier_redis_reset(ngx_http_dossier_redis_t *rd,
    const char *why);

/* Registers a Lua script at configuration time; EVALSHA it by sha1. */
ngx_http_dossier_redis_script_t *ngx_http_dossier_redis_add_script(
    ngx_conf_t *cf, ngx_http_dossier_redis_conf_t *conf, const char *text);

/* One numeric address or unix socket into addr: "127.0.0.1:6379",
 * "[::1]:6379", "unix:/path"; no names, no DNS. */
char *ngx_http_dossier_redis_parse_one(ngx_conf_t *cf, ngx_str_t *value,
    ngx_addr_t *addr);

#endif /* NGX_HTTP_DOSSIER_REDIS_H */
