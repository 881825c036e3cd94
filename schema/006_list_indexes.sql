-- 006_list_indexes.sql: indexes that let every list read its page alone.
--
-- "Needs reorder" (available <= reorder_level) compares two columns,
-- which no index serves: the low-stock lists, their counts and
-- /inventory/status/low-stock read every record. Stored as a column of
-- its own it is an index key like any other (MariaDB has no partial
-- index: this is its way of indexing only the rows that need
-- reordering). InnoDB ends every secondary index with the primary key,
-- so (needs_reorder) is walked in id order, as the lists page.
ALTER TABLE inventory
	ADD COLUMN needs_reorder TINYINT(1) AS
	    (quantity_in_stock - quantity_reserved <= reorder_level) STORED,
	ADD INDEX ix_inventory_needs_reorder (needs_reorder);

-- The product list by category pages in id order: ix_products_category
-- of 001 is (category, id) once InnoDB appends the key. The q filter
-- matches inside names and SKUs and cannot use an index (README, LISTS).
--
-- Orders: 001 and 002 give (created_at), (status, created_at),
-- (user_id, created_at) and (user_id, status, created_at), each ending
-- in id, so every filter set of the order lists walks an index backwards
-- from the newest order (the page statements in src/db.c). The
-- statements take a page of ids from the index first and join the
-- rest for those rows only, so nothing here changes for them.
