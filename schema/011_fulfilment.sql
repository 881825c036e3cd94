-- 011_fulfilment.sql: what the fulfilment sweep needs (doc/design.md,
-- "Fulfilment": the database is the source of truth).
--
-- With fulfilment_url set, an order that becomes processing gets a
-- fulfil_order job, pushed after the commit. fulfil_queued_at records
-- that such a job reached the order (the worker marks it before its POST)
-- or that the sweep enqueued one, so each order is sent on its own
-- initiative once: one declined, or whose job is in the dead letters,
-- stays processing and is not sent again every minute (a dead letter
-- stays the operator's decision). NULL: no job known to have been
-- queued, which the sweep finds once the order has been processing for a
-- minute while the queues are empty (Redis was down at the push, or lost
-- its data). Orders already processing when fulfilment is turned on are
-- NULL too: the sweep sends them.
ALTER TABLE orders
	ADD COLUMN fulfil_queued_at DATETIME NULL AFTER swept_at,
	-- The sweep's query: processing, never queued, oldest change first.
	ADD INDEX ix_orders_fulfil (status, fulfil_queued_at, updated_at);
