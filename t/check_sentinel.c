/*
 * check_sentinel.c: the cache and the queue behind Redis Sentinel, against
 * the master, replica and sentinel that tools/devstack test starts
 * (INVENTORY_TEST_SENTINELS: the sentinel's host:port,
 * INVENTORY_TEST_SENTINEL_SOCKET: its unix socket,
 * INVENTORY_TEST_SENTINEL_MASTER: the master's name). The failover test
 * promotes the replica (SENTINEL FAILOVER) while one process enqueues and
 * another drains, and checks that no job is lost, and none claimed twice,
 * that Redis's asynchronous replication could not lose or bring back; a
 * second one does the same with orders placed through the router and the
 * real inventory-worker ($INVENTORY_WORKER) processing them.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "queue.h"
#include "testutil.h"

#define MAX_JOBS	20000	/* a bound on the producer, never reached */
#define BEFORE_JOBS	200	/* enqueued before the failover starts */
#define AFTER_JOBS	300	/* enqueued after it has completed */
#define POLL_USEC	50000
#define POLL_MAX	1200	/* 60 s of polls: a bound, not a measure */
/* The environment variables of the pair's and the sentinel's passwords. */
#define PAIR_PW		"INVENTORY_TEST_REDIS_PASSWORD"
#define SENTINEL_PW	"INVENTORY_TEST_SENTINEL_PASSWORD"

static const char *sentinel_tcp, *sentinel_sock, *master_name;

/* Exits 77 unless the harness started Sentinel too. */
static void
need_sentinel(void)
{
	tu_need_services();
	sentinel_tcp = getenv("INVENTORY_TEST_SENTINELS");
	sentinel_sock = getenv("INVENTORY_TEST_SENTINEL_SOCKET");
	master_name = getenv("INVENTORY_TEST_SENTINEL_MASTER");
	if (sentinel_tcp == NULL || sentinel_sock == NULL ||
	    master_name == NULL) {
		fprintf(stderr, "skipped: needs Redis Sentinel "
		    "(run tools/devstack test)\n");
		exit(77);
	}
}

/*
 * The test configuration with both the cache and the queue behind the
 * sentinels list and master name given (borrowed). Free with config_free.
 */
static void
load_cfg(struct config *cfg, const char *sentinels, const char *name)
{
	char *why;

	setenv("INVENTORY_REDIS_SENTINELS", sentinels, 1);
	setenv("INVENTORY_REDIS_MASTER_NAME", name, 1);
	setenv("INVENTORY_QUEUE_REDIS_SENTINELS", sentinels, 1);
	setenv("INVENTORY_QUEUE_REDIS_MASTER_NAME", name, 1);
	/* The sentinel's own password (the pair's come with the file). */
	if (getenv("INVENTORY_TEST_SENTINEL_PASSWORD") != NULL) {
		setenv("INVENTORY_REDIS_SENTINEL_PASSWORD",
		    getenv("INVENTORY_TEST_SENTINEL_PASSWORD"), 1);
		setenv("INVENTORY_QUEUE_REDIS_SENTINEL_PASSWORD",
		    getenv("INVENTORY_TEST_SENTINEL_PASSWORD"), 1);
	}
	ck_assert_msg(config_load(cfg, NULL, &why) == INV_OK, "config: %s",
	    why);
}

/*
 * AUTH on c with the password in the environment variable pwvar, when it
 * is set. False on an I/O error; a refused password fails the test.
 */
static bool
raw_auth(redisContext *c, const char *pwvar)
{
	const char *pw = getenv(pwvar);
	redisReply *r;

	if (pw == NULL)
		return true;
	if ((r = redisCommand(c, "AUTH %s", pw)) == NULL)
		return false;
	ck_assert_msg(r->type == REDIS_REPLY_STATUS, "AUTH (%s) refused: %s",
	    pwvar, r->type == REDIS_REPLY_ERROR ? r->str : "?");
	freeReplyObject(r);
	return true;
}

/*
 * A raw connection to host:port (new), logged in with the password in the
 * environment variable pwvar when it is set (INVENTORY_TEST_REDIS_PASSWORD
 * for the pair, INVENTORY_TEST_SENTINEL_PASSWORD for the sentinel);
 * failing the test otherwise.
 */
static redisContext *
raw_connect(const char *host, int port, const char *pwvar)
{
	redisContext *c = redisConnect(host, port);

	ck_assert_msg(c != NULL && c->err == 0, "cannot reach %s:%d", host,
	    port);
	ck_assert_msg(raw_auth(c, pwvar), "%s:%d: %s", host, port, c->errstr);
	return c;
}

/* A command's reply (new), never NULL. */
static redisReply *
raw_cmd(redisContext *c, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	ck_assert_msg(r != NULL, "redis: %s", c->errstr);
	return r;
}

/* The sentinel's answer: where the master is now (*port, host new). */
static char *
sentinel_master(int *port)
{
	char host[256];
	redisContext *s;
	redisReply *r;
	int sport;

	ck_assert(sscanf(sentinel_tcp, "%255[^:]:%d", host, &sport) == 2);
	s = raw_connect(host, sport, SENTINEL_PW);
	r = raw_cmd(s, "SENTINEL get-master-addr-by-name %s", master_name);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 2);
	*port = atoi(r->element[1]->str);
	snprintf(host, sizeof(host), "%s", r->element[0]->str);
	freeReplyObject(r);
	redisFree(s);
	return xstrdup(host);
}

/*
 * The first word of ROLE on host:port: "master" or "slave" (new); "?"
 * when the connection broke: while Sentinel reconfigures a server it
 * ends its clients' connections (CLIENT KILL TYPE normal), and a caller
 * polling for the end of a failover asks again.
 */
static char *
role_of(const char *host, int port)
{
	redisContext *c = redisConnect(host, port);
	redisReply *r = NULL;
	char *role;

	if (c != NULL && c->err == 0 && raw_auth(c, PAIR_PW))
		r = redisCommand(c, "ROLE");
	if (r == NULL)
		role = xstrdup("?");
	else {
		ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
		role = xstrdup(r->element[0]->str);
		freeReplyObject(r);
	}
	if (c != NULL)
		redisFree(c);
	return role;
}

/* A raw connection to the current master, on database db (new). */
static redisContext *
master_connect(long long db)
{
	redisContext *c;
	redisReply *r;
	char *host;
	int port;

	host = sentinel_master(&port);
	c = raw_connect(host, port, PAIR_PW);
	free(host);
	r = raw_cmd(c, "SELECT %lld", db);
	freeReplyObject(r);
	return c;
}

/* Deletes the queue's keys on the master. */
static void
wipe_queue(redisContext *c)
{
	redisReply *keys = raw_cmd(c, "KEYS inventory:queue:*"), *r;
	size_t i;

	for (i = 0; i < keys->elements; i++) {
		r = raw_cmd(c, "DEL %s", keys->element[i]->str);
		freeReplyObject(r);
	}
	freeReplyObject(keys);
}

static long long
raw_int(redisContext *c, const char *fmt, const char *arg)
{
	redisReply *r = raw_cmd(c, fmt, arg);
	long long v;

	ck_assert_msg(r->type == REDIS_REPLY_INTEGER, "not an integer: %s",
	    r->type == REDIS_REPLY_ERROR ? r->str : "?");
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/*
 * An integer command on the current master, database db, on a
 * connection of its own: for after a failover, when Sentinel may still
 * end the connections of the servers it reconfigures (CLIENT KILL TYPE
 * normal), so an I/O error means "ask again", within POLL_MAX tries.
 */
static long long
master_int(long long db, const char *fmt, const char *arg)
{
	redisContext *c;
	redisReply *r;
	char *host;
	int port, i;
	long long v;

	for (i = 0; i < POLL_MAX; i++) {
		host = sentinel_master(&port);
		c = redisConnect(host, port);
		free(host);
		r = NULL;
		if (c != NULL && c->err == 0 && raw_auth(c, PAIR_PW) &&
		    (r = redisCommand(c, "SELECT %lld", db)) != NULL) {
			freeReplyObject(r);
			r = redisCommand(c, fmt, arg);
		}
		if (r != NULL) {
			ck_assert_msg(r->type == REDIS_REPLY_INTEGER,
			    "not an integer: %s", r->type ==
			    REDIS_REPLY_ERROR ? r->str : "?");
			v = r->integer;
			freeReplyObject(r);
			redisFree(c);
			return v;
		}
		if (c != NULL)
			redisFree(c);
		usleep(POLL_USEC);
	}
	ck_abort_msg("the master did not answer \"%s\"", fmt);
	return -1;
}

/* A dead sentinel first, then the unix socket: the second one answers. */
START_TEST(cache_and_queue_find_the_master)
{
	struct config cfg;
	struct cache *ch;
	struct queue *q;
	redisContext *m;
	char *list = xasprintf("127.0.0.1:1, %s", sentinel_sock);

	load_cfg(&cfg, list, master_name);
	m = master_connect(cfg.queue_redis.db);
	wipe_queue(m);
	ck_assert_int_eq(queue_open(&q, &cfg), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 7), INV_OK);
	ck_assert_int_eq(raw_int(m, "LLEN %s", "inventory:queue:high"), 1);
	ck_assert_int_eq(cache_open(&ch, &cfg), INV_OK);
	ck_assert_int_eq(cache_ping(ch), INV_OK);
	wipe_queue(m);
	cache_close(ch);
	queue_close(q);
	redisFree(m);
	config_free(&cfg);
	free(list);
}
END_TEST

START_TEST(unknown_master_is_unavailable)
{
	struct config cfg;
	struct cache *ch;
	struct queue *q;

	load_cfg(&cfg, sentinel_tcp, "no-such-master");
	ck_assert_int_eq(queue_open(&q, &cfg), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 7), INV_UNAVAILABLE);
	ck_assert_int_eq(cache_open(&ch, &cfg), INV_OK);
	ck_assert_int_eq(cache_ping(ch), INV_UNAVAILABLE);
	cache_close(ch);
	queue_close(q);
	config_free(&cfg);
}
END_TEST

START_TEST(no_sentinel_answers)
{
	struct config cfg;
	struct queue *q;

	load_cfg(&cfg, "127.0.0.1:1,127.0.0.1:2", master_name);
	ck_assert_int_eq(queue_open(&q, &cfg), INV_OK);
	ck_assert_int_eq(queue_enqueue_order(q, QUEUE_HIGH, 7), INV_UNAVAILABLE);
	queue_close(q);
	config_free(&cfg);
}
END_TEST

/*
 * Shared by the processes of the failover test. phase: 0 before the
 * failover, 1 from just before SENTINEL FAILOVER until the old master has
 * been demoted, 2 after. For job i (order i + 1): the phase read before
 * its first try to enqueue it, before the try that succeeded and after
 * it; how often it was claimed; the phase read before its first claim
 * and after it.
 */
struct shared {
	int	phase;
	int	stop;		/* the consumer may stop once idle */
	int	produced;	/* jobs 0..produced-1 are enqueued */
	int	first[MAX_JOBS];
	int	start[MAX_JOBS];
	int	end[MAX_JOBS];
	int	claimed[MAX_JOBS];
	int	claim_start[MAX_JOBS];
	int	claim_end[MAX_JOBS];
};

static int
get(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void
set(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* Enqueues jobs at a light pace, each until Redis takes it, until
 * AFTER_JOBS of them were started after the failover. */
static void
producer(const struct config *cfg, struct shared *sh)
{
	struct queue *q;
	int i, s, after = 0;

	queue_open(&q, cfg);
	for (i = 0; i < MAX_JOBS && after < AFTER_JOBS; i++) {
		sh->first[i] = get(&sh->phase);
		for (;;) {
			s = get(&sh->phase);
			if (queue_enqueue_order(q, QUEUE_DEFAULT, i + 1) ==
			    INV_OK)
				break;
			usleep(10000);
		}
		sh->start[i] = s;
		sh->end[i] = get(&sh->phase);
		set(&sh->produced, i + 1);
		if (s == 2)
			after++;
		usleep(2000);
	}
	queue_close(q);
	tu_child_exit(0);
}

/* Claims and acknowledges jobs, counting them, until told to stop and
 * nothing is left. */
static void
consumer(const struct config *cfg, struct shared *sh)
{
	struct queue_job job;
	struct queue *q;
	enum inv_err rc;
	char id[32];
	int s, e, j;

	queue_open(&q, cfg);
	snprintf(id, sizeof(id), "sentinel-test-%d", (int)getpid());
	queue_set_worker(q, id);
	for (;;) {
		s = get(&sh->phase);
		rc = queue_claim(q, 200, &job);
		if (rc == INV_OK) {
			e = get(&sh->phase);
			j = (int)job.order_id - 1;
			if (j >= 0 && j < MAX_JOBS && sh->claimed[j]++ == 0) {
				sh->claim_start[j] = s;
				sh->claim_end[j] = e;
			}
			(void)queue_ack(q, &job);
			queue_job_free(&job);
		} else if (rc == INV_NOTFOUND) {
			if (get(&sh->stop))
				break;
		} else
			usleep(10000);
	}
	(void)queue_worker_stop(q);
	queue_close(q);
	tu_child_exit(0);
}

/*
 * Returns once everything written so far on master m is on the replica:
 * the replication stream is one ordered log, so WAIT after a write of our
 * own covers every earlier write of every client.
 */
static void
replicated(redisContext *m)
{
	redisReply *r;

	r = raw_cmd(m, "SET inventory:test:sentinel-mark 1");
	freeReplyObject(r);
	r = raw_cmd(m, "WAIT 1 10000");
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	ck_assert_int_eq(r->integer, 1);
	freeReplyObject(r);
}

/* Starts the failover (retrying while Sentinel refuses, e.g. INPROG). */
static void
sentinel_failover(void)
{
	char host[256];
	redisContext *s;
	redisReply *r;
	int i, sport, ok = 0;

	ck_assert(sscanf(sentinel_tcp, "%255[^:]:%d", host, &sport) == 2);
	s = raw_connect(host, sport, SENTINEL_PW);
	for (i = 0; i < POLL_MAX && !ok; i++) {
		r = raw_cmd(s, "SENTINEL FAILOVER %s", master_name);
		ok = r->type == REDIS_REPLY_STATUS;
		if (!ok)
			fprintf(stderr, "SENTINEL FAILOVER: %s\n",
			    r->type == REDIS_REPLY_ERROR ? r->str : "?");
		freeReplyObject(r);
		if (!ok)
			usleep(POLL_USEC * 4);
	}
	redisFree(s);
	ck_assert_msg(ok, "SENTINEL FAILOVER refused");
}

/* True once the other server is master and the old one a replica. */
static bool
failover_done(const char *old_host, int old_port)
{
	char *host, *role_new, *role_old;
	bool done = false;
	int port;

	host = sentinel_master(&port);
	if (port != old_port || strcmp(host, old_host) != 0) {
		role_new = role_of(host, port);
		role_old = role_of(old_host, old_port);
		done = strcmp(role_new, "master") == 0 &&
		    strcmp(role_old, "slave") == 0;
		free(role_new);
		free(role_old);
	}
	free(host);
	return done;
}

/* Waits (bounded) until the other server is master and the old one a
 * replica. */
static void
await_failover(const char *old_host, int old_port)
{
	int i;

	for (i = 0; i < POLL_MAX && !failover_done(old_host, old_port); i++)
		usleep(POLL_USEC);
	ck_assert_msg(i < POLL_MAX, "the failover did not complete");
}

/* Fetches (bounded wait while the cache reconnects): INV_OK or
 * INV_NOTFOUND. */
static enum inv_err
cache_fetch_settled(struct cache *ch, char **val, uint64_t *gen)
{
	enum inv_err rc = INV_UNAVAILABLE;
	int i;

	for (i = 0; i < POLL_MAX && rc == INV_UNAVAILABLE; i++) {
		rc = cache_fetch(ch, CACHE_SCOPE_ITEM, 77, "", val, gen);
		if (rc == INV_UNAVAILABLE)
			usleep(POLL_USEC);
	}
	return rc;
}

START_TEST(failover_under_load)
{
	struct shared *sh;
	struct config cfg;
	struct cache *ch;
	redisContext *m;
	char *old_host, *val;
	uint64_t gen;
	pid_t prod, cons;
	int i, old_port, st, window = 0, lost = 0, after = 0, twice = 0;

	load_cfg(&cfg, sentinel_tcp, master_name);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	old_host = sentinel_master(&old_port);
	m = master_connect(cfg.queue_redis.db);
	wipe_queue(m);

	/* A cached value, on the master before the failover. */
	ck_assert_int_eq(cache_open(&ch, &cfg), INV_OK);
	ck_assert_int_eq(cache_fetch_settled(ch, &val, &gen), INV_NOTFOUND);
	cache_store(ch, CACHE_SCOPE_ITEM, 77, "", gen, "v1", 2, 600);
	ck_assert_int_eq(cache_fetch_settled(ch, &val, &gen), INV_OK);
	ck_assert_str_eq(val, "v1");
	free(val);

	if ((prod = fork()) == 0)
		producer(&cfg, sh);
	if ((cons = fork()) == 0)
		consumer(&cfg, sh);
	ck_assert(prod > 0 && cons > 0);
	for (i = 0; i < POLL_MAX && get(&sh->produced) < BEFORE_JOBS; i++)
		usleep(POLL_USEC);
	ck_assert_int_ge(get(&sh->produced), BEFORE_JOBS);

	/* Everything that finished before phase 1 is on the replica. */
	set(&sh->phase, 1);
	replicated(m);
	redisFree(m);
	m = NULL;
	sentinel_failover();
	await_failover(old_host, old_port);
	set(&sh->phase, 2);

	ck_assert_int_eq(waitpid(prod, &st, 0), prod);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Drained: nothing waits on the new master. */
	for (i = 0; i < POLL_MAX; i++) {
		if (master_int(cfg.queue_redis.db, "LLEN %s",
		    "inventory:queue:default") == 0)
			break;
		usleep(POLL_USEC);
	}
	ck_assert_msg(i < POLL_MAX, "the consumer did not drain the queue");
	set(&sh->stop, 1);
	ck_assert_int_eq(waitpid(cons, &st, 0), cons);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	for (i = 0; i < sh->produced; i++) {
		bool safe = sh->end[i] == 0 || sh->start[i] == 2;

		if (sh->start[i] == 2)
			after++;
		if (!safe)
			window++;
		if (sh->claimed[i] == 0) {
			lost++;
			ck_assert_msg(!safe, "job %d (phase %d..%d) was lost",
			    i + 1, sh->start[i], sh->end[i]);
		}
		/* Claimed twice: only when a write that Redis acknowledged
		 * but had not replicated yet was lost with the old master,
		 * an enqueue (then retried) or a claim in the window. */
		if (sh->claimed[i] > 1) {
			twice++;
			ck_assert_msg((sh->first[i] != 2 && sh->end[i] != 0) ||
			    (sh->claim_start[i] != 2 &&
			    sh->claim_end[i] != 0), "job %d claimed %d times "
			    "(enqueued in phase %d..%d, claimed in %d..%d)",
			    i + 1, sh->claimed[i], sh->first[i], sh->end[i],
			    sh->claim_start[i], sh->claim_end[i]);
		}
	}
	fprintf(stderr, "failover: %d jobs enqueued, %d during the failover, "
	    "%d of those lost; %d enqueued after it, all drained; %d jobs "
	    "claimed twice in the window\n", sh->produced, window, lost,
	    after, twice);
	ck_assert_int_ge(after, AFTER_JOBS);

	/* The cache found the new master and dropped what it had cached
	 * before (the value itself was replicated). */
	ck_assert_int_eq(cache_fetch_settled(ch, &val, &gen), INV_NOTFOUND);
	ck_assert_int_eq(master_int(cfg.queue_redis.db, "DEL %s",
	    "inventory:test:sentinel-mark"), 1);
	cache_close(ch);
	free(old_host);
	munmap(sh, sizeof(*sh));
	config_free(&cfg);
}
END_TEST

/* Places an order of one unit of product_id through the router: its id. */
static int64_t
place_order(struct app *a, const char *token, int64_t product_id)
{
	struct http_resp resp;
	struct json_object *o;
	char *body;
	int64_t id = 0;

	body = xasprintf("{\"shipping_address\":\"1 Failover Road\","
	    "\"items\":[{\"product_id\":%" PRId64 ",\"quantity\":1}]}",
	    product_id);
	tu_request(a, "POST", "/api/v1/orders", token, "application/json",
	    body, &resp);
	ck_assert_msg(resp.status == 201, "POST /orders: %d", resp.status);
	o = tu_json(&resp);
	ck_assert(json_get_int(o, "id", &id) && id > 0);
	json_object_put(o);
	http_resp_free(&resp);
	free(body);
	return id;
}

/* Starts the worker program bin with argv (argv[0] included), the
 * environment inherited (the Sentinel settings), its output to logf. */
static pid_t
spawn_worker(const char *bin, const char *const *argv, const char *logf)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == 0) {
		if ((fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0 ||
		    dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			tu_child_exit(126);
		execv(bin, (char *const *)argv);
		tu_child_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	return pid;
}

/* Runs the worker program to its end: its exit status. */
static int
run_worker(const char *bin, const char *const *argv, const char *logf)
{
	pid_t pid = spawn_worker(bin, argv, logf);
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "the worker died (log: %s)", logf);
	return WEXITSTATUS(st);
}

/* How many of the token's orders are pending (up to 100). */
static int
pending_orders(struct app *a, const char *token)
{
	struct http_resp resp;
	struct json_object *o;
	int n;

	tu_request(a, "GET", "/api/v1/orders?status=pending&limit=100", token,
	    NULL, NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	o = tu_json(&resp);
	ck_assert(json_object_is_type(o, json_type_array));
	n = (int)json_object_array_length(o);
	json_object_put(o);
	http_resp_free(&resp);
	return n;
}

/* Runs trusted SQL that signals unless cond holds: INV_OK when it does. */
static enum inv_err
sql_holds(struct app *a, const char *cond)
{
	char *sql = xasprintf("BEGIN NOT ATOMIC IF NOT COALESCE((%s), FALSE) "
	    "THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'false'; "
	    "END IF; END", cond);
	enum inv_err rc = db_exec_script(a->db, sql);

	free(sql);
	return rc;
}

/*
 * Orders placed through the router (what inventory.fcgi runs) while the
 * real `inventory-worker --follow` processes them, both behind Sentinel,
 * across a failover. Every order placed before it (its job replicated:
 * WAIT) or after it completed is processed; an order whose job only the
 * old master had stays pending until the sweep of a worker run enqueues
 * it again, a minute later (the test makes them a minute older).
 */
START_TEST(app_and_worker_follow_a_failover)
{
	const char *wbin = getenv("INVENTORY_WORKER");
	const char *follow[] = { "inventory-worker", "--follow",
	    "--worker-id", "sentinel-follower", NULL };
	const char *drain[] = { "inventory-worker", "--drain", "--worker-id",
	    "sentinel-sweeper", NULL };
	struct db_val u[4] = { DB_STR("failover@example.com"),
	    DB_STR("Failover"), DB_STR("$scrypt$unused"), DB_INT(0) };
	char jti[AUTH_JTI_LEN + 1], *token = NULL, *old_host, logf[64], *cond;
	struct config cfg;
	struct app *a;
	redisContext *m;
	redisReply *r;
	uint64_t uid;
	int64_t id, last_before = 0, first_after = 0, placed = 0;
	int i, phase = 0, old_port, st, after = 0, left;
	pid_t worker;

	ck_assert_msg(wbin != NULL && *wbin != '\0', "INVENTORY_WORKER unset");
	/* The app below loads the test config with these overrides. */
	load_cfg(&cfg, sentinel_tcp, master_name);
	a = tu_app_new();
	tu_reset_db(a);
	m = master_connect(cfg.queue_redis.db);
	wipe_queue(m);
	ck_assert_int_eq(db_exec(a->db, STMT_USER_INSERT, u, 4, NULL, NULL,
	    &uid), INV_OK);
	random_hex(jti, AUTH_JTI_LEN / 2);
	ck_assert_int_eq(auth_token_issue(a->cfg, TOKEN_ACCESS, (int64_t)uid,
	    false, 0, jti, time(NULL), &token), INV_OK);
	ck_assert_int_eq(db_exec_script(a->db, "INSERT INTO products (id, sku, "
	    "name, price) VALUES (1, 'FAILOVER', 'Failover', 1.00);"
	    "INSERT INTO inventory (id, product_id, quantity_in_stock) "
	    "VALUES (1, 1, 1000000);"
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, reason) VALUES (1, 1, 1000000, 'initial')"),
	    INV_OK);

	snprintf(logf, sizeof(logf), "/tmp/check_sentinel.%d.log",
	    (int)getpid());
	worker = spawn_worker(wbin, follow, logf);
	old_host = sentinel_master(&old_port);

	/* One order about every 10 ms, until 50 came after the failover. */
	for (i = 0; i < MAX_JOBS && after < 50; i++) {
		int s = phase;

		id = place_order(a, token, 1);
		placed++;
		if (s == 0 && phase == 0)
			last_before = id;
		if (s == 2 && after++ == 0)
			first_after = id;
		if (phase == 0 && placed == 50) {
			phase = 1;
			replicated(m);
			sentinel_failover();
		} else if (phase == 1 && failover_done(old_host, old_port))
			phase = 2;
		usleep(10000);
	}
	ck_assert_int_eq(phase, 2);
	ck_assert_int_gt(last_before, 0);
	ck_assert_int_gt(first_after, last_before);

	/* The worker processes every order outside the window. */
	cond = xasprintf("NOT EXISTS (SELECT 1 FROM orders WHERE status = "
	    "'pending' AND (id <= %" PRId64 " OR id >= %" PRId64 "))",
	    last_before, first_after);
	for (i = 0; i < POLL_MAX && sql_holds(a, cond) != INV_OK; i++)
		usleep(POLL_USEC);
	ck_assert_msg(i < POLL_MAX, "orders outside the failover stay pending "
	    "(worker log: %s)", logf);
	free(cond);
	ck_assert_int_eq(kill(worker, SIGTERM), 0);
	ck_assert_int_eq(waitpid(worker, &st, 0), worker);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the worker ended badly (log: %s)", logf);

	left = pending_orders(a, token);
	fprintf(stderr, "app and worker: %" PRId64 " orders placed, %" PRId64
	    " during the failover, %d of those left pending; every other one "
	    "processed\n", placed, first_after - last_before - 1, left);

	/* A minute later the sweep of a worker run enqueues those again. */
	ck_assert_int_eq(db_exec_script(a->db, "UPDATE orders SET created_at "
	    "= created_at - INTERVAL 2 MINUTE WHERE status = 'pending'"),
	    INV_OK);
	ck_assert_int_eq(run_worker(wbin, drain, logf), 0);
	ck_assert_msg(sql_holds(a, "NOT EXISTS (SELECT 1 FROM orders WHERE "
	    "status <> 'processing')") == INV_OK, "orders left behind after "
	    "the sweep (worker log: %s)", logf);
	unlink(logf);

	redisFree(m);
	m = master_connect(cfg.queue_redis.db);
	r = raw_cmd(m, "DEL inventory:test:sentinel-mark");
	freeReplyObject(r);
	wipe_queue(m);
	redisFree(m);
	free(old_host);
	free(token);
	tu_app_free(a);
	config_free(&cfg);
}
END_TEST

static Suite *
sentinel_suite(void)
{
	Suite *s = suite_create("sentinel");
	TCase *tc = tcase_create("resolve");
	TCase *fo = tcase_create("failover");

	tcase_add_test(tc, cache_and_queue_find_the_master);
	tcase_add_test(tc, unknown_master_is_unavailable);
	tcase_add_test(tc, no_sentinel_answers);
	suite_add_tcase(s, tc);
	/* Sentinel takes seconds to reconfigure the old master. */
	tcase_set_timeout(fo, 180);
	tcase_add_test(fo, failover_under_load);
	tcase_add_test(fo, app_and_worker_follow_a_failover);
	suite_add_tcase(s, fo);
	return s;
}

int
main(void)
{
	need_sentinel();
	return tu_run(sentinel_suite(), NULL);
}
