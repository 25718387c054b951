/*
 * The Redis client on nginx events (see ngx_http_dossier_redis.h).
 *
 * nginx owns the socket, so nginx's usual rules apply: edge-triggered
 * events are drained until EAGAIN, the connection is closed exactly once
 * by ngx_close_connection().  hiredis only formats commands and parses
 * replies, whatever size they arrive in.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include <sys/un.h>
#include <openssl/sha.h>

#include "ngx_http_dossier_redis.h"


#define NGX_HTTP_DOSSIER_REDIS_DOWN        0
#define NGX_HTTP_DOSSIER_REDIS_CONNECTING  1
#define NGX_HTTP_DOSSIER_REDIS_READY       2

#define NGX_HTTP_DOSSIER_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_DOSSIER_REDIS_BACKOFF_MAX  5000
#define NGX_HTTP_DOSSIER_REDIS_LOG_EVERY    10     /* seconds */


struct ngx_http_dossier_redis_s {
    ngx_http_dossier_redis_conf_t      *conf;
    ngx_log_t                          *log;
    ngx_addr_t                         *addr;       /* connecting to */
    ngx_uint_t                          next;       /* in conf->addrs */
    ngx_peer_connection_t               peer;
    ngx_uint_t                          state;
    redisReader                        *reader;

    ngx_queue_t                         pending;    /* awaiting replies */
    ngx_queue_t                         free;

    u_char                             *out;        /* not yet sent */
    size_t                              out_pos;
    size_t                              out_len;
    size_t                              out_size;

    ngx_event_t                         retry;
    ngx_msec_t                          backoff;
    time_t                              logged;

    ngx_http_dossier_redis_stats_t     *stats;
    ngx_http_dossier_redis_stats_t      uncounted;

    ngx_http_dossier_redis_connect_pt   on_connect;
    void                               *on_connect_data;
    ngx_http_dossier_redis_pt           on_message;
    void                               *on_message_data;

    /* the master as its locator (a Sentinel) names it */
    ngx_http_dossier_redis_locate_pt    locate;
    void                               *locate_data;
    ngx_addr_t                          master;
    ngx_sockaddr_t                      master_sockaddr;
    u_char                              master_name[NGX_SOCKADDR_STRLEN];
};


static void ngx_http_dossier_redis_connect(ngx_event_t *ev);
static void ngx_http_dossier_redis_connected(ngx_http_dossier_redis_t *rd);
static void ngx_http_dossier_redis_write_handler(ngx_event_t *wev);
static void ngx_http_dossier_redis_read_handler(ngx_event_t *rev);
static ngx_int_t ngx_http_dossier_redis_send(ngx_http_dossier_redis_t *rd);
static ngx_int_t ngx_http_dossier_redis_append(ngx_http_dossier_redis_t *rd,
    int argc, const char **argv, const size_t *argvlen);
static void ngx_http_dossier_redis_check_ok(void *data, redisReply *reply);
static void ngx_http_dossier_redis_check_role(void *data, redisReply *reply);
static void ngx_http_dossier_redis_up(ngx_http_dossier_redis_t *rd);
static void ngx_http_dossier_redis_demoted(ngx_http_dossier_redis_t *rd,
    const char *why);
static ngx_uint_t ngx_http_dossier_redis_is_message(redisReply *reply);
static void ngx_http_dossier_redis_fail(ngx_http_dossier_redis_t *rd,
    const char *why);
static void ngx_http_dossier_redis_close(ngx_http_dossier_redis_t *rd);


ngx_http_dossier_redis_t *
ngx_http_dossier_redis_create(ngx_cycle_t *cycle,
    ngx_http_dossier_redis_conf_t *conf,
    ngx_http_dossier_redis_connect_pt on_connect, void *data,
    ngx_http_dossier_redis_stats_t *stats)
{
    ngx_http_dossier_redis_t  *rd;

    rd = ngx_pcalloc(cycle->pool, sizeof(ngx_http_dossier_redis_t));
    if (rd == NULL) {
        return NULL;
    }

    rd->conf = conf;
    rd->log = cycle->log;
    rd->stats = stats ? stats : &rd->uncounted;
    rd->on_connect = on_connect;
    rd->on_connect_data = data;
    ngx_queue_init(&rd->pending);
    ngx_queue_init(&rd->free);

    rd->retry.handler = ngx_http_dossier_redis_connect;
    rd->retry.data = rd;
    rd->retry.log = rd->log;
    rd->retry.cancelable = 1;

    if (conf->naddrs) {
        rd->addr = &conf->addrs[0];
        ngx_http_dossier_redis_connect(&rd->retry);
    }

    /* else it connects once its locator names the master */

    return rd;
}


void
ngx_http_dossier_redis_destroy(ngx_http_dossier_redis_t *rd)
{
    ngx_queue_t  *q;

    if (rd->retry.timer_set) {
        ngx_del_timer(&rd->retry);
    }

    ngx_http_dossier_redis_close(rd);

    while (!ngx_queue_empty(&rd->free)) {
        q = ngx_queue_head(&rd->free);
        ngx_queue_remove(q);
        ngx_free(q);
    }

    ngx_free(rd->out);
    rd->out = NULL;
}


ngx_int_t
ngx_http_dossier_redis_command(ngx_http_dossier_redis_t *rd, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_dossier_redis_pt handler, void *data,
    ngx_http_dossier_redis_cmd_t **cmdp)
{
    ngx_queue_t                   *q;
    ngx_http_dossier_redis_cmd_t  *cmd;

    if (rd->state != NGX_HTTP_DOSSIER_REDIS_READY) {
        rd->stats->unavailable++;
        return NGX_DECLINED;
    }

    if (!ngx_queue_empty(&rd->free)) {
        q = ngx_queue_head(&rd->free);
        ngx_queue_remove(q);
        cmd = ngx_queue_data(q, ngx_http_dossier_redis_cmd_t, queue);

    } else {
        cmd = ngx_alloc(sizeof(ngx_http_dossier_redis_cmd_t), rd->log);
        if (cmd == NULL) {
            return NGX_ERROR;
        }
    }

    if (ngx_http_dossier_redis_append(rd, argc, argv, argvlen) != NGX_OK) {
        ngx_queue_insert_head(&rd->free, &cmd->queue);
        return NGX_ERROR;
    }

    cmd->handler = handler;
    cmd->data = data;
    ngx_queue_insert_tail(&rd->pending, &cmd->queue);
    rd->stats->commands++;

    if (!rd->peer.connection->read->timer_set) {
        ngx_add_timer(rd->peer.connection->read, rd->conf->command_timeout);
    }

    if (cmdp) {
        *cmdp = cmd;
    }

    /* one send() per event-loop pass for every command appended in it:
     * the write event runs after this pass's handlers (posted events are
     * processed until none is left), and a failure is answered from
     * there, never from inside this call */
    ngx_post_event(rd->peer.connection->write, &ngx_posted_events);

    return NGX_OK;
}


void
ngx_http_dossier_redis_cancel(ngx_http_dossier_redis_cmd_t *cmd)
{
    cmd->handler = NULL;
}


ngx_uint_t
ngx_http_dossier_redis_ready(ngx_http_dossier_redis_t *rd)
{
    return rd->state == NGX_HTTP_DOSSIER_REDIS_READY;
}


void
ngx_http_dossier_redis_on_message(ngx_http_dossier_redis_t *rd,
    ngx_http_dossier_redis_pt handler, void *data)
{
    rd->on_message = handler;
    rd->on_message_data = data;
}


void
ngx_http_dossier_redis_located_by(ngx_http_dossier_redis_t *rd,
    ngx_http_dossier_redis_locate_pt locate, void *data)
{
    rd->locate = locate;
    rd->locate_data = data;
}


void
ngx_http_dossier_redis_set_addr(ngx_http_dossier_redis_t *rd,
    struct sockaddr *sockaddr, socklen_t socklen)
{
    if (socklen > sizeof(ngx_sockaddr_t)) {
        return;
    }

    if (rd->addr
        && ngx_cmp_sockaddr(rd->addr->sockaddr, rd->addr->socklen,
                            sockaddr, socklen, 1)
           == NGX_OK)
    {
        return;
    }

    ngx_memcpy(&rd->master_sockaddr, sockaddr, socklen);
    rd->master.sockaddr = &rd->master_sockaddr.sockaddr;
    rd->master.socklen = socklen;
    rd->master.name.data = rd->master_name;
    rd->master.name.len = ngx_sock_ntop(sockaddr, socklen, rd->master_name,
                                        NGX_SOCKADDR_STRLEN, 1);

    ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                  "dossier: Redis master is %V", &rd->master.name);

    if (rd->state != NGX_HTTP_DOSSIER_REDIS_DOWN) {
        ngx_http_dossier_redis_fail(rd, NULL);
    }

    rd->addr = &rd->master;

    /* a new master, not a failing one: no backoff */
    rd->backoff = 0;

    if (rd->retry.timer_set) {
        ngx_del_timer(&rd->retry);
    }

    ngx_http_dossier_redis_connect(&rd->retry);
}


void
ngx_http_dossier_redis_reset(ngx_http_dossier_redis_t *rd, const char *why)
{
    if (rd->state != NGX_HTTP_DOSSIER_REDIS_DOWN) {
        ngx_http_dossier_redis_fail(rd, why);
    }
}


static void
ngx_http_dossier_redis_connect(ngx_event_t *ev)
{
    ngx_int_t                  rc;
    ngx_connection_t          *c;
    ngx_http_dossier_redis_t  *rd = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit || rd->addr == NULL) {
        return;
    }

    ngx_memzero(&rd->peer, sizeof(ngx_peer_connection_t));
    rd->peer.sockaddr = rd->addr->sockaddr;
    rd->peer.socklen = rd->addr->socklen;
    rd->peer.name = &rd->addr->name;
    rd->peer.get = ngx_event_get_peer;
    rd->peer.log = rd->log;
    rd->peer.log_error = NGX_ERROR_ERR;

    rc = ngx_event_connect_peer(&rd->peer);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        rd->peer.connection = NULL;
        ngx_http_dossier_redis_fail(rd, "cannot connect");
        return;
    }

    c = rd->peer.connection;
    c->data = rd;
    c->read->handler = ngx_http_dossier_redis_read_handler;
    c->write->handler = ngx_http_dossier_redis_write_handler;

    rd->reader = redisReaderCreate();
    if (rd->reader == NULL) {
        ngx_http_dossier_redis_fail(rd, "out of memory");
        return;
    }

    rd->state = NGX_HTTP_DOSSIER_REDIS_CONNECTING;

    if (rc == NGX_AGAIN) {
        ngx_add_timer(c->write, rd->conf->connect_timeout);
        return;
    }

    ngx_http_dossier_redis_connected(rd);
}


/* Authenticates, selects the database and loads the scripts, all
 * pipelined ahead of anything else sent on this connection. */
static void
ngx_http_dossier_redis_connected(ngx_http_dossier_redis_t *rd)
{
    u_char                           db[NGX_INT_T_LEN];
    ngx_uint_t                       i;
    const char                      *argv[3];
    size_t                           argvlen[3];
    ngx_connection_t                *c = rd->peer.connection;
    ngx_http_dossier_redis_script_t *script;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    rd->state = NGX_HTTP_DOSSIER_REDIS_READY;

    if (rd->conf->password.len) {
        argv[0] = "AUTH";
        argvlen[0] = 4;
        argv[1] = (char *) rd->conf->password.data;
        argvlen[1] = rd->conf->password.len;

        if (ngx_http_dossier_redis_command(rd, 2, argv, argvlen,
                                ngx_http_dossier_redis_check_ok, rd, NULL)
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (rd->conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (char *) db;
        argvlen[1] = ngx_sprintf(db, "%ui", rd->conf->db) - db;

        if (ngx_http_dossier_redis_command(rd, 2, argv, argvlen,
                                ngx_http_dossier_redis_check_ok, rd, NULL)
            != NGX_OK)
        {
            goto failed;
        }
    }

    /* a Sentinel's answer may be stale: check, before any command of
     * ours, that this is the master */
    if (rd->locate) {
        argv[0] = "ROLE";
        argvlen[0] = 4;

        if (ngx_http_dossier_redis_command(rd, 1, argv, argvlen,
                                ngx_http_dossier_redis_check_role, rd, NULL)
            != NGX_OK)
        {
            goto failed;
        }
    }

    script = rd->conf->scripts.elts;

    for (i = 0; i < rd->conf->scripts.nelts; i++) {
        argv[0] = "SCRIPT";
        argvlen[0] = 6;
        argv[1] = "LOAD";
        argvlen[1] = 4;
        argv[2] = (char *) script[i].text.data;
        argvlen[2] = script[i].text.len;

        if (ngx_http_dossier_redis_command(rd, 3, argv, argvlen,
                                ngx_http_dossier_redis_check_ok, rd, NULL)
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (rd->on_connect) {
        rd->on_connect(rd, rd->on_connect_data);
    }

    if (rd->state == NGX_HTTP_DOSSIER_REDIS_READY && rd->locate == NULL) {
        ngx_http_dossier_redis_up(rd);
    }

    return;

failed:

    ngx_http_dossier_redis_fail(rd, "out of memory");
}


static void
ngx_http_dossier_redis_up(ngx_http_dossier_redis_t *rd)
{
    ngx_log_error(NGX_LOG_INFO, rd->log, 0,
                  "dossier: Redis connection to %V established",
                  &rd->addr->name);
    rd->backoff = 0;
    rd->stats->connected = 1;
}


static void
ngx_http_dossier_redis_check_role(void *data, redisReply *reply)
{
    ngx_http_dossier_redis_t  *rd = data;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0
        && reply->element[0]->type == REDIS_REPLY_STRING
        && ngx_strcmp(reply->element[0]->str, "master") == 0)
    {
        ngx_http_dossier_redis_up(rd);
        return;
    }

    ngx_http_dossier_redis_demoted(rd, "not the master (any more)");
}


/* Connected to a replica (a Sentinel's stale answer, or a master demoted
 * since): fail over to the local fallbacks and ask the Sentinel again;
 * the backoff keeps this from looping fast. */
static void
ngx_http_dossier_redis_demoted(ngx_http_dossier_redis_t *rd, const char *why)
{
    if (rd->state != NGX_HTTP_DOSSIER_REDIS_DOWN) {
        ngx_http_dossier_redis_fail(rd, why);
    }

    rd->locate(rd->locate_data);
}


static void
ngx_http_dossier_redis_check_ok(void *data, redisReply *reply)
{
    ngx_http_dossier_redis_t  *rd = data;

    if (reply && reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "dossier: Redis refused the connection setup: %s",
                      reply->str);
        ngx_http_dossier_redis_fail(rd, NULL);
    }
}


static void
ngx_http_dossier_redis_write_handler(ngx_event_t *wev)
{
    int                        err;
    socklen_t                  len;
    ngx_connection_t          *c = wev->data;
    ngx_http_dossier_redis_t  *rd = c->data;

    if (rd->state == NGX_HTTP_DOSSIER_REDIS_CONNECTING) {
        if (wev->timedout) {
            ngx_http_dossier_redis_fail(rd, "connect timed out");
            return;
        }

        err = 0;
        len = sizeof(int);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len)
            == -1)
        {
            err = ngx_socket_errno;
        }

        if (err) {
            ngx_http_dossier_redis_fail(rd, strerror(err));
            return;
        }

        ngx_http_dossier_redis_connected(rd);
        return;
    }

    if (rd->state != NGX_HTTP_DOSSIER_REDIS_READY) {
        return;
    }

    if (ngx_http_dossier_redis_send(rd) != NGX_OK) {
        ngx_http_dossier_redis_fail(rd, "send failed");
    }
}


static ngx_int_t
ngx_http_dossier_redis_send(ngx_http_dossier_redis_t *rd)
{
    ssize_t            n;
    ngx_connection_t  *c = rd->peer.connection;

    while (rd->out_pos < rd->out_len) {
        n = c->send(c, rd->out + rd->out_pos, rd->out_len - rd->out_pos);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        rd->out_pos += n;
        rd->stats->writes++;
    }

    if (rd->out_pos == rd->out_len) {
        rd->out_pos = 0;
        rd->out_len = 0;
    }

    return ngx_handle_write_event(c->write, 0);
}


static ngx_int_t
ngx_http_dossier_redis_append(ngx_http_dossier_redis_t *rd, int argc,
    const char **argv, const size_t *argvlen)
{
    int      len;
    char    *cmd;
    u_char  *out;
    size_t   size;

    len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
    if (len < 0) {
        return NGX_ERROR;
    }

    if (rd->out_len + len > rd->out_size) {
        size = ngx_max(2 * rd->out_size, rd->out_len + len);
        size = ngx_max(size, 16 * 1024);

        out = ngx_alloc(size, rd->log);
        if (out == NULL) {
            redisFreeCommand(cmd);
            return NGX_ERROR;
        }

        ngx_memcpy(out, rd->out + rd->out_pos, rd->out_len - rd->out_pos);
        rd->out_len -= rd->out_pos;
        rd->out_pos = 0;
        ngx_free(rd->out);
        rd->out = out;
        rd->out_size = size;
    }

    ngx_memcpy(rd->out + rd->out_len, cmd, len);
    rd->out_len += len;
    redisFreeCommand(cmd);

    return NGX_OK;
}


static void
ngx_http_dossier_redis_read_handler(ngx_event_t *rev)
{
    void                          *reply;
    ssize_t                        n;
    ngx_uint_t                     readonly;
    ngx_queue_t                   *q;
    ngx_connection_t              *c = rev->data;
    ngx_http_dossier_redis_t      *rd = c->data;
    ngx_http_dossier_redis_cmd_t  *cmd;
    u_char                         buf[16384];

    if (rev->timedout) {
        rd->stats->timeouts++;
        ngx_http_dossier_redis_fail(rd, "command timed out");
        return;
    }

    /* edge-triggered: read until the socket is empty */
    for ( ;; ) {
        n = c->recv(c, buf, sizeof(buf));

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_http_dossier_redis_fail(rd, n == 0 ? "connection closed"
                                                   : "read failed");
            return;
        }

        if (redisReaderFeed(rd->reader, (char *) buf, n) != REDIS_OK) {
            ngx_http_dossier_redis_fail(rd, "out of memory");
            return;
        }
    }

    for ( ;; ) {
        reply = NULL;

        if (redisReaderGetReply(rd->reader, &reply) != REDIS_OK) {
            ngx_http_dossier_redis_fail(rd, "protocol error");
            return;
        }

        if (reply == NULL) {
            break;
        }

        if (rd->on_message && ngx_http_dossier_redis_is_message(reply)) {
            rd->on_message(rd->on_message_data, reply);
            freeReplyObject(reply);

            if (rd->state != NGX_HTTP_DOSSIER_REDIS_READY) {
                return;
            }

            continue;
        }

        if (ngx_queue_empty(&rd->pending)) {
            freeReplyObject(reply);
            ngx_http_dossier_redis_fail(rd, "reply to no command");
            return;
        }

        q = ngx_queue_head(&rd->pending);
        ngx_queue_remove(q);
        cmd = ngx_queue_data(q, ngx_http_dossier_redis_cmd_t, queue);

        if (((redisReply *) reply)->type == REDIS_REPLY_ERROR) {
            rd->stats->errors++;
        }

        readonly = rd->locate
                   && ((redisReply *) reply)->type == REDIS_REPLY_ERROR
                   && ngx_strncmp(((redisReply *) reply)->str, "READONLY",
                                  8) == 0;

        /* a write refused by a demoted master failed like a lost
         * connection: the caller falls back to its local state */
        if (cmd->handler) {
            cmd->handler(cmd->data, readonly ? NULL : reply);
        }

        freeReplyObject(reply);
        ngx_queue_insert_head(&rd->free, &cmd->queue);

        if (readonly) {
            ngx_http_dossier_redis_demoted(rd, "the master became a replica");
            return;
        }

        if (rd->state != NGX_HTTP_DOSSIER_REDIS_READY) {
            /* a handler found the connection unusable */
            return;
        }
    }

    /* the timer covers the oldest command still unanswered */
    if (rev->timer_set) {
        ngx_del_timer(rev);
    }

    if (!ngx_queue_empty(&rd->pending)) {
        ngx_add_timer(rev, rd->conf->command_timeout);
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_dossier_redis_fail(rd, "cannot watch the socket");
    }
}


/*
 * Closes the connection, answers every pending command with NULL, and
 * retries with exponential backoff: a Redis restart must not send every
 * worker into a reconnect storm.  The log says so at most every 10 s.
 */
static void
ngx_http_dossier_redis_fail(ngx_http_dossier_redis_t *rd, const char *why)
{
    ngx_queue_t                    pending, *q;
    ngx_http_dossier_redis_cmd_t  *cmd;

    if (why && ngx_time() - rd->logged >= NGX_HTTP_DOSSIER_REDIS_LOG_EVERY) {
        rd->logged = ngx_time();
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "dossier: Redis %V unavailable (%s), serving without "
                      "the cache", &rd->addr->name, why);
    }

    ngx_http_dossier_redis_close(rd);

    /* handlers may send new commands: they are refused from now on */
    ngx_queue_init(&pending);

    if (!ngx_queue_empty(&rd->pending)) {
        pending = rd->pending;
        pending.next->prev = &pending;
        pending.prev->next = &pending;
        ngx_queue_init(&rd->pending);
    }

    while (!ngx_queue_empty(&pending)) {
        q = ngx_queue_head(&pending);
        ngx_queue_remove(q);
        cmd = ngx_queue_data(q, ngx_http_dossier_redis_cmd_t, queue);
        rd->stats->unavailable++;

        if (cmd->handler) {
            cmd->handler(cmd->data, NULL);
        }

        ngx_queue_insert_head(&rd->free, &cmd->queue);
    }

    rd->backoff = rd->backoff
                  ? ngx_min(rd->backoff * 2, NGX_HTTP_DOSSIER_REDIS_BACKOFF_MAX)
                  : NGX_HTTP_DOSSIER_REDIS_BACKOFF_MIN;

    /* several servers (Sentinels): the next attempt goes to the next one */
    if (rd->conf->naddrs > 1) {
        rd->next = (rd->next + 1) % rd->conf->naddrs;
        rd->addr = &rd->conf->addrs[rd->next];
    }

    if (!rd->retry.timer_set && !ngx_exiting && !ngx_terminate && !ngx_quit)
    {
        ngx_add_timer(&rd->retry, rd->backoff);
    }
}


static void
ngx_http_dossier_redis_close(ngx_http_dossier_redis_t *rd)
{
    rd->state = NGX_HTTP_DOSSIER_REDIS_DOWN;
    rd->stats->connected = 0;

    if (rd->peer.connection) {
        ngx_close_connection(rd->peer.connection);
        rd->peer.connection = NULL;
    }

    if (rd->reader) {
        redisReaderFree(rd->reader);
        rd->reader = NULL;
    }

    rd->out_pos = 0;
    rd->out_len = 0;
}


ngx_http_dossier_redis_script_t *
ngx_http_dossier_redis_add_script(ngx_conf_t *cf,
    ngx_http_dossier_redis_conf_t *conf, const char *text)
{
    u_char                            md[SHA_DIGEST_LENGTH];
    ngx_http_dossier_redis_script_t  *script;

    if (conf->scripts.elts == NULL
        && ngx_array_init(&conf->scripts, cf->pool, 4,
                          sizeof(ngx_http_dossier_redis_script_t))
           != NGX_OK)
    {
        return NULL;
    }

    script = ngx_array_push(&conf->scripts);
    if (script == NULL) {
        return NULL;
    }

    script->text.data = (u_char *) text;
    script->text.len = ngx_strlen(text);

    /* EVALSHA names a script by the SHA-1 of its text, as Redis computes */
    SHA1(script->text.data, script->text.len, md);
    ngx_hex_dump(script->sha1, md, SHA_DIGEST_LENGTH);
    script->sha1[40] = '\0';

    return script;
}


char *
ngx_http_dossier_redis_parse_one(ngx_conf_t *cf, ngx_str_t *value,
    ngx_addr_t *addr)
{
    size_t               len;
    struct sockaddr_un  *sun;

    if (value->len > 5 && ngx_strncmp(value->data, "unix:", 5) == 0) {
        len = value->len - 5;

        sun = ngx_pcalloc(cf->pool, sizeof(struct sockaddr_un));
        if (sun == NULL) {
            return NGX_CONF_ERROR;
        }

        if (len >= sizeof(sun->sun_path)) {
            return "has a unix socket path that is too long";
        }

        sun->sun_family = AF_UNIX;
        ngx_memcpy(sun->sun_path, value->data + 5, len);
        addr->sockaddr = (struct sockaddr *) sun;
        addr->socklen = sizeof(struct sockaddr_un);

    } else if (ngx_parse_addr_port(cf->pool, addr, value->data, value->len)
               != NGX_OK
               || ngx_inet_get_port(addr->sockaddr) == 0)
    {
        return "must be a numeric address with a port (\"127.0.0.1:6379\", "
               "\"[::1]:6379\") or \"unix:/path\": workers resolve no names";
    }

    addr->name = *value;

    return NGX_CONF_OK;
}


/* Is this reply a published message ("message", channel, payload)? */
static ngx_uint_t
ngx_http_dossier_redis_is_message(redisReply *reply)
{
    return reply->type == REDIS_REPLY_ARRAY && reply->elements == 3
           && reply->element[0]->type == REDIS_REPLY_STRING
           && ngx_strcmp(reply->element[0]->str, "message") == 0;
}
