-- 007_order_create.sql: the creation of an order (doc/design.md, "Stock
-- rules", rule 1) as one stored procedure, so that POST /orders costs one
-- round trip to MariaDB instead of one per statement. This is the only
-- place the rule lives; order_flow.c calls it and words its answer.
--
-- CALL order_create(user_id, token_version, items, shipping_address,
--     shipping_method, notes, own_transaction)
--
-- items is the JSON [[product_id, quantity], ...] of the validated order
-- (each product once), in the client's order. In one transaction:
--   1. the caller's row, share-locked: it must exist, be active and
--      carry the token's version (what the router checks for any other
--      write), or nothing is done;
--   2. the products, share-locked so their prices cannot change and
--      they cannot go away before the commit; the first line in the
--      client's order whose product is missing, or past which the exact
--      total no longer fits DECIMAL(12,2), refuses the order;
--   3. the order row, 'held' from the start, under a fresh random
--      "ORD-" number (a duplicate, astronomically rare, draws again);
--   4. its items at those prices, their ids in the client's order;
--   5. for each item in product-id order (the lock order of every stock
--      change), the conditional reservation; the first that touches no
--      row refuses the order, saying whether the product has no stock
--      record or how much is available (stock minus reserved, the manual
--      hold included);
--   6. one ledger row per item.
--
-- With own_transaction (the usual call, standing alone) the procedure
-- starts and commits its transaction itself, and rolls it back on a
-- refusal or any error, so the session is never left inside one; an
-- error is passed on (RESIGNAL), and a deadlock or lock wait timeout
-- (1213, 1205) can be retried by calling again. Without it, the caller
-- has a transaction open (the Idempotency-Key stores its answer in the
-- same commit) and rolls it back on a refusal or an error.
--
-- Result sets: the statements that write the order answer with what
-- they wrote (RETURNING), so nothing is read twice; the verdict comes
-- last, always:
--   when the items were inserted: the items by id, in the columns of
--       enum order_item_col (product NULL);
--   when the ledger rows were written: the stock records reserved
--       (inventory_id, product_id), for the cache to forget;
--   one row: the order in the columns of enum order_col (owner NULL; all
--       NULL when it was not made), then the verdict: why ('ok',
--       'no_user', 'inactive', 'stale', 'no_product', 'total',
--       'no_inventory', 'stock', 'disagree'), product_id, product name,
--       available.
-- Only an 'ok' verdict makes the sets before it an order's: on a
-- refusal they are of work rolled back.
-- 'disagree' is a CHECK of the inventory table refusing a reservation
-- whose condition passed: the stock records were changed by hand.
--
-- SQL SECURITY INVOKER: the procedure runs with the caller's privileges
-- (the service's account reads and writes rows, and needs EXECUTE), not
-- with those of the schema owner who created it.
CREATE PROCEDURE order_create(
	IN p_user_id BIGINT,
	IN p_token_version BIGINT,
	IN p_items TEXT,
	IN p_address TEXT,
	IN p_method VARCHAR(50),
	IN p_notes TEXT,
	IN p_own_transaction BOOLEAN)
	MODIFIES SQL DATA
	SQL SECURITY INVOKER
BEGIN
	DECLARE v_users, v_active, v_lines, v_found, v_missing,
	    v_records INT DEFAULT 0;
	DECLARE v_version, v_order, v_pid, v_available BIGINT DEFAULT NULL;
	DECLARE v_qty INT;
	DECLARE v_total DECIMAL(65,2);
	DECLARE v_number VARCHAR(32);
	DECLARE v_name VARCHAR(255);
	DECLARE v_now DATETIME;
	DECLARE v_why VARCHAR(16) DEFAULT NULL;
	DECLARE v_done, v_tries, v_dup INT DEFAULT 0;
	DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = 1;
	-- 4025: a CHECK constraint refused the reservation of v_pid.
	DECLARE EXIT HANDLER FOR 4025
	BEGIN
		IF p_own_transaction THEN
			ROLLBACK;
		END IF;
		SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		    NULL, NULL, NULL, 'disagree', v_pid, NULL, NULL;
	END;
	DECLARE EXIT HANDLER FOR SQLEXCEPTION
	BEGIN
		IF p_own_transaction THEN
			ROLLBACK;
		END IF;
		RESIGNAL;
	END;

	IF p_own_transaction THEN
		START TRANSACTION;
	END IF;
	rule: BEGIN
		-- Aggregates: one row whether or not the user exists.
		SELECT COUNT(*), MAX(is_active), MAX(token_version)
		    INTO v_users, v_active, v_version
		    FROM users WHERE id = p_user_id LOCK IN SHARE MODE;
		IF v_users = 0 THEN
			SET v_why = 'no_user';
			LEAVE rule;
		ELSEIF NOT v_active THEN
			SET v_why = 'inactive';
			LEAVE rule;
		ELSEIF v_version <> p_token_version THEN
			SET v_why = 'stale';
			LEAVE rule;
		END IF;

		SELECT COUNT(*), COUNT(p.id), SUM(p.price * j.qty)
		    INTO v_lines, v_found, v_total
		    FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
			pid BIGINT PATH '$[0]', qty INT PATH '$[1]')) j
		    LEFT JOIN products p ON p.id = j.pid LOCK IN SHARE MODE;
		IF v_lines = 0 THEN
			SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
			    'order_create: an order without items';
		END IF;
		IF v_found < v_lines OR v_total > 9999999999.99 THEN
			SELECT t.pid, t.id IS NULL INTO v_pid, v_missing
			    FROM (SELECT j.n, j.pid, p.id,
				SUM(COALESCE(p.price * j.qty, 0))
				    OVER (ORDER BY j.n) AS running
				FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
				    n FOR ORDINALITY, pid BIGINT PATH '$[0]',
				    qty INT PATH '$[1]')) j
				LEFT JOIN products p ON p.id = j.pid) t
			    WHERE t.id IS NULL OR t.running > 9999999999.99
			    ORDER BY t.n LIMIT 1;
			SET v_why = IF(v_missing, 'no_product', 'total');
			LEAVE rule;
		END IF;

		-- The order's times, given so that the answer is known
		-- without reading the row back.
		SET v_now = NOW();
		draw: BEGIN
			DECLARE CONTINUE HANDLER FOR 1062 SET v_dup = 1;
			REPEAT
				SET v_dup = 0, v_tries = v_tries + 1,
				    v_number = CONCAT('ORD-',
					HEX(RANDOM_BYTES(6)));
				INSERT INTO orders (order_number, user_id,
				    status, reservation, total_amount,
				    shipping_address, shipping_method, notes,
				    created_at, updated_at)
				    VALUES (v_number, p_user_id, 'pending',
				    'held', v_total, p_address, p_method,
				    p_notes, v_now, v_now);
			UNTIL v_dup = 0 OR v_tries = 5 END REPEAT;
		END draw;
		IF v_dup THEN
			SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
			    'order_create: 5 duplicate order numbers in a row';
		END IF;
		SET v_order = LAST_INSERT_ID();

		INSERT INTO order_items (order_id, product_id, quantity,
		    unit_price)
		    SELECT v_order, j.pid, j.qty, p.price
		    FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
			n FOR ORDINALITY, pid BIGINT PATH '$[0]',
			qty INT PATH '$[1]')) j
		    JOIN products p ON p.id = j.pid ORDER BY j.n
		    RETURNING id, order_id, product_id, quantity, unit_price,
			created_at, NULL, NULL;

		-- The items just inserted, in product-id order, one at a time
		-- along the unique key (order_id, product_id).
		SET v_pid = 0;
		reserve: LOOP
			SELECT product_id, quantity INTO v_pid, v_qty
			    FROM order_items
			    WHERE order_id = v_order AND product_id > v_pid
			    ORDER BY product_id LIMIT 1;
			IF v_done THEN
				LEAVE reserve;
			END IF;
			UPDATE inventory
			    SET quantity_reserved = quantity_reserved + v_qty
			    WHERE product_id = v_pid AND
				quantity_in_stock - quantity_reserved >= v_qty;
			IF ROW_COUNT() <> 1 THEN
				-- The update locked the record, or the gap
				-- where it would be: this read is current.
				SELECT COUNT(*),
				    MAX(quantity_in_stock - quantity_reserved)
				    INTO v_records, v_available
				    FROM inventory WHERE product_id = v_pid
				    FOR UPDATE;
				SET v_why = IF(v_records = 0, 'no_inventory',
				    'stock');
				LEAVE rule;
			END IF;
		END LOOP reserve;

		INSERT INTO stock_movements (inventory_id, product_id,
		    change_in_stock, change_reserved, reason, order_id, user_id)
		    SELECT i.id, oi.product_id, 0, oi.quantity,
			CONCAT('Reserved for order ', v_number), oi.order_id,
			p_user_id
		    FROM order_items oi JOIN inventory i
			ON i.product_id = oi.product_id
		    WHERE oi.order_id = v_order ORDER BY oi.product_id
		    RETURNING inventory_id, product_id;
	END rule;

	IF v_why IS NULL THEN
		SET v_why = 'ok';
		IF p_own_transaction THEN
			COMMIT;
		END IF;
	ELSE
		SET v_order = NULL;
		IF p_own_transaction THEN
			ROLLBACK;
		END IF;
		SELECT MAX(name) INTO v_name FROM products WHERE id = v_pid;
	END IF;
	-- The order as inserted, from what was inserted.
	SELECT v_order, IF(v_order, v_number, NULL), IF(v_order, p_user_id,
	    NULL), IF(v_order, 'pending', NULL), IF(v_order, v_total, NULL),
	    IF(v_order, p_address, NULL), IF(v_order, p_method, NULL), NULL,
	    IF(v_order, p_notes, NULL), IF(v_order, v_now, NULL),
	    IF(v_order, v_now, NULL), NULL, NULL, v_why, v_pid, v_name,
	    v_available;
END
