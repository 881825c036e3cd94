-- 012_list_counts.sql: X-Total-Count of the product and inventory lists
-- that select most of a table, in O(1). COUNT(*) of every product, record
-- or low-stock record reads an index of a million entries (120-140 ms);
-- these counts are instead kept by triggers, in the transaction of the
-- write, so a read in any snapshot sees the count of that snapshot's
-- rows: exact, as COUNT(*) is.
--
-- Not the orders: a trigger on orders (and the one on inventory
-- updates) runs inside every POST /orders, and counting orders this way
-- cost order creation more than the inventory's trigger alone
-- (doc/BENCHMARKS.md, "Counts kept by triggers"). The order lists'
-- counts stay COUNT(*), cached in Redis.
--
-- Each list's count is the sum of up to 8 slot rows; a write adds to the
-- slot of its connection (CONNECTION_ID() % 8), so concurrent writers of
-- different connections mostly take different rows instead of queueing
-- on one. A transaction takes at most one slot of a list, after the rows
-- it changes: with the service's lock order (stock records by product
-- id) two writers can deadlock only when their slots collide and their
-- records overlap, and a deadlock is rerun as any other.
--
-- Triggers do not see foreign-key actions: a product's delete cascades
-- to its inventory record without the inventory triggers, so the
-- product's trigger counts the record out (locking it, to read its
-- current "needs reorder"). TRUNCATE fires no trigger either: whoever
-- empties a table empties its counts (t/load/scale, the test fixture).
-- `inventoryctl audit` compares each count with COUNT(*).
--
-- With binary logging on, MariaDB lets only a SUPER account create
-- triggers unless log_bin_trust_function_creators = 1 (README, UPGRADE).
CREATE TABLE list_counts (
	list ENUM('products', 'inventory', 'inventory_low') NOT NULL,
	slot TINYINT UNSIGNED NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (list, slot)
) ENGINE = InnoDB;

-- The tables stay locked from the first trigger to the counts: a write
-- of a running service waits, and is counted once, by its trigger or by
-- the count.
LOCK TABLES products WRITE, inventory WRITE, list_counts WRITE;

CREATE TRIGGER products_count_insert AFTER INSERT ON products
FOR EACH ROW
	INSERT INTO list_counts (list, slot, n)
	    VALUES ('products', CONNECTION_ID() % 8, 1)
	    ON DUPLICATE KEY UPDATE n = n + 1;

-- Before the delete: its cascade takes the inventory record away.
CREATE TRIGGER products_count_delete BEFORE DELETE ON products
FOR EACH ROW
BEGIN
	DECLARE v_records, v_low BIGINT DEFAULT 0;

	INSERT INTO list_counts (list, slot, n)
	    VALUES ('products', CONNECTION_ID() % 8, -1)
	    ON DUPLICATE KEY UPDATE n = n - 1;
	SELECT COUNT(*), COALESCE(SUM(needs_reorder), 0)
	    INTO v_records, v_low
	    FROM inventory WHERE product_id = OLD.id FOR UPDATE;
	IF v_records > 0 THEN
		INSERT INTO list_counts (list, slot, n)
		    VALUES ('inventory', CONNECTION_ID() % 8, -v_records)
		    ON DUPLICATE KEY UPDATE n = n - v_records;
	END IF;
	IF v_low > 0 THEN
		INSERT INTO list_counts (list, slot, n)
		    VALUES ('inventory_low', CONNECTION_ID() % 8, -v_low)
		    ON DUPLICATE KEY UPDATE n = n - v_low;
	END IF;
END;

CREATE TRIGGER inventory_count_insert AFTER INSERT ON inventory
FOR EACH ROW
BEGIN
	INSERT INTO list_counts (list, slot, n)
	    VALUES ('inventory', CONNECTION_ID() % 8, 1)
	    ON DUPLICATE KEY UPDATE n = n + 1;
	IF NEW.needs_reorder THEN
		INSERT INTO list_counts (list, slot, n)
		    VALUES ('inventory_low', CONNECTION_ID() % 8, 1)
		    ON DUPLICATE KEY UPDATE n = n + 1;
	END IF;
END;

-- Most updates (a reservation, a restock) leave "needs reorder" as it
-- was and write nothing here.
CREATE TRIGGER inventory_count_update AFTER UPDATE ON inventory
FOR EACH ROW
	IF NEW.needs_reorder <> OLD.needs_reorder THEN
		INSERT INTO list_counts (list, slot, n)
		    VALUES ('inventory_low', CONNECTION_ID() % 8,
			NEW.needs_reorder - OLD.needs_reorder)
		    ON DUPLICATE KEY UPDATE
			n = n + NEW.needs_reorder - OLD.needs_reorder;
	END IF;

CREATE TRIGGER inventory_count_delete AFTER DELETE ON inventory
FOR EACH ROW
BEGIN
	INSERT INTO list_counts (list, slot, n)
	    VALUES ('inventory', CONNECTION_ID() % 8, -1)
	    ON DUPLICATE KEY UPDATE n = n - 1;
	IF OLD.needs_reorder THEN
		INSERT INTO list_counts (list, slot, n)
		    VALUES ('inventory_low', CONNECTION_ID() % 8, -1)
		    ON DUPLICATE KEY UPDATE n = n - 1;
	END IF;
END;

INSERT INTO list_counts (list, slot, n)
	SELECT 'products', 0, COUNT(*) FROM products
	UNION ALL
	SELECT 'inventory', 0, COUNT(*) FROM inventory
	UNION ALL
	SELECT 'inventory_low', 0, COUNT(*) FROM inventory
	    WHERE needs_reorder = 1;

UNLOCK TABLES;
