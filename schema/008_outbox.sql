-- 008_outbox.sql: the transactional outbox of events (doc/design.md,
-- "Events"). Each row is one event, written in the same transaction as
-- the change that causes it, so none is lost (the change committed
-- without its event) or invented (the event of a change rolled back).
-- The worker turns rows into deliveries; dispatched_at says it has.
--
-- type: order.created, order.processing, order.cancelled,
-- order.shipped, order.delivered, inventory.adjusted.
-- data: the object the event is about, as it was at the change.
-- IF NOT EXISTS: this file may be run again as a whole to make
-- order_create anew (as a test of check-config does after dropping it).
CREATE TABLE IF NOT EXISTS outbox (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	type		VARCHAR(32) NOT NULL,
	data		LONGTEXT NOT NULL CHECK (JSON_VALID(data)),
	created_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	dispatched_at	DATETIME NULL,
	-- The undispatched events, oldest first.
	INDEX ix_outbox_pending (dispatched_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- order_create (schema/007_order_create.sql, which says what it does)
-- again, now also writing the order.created event before it commits.
-- A procedure cannot be altered in its body: it is dropped and made anew.
DROP PROCEDURE IF EXISTS order_create;

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

		-- The event, in the order's own transaction (the outbox above):
		-- it commits with the order or goes with it. JSON_OBJECT writes
		-- a variable as a string; "+ 0" makes it the number it is.
		INSERT INTO outbox (type, data)
		    SELECT 'order.created', JSON_OBJECT('id', v_order + 0,
			'order_number', v_number, 'user_id', p_user_id + 0,
			'status', 'pending', 'total_amount', v_total + 0,
			'shipping_address', p_address,
			'shipping_method', p_method, 'notes', p_notes,
			'created_at', DATE_FORMAT(v_now, '%Y-%m-%dT%H:%i:%sZ'),
			'updated_at', DATE_FORMAT(v_now, '%Y-%m-%dT%H:%i:%sZ'),
			'items', JSON_ARRAYAGG(JSON_OBJECT('id', oi.id,
			    'product_id', oi.product_id,
			    'quantity', oi.quantity,
			    'unit_price', oi.unit_price)))
		    FROM order_items oi WHERE oi.order_id = v_order;
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
