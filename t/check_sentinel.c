/*
 * check_sentinel.c: the cache and the queue behind Redis Sentinel, against
 * the master, replica and sentinel that tools/devstack test starts
 * (INVENTORY_TEST_SENTINELS: the sentinel's host:port,
 * INVENTORY_TEST_SENTINEL_SOCKET: its unix socket,
 * INVENTORY_TEST_SENTINEL_MASTER: the master's name). The failover test
 * promotes the replica (SENTINEL FAILOVER) while one process enqueues and
 * another drains, and checks that no job is lost that Redis's
 * asynchronous replication could not lose.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "cache.h"
#include "config.h"
#include "queue.h"
#include "testutil.h"

#define MAX_JOBS	20000	/* a bound on the producer, never reached */
#define BEFORE_JOBS	200	/* enqueued before the failover starts */
#define AFTER_JOBS	300	/* enqueued after it has completed */
#define POLL_USEC	50000
#define POLL_MAX	1200	/* 60 s of polls: a bound, not a measure */

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
	ck_assert_msg(config_load(cfg, NULL, &why) == INV_OK, "config: %s",
	    why);
}

/* A raw connection to host:port (new), failing the test otherwise. */
static redisContext *
raw_connect(const char *host, int port)
{
	redisContext *c = redisConnect(host, port);

	ck_assert_msg(c != NULL && c->err == 0, "cannot reach %s:%d", host,
	    port);
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
	s = raw_connect(host, sport);
	r = raw_cmd(s, "SENTINEL get-master-addr-by-name %s", master_name);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 2);
	*port = atoi(r->element[1]->str);
	snprintf(host, sizeof(host), "%s", r->element[0]->str);
	freeReplyObject(r);
	redisFree(s);
	return xstrdup(host);
}

/* The first word of ROLE on host:port: "master" or "slave" (new). */
static char *
role_of(const char *host, int port)
{
	redisContext *c = raw_connect(host, port);
	redisReply *r = raw_cmd(c, "ROLE");
	char *role;

	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	role = xstrdup(r->element[0]->str);
	freeReplyObject(r);
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
	c = raw_connect(host, port);
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

/* A dead sentinel first, then the unix socket: the second one answers. */
START_TEST(cache_and_queue_find_the_master)
{
	struct config cfg;
	struct cache *ch;
	struct queue *q;
	redisContext *m;
	char *list = xasprintf("127.0.0.1:1, %s", sentinel_sock);

	load_cfg(&cfg, list, master_name);
	m = master_connect(cfg.queue_redis_db);
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
 * been demoted, 2 after. For job i (order i + 1): the phase read before the
 * enqueue that succeeded and after it, and how often it was claimed.
 */
struct shared {
	int	phase;
	int	stop;		/* the consumer may stop once idle */
	int	produced;	/* jobs 0..produced-1 are enqueued */
	int	start[MAX_JOBS];
	int	end[MAX_JOBS];
	int	claimed[MAX_JOBS];
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
	_exit(0);
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

	queue_open(&q, cfg);
	snprintf(id, sizeof(id), "sentinel-test-%d", (int)getpid());
	queue_set_worker(q, id);
	for (;;) {
		rc = queue_claim(q, 200, &job);
		if (rc == INV_OK) {
			if (job.order_id >= 1 && job.order_id <= MAX_JOBS)
				__atomic_add_fetch(
				    &sh->claimed[job.order_id - 1], 1,
				    __ATOMIC_SEQ_CST);
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
	_exit(0);
}

/* Waits (bounded) until the other server is master and the old one a
 * replica. */
static void
await_failover(const char *old_host, int old_port)
{
	char *host, *role_new = NULL, *role_old = NULL;
	int i, port = old_port;

	for (i = 0; i < POLL_MAX; i++) {
		host = sentinel_master(&port);
		if (port != old_port || strcmp(host, old_host) != 0) {
			role_new = role_of(host, port);
			role_old = role_of(old_host, old_port);
		}
		free(host);
		if (role_new != NULL && strcmp(role_new, "master") == 0 &&
		    strcmp(role_old, "slave") == 0)
			break;
		free(role_new);
		free(role_old);
		role_new = role_old = NULL;
		usleep(POLL_USEC);
	}
	ck_assert_msg(i < POLL_MAX, "the failover did not complete");
	free(role_new);
	free(role_old);
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
	redisReply *r;
	char *old_host, *val;
	uint64_t gen;
	pid_t prod, cons;
	int i, old_port, st, window = 0, lost = 0, after = 0;

	load_cfg(&cfg, sentinel_tcp, master_name);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	old_host = sentinel_master(&old_port);
	m = master_connect(cfg.queue_redis_db);
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

	/*
	 * Everything that finished before phase 1 is on the replica once
	 * WAIT returns: the replication stream is one ordered log.
	 */
	set(&sh->phase, 1);
	r = raw_cmd(m, "SET inventory:test:sentinel-mark 1");
	freeReplyObject(r);
	r = raw_cmd(m, "WAIT 1 10000");
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	ck_assert_int_eq(r->integer, 1);
	freeReplyObject(r);
	redisFree(m);
	m = NULL;
	{
		char host[256];
		redisContext *s;
		int sport;

		ck_assert(sscanf(sentinel_tcp, "%255[^:]:%d", host,
		    &sport) == 2);
		s = raw_connect(host, sport);
		for (i = 0; i < POLL_MAX; i++) {
			r = raw_cmd(s, "SENTINEL FAILOVER %s", master_name);
			st = r->type == REDIS_REPLY_STATUS;
			if (!st)
				fprintf(stderr, "SENTINEL FAILOVER: %s\n",
				    r->type == REDIS_REPLY_ERROR ? r->str : "?");
			freeReplyObject(r);
			if (st)
				break;
			usleep(POLL_USEC * 4);
		}
		redisFree(s);
		ck_assert_msg(i < POLL_MAX, "SENTINEL FAILOVER refused");
	}
	await_failover(old_host, old_port);
	set(&sh->phase, 2);

	ck_assert_int_eq(waitpid(prod, &st, 0), prod);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Drained: nothing waits on the new master. */
	m = master_connect(cfg.queue_redis_db);
	for (i = 0; i < POLL_MAX; i++) {
		if (raw_int(m, "LLEN %s", "inventory:queue:default") == 0)
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
	}
	fprintf(stderr, "failover: %d jobs enqueued, %d during the failover, "
	    "%d of those lost; %d enqueued after it, all drained\n",
	    sh->produced, window, lost, after);
	ck_assert_int_ge(after, AFTER_JOBS);

	/* The cache found the new master and dropped what it had cached
	 * before (the value itself was replicated). */
	ck_assert_int_eq(cache_fetch_settled(ch, &val, &gen), INV_NOTFOUND);
	ck_assert_int_eq(raw_int(m, "EXISTS %s", "inventory:test:sentinel-mark"),
	    1);
	r = raw_cmd(m, "DEL inventory:test:sentinel-mark");
	freeReplyObject(r);
	wipe_queue(m);
	redisFree(m);
	cache_close(ch);
	free(old_host);
	munmap(sh, sizeof(*sh));
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
	suite_add_tcase(s, fo);
	return s;
}

int
main(void)
{
	need_sentinel();
	return tu_run(sentinel_suite(), NULL);
}
