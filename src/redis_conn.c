/*
 * redis_conn.c: see redis_conn.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "redis_conn.h"
#include "util.h"

/* How often a connection made through Sentinel is checked against it. */
#define RECHECK_USEC	1000000u

static struct timeval
ms_to_tv(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

void
redis_target_init(struct redis_target *t, const char *what,
    const struct redis_settings *set)
{
	t->what = what;
	t->set = set;
}

/*
 * AUTH on a new connection when password is set (as user when set), so
 * a refused password is told apart from a server that is down. keys names
 * the settings in the message ("redis_", "queue_redis_sentinel_"). False
 * when refused, logged as an error: a wrong password does not heal.
 */
static bool
conn_auth(redisContext *ctx, const char *what, const char *user,
    const char *password, const char *keys)
{
	redisReply *r;
	bool ok;

	if (password == NULL || password[0] == '\0')
		return true;
	if (user != NULL && user[0] != '\0')
		r = redisCommand(ctx, "AUTH %s %s", user, password);
	else
		r = redisCommand(ctx, "AUTH %s", password);
	if (r == NULL) {
		/* No answer (a timeout, a reset): not the password's fault. */
		log_warn("%s: AUTH: %s", what, ctx->errstr);
		return false;
	}
	ok = r->type != REDIS_REPLY_ERROR;
	if (!ok)
		log_error("%s: AUTH refused: %s (check %susername and "
		    "%spassword or %spassword_file)", what, r->str, keys, keys,
		    keys);
	freeReplyObject(r);
	return ok;
}

/*
 * Connects to one address (socket when set, else host:port), sets the
 * command timeout and authenticates. The connection (new) or NULL,
 * logged.
 */
static redisContext *
connect_addr(const char *what, const char *socket, const char *host,
    int64_t port, const struct redis_settings *set, bool sentinel)
{
	struct timeval ct = ms_to_tv(set->connect_timeout_ms);
	char keys[64];
	redisContext *ctx;

	if (socket != NULL && socket[0] != '\0')
		ctx = redisConnectUnixWithTimeout(socket, ct);
	else
		ctx = redisConnectWithTimeout(host, (int)port, ct);
	if (ctx == NULL || ctx->err) {
		log_warn("%s: connect: %s", what, ctx != NULL ? ctx->errstr :
		    "out of memory");
		if (ctx != NULL)
			redisFree(ctx);
		return NULL;
	}
	if (redisSetTimeout(ctx, ms_to_tv(set->command_timeout_ms)) !=
	    REDIS_OK) {
		log_warn("%s: cannot set the command timeout", what);
		redisFree(ctx);
		return NULL;
	}
	snprintf(keys, sizeof(keys), "%s%s", set->keys,
	    sentinel ? "sentinel_" : "");
	if (!conn_auth(ctx, what, sentinel ? set->sentinel_username :
	    set->username, sentinel ? set->sentinel_password : set->password,
	    keys)) {
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

/* One address of a sentinels list: a unix socket, or a host and port. */
struct addr {
	char	socket[256];	/* "" for host:port */
	char	host[256];
	int	port;
};

/*
 * The next item of the comma-separated list at *p: *item and *len (spaces
 * trimmed), *p moved past it. False at the end of the list.
 */
static bool
next_item(const char **p, const char **item, size_t *len)
{
	const char *s = *p, *e;

	if (*s == '\0')
		return false;
	e = strchr(s, ',');
	*p = e != NULL ? e + 1 : s + strlen(s);
	if (e == NULL)
		e = s + strlen(s);
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*item = s;
	*len = (size_t)(e - s);
	return true;
}

/* Parses "/socket", "host:port" or "[v6addr]:port" (len bytes). */
static bool
addr_parse(const char *item, size_t len, struct addr *a)
{
	const char *colon, *hs = item;
	char port[8];
	size_t hlen, plen;
	int64_t v;

	memset(a, 0, sizeof(*a));
	if (len == 0)
		return false;
	if (item[0] == '/') {
		if (len >= sizeof(a->socket))
			return false;
		memcpy(a->socket, item, len);
		return true;
	}
	for (colon = item + len; colon > item && colon[-1] != ':'; colon--)
		continue;
	if (colon == item)
		return false;
	hlen = (size_t)(colon - 1 - item);
	plen = len - hlen - 1;
	if (hlen >= 2 && item[0] == '[' && item[hlen - 1] == ']') {
		hs++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(a->host) || plen == 0 ||
	    plen >= sizeof(port))
		return false;
	memcpy(a->host, hs, hlen);
	memcpy(port, colon, plen);
	port[plen] = '\0';
	if (!str_to_i64(port, 1, 65535, &v))
		return false;
	a->port = (int)v;
	return true;
}

bool
redis_sentinels_check(const struct redis_settings *set, const char *prefix,
    const char *path, char **why)
{
	const char *p = set->sentinels, *item;
	struct addr a;
	size_t len;

	if (set->sentinels == NULL || set->sentinels[0] == '\0')
		return true;
	while (next_item(&p, &item, &len))
		if (!addr_parse(item, len, &a)) {
			*why = xasprintf("%s: %ssentinels: \"%.*s\" is neither "
			    "host:port nor a socket path", path, prefix,
			    (int)len, item);
			return false;
		}
	if (set->master_name == NULL || set->master_name[0] == '\0') {
		*why = xasprintf("%s: %ssentinels needs %smaster_name", path,
		    prefix, prefix);
		return false;
	}
	return true;
}

bool
redis_same_server(const struct redis_settings *a,
    const struct redis_settings *b)
{
	if (a == NULL || b == NULL || a->sentinels[0] != '\0' ||
	    b->sentinels[0] != '\0')
		return false;
	if (a->socket[0] != '\0' || b->socket[0] != '\0')
		return strcmp(a->socket, b->socket) == 0;
	return strcmp(a->host, b->host) == 0 && a->port == b->port;
}

bool
redis_auth_check(const struct redis_settings *set, const char *prefix,
    const char *path, char **why)
{
	if (set->username[0] != '\0' && set->password[0] == '\0') {
		*why = xasprintf("%s: %susername needs %spassword", path,
		    prefix, prefix);
		return false;
	}
	if (set->sentinel_username[0] != '\0' &&
	    set->sentinel_password[0] == '\0') {
		*why = xasprintf("%s: %ssentinel_username needs "
		    "%ssentinel_password", path, prefix, prefix);
		return false;
	}
	return true;
}

bool
redis_reply_demoted(const struct redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ERROR &&
	    (strncmp(r->str, "READONLY", 8) == 0 ||
	    strncmp(r->str, "MASTERDOWN", 10) == 0 ||
	    strncmp(r->str, "NOREPLICAS", 10) == 0);
}

void
redis_target_clear(struct redis_target *t)
{
	if (t->sentinel != NULL)
		redisFree(t->sentinel);
	t->sentinel = NULL;
}

/*
 * Asks the sentinel on ctx (named what in log lines) where the master of
 * t is: true with a->host and a->port set to it.
 */
static bool
sentinel_query(const struct redis_target *t, redisContext *ctx,
    const char *what, struct addr *a)
{
	redisReply *r;
	int64_t port;
	bool ok = false;

	r = redisCommand(ctx, "SENTINEL get-master-addr-by-name %s",
	    t->set->master_name);
	if (r == NULL)
		log_warn("%s: %s", what, ctx->errstr);
	else if (r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOAUTH", 6) == 0)
		log_error("%s: %s (set %ssentinel_password or "
		    "%ssentinel_password_file)", what, r->str, t->set->keys,
		    t->set->keys);
	else if (r->type == REDIS_REPLY_ERROR)
		log_warn("%s: %s", what, r->str);
	else if (r->type == REDIS_REPLY_NIL)
		log_warn("%s: no master named \"%s\"", what,
		    t->set->master_name);
	else if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len == 0 ||
	    r->element[0]->len >= sizeof(a->host) ||
	    !str_to_i64(r->element[1]->str, 1, 65535, &port))
		log_warn("%s: unexpected reply to get-master-addr-by-name",
		    what);
	else {
		memset(a, 0, sizeof(*a));
		memcpy(a->host, r->element[0]->str, r->element[0]->len);
		a->port = (int)port;
		ok = true;
	}
	if (r != NULL)
		freeReplyObject(r);
	return ok;
}

/*
 * Where the master is, by the sentinel that answered last time, else by
 * each sentinel of the list in turn; the one that answers is kept. True
 * with *a set.
 */
static bool
sentinel_ask(struct redis_target *t, struct addr *a)
{
	const char *p = t->set->sentinels, *item;
	struct addr s;
	char what[320];
	size_t len;

	snprintf(what, sizeof(what), "%s: sentinel", t->what);
	if (t->sentinel != NULL) {
		if (sentinel_query(t, t->sentinel, what, a))
			return true;
		redis_target_clear(t);
	}
	while (next_item(&p, &item, &len)) {
		snprintf(what, sizeof(what), "%s: sentinel %.*s", t->what,
		    (int)len, item);
		/* redis_sentinels_check accepted the list. */
		if (!addr_parse(item, len, &s))
			continue;
		t->sentinel = connect_addr(what, s.socket, s.host, s.port,
		    t->set, true);
		if (t->sentinel == NULL)
			continue;
		if (sentinel_query(t, t->sentinel, what, a))
			return true;
		redis_target_clear(t);
	}
	log_warn("%s: no sentinel of \"%s\" named the master of %s", t->what,
	    t->set->sentinels, t->set->master_name);
	return false;
}

bool
redis_conn_moved(struct redis_target *t)
{
	uint64_t now = now_usec();
	struct addr a;
	char addr[sizeof(t->master)];

	if (t->set->sentinels == NULL || t->set->sentinels[0] == '\0' ||
	    t->master[0] == '\0' || now - t->checked_at < RECHECK_USEC)
		return false;
	t->checked_at = now;
	if (!sentinel_ask(t, &a))
		return false;
	snprintf(addr, sizeof(addr), "%s:%d", a.host, a.port);
	if (strcmp(addr, t->master) == 0)
		return false;
	log_warn("%s: Sentinel moved the master of %s from %s to %s; "
	    "reconnecting", t->what, t->set->master_name, t->master, addr);
	return true;
}

/*
 * Finds the master through the sentinels and connects to it; checks its
 * ROLE, since during a failover a sentinel may still name a server that
 * has just been demoted. The connection (new) or NULL, logged.
 */
static redisContext *
connect_master(struct redis_target *t)
{
	struct addr a;
	char now[sizeof(t->master)];
	redisContext *ctx;
	redisReply *r;

	t->checked_at = now_usec();
	if (!sentinel_ask(t, &a))
		return NULL;
	snprintf(now, sizeof(now), "%s:%d", a.host, a.port);
	ctx = connect_addr(t->what, NULL, a.host, a.port, t->set, false);
	if (ctx == NULL)
		return NULL;
	r = redisCommand(ctx, "ROLE");
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "master") != 0) {
		log_warn("%s: %s, named master of %s by Sentinel, is not a "
		    "master (%s)", t->what, now, t->set->master_name, r == NULL ?
		    ctx->errstr : r->type == REDIS_REPLY_ERROR ? r->str :
		    r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
		    r->element[0]->type == REDIS_REPLY_STRING ?
		    r->element[0]->str : "odd ROLE reply");
		if (r != NULL)
			freeReplyObject(r);
		redisFree(ctx);
		return NULL;
	}
	freeReplyObject(r);
	if (t->master[0] != '\0' && strcmp(t->master, now) != 0) {
		t->master_changes++;
		log_info("%s: the master of %s moved from %s to %s", t->what,
		    t->set->master_name, t->master, now);
	}
	memcpy(t->master, now, strlen(now) + 1);
	return ctx;
}

struct redisContext *
redis_conn_open(struct redis_target *t)
{
	redisContext *ctx;
	redisReply *reply;

	if (t->set->sentinels != NULL && t->set->sentinels[0] != '\0')
		ctx = connect_master(t);
	else
		ctx = connect_addr(t->what, t->set->socket, t->set->host,
		    t->set->port, t->set, false);
	if (ctx == NULL)
		return NULL;
	/* Even database 0 is selected: the reply is where a server that
	 * wants a password (NOAUTH) says so, at connect, not at the first
	 * command of a request. */
	reply = redisCommand(ctx, "SELECT %lld", (long long)t->set->db);
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		if (reply != NULL && strncmp(reply->str, "NOAUTH", 6) == 0)
			log_error("%s: %s (set %spassword or "
			    "%spassword_file)", t->what, reply->str,
			    t->set->keys, t->set->keys);
		else
			log_warn("%s: SELECT %lld: %s", t->what,
			    (long long)t->set->db, reply != NULL ?
			    reply->str : ctx->errstr);
		if (reply != NULL)
			freeReplyObject(reply);
		redisFree(ctx);
		return NULL;
	}
	freeReplyObject(reply);
	return ctx;
}
