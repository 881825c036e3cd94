-- 005_manual_hold.sql: quantity_reserved has one meaning, the units held
-- by orders plus a manual hold.
--
-- An admin may reserve units that no order holds (POST and PUT
-- /inventory set quantity_reserved), and those are the manual hold; the
-- rest of quantity_reserved is what the orders holding a reservation
-- hold. manual_hold stores that part, so that under the record's row
-- lock the units held by orders are quantity_reserved - manual_hold, at
-- once and exactly: every order's reserve, release and deduct updates
-- the same row. Orders move only their own part (order_flow.c), so
-- releasing or shipping an order never eats into the manual hold, and a
-- PUT can refuse a reservation below what the orders hold.
--
-- In the ledger a manual hold change is a movement without an order
-- (change_reserved with order_id NULL): only POST and PUT write such a
-- change_reserved. (No API call deletes an order; one deleted by hand
-- leaves its movements without an order, and those of a released or
-- shipped order sum to nothing.) The value below is taken from there: for books that
-- agree it is quantity_reserved minus what the held orders hold. Where
-- the books already disagree it is clamped into the CHECK's range and
-- inventoryctl audit reports the product.
ALTER TABLE inventory
	ADD COLUMN manual_hold INT NOT NULL DEFAULT 0
	    AFTER quantity_reserved,
	ADD CONSTRAINT ck_inventory_manual_hold
	    CHECK (manual_hold >= 0 AND manual_hold <= quantity_reserved);

UPDATE inventory i
	JOIN (SELECT inventory_id, SUM(change_reserved) AS manual
	    FROM stock_movements WHERE order_id IS NULL
	    GROUP BY inventory_id) m ON m.inventory_id = i.id
	SET i.manual_hold = LEAST(GREATEST(m.manual, 0), i.quantity_reserved),
	    i.updated_at = i.updated_at;
