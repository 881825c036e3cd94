/*
 * worker_main.c: inventory-worker, which drains the order queue
 * (doc/design.md, "Queue protocol" and "Orders").
 *
 *   inventory-worker [--config FILE] [--drain | --follow]
 *                    [--max-seconds N] [--worker-id ID]
 *
 * Each run first takes back the jobs of workers whose heartbeat expired,
 * moves due retries back to their queues, and enqueues the pending orders
 * older than a minute that no job ever reached (the sweep). Then, per job:
 * the simulated payment, order_flow_process, and an acknowledgement, or a
 * failure that the queue retries with backoff and finally dead-letters.
 *
 * --drain (the default, for cron) stops when the queues are empty or after
 * --max-seconds; --follow (for a service) waits on the queue until
 * SIGTERM (or --max-seconds, when given), repeating the start-of-run work
 * every minute. SIGTERM or SIGINT ends either after the job in hand.
 * Overlapping runs are safe.
 *
 * Exit status: 0 success (nothing to do included); 1 configuration,
 * database or Redis failure; 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "config.h"
#include "db.h"
#include "idem.h"
#include "log.h"
#include "metrics.h"
#include "order_flow.h"
#include "queue.h"

/* --follow: how often the start-of-run work is done again */
#define HOUSEKEEP_USEC		(60 * 1000000ull)
#define PROMOTE_USEC		1000000ull	/* due retries, while busy */
#define FOLLOW_WAIT_MS		1000	/* one blocking wait (clamped) */
#define OUTAGE_PAUSE_USEC	1000000ull	/* --follow: after a failure */
#define JOB_TYPE_ORDER		"process_order"

/* Set by SIGTERM and SIGINT: finish the job in hand, then exit. */
static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* What one run did, for the summary line. */
struct tally {
	uint64_t	processed;	/* acknowledged: done, or nothing to do */
	uint64_t	cancelled;	/* of those, refused by the payment */
	uint64_t	failed;		/* handed to queue_fail */
	uint64_t	retried;	/* of those, scheduled again */
	uint64_t	dead;		/* of those, dead letters */
	uint64_t	recovered;	/* jobs of dead workers put back */
	uint64_t	swept;		/* orders enqueued by the sweep */
};

struct worker {
	const struct config	*cfg;
	struct db		*db;
	struct cache		*cache;
	struct queue		*queue;
	bool			 follow;
	struct tally		 t;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: inventory-worker [--config FILE] [--drain | --follow] "
	    "[--max-seconds N]\n"
	    "                        [--worker-id ID]\n"
	    "       inventory-worker --version\n"
	    "  --drain          process jobs until the queues are empty or N "
	    "seconds\n"
	    "                   have passed (worker_max_seconds), then exit "
	    "(default)\n"
	    "  --follow         wait for jobs until SIGTERM (for a service)\n"
	    "  --max-seconds N  time limit, 1 to 86400 (--drain: "
	    "worker_max_seconds;\n"
	    "                   --follow: none)\n"
	    "  --worker-id ID   this worker's name in Redis, unique among "
	    "running\n"
	    "                   workers (default HOSTNAME:PID)\n"
	    "exit status: 0 success, also with nothing to do; 1 "
	    "configuration,\n"
	    "database or Redis failure; 2 usage error\n");
}

/* Sleeps usec microseconds, whatever signals arrive. */
static void
sleep_usec(uint64_t usec)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(usec / 1000000u);
	ts.tv_nsec = (long)(usec % 1000000u) * 1000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

/*
 * The simulated payment: payment_delay_ms of waiting, with the heartbeat
 * kept alive through a long wait, then a refusal with probability
 * payment_failure_rate. Returns true when the payment went through.
 */
static bool
payment(struct worker *w)
{
	uint64_t left = (uint64_t)w->cfg->payment_delay_ms * 1000u;
	uint64_t slice = (uint64_t)w->cfg->worker_heartbeat_ttl * 1000000u / 3;

	while (left > 0) {
		uint64_t d = left < slice ? left : slice;

		sleep_usec(d);
		left -= d;
		/* Failing to beat is not the job's failure: at worst
		 * another worker runs it again, which is harmless. */
		(void)queue_heartbeat(w->queue);
	}
	/* random_unit() < 1 always, so a rate of 1 refuses every payment
	 * and a rate of 0 none. */
	return random_unit() >= w->cfg->payment_failure_rate;
}

/* The sweep of never-queued orders (order_flow_sweep), counted. */
static enum inv_err
sweep(struct worker *w)
{
	size_t n = 0;
	enum inv_err rc;

	rc = order_flow_sweep(w->db, w->queue, &stopping, &n);
	w->t.swept += n;
	return rc;
}

/* Moves the retries that are due back to their queues. */
static enum inv_err
promote(struct worker *w)
{
	size_t moved = 0;
	enum inv_err rc;

	rc = queue_promote(w->queue, queue_now_ms(), &moved);
	if (moved > 0)
		log_info("%zu retried job(s) due: back on their queues", moved);
	return rc;
}

/* The start of every run (and every minute of --follow). */
static enum inv_err
housekeeping(struct worker *w)
{
	size_t jobs = 0, keys = 0;
	enum inv_err rc;

	if ((rc = queue_recover(w->queue, &jobs, NULL)) != INV_OK)
		return rc;
	w->t.recovered += jobs;
	if ((rc = promote(w)) != INV_OK)
		return rc;
	if ((rc = sweep(w)) != INV_OK)
		return rc;
	/* Nothing else deletes them, and the table would only grow. */
	rc = idem_purge_expired(w->db, &keys);
	if (keys > 0)
		log_info("%zu expired idempotency key(s) purged", keys);
	return rc;
}

/*
 * Runs one claimed job and settles it with the queue. Returns INV_OK
 * when the job was settled either way; INV_UNAVAILABLE when MariaDB or
 * Redis went away (the job is not counted as failed: the caller hands it
 * back, so an outage does not use up its attempts).
 */
static enum inv_err
run_job(struct worker *w, const struct queue_job *job)
{
	uint64_t t0 = now_usec();
	enum order_status final = ORDER_PENDING;
	enum queue_fate fate;
	const char *why;
	enum inv_err rc;
	bool paid = false;
	double ms;

	if (strcmp(job->type, JOB_TYPE_ORDER) != 0) {
		rc = INV_INVALID;
		why = "unknown job type";
	} else {
		paid = payment(w);
		rc = order_flow_process(w->db, w->cache, job->order_id, paid,
		    &final);
		why = inv_strerror(rc);
	}
	if (rc == INV_UNAVAILABLE)
		return rc;
	if (rc == INV_OK || rc == INV_NOTFOUND) {
		/* A deleted order has nothing left to do. */
		if (queue_ack(w->queue, job) != INV_OK)
			return INV_UNAVAILABLE;
		w->t.processed++;
		metrics_job(METRICS_JOB_DONE);
		if (rc == INV_OK && final == ORDER_CANCELLED && !paid)
			w->t.cancelled++;
		ms = (double)(now_usec() - t0) / 1000.0;
		log_info("job %s order %" PRId64 " attempt %" PRId64 ": %s "
		    "(%.1f ms)", job->id, job->order_id, job->attempt,
		    rc == INV_NOTFOUND ? "no such order, dropped" :
		    !paid && final == ORDER_CANCELLED ?
		    "payment failed, cancelled" : order_status_name(final),
		    ms);
		return INV_OK;
	}
	if (queue_fail(w->queue, job, why, queue_now_ms(), &fate, NULL) !=
	    INV_OK)
		return INV_UNAVAILABLE;
	w->t.failed++;
	metrics_job(METRICS_JOB_FAILED);
	if (fate == QUEUE_FATE_RETRY)
		w->t.retried++;
	else if (fate == QUEUE_FATE_DEAD)
		w->t.dead++;
	ms = (double)(now_usec() - t0) / 1000.0;
	log_warn("job %s order %" PRId64 " attempt %" PRId64 ": failed: %s; "
	    "%s (%.1f ms)", job->id, job->order_id, job->attempt, why,
	    fate == QUEUE_FATE_RETRY ? "retry scheduled" :
	    fate == QUEUE_FATE_DEAD ? "dead letter" :
	    "taken back by another worker", ms);
	return INV_OK;
}

/*
 * The main loop. Returns 0 or 1 (the exit status). A failure of MariaDB
 * or Redis ends a --drain run (cron tries again in a minute) and makes a
 * --follow run pause and go on; either way the job in hand goes back to
 * its queue untouched.
 */
static int
work(struct worker *w, uint64_t max_usec)
{
	uint64_t start = now_usec(), promoted = start, housekept = start;
	struct queue_job job;
	enum inv_err rc;

	if ((rc = housekeeping(w)) != INV_OK) {
		log_error("worker: start of run: %s", inv_strerror(rc));
		if (!w->follow)
			return 1;
	}
	while (!stopping) {
		uint64_t now = now_usec();

		metrics_worker_seen();
		if (max_usec > 0 && now - start >= max_usec) {
			log_info("worker: time limit reached");
			break;
		}
		if (w->follow && now - housekept >= HOUSEKEEP_USEC) {
			housekept = now;
			if ((rc = housekeeping(w)) != INV_OK)
				log_error("worker: housekeeping: %s",
				    inv_strerror(rc));
		}
		if (now - promoted >= PROMOTE_USEC) {
			promoted = now;
			(void)promote(w);
		}
		rc = queue_claim(w->queue, w->follow ? FOLLOW_WAIT_MS : 0,
		    &job);
		if (rc == INV_NOTFOUND) {
			size_t moved = 0;
			uint64_t swept = w->t.swept;

			if (w->follow)
				continue;
			/* Empty: unless retries fell due meanwhile or the
			 * sweep (now that the queues are empty) found
			 * orders, done. */
			promoted = now_usec();
			if (queue_promote(w->queue, queue_now_ms(), &moved) ==
			    INV_OK && moved > 0)
				continue;
			if (sweep(w) == INV_OK && w->t.swept > swept)
				continue;
			break;
		}
		if (rc == INV_OK) {
			rc = run_job(w, &job);
			queue_job_free(&job);
		}
		if (rc != INV_OK) {
			log_error("worker: %s; job in hand handed back",
			    inv_strerror(rc));
			(void)queue_worker_stop(w->queue);
			if (!w->follow)
				return 1;
			sleep_usec(OUTAGE_PAUSE_USEC);
		}
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "drain", no_argument, NULL, 'd' },
		{ "follow", no_argument, NULL, 'f' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "worker-id", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cfgpath = NULL, *id = NULL;
	struct worker w;
	struct config cfg;
	struct sigaction sa;
	int64_t max_seconds = 0;
	uint64_t t0;
	char host[256], *defid = NULL;
	bool drain = false;
	int c, status;

	memset(&w, 0, sizeof(w));
	while ((c = getopt_long(argc, argv, "c:dfm:w:hV", opts, NULL)) != -1)
		switch (c) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'd':
			drain = true;
			break;
		case 'f':
			w.follow = true;
			break;
		case 'm':
			if (!str_to_i64(optarg, 1, 86400, &max_seconds)) {
				fprintf(stderr, "inventory-worker: "
				    "--max-seconds must be 1 to 86400\n");
				return 2;
			}
			break;
		case 'w':
			id = optarg;
			if (*id == '\0' || strlen(id) > 200) {
				fprintf(stderr, "inventory-worker: "
				    "--worker-id must be 1 to 200 bytes\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			print_version("inventory-worker");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	if (optind != argc) {
		fprintf(stderr, "inventory-worker: unexpected argument: %s\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	/* Rather than let the last one win: a unit or a crontab saying
	 * both is a mistake that would otherwise go unnoticed. */
	if (drain && w.follow) {
		fprintf(stderr, "inventory-worker: --drain and --follow "
		    "exclude each other\n");
		usage(stderr);
		return 2;
	}
	if (!config_startup(&cfg, cfgpath, "inventory-worker"))
		return 1;
	/* --follow runs until stopped unless told a time limit. */
	if (max_seconds == 0 && !w.follow)
		max_seconds = cfg.worker_max_seconds;
	if (id == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		id = defid = xasprintf("%s:%d", host, (int)getpid());
	}

	/* SA_RESTART: a signal must not cut a library's read or write
	 * short; the waits of this file resume by themselves. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A server closing a socket must be an error, not our death. */
	signal(SIGPIPE, SIG_IGN);

	w.cfg = &cfg;
	if (db_open(&w.db, &cfg) != INV_OK || cache_open(&w.cache, &cfg) !=
	    INV_OK || queue_open(&w.queue, &cfg) != INV_OK) {
		fprintf(stderr, "%sinventory-worker: cannot start\n",
		    log_prefix(LOG_LVL_ERROR));
		status = 1;
		goto out;
	}
	queue_set_worker(w.queue, id);
	metrics_init_kind(&cfg, METRICS_WORKER);
	log_info("worker %s: %s run", id, w.follow ? "follow" : "drain");
	t0 = now_usec();
	status = work(&w, (uint64_t)max_seconds * 1000000u);
	if (status == 0 && queue_worker_stop(w.queue) != INV_OK)
		status = 1;
	log_info("worker %s: done: processed=%" PRIu64 " cancelled=%" PRIu64
	    " failed=%" PRIu64 " retried=%" PRIu64 " dead=%" PRIu64
	    " recovered=%" PRIu64 " swept=%" PRIu64 " seconds=%.1f status=%d",
	    id, w.t.processed, w.t.cancelled, w.t.failed, w.t.retried,
	    w.t.dead, w.t.recovered, w.t.swept,
	    (double)(now_usec() - t0) / 1e6, status);
out:
	queue_close(w.queue);
	cache_close(w.cache);
	db_close(w.db);
	free(defid);
	config_free(&cfg);
	return status;
}
