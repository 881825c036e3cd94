-- 010_reorder_suggestions.sql: low stock as events and reorder
-- suggestions (doc/design.md, "Events", "Low stock").
--
-- A record is low when its available quantity (stock minus reserved) is
-- at or below its reorder_level: the stored column needs_reorder of
-- 006. When a committed change makes a record low that was not, one
-- inventory.low_stock event goes to the outbox (008) and one open
-- suggestion is recorded, in the change's own transaction; a change that
-- leaves it low writes neither; a change that lifts it above its level
-- closes its suggestion.
--
-- The rule lives in one place, the trigger below, so every path that
-- changes a record obeys it: the admin's PUT and adjust, a manual hold,
-- a changed reorder_level, the reservation inside order_create, an
-- order's release or shipment, and whatever comes later. The trigger
-- runs under the row lock of the UPDATE that fired it: two changes of
-- one record are serialised, and the second sees the first's result as
-- OLD, so two concurrent orders crossing the level write one suggestion.
--
-- status: open (nobody has acted), ordered, dismissed (the admin's word,
-- PATCH), closed (the record rose above its level while the suggestion
-- was still open: nothing is left to do). closed_at is when the record
-- rose above its level, whatever the status then; NULL while it is still
-- low since the suggestion was made.
--
-- open_inventory_id is inventory_id while the suggestion is open, else
-- NULL (which a unique index does not compare): MariaDB has no partial
-- index, and this is how the schema itself refuses a second open
-- suggestion for one record.
--
-- available, reorder_level and suggested_quantity (the record's
-- reorder_quantity) are the record's at the crossing; they stay as they
-- were when the record changes later.
CREATE TABLE reorder_suggestions (
	id			BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	inventory_id		BIGINT NOT NULL,
	product_id		BIGINT NOT NULL,
	available		INT NOT NULL,
	reorder_level		INT NOT NULL,
	suggested_quantity	INT NOT NULL,
	status			ENUM('open', 'ordered', 'dismissed', 'closed')
				    NOT NULL DEFAULT 'open',
	created_at		DATETIME NOT NULL,
	updated_at		DATETIME NOT NULL,
	closed_at		DATETIME NULL,
	open_inventory_id	BIGINT AS (IF(status = 'open', inventory_id,
				    NULL)) STORED,
	CONSTRAINT uq_reorder_suggestions_open UNIQUE (open_inventory_id),
	-- A record's suggestions go with it (and so with its product).
	CONSTRAINT fk_reorder_suggestions_inventory FOREIGN KEY
	    (inventory_id) REFERENCES inventory (id) ON DELETE CASCADE,
	-- The trigger's close: a record's suggestions not yet closed.
	INDEX ix_reorder_suggestions_inventory (inventory_id, closed_at),
	-- The list by status pages in id order ((status, id) once InnoDB
	-- appends the key).
	INDEX ix_reorder_suggestions_status (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- AFTER: NEW holds the stored columns (available, needs_reorder) as the
-- update computed them. A trigger runs with its definer's privileges
-- (the account that migrates), not the caller's: the service's account
-- needs nothing for it. The event's data is the record as the API shows
-- an Inventory (GET /inventory/product/{id}); JSON true is written as
-- JSON, not as 1. Times are UTC, as everywhere in the schema.
CREATE TRIGGER inventory_low_stock AFTER UPDATE ON inventory
FOR EACH ROW
BEGIN
	IF NEW.needs_reorder AND NOT OLD.needs_reorder THEN
		INSERT INTO reorder_suggestions (inventory_id, product_id,
		    available, reorder_level, suggested_quantity, created_at,
		    updated_at)
		    VALUES (NEW.id, NEW.product_id, NEW.available,
		    NEW.reorder_level, NEW.reorder_quantity, UTC_TIMESTAMP(),
		    UTC_TIMESTAMP());
		INSERT INTO outbox (type, data)
		    VALUES ('inventory.low_stock', JSON_OBJECT('id', NEW.id,
			'product_id', NEW.product_id,
			'quantity_in_stock', NEW.quantity_in_stock,
			'quantity_reserved', NEW.quantity_reserved,
			'reorder_level', NEW.reorder_level,
			'reorder_quantity', NEW.reorder_quantity,
			'last_restock_date', DATE_FORMAT(NEW.last_restock_date,
			    '%Y-%m-%dT%H:%i:%sZ'),
			'last_stock_count_date',
			DATE_FORMAT(NEW.last_stock_count_date,
			    '%Y-%m-%dT%H:%i:%sZ'),
			'created_at', DATE_FORMAT(NEW.created_at,
			    '%Y-%m-%dT%H:%i:%sZ'),
			'updated_at', DATE_FORMAT(NEW.updated_at,
			    '%Y-%m-%dT%H:%i:%sZ'),
			'available_quantity', NEW.available,
			'needs_reorder', JSON_EXTRACT('true', '$')));
	ELSEIF OLD.needs_reorder AND NOT NEW.needs_reorder THEN
		UPDATE reorder_suggestions
		    SET status = IF(status = 'open', 'closed', status),
			closed_at = UTC_TIMESTAMP(), updated_at = UTC_TIMESTAMP()
		    WHERE inventory_id = NEW.id AND closed_at IS NULL;
	END IF;
END
