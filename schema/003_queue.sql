-- 003_queue.sql: what the worker's sweep needs (doc/design.md, "Queue
-- protocol": the database is the source of truth).
--
-- Each worker run enqueues the pending orders older than a minute that
-- never reached a worker: Redis was down when they were created, or lost
-- its data before a worker took them. swept_at records that the sweep
-- enqueued an order, so it does so once: an order still pending because
-- its job waits in a long queue, in a retry, or in the dead letters is
-- not enqueued again every minute (the dead letters stay the operator's
-- decision). NULL: never swept.
ALTER TABLE orders
	ADD COLUMN swept_at DATETIME NULL AFTER updated_at,
	-- The sweep's query: pending, never swept, oldest first, without
	-- reading the swept ones of a long backlog again each minute.
	ADD INDEX ix_orders_sweep (status, swept_at, created_at);
