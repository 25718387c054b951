/*
 * Redis Sentinel for the Redis client (see ngx_http_dossier_sentinel.h).
 *
 * One connection per worker to one Sentinel at a time, made by the same
 * Redis client as the master's: it asks for the master's address, then
 * subscribes to +switch-master, so a failover moves the master client
 * the moment the Sentinels have agreed on it.  A ping every second finds
 * a Sentinel gone silent; any failure moves on to the next Sentinel,
 * which is asked again.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_dossier_sentinel.h"


#define NGX_HTTP_DOSSIER_SENTINEL_TIMEOUT  1000     /* connect, command */
#define NGX_HTTP_DOSSIER_SENTINEL_PING     1000


struct ngx_http_dossier_sentinel_s {
    ngx_http_dossier_sentinel_conf_t  *conf;
    ngx_http_dossier_redis_t          *conn;        /* to a Sentinel */
    ngx_http_dossier_redis_t          *master;      /* the client steered */
    ngx_log_t                         *log;
    ngx_event_t                        ping;
};


static void ngx_http_dossier_sentinel_connected(ngx_http_dossier_redis_t *rd,
    void *data);
static void ngx_http_dossier_sentinel_got_master(void *data,
    redisReply *reply);
static void ngx_http_dossier_sentinel_subscribed(void *data,
    redisReply *reply);
static void ngx_http_dossier_sentinel_message(void *data, redisReply *reply);
static void ngx_http_dossier_sentinel_move(ngx_http_dossier_sentinel_t *s,
    u_char *ip, size_t iplen, u_char *port, size_t portlen);
static void ngx_http_dossier_sentinel_ping(ngx_event_t *ev);
static void ngx_http_dossier_sentinel_refresh(void *data);


ngx_uint_t
ngx_http_dossier_sentinel_named(ngx_str_t *arg)
{
    return arg->len > 9 && ngx_strncmp(arg->data, "sentinel=", 9) == 0;
}


char *
ngx_http_dossier_sentinel_parse(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t nargs, ngx_http_dossier_sentinel_conf_t **conf)
{
    char                              *rv;
    u_char                            *p, *end, *comma;
    ngx_str_t                          list, one;
    ngx_uint_t                         i, n;
    ngx_http_dossier_sentinel_conf_t  *scf;

    if (nargs != 2 || args[1].len <= 7
        || ngx_strncmp(args[1].data, "master=", 7) != 0)
    {
        return "with Sentinels takes \"sentinel=ADDR,ADDR,... master=NAME\"";
    }

    scf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dossier_sentinel_conf_t));
    if (scf == NULL) {
        return NGX_CONF_ERROR;
    }

    scf->master.data = args[1].data + 7;
    scf->master.len = args[1].len - 7;

    list.data = args[0].data + 9;
    list.len = args[0].len - 9;
    end = list.data + list.len;

    for (n = 1, p = list.data; p < end; p++) {
        if (*p == ',') {
            n++;
        }
    }

    scf->redis.addrs = ngx_pcalloc(cf->pool, n * sizeof(ngx_addr_t));
    if (scf->redis.addrs == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0, p = list.data; i < n; i++, p = comma + 1) {
        comma = ngx_strlchr(p, end, ',');
        if (comma == NULL) {
            comma = end;
        }

        one.data = p;
        one.len = comma - p;

        rv = ngx_http_dossier_redis_parse_one(cf, &one,
                                              &scf->redis.addrs[i]);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    scf->redis.naddrs = n;
    scf->redis.connect_timeout = NGX_HTTP_DOSSIER_SENTINEL_TIMEOUT;
    scf->redis.command_timeout = NGX_HTTP_DOSSIER_SENTINEL_TIMEOUT;

    *conf = scf;

    return NGX_CONF_OK;
}


ngx_http_dossier_sentinel_t *
ngx_http_dossier_sentinel_create(ngx_cycle_t *cycle,
    ngx_http_dossier_sentinel_conf_t *conf, ngx_http_dossier_redis_t *master)
{
    ngx_http_dossier_sentinel_t  *s;

    s = ngx_pcalloc(cycle->pool, sizeof(ngx_http_dossier_sentinel_t));
    if (s == NULL) {
        return NULL;
    }

    s->conf = conf;
    s->master = master;
    s->log = cycle->log;

    s->ping.handler = ngx_http_dossier_sentinel_ping;
    s->ping.data = s;
    s->ping.log = s->log;
    s->ping.cancelable = 1;

    s->conn = ngx_http_dossier_redis_create(cycle, &conf->redis,
                                            ngx_http_dossier_sentinel_connected,
                                            s, NULL);
    if (s->conn == NULL) {
        return NULL;
    }

    ngx_http_dossier_redis_on_message(s->conn,
                                      ngx_http_dossier_sentinel_message, s);
    ngx_http_dossier_redis_located_by(master,
                                      ngx_http_dossier_sentinel_refresh, s);

    ngx_add_timer(&s->ping, NGX_HTTP_DOSSIER_SENTINEL_PING);

    return s;
}


void
ngx_http_dossier_sentinel_destroy(ngx_http_dossier_sentinel_t *s)
{
    if (s->ping.timer_set) {
        ngx_del_timer(&s->ping);
    }

    ngx_http_dossier_redis_destroy(s->conn);
}


static void
ngx_http_dossier_sentinel_refresh(void *data)
{
    ngx_http_dossier_sentinel_t  *s = data;

    /* reconnecting already asks again; otherwise go to the next one */
    ngx_http_dossier_redis_reset(s->conn, NULL);
}


/* Where the master is, then every move of it, on this one connection. */
static void
ngx_http_dossier_sentinel_connected(ngx_http_dossier_redis_t *rd, void *data)
{
    ngx_http_dossier_sentinel_t  *s = data;

    const char  *argv[3];
    size_t       argvlen[3];

    argv[0] = "SENTINEL";
    argvlen[0] = sizeof("SENTINEL") - 1;
    argv[1] = "get-master-addr-by-name";
    argvlen[1] = sizeof("get-master-addr-by-name") - 1;
    argv[2] = (char *) s->conf->master.data;
    argvlen[2] = s->conf->master.len;

    if (ngx_http_dossier_redis_command(rd, 3, argv, argvlen,
                                       ngx_http_dossier_sentinel_got_master,
                                       s, NULL)
        != NGX_OK)
    {
        ngx_http_dossier_redis_reset(rd, "out of memory");
        return;
    }

    argv[0] = "SUBSCRIBE";
    argvlen[0] = sizeof("SUBSCRIBE") - 1;
    argv[1] = "+switch-master";
    argvlen[1] = sizeof("+switch-master") - 1;

    if (ngx_http_dossier_redis_command(rd, 2, argv, argvlen,
                                       ngx_http_dossier_sentinel_subscribed,
                                       s, NULL)
        != NGX_OK)
    {
        ngx_http_dossier_redis_reset(rd, "out of memory");
    }
}


static void
ngx_http_dossier_sentinel_got_master(void *data, redisReply *reply)
{
    ngx_http_dossier_sentinel_t  *s = data;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
        && reply->element[0]->type == REDIS_REPLY_STRING
        && reply->element[1]->type == REDIS_REPLY_STRING)
    {
        ngx_http_dossier_sentinel_move(s,
                                       (u_char *) reply->element[0]->str,
                                       reply->element[0]->len,
                                       (u_char *) reply->element[1]->str,
                                       reply->element[1]->len);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, s->log, 0,
                  "dossier: the Sentinel does not know a master \"%V\"",
                  &s->conf->master);
}


static void
ngx_http_dossier_sentinel_subscribed(void *data, redisReply *reply)
{
    ngx_http_dossier_sentinel_t  *s = data;

    if (reply && reply->type != REDIS_REPLY_ARRAY) {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "dossier: the Sentinel refused SUBSCRIBE: %s",
                      reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        ngx_http_dossier_redis_reset(s->conn, NULL);
    }
}


/* "+switch-master": "NAME OLD-IP OLD-PORT NEW-IP NEW-PORT" */
static void
ngx_http_dossier_sentinel_message(void *data, redisReply *reply)
{
    ngx_http_dossier_sentinel_t  *s = data;

    u_char      *p, *end, *field[5];
    size_t       len[5];
    ngx_uint_t   n;
    redisReply  *text;

    text = reply->element[2];

    if (text->type != REDIS_REPLY_STRING) {
        return;
    }

    p = (u_char *) text->str;
    end = p + text->len;

    for (n = 0; n < 5 && p < end; n++) {
        field[n] = p;

        while (p < end && *p != ' ') {
            p++;
        }

        len[n] = p - field[n];

        while (p < end && *p == ' ') {
            p++;
        }
    }

    if (n < 5 || len[0] != s->conf->master.len
        || ngx_strncmp(field[0], s->conf->master.data, len[0]) != 0)
    {
        return;
    }

    ngx_http_dossier_sentinel_move(s, field[3], len[3], field[4], len[4]);
}


static void
ngx_http_dossier_sentinel_move(ngx_http_dossier_sentinel_t *s, u_char *ip,
    size_t iplen, u_char *port, size_t portlen)
{
    in_addr_t       inaddr;
    ngx_int_t       n;
    socklen_t       socklen;
    ngx_sockaddr_t  sa;

    ngx_memzero(&sa, sizeof(ngx_sockaddr_t));

    n = ngx_atoi(port, portlen);
    inaddr = ngx_inet_addr(ip, iplen);

    if (n < 1 || n > 65535) {
        goto bad;
    }

    if (inaddr != INADDR_NONE) {
        sa.sockaddr_in.sin_family = AF_INET;
        sa.sockaddr_in.sin_addr.s_addr = inaddr;
        socklen = sizeof(struct sockaddr_in);

#if (NGX_HAVE_INET6)
    } else if (ngx_inet6_addr(ip, iplen, sa.sockaddr_in6.sin6_addr.s6_addr)
               == NGX_OK)
    {
        sa.sockaddr_in6.sin6_family = AF_INET6;
        socklen = sizeof(struct sockaddr_in6);
#endif

    } else {
        goto bad;
    }

    ngx_inet_set_port(&sa.sockaddr, (in_port_t) n);
    ngx_http_dossier_redis_set_addr(s->master, &sa.sockaddr, socklen);

    return;

bad:

    /* a name would need DNS in the worker */
    ngx_log_error(NGX_LOG_ERR, s->log, 0,
                  "dossier: the Sentinel names master \"%V\" at \"%*s:%*s\", "
                  "not a numeric address and port", &s->conf->master,
                  iplen, ip, portlen, port);
}


static void
ngx_http_dossier_sentinel_ping(ngx_event_t *ev)
{
    ngx_http_dossier_sentinel_t  *s = ev->data;

    const char  *argv[1];
    size_t       argvlen[1];

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    if (ngx_http_dossier_redis_ready(s->conn)) {
        argv[0] = "PING";
        argvlen[0] = 4;

        /* no handler: unanswered, it times out, and the client moves
         * on to the next Sentinel */
        (void) ngx_http_dossier_redis_command(s->conn, 1, argv, argvlen,
                                              NULL, NULL, NULL);
    }

    ngx_add_timer(&s->ping, NGX_HTTP_DOSSIER_SENTINEL_PING);
}

