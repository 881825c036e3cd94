-- 013_order_counts.sql: X-Total-Count of the admin's order lists, all
-- orders or one status, without reading an index entry per order.
-- COUNT(*) of a million orders takes 180-220 ms, on every first page
-- whose cached count a new order has just made stale.
--
-- Orders are counted by status, except the pending ones: the counts
-- change when an order changes status (the worker's and the admin's
-- writes), never when one is placed, so POST /orders writes nothing more
-- (a counter written by every order cost its creation several per cent,
-- doc/BENCHMARKS.md, "Counts kept by triggers"). Pending orders are the
-- ones the worker has not taken yet, few while it runs; their count is
-- COUNT(*) of their range of ix_orders_status_created. The count of all
-- orders is that plus the kept counts, in one consistent read.
--
-- Slot rows as in 012_list_counts.sql: each status's count is the sum of
-- up to 8 rows, a write adds to the slot of its connection. The status
-- column is orders.status's own type; 'pending' is never written here.
--
-- Triggers: an order inserted with a status other than pending (a
-- restore, a test's fixture) is counted by the insert trigger, which
-- writes nothing for a pending one; a delete is counted out. TRUNCATE
-- fires no trigger: whoever empties orders empties order_counts.
-- `inventoryctl audit` compares each count with COUNT(*).
CREATE TABLE order_counts (
	status ENUM('pending', 'processing', 'shipped', 'delivered',
	    'cancelled') NOT NULL,
	slot TINYINT UNSIGNED NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (status, slot)
) ENGINE = InnoDB;

-- The orders stay locked from the first trigger to the counts: a write
-- of a running service waits, and is counted once.
LOCK TABLES orders WRITE, order_counts WRITE;

CREATE TRIGGER orders_count_insert AFTER INSERT ON orders
FOR EACH ROW
	IF NEW.status <> 'pending' THEN
		INSERT INTO order_counts (status, slot, n)
		    VALUES (NEW.status, CONNECTION_ID() % 8, 1)
		    ON DUPLICATE KEY UPDATE n = n + 1;
	END IF;

-- Most updates of an order (a note, a sweep's mark, the fulfilment's
-- queueing) leave its status as it was and write nothing here.
CREATE TRIGGER orders_count_update AFTER UPDATE ON orders
FOR EACH ROW
	IF NEW.status <> OLD.status THEN
		IF OLD.status <> 'pending' THEN
			INSERT INTO order_counts (status, slot, n)
			    VALUES (OLD.status, CONNECTION_ID() % 8, -1)
			    ON DUPLICATE KEY UPDATE n = n - 1;
		END IF;
		IF NEW.status <> 'pending' THEN
			INSERT INTO order_counts (status, slot, n)
			    VALUES (NEW.status, CONNECTION_ID() % 8, 1)
			    ON DUPLICATE KEY UPDATE n = n + 1;
		END IF;
	END IF;

CREATE TRIGGER orders_count_delete AFTER DELETE ON orders
FOR EACH ROW
	IF OLD.status <> 'pending' THEN
		INSERT INTO order_counts (status, slot, n)
		    VALUES (OLD.status, CONNECTION_ID() % 8, -1)
		    ON DUPLICATE KEY UPDATE n = n - 1;
	END IF;

INSERT INTO order_counts (status, slot, n)
	SELECT status, 0, COUNT(*) FROM orders WHERE status <> 'pending'
	GROUP BY status;

UNLOCK TABLES;
