/*
 * app.h: what a handler can reach besides its request. One per process,
 * made at start-up and kept for the life of the process: the connections
 * in it are the process's share of the pool (doc/design.md, "Processes").
 */
#ifndef INV_APP_H
#define INV_APP_H

struct config;
struct db;
struct cache;
struct queue;
struct token_memo;

struct app {
	const struct config	*cfg;	/* borrowed */
	struct db		*db;	/* owned by main */
	struct cache		*cache;	/* owned by main */
	struct queue		*queue;	/* owned by main; order jobs */
	struct token_memo	*tokens;	/* owned by main; access
					   tokens verified */
};

#endif
