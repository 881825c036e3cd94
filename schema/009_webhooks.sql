-- 009_webhooks.sql: webhook subscriptions and their deliveries
-- (doc/design.md, "Events").
--
-- A subscription names a URL and the event types it wants. Its secret
-- signs every delivery (HMAC-SHA256); the API shows it only when it is
-- made and when it is rotated. events: a JSON array of type names.
CREATE TABLE webhooks (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	url		VARCHAR(2048) NOT NULL,
	events		TEXT NOT NULL CHECK (JSON_VALID(events)),
	description	VARCHAR(500) NULL,
	is_active	BOOLEAN NOT NULL DEFAULT TRUE,
	secret		VARCHAR(128) NOT NULL,
	created_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
			    ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per event and subscription it matched, made by the worker
-- when it dispatches the outbox. The unique key makes dispatching an
-- event twice (a worker killed between its inserts and marking the
-- event dispatched) write no second delivery.
--
-- status: pending until an attempt gets a 2xx (delivered) or the last
-- attempt fails (failed). next_attempt_at: when a pending delivery is
-- due (backoff after a failure). The last_* columns describe the latest
-- attempt. A redelivery sets the row pending and due again.
CREATE TABLE webhook_deliveries (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	webhook_id	BIGINT NOT NULL,
	event_id	BIGINT NOT NULL,
	event_type	VARCHAR(32) NOT NULL,
	status		ENUM('pending','delivered','failed') NOT NULL
			    DEFAULT 'pending',
	attempts	INT NOT NULL DEFAULT 0,
	next_attempt_at	DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	last_attempt_at	DATETIME(3) NULL,
	last_status_code INT NULL,
	last_duration_ms INT NULL,
	last_error	VARCHAR(500) NULL,
	delivered_at	DATETIME(3) NULL,
	created_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	UNIQUE KEY uq_delivery_event (event_id, webhook_id),
	-- A subscription's deliveries, newest first, by keyset.
	INDEX ix_delivery_webhook (webhook_id, id),
	-- The due ones, soonest first.
	INDEX ix_delivery_due (status, next_attempt_at),
	CONSTRAINT fk_delivery_webhook FOREIGN KEY (webhook_id)
	    REFERENCES webhooks (id) ON DELETE CASCADE,
	CONSTRAINT fk_delivery_event FOREIGN KEY (event_id)
	    REFERENCES outbox (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
