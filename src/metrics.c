/*
 * metrics.c: counters in a shared memory-mapped file, one slot per
 * process. A slot is written by its owner only, with relaxed atomic adds,
 * and read by whichever process renders /metrics; a reader may see one
 * request half counted, which a scrape tolerates.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "router.h"

#define METRICS_MAGIC	0x494e564d45545231ULL	/* "INVMETR1" */
#define METRICS_SLOTS	64	/* processes of one installation */
#define METRICS_ROUTES	64	/* route table rows + 1 for "no route" */

/* Status codes counted one by one; anything else counts as "other". */
static const int statuses[] = {
	200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429,
	500, 503,
};
#define NSTATUS		(sizeof(statuses) / sizeof(statuses[0]))
#define STATUS_OTHER	NSTATUS

/* Upper bounds of the latency histogram buckets, in microseconds. */
static const uint64_t bucket_usec[] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000,
};
#define NBUCKET		(sizeof(bucket_usec) / sizeof(bucket_usec[0]))

struct slot {
	int32_t			pid;	/* owner; 0 when never used */
	int32_t			pad;
	uint64_t		requests[METRICS_ROUTES][NSTATUS + 1];
	uint64_t		buckets[NBUCKET + 1];	/* last: +Inf */
	uint64_t		latency_usec;
	struct metrics_gauges	gauges;
};

struct shared {
	uint64_t	magic;
	struct slot	slots[METRICS_SLOTS];
};

static struct shared *shm;	/* mapped file, or the private copy */
static struct slot *mine;
static struct shared private_copy;
/* What the slot's previous owner had counted: this process's own totals
 * are added to it, so a reused slot's counters never go backwards. */
static struct metrics_gauges base;

/* Claims a slot whose owner is gone; NULL when every slot is live. */
static struct slot *
claim_slot(struct shared *s)
{
	int32_t me = (int32_t)getpid();
	size_t i;

	for (i = 0; i < METRICS_SLOTS; i++) {
		int32_t owner = __atomic_load_n(&s->slots[i].pid,
		    __ATOMIC_ACQUIRE);

		if (owner == me)
			return &s->slots[i];
		if (owner != 0 && (kill(owner, 0) == 0 || errno != ESRCH))
			continue;
		if (__atomic_compare_exchange_n(&s->slots[i].pid, &owner, me,
		    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return &s->slots[i];
	}
	return NULL;
}

/* Maps path, creating and sizing it when needed; NULL on failure. */
static struct shared *
map_file(const char *path)
{
	struct shared *s;
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		log_warn("metrics: %s: %s", path, strerror(errno));
		return NULL;
	}
	/* Growing a file that another process already sized is harmless:
	 * ftruncate to the same size keeps its contents. */
	if (fstat(fd, &st) != 0 || ((size_t)st.st_size < sizeof(*s) &&
	    ftruncate(fd, sizeof(*s)) != 0)) {
		log_warn("metrics: %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (s == MAP_FAILED) {
		log_warn("metrics: mmap %s: %s", path, strerror(errno));
		return NULL;
	}
	if (s->magic == 0)
		s->magic = METRICS_MAGIC;
	if (s->magic != METRICS_MAGIC) {
		log_warn("metrics: %s is not a metrics file", path);
		munmap(s, sizeof(*s));
		return NULL;
	}
	return s;
}

void
metrics_init(const struct config *cfg)
{
	if (cfg->metrics_file[0] != '\0' &&
	    (shm = map_file(cfg->metrics_file)) != NULL &&
	    (mine = claim_slot(shm)) == NULL) {
		log_warn("metrics: all %d slots of %s are in use; this "
		    "process counts alone", METRICS_SLOTS, cfg->metrics_file);
		munmap(shm, sizeof(*shm));
		shm = NULL;
	}
	if (shm == NULL) {
		shm = &private_copy;
		mine = &private_copy.slots[0];
		mine->pid = (int32_t)getpid();
	}
	base = mine->gauges;
}

static size_t
status_index(int status)
{
	size_t i;

	for (i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return STATUS_OTHER;
}

static void
add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

void
metrics_request(int route, int status, uint64_t usec)
{
	size_t r = route >= 0 && (size_t)route < METRICS_ROUTES - 1 ?
	    (size_t)route + 1 : 0;
	size_t b = 0;

	if (mine == NULL)
		return;
	add(&mine->requests[r][status_index(status)], 1);
	while (b < NBUCKET && usec > bucket_usec[b])
		b++;
	add(&mine->buckets[b], 1);
	add(&mine->latency_usec, usec);
}

void
metrics_set_gauges(const struct metrics_gauges *g)
{
	if (mine == NULL)
		return;
	__atomic_store_n(&mine->gauges.cache_hits,
	    base.cache_hits + g->cache_hits, __ATOMIC_RELAXED);
	__atomic_store_n(&mine->gauges.cache_misses,
	    base.cache_misses + g->cache_misses, __ATOMIC_RELAXED);
	__atomic_store_n(&mine->gauges.cache_errors,
	    base.cache_errors + g->cache_errors, __ATOMIC_RELAXED);
	__atomic_store_n(&mine->gauges.db_reconnects,
	    base.db_reconnects + g->db_reconnects, __ATOMIC_RELAXED);
	__atomic_store_n(&mine->gauges.db_tx_retries,
	    base.db_tx_retries + g->db_tx_retries, __ATOMIC_RELAXED);
}

static uint64_t
load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Sum of one counter over every slot; off is its offset in a slot. */
static uint64_t
sum(size_t off)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < METRICS_SLOTS; i++)
		total += load((const uint64_t *)(const void *)
		    ((const char *)&shm->slots[i] + off));
	return total;
}

static void
render_requests(struct buf *b)
{
	size_t r, st;

	buf_puts(b, "# HELP inventory_http_requests_total HTTP requests by "
	    "route pattern and status.\n"
	    "# TYPE inventory_http_requests_total counter\n");
	for (r = 0; r < METRICS_ROUTES && r <= nroutes; r++)
		for (st = 0; st <= NSTATUS; st++) {
			uint64_t n = sum(offsetof(struct slot,
			    requests[r][st]));
			char code[8];

			if (n == 0)
				continue;
			if (st == STATUS_OTHER)
				snprintf(code, sizeof(code), "other");
			else
				snprintf(code, sizeof(code), "%d",
				    statuses[st]);
			buf_printf(b, "inventory_http_requests_total{method=\"%s\","
			    "route=\"%s\",status=\"%s\"} %llu\n",
			    r == 0 ? "" : http_method_name(routes[r - 1].method),
			    r == 0 ? "none" : routes[r - 1].pattern, code,
			    (unsigned long long)n);
		}
}

static void
render_latency(struct buf *b)
{
	uint64_t cum = 0;
	size_t i;

	buf_puts(b, "# HELP inventory_http_request_duration_seconds Time "
	    "from the request's arrival in the application to its reply.\n"
	    "# TYPE inventory_http_request_duration_seconds histogram\n");
	for (i = 0; i <= NBUCKET; i++) {
		cum += sum(offsetof(struct slot, buckets[i]));
		if (i < NBUCKET)
			buf_printf(b, "inventory_http_request_duration_seconds"
			    "_bucket{le=\"%g\"} %llu\n",
			    (double)bucket_usec[i] / 1e6,
			    (unsigned long long)cum);
		else
			buf_printf(b, "inventory_http_request_duration_seconds"
			    "_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	buf_printf(b, "inventory_http_request_duration_seconds_sum %.6f\n"
	    "inventory_http_request_duration_seconds_count %llu\n",
	    (double)sum(offsetof(struct slot, latency_usec)) / 1e6,
	    (unsigned long long)cum);
}

/* The counters of struct metrics_gauges, as exposed. */
static const struct {
	const char	*name;
	const char	*help;
	size_t		 off;
} gauge_metrics[] = {
	{ "inventory_cache_hits_total", "Inventory reads answered by Redis.",
	  offsetof(struct slot, gauges.cache_hits) },
	{ "inventory_cache_misses_total", "Inventory reads Redis did not "
	  "have.", offsetof(struct slot, gauges.cache_misses) },
	{ "inventory_cache_errors_total", "Cache operations that failed "
	  "(Redis down or slow); reads then went to MariaDB.",
	  offsetof(struct slot, gauges.cache_errors) },
	{ "inventory_db_reconnects_total", "Connections to MariaDB made "
	  "again after one was lost.",
	  offsetof(struct slot, gauges.db_reconnects) },
	{ "inventory_db_transaction_retries_total", "Transactions run again "
	  "after a deadlock or lock wait timeout.",
	  offsetof(struct slot, gauges.db_tx_retries) },
};

void
metrics_render(struct buf *b)
{
	size_t i, live = 0;

	if (shm == NULL)
		return;
	render_requests(b);
	render_latency(b);
	for (i = 0; i < sizeof(gauge_metrics) / sizeof(gauge_metrics[0]); i++)
		buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
		    gauge_metrics[i].name, gauge_metrics[i].help,
		    gauge_metrics[i].name, gauge_metrics[i].name,
		    (unsigned long long)sum(gauge_metrics[i].off));
	for (i = 0; i < METRICS_SLOTS; i++) {
		int32_t pid = __atomic_load_n(&shm->slots[i].pid,
		    __ATOMIC_RELAXED);

		if (pid != 0 && (kill(pid, 0) == 0 || errno != ESRCH))
			live++;
	}
	buf_printf(b, "# HELP inventory_processes FastCGI processes counting "
	    "into these metrics.\n# TYPE inventory_processes gauge\n"
	    "inventory_processes %zu\n", live);
}
