/*
 * testredis.h: the suites' own look into the queue's Redis database, so
 * what is checked is what is stored, not what queue.c believes it stored.
 * Every call fails the test on a Redis error.
 */
#ifndef INV_TESTREDIS_H
#define INV_TESTREDIS_H

#include <hiredis/hiredis.h>

struct config;

/* Connects to the queue's Redis database of cfg (once per process). */
void tr_connect(const struct config *cfg);
void tr_disconnect(void);

/* A command's reply (new: freeReplyObject), never an error reply. */
redisReply *tr_cmd(const char *fmt, ...);

/* An integer reply's value. */
long long tr_int(const char *fmt, ...);

/* Deletes every key of the queue (inventory:queue:*), nothing else. */
void tr_wipe_queue(void);

#endif
