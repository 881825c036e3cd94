/*
 * metrics.c: counters in a shared memory-mapped file, one slot per
 * process. A slot is written by its owner only, with relaxed atomic adds,
 * and read by whichever process renders /metrics; a reader may see one
 * request half counted, which a scrape tolerates.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "router.h"

/* A new layout gets a new magic: a file of another version is replaced
 * (replace_stale), never read with the wrong layout. */
#define METRICS_MAGIC	0x494e564d45545233ULL	/* "INVMETR3" */
#define METRICS_SLOTS	64	/* processes of one installation */
#define METRICS_ROUTES	64	/* route table rows + 1 for "no route" */
/* Room for the statement table to grow without changing the file's
 * layout, which would need a new magic. */
#define METRICS_STMTS	128
_Static_assert(STMT__MAX <= METRICS_STMTS, "metrics file too small");

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
	int32_t			kind;	/* the owner's enum metrics_kind */
	uint64_t		requests[METRICS_ROUTES][NSTATUS + 1];
	/* Latency by route (index as in requests); last bucket: +Inf. */
	uint64_t		buckets[METRICS_ROUTES][NBUCKET + 1];
	uint64_t		latency_usec[METRICS_ROUTES];
	/* Statement run time by enum stmt. */
	uint64_t		db_buckets[METRICS_STMTS][NBUCKET + 1];
	uint64_t		db_usec[METRICS_STMTS];
	struct metrics_gauges	gauges;
	/* Worker: jobs settled (by enum metrics_job), and the last time
	 * (seconds since the epoch) this slot's worker was at work. A
	 * slot's next owner adds to the counts, so they never go back. */
	uint64_t		jobs[METRICS_JOB__MAX];
	int64_t			worker_seen;
};

struct shared {
	uint64_t	magic;
	/* The last `inventoryctl audit`: when (seconds since the epoch, 0
	 * never) and how many violations it found. */
	int64_t		audit_time;
	int64_t		audit_violations;
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

/*
 * The file at path is another version's (another layout): puts a fresh
 * one in its place, unless another process did so already. fd is open on
 * the stale file; processes of that version keep the one they mapped.
 * The lock on the stale file makes concurrent starts replace it once.
 */
static bool
replace_stale(const char *path, int fd)
{
	struct stat old, cur;
	char *tmp = xasprintf("%s.XXXXXX", path);
	uint64_t magic = METRICS_MAGIC;
	bool ok = false;
	int nfd = -1;

	if (flock(fd, LOCK_EX) != 0 || fstat(fd, &old) != 0)
		goto out;
	if (stat(path, &cur) != 0 || cur.st_ino != old.st_ino ||
	    cur.st_dev != old.st_dev) {
		ok = true;	/* already replaced */
		goto out;
	}
	if ((nfd = mkostemp(tmp, O_CLOEXEC)) < 0 ||
	    ftruncate(nfd, sizeof(struct shared)) != 0 ||
	    pwrite(nfd, &magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    rename(tmp, path) != 0) {
		if (nfd >= 0)
			unlink(tmp);
		goto out;
	}
	log_warn("metrics: %s was another version's file: replaced", path);
	ok = true;
out:
	if (!ok)
		log_warn("metrics: %s is another version's file and cannot be "
		    "replaced: %s", path, strerror(errno));
	if (nfd >= 0)
		close(nfd);
	(void)flock(fd, LOCK_UN);
	free(tmp);
	return ok;
}

/*
 * Opens path read-write, creating it when create; the descriptor of a
 * file of this version (its magic, or none yet), -1 on failure.
 */
static int
open_current(const char *path, bool create)
{
	uint64_t magic;
	int fd, tries;

	/* Twice: once more after replacing a stale file. */
	for (tries = 0; tries < 2; tries++) {
		if ((fd = open(path, O_RDWR | O_CLOEXEC |
		    (create ? O_CREAT : 0), 0600)) < 0) {
			log_warn("metrics: %s: %s", path, strerror(errno));
			return -1;
		}
		if (pread(fd, &magic, sizeof(magic), 0) !=
		    (ssize_t)sizeof(magic) || magic == 0 ||
		    magic == METRICS_MAGIC)
			return fd;
		if (!replace_stale(path, fd)) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	log_warn("metrics: %s keeps changing", path);
	return -1;
}

/* Maps path, creating and sizing it when create; NULL on failure. */
static struct shared *
map_file(const char *path, bool create)
{
	struct shared *s;
	struct stat st;
	uint64_t zero = 0;
	int fd;

	if ((fd = open_current(path, create)) < 0)
		return NULL;
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
	(void)__atomic_compare_exchange_n(&s->magic, &zero, METRICS_MAGIC,
	    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
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
	metrics_init_kind(cfg, METRICS_FCGI);
}

void
metrics_init_kind(const struct config *cfg, enum metrics_kind kind)
{
	if (cfg->metrics_file[0] != '\0' &&
	    (shm = map_file(cfg->metrics_file, true)) != NULL &&
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
	mine->kind = (int32_t)kind;
	base = mine->gauges;
	db_set_statement_timer(metrics_statement);
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

static size_t
bucket_index(uint64_t usec)
{
	size_t b = 0;

	while (b < NBUCKET && usec > bucket_usec[b])
		b++;
	return b;
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

	if (mine == NULL)
		return;
	add(&mine->requests[r][status_index(status)], 1);
	add(&mine->buckets[r][bucket_index(usec)], 1);
	add(&mine->latency_usec[r], usec);
}

void
metrics_statement(int st, uint64_t usec)
{
	if (mine == NULL || st < 0 || st >= METRICS_STMTS)
		return;
	add(&mine->db_buckets[st][bucket_index(usec)], 1);
	add(&mine->db_usec[st], usec);
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

void
metrics_job(enum metrics_job result)
{
	if (mine == NULL || result < 0 || result >= METRICS_JOB__MAX)
		return;
	add(&mine->jobs[result], 1);
}

void
metrics_worker_seen(void)
{
	if (mine != NULL)
		__atomic_store_n(&mine->worker_seen, (int64_t)time(NULL),
		    __ATOMIC_RELAXED);
}

bool
metrics_audit_store(const struct config *cfg, int64_t violations)
{
	struct shared *s;

	/* Never created here: a file made by an administrator's audit
	 * would belong to root, and the services could not open it. */
	if (cfg->metrics_file[0] == '\0' ||
	    (s = map_file(cfg->metrics_file, false)) == NULL)
		return false;
	__atomic_store_n(&s->audit_violations, violations, __ATOMIC_RELAXED);
	__atomic_store_n(&s->audit_time, (int64_t)time(NULL),
	    __ATOMIC_RELEASE);
	munmap(s, sizeof(*s));
	return true;
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

/* The method and route labels of requests[r]. */
static void
route_labels(char *out, size_t size, size_t r)
{
	snprintf(out, size, "method=\"%s\",route=\"%s\"",
	    r == 0 ? "" : http_method_name(routes[r - 1].method),
	    r == 0 ? "none" : routes[r - 1].pattern);
}

static void
render_requests(struct buf *b)
{
	char labels[256];
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
			route_labels(labels, sizeof(labels), r);
			buf_printf(b, "inventory_http_requests_total{%s,"
			    "status=\"%s\"} %llu\n", labels, code,
			    (unsigned long long)n);
		}
}

/*
 * One histogram series of metric name with labels (no braces), from the
 * bucket array at offset off of a slot and the microsecond sum at
 * sum_off; nothing when it never counted.
 */
static void
render_histogram(struct buf *b, const char *name, const char *labels,
    size_t off, size_t sum_off)
{
	uint64_t cum = 0, n[NBUCKET + 1];
	size_t i;

	for (i = 0; i <= NBUCKET; i++)
		cum += n[i] = sum(off + i * sizeof(uint64_t));
	if (cum == 0)
		return;
	cum = 0;
	for (i = 0; i <= NBUCKET; i++) {
		cum += n[i];
		if (i < NBUCKET)
			buf_printf(b, "%s_bucket{%s,le=\"%g\"} %llu\n", name,
			    labels, (double)bucket_usec[i] / 1e6,
			    (unsigned long long)cum);
		else
			buf_printf(b, "%s_bucket{%s,le=\"+Inf\"} %llu\n",
			    name, labels, (unsigned long long)cum);
	}
	buf_printf(b, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, labels,
	    (double)sum(sum_off) / 1e6, name, labels,
	    (unsigned long long)cum);
}

static void
render_latency(struct buf *b)
{
	char labels[256];
	size_t r;

	buf_puts(b, "# HELP inventory_http_request_duration_seconds Time "
	    "from the request's arrival in the application to its reply, "
	    "by route pattern.\n"
	    "# TYPE inventory_http_request_duration_seconds histogram\n");
	for (r = 0; r < METRICS_ROUTES && r <= nroutes; r++) {
		route_labels(labels, sizeof(labels), r);
		render_histogram(b, "inventory_http_request_duration_seconds",
		    labels, offsetof(struct slot, buckets[r]),
		    offsetof(struct slot, latency_usec[r]));
	}
}

static void
render_statements(struct buf *b)
{
	char labels[128];
	size_t st;

	buf_puts(b, "# HELP inventory_db_statement_duration_seconds Run "
	    "time of each SQL statement, from sending it to having read "
	    "its rows.\n"
	    "# TYPE inventory_db_statement_duration_seconds histogram\n");
	for (st = 0; st < STMT__MAX; st++) {
		snprintf(labels, sizeof(labels), "statement=\"%s\"",
		    db_stmt_name((enum stmt)st));
		render_histogram(b, "inventory_db_statement_duration_seconds",
		    labels, offsetof(struct slot, db_buckets[st]),
		    offsetof(struct slot, db_usec[st]));
	}
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

/* The process_* series of the families below, for one live process. */
struct proc_stat {
	double	cpu_seconds;
	double	start_time;	/* seconds since the epoch */
	double	rss_bytes;
	double	open_fds;
};

/* Seconds since the epoch at boot (btime in /proc/stat); 0 unknown. */
static double
boot_time(void)
{
	char line[256];
	double t = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "btime %lf", &t) == 1)
			break;
	fclose(f);
	return t;
}

/*
 * Reads pid's figures from /proc; false when the process is gone or its
 * files are not readable (another user's process), so it goes unreported
 * rather than reported as zero.
 */
static bool
proc_read(int32_t pid, double boot, struct proc_stat *ps)
{
	char path[64], text[1024], *p;
	unsigned long long utime, stime, start;
	long pages, rss, ticks = sysconf(_SC_CLK_TCK);
	struct dirent *e;
	FILE *f;
	DIR *d;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* The command name may hold spaces and parentheses: fields count
	 * from the last ')'. utime, stime are fields 14 and 15, starttime
	 * field 22; p starts at field 3. */
	if ((p = strrchr(text, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
	    "%*d %*d %*d %*d %*d %*d %llu", &utime, &stime, &start) != 3 ||
	    ticks <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	n = fscanf(f, "%ld %ld", &pages, &rss) == 2;
	fclose(f);
	if (n == 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return false;
	ps->open_fds = 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			ps->open_fds++;
	closedir(d);
	ps->cpu_seconds = (double)(utime + stime) / (double)ticks;
	ps->start_time = boot + (double)start / (double)ticks;
	ps->rss_bytes = (double)rss * (double)sysconf(_SC_PAGESIZE);
	return true;
}

/*
 * The usual process_* families, one series per live FastCGI process of
 * the metrics file, labelled with its pid: summing memory or start times
 * over processes would mean nothing. Without metrics_file that is the
 * answering process alone.
 */
static void
render_processes(struct buf *b, const int32_t *pids, size_t npids)
{
	static const struct {
		const char	*name;
		const char	*type;
		const char	*help;
		size_t		 off;	/* in struct proc_stat */
	} fam[] = {
		{ "process_cpu_seconds_total", "counter",
		  "User and system CPU time spent, in seconds.",
		  offsetof(struct proc_stat, cpu_seconds) },
		{ "process_start_time_seconds", "gauge",
		  "Start time of the process since the epoch, in seconds.",
		  offsetof(struct proc_stat, start_time) },
		{ "process_resident_memory_bytes", "gauge",
		  "Resident memory size in bytes.",
		  offsetof(struct proc_stat, rss_bytes) },
		{ "process_open_fds", "gauge",
		  "Number of open file descriptors.",
		  offsetof(struct proc_stat, open_fds) },
	};
	struct proc_stat ps[METRICS_SLOTS];
	bool ok[METRICS_SLOTS];
	double boot = boot_time();
	size_t i, f;

	for (i = 0; i < npids; i++)
		ok[i] = proc_read(pids[i], boot, &ps[i]);
	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fam[f].name,
		    fam[f].help, fam[f].name, fam[f].type);
		for (i = 0; i < npids; i++) {
			if (ok[i])
				buf_printf(b, "%s{pid=\"%d\"} %.17g\n",
				    fam[f].name, (int)pids[i],
				    *(const double *)(const void *)
				    ((const char *)&ps[i] + fam[f].off));
		}
	}
}

/* What the workers and the last audit wrote into the file. */
static void
render_worker(struct buf *b)
{
	static const char *const results[METRICS_JOB__MAX] = {
		[METRICS_JOB_DONE] = "done",
		[METRICS_JOB_FAILED] = "failed",
	};
	int64_t seen = 0;
	size_t i;

	buf_puts(b, "# HELP inventory_worker_jobs_total Order jobs the "
	    "workers settled: done (acknowledged) or failed (retried "
	    "later or dead-lettered).\n"
	    "# TYPE inventory_worker_jobs_total counter\n");
	for (i = 0; i < METRICS_JOB__MAX; i++)
		buf_printf(b, "inventory_worker_jobs_total{result=\"%s\"} "
		    "%llu\n", results[i], (unsigned long long)sum(
		    offsetof(struct slot, jobs) + i * sizeof(uint64_t)));
	for (i = 0; i < METRICS_SLOTS; i++) {
		int64_t t = __atomic_load_n(&shm->slots[i].worker_seen,
		    __ATOMIC_RELAXED);

		if (t > seen)
			seen = t;
	}
	buf_printf(b, "# HELP inventory_worker_last_seen_timestamp_seconds "
	    "When a worker last took jobs or housekept; 0 never.\n"
	    "# TYPE inventory_worker_last_seen_timestamp_seconds gauge\n"
	    "inventory_worker_last_seen_timestamp_seconds %lld\n"
	    "# HELP inventory_audit_timestamp_seconds When inventoryctl audit "
	    "last ran; 0 never.\n"
	    "# TYPE inventory_audit_timestamp_seconds gauge\n"
	    "inventory_audit_timestamp_seconds %lld\n"
	    "# HELP inventory_audit_violations Stock invariant violations "
	    "the last inventoryctl audit found.\n"
	    "# TYPE inventory_audit_violations gauge\n"
	    "inventory_audit_violations %lld\n", (long long)seen,
	    (long long)__atomic_load_n(&shm->audit_time, __ATOMIC_ACQUIRE),
	    (long long)__atomic_load_n(&shm->audit_violations,
	    __ATOMIC_RELAXED));
}

void
metrics_render(struct buf *b)
{
	int32_t pids[METRICS_SLOTS];
	size_t i, live = 0;

	if (shm == NULL)
		return;
	render_requests(b);
	render_latency(b);
	render_statements(b);
	for (i = 0; i < sizeof(gauge_metrics) / sizeof(gauge_metrics[0]); i++)
		buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
		    gauge_metrics[i].name, gauge_metrics[i].help,
		    gauge_metrics[i].name, gauge_metrics[i].name,
		    (unsigned long long)sum(gauge_metrics[i].off));
	render_worker(b);
	for (i = 0; i < METRICS_SLOTS; i++) {
		int32_t pid = __atomic_load_n(&shm->slots[i].pid,
		    __ATOMIC_RELAXED);

		/* The workers count jobs here, but are no FastCGI
		 * process: neither counted nor described by process_*. */
		if (pid != 0 && (kill(pid, 0) == 0 || errno != ESRCH) &&
		    __atomic_load_n(&shm->slots[i].kind, __ATOMIC_RELAXED) ==
		    METRICS_FCGI)
			pids[live++] = pid;
	}
	buf_printf(b, "# HELP inventory_processes FastCGI processes counting "
	    "into these metrics.\n# TYPE inventory_processes gauge\n"
	    "inventory_processes %zu\n", live);
	render_processes(b, pids, live);
	buf_puts(b, "# HELP inventory_build_info The version that answers; "
	    "always 1.\n# TYPE inventory_build_info gauge\n"
	    "inventory_build_info{version=\"" PACKAGE_VERSION "\"} 1\n");
}
