-- 001_init.sql: the first schema of the inventory service.
--
-- Table and column names are those of the system this one replaces, so its
-- data can be copied over as it stands. Every table is InnoDB (row locks,
-- foreign keys, transactions) in utf8mb4 with utf8mb4_unicode_ci as the
-- default collation; columns that must compare byte for byte say so.
-- Times are DATETIME in UTC: every connection sets time_zone '+00:00'
-- (db.c), so the CURRENT_TIMESTAMP defaults below are UTC as well.
--
-- Run once by migrate.c as one multi-statement script; it records the
-- version in schema_migrations afterwards.

-- Created with IF NOT EXISTS because migrate.c may meet it already made
-- by an earlier, interrupted run.
CREATE TABLE IF NOT EXISTS schema_migrations (
	version		INT NOT NULL PRIMARY KEY,
	name		VARCHAR(255) NOT NULL,
	applied_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The _ci collation makes the unique email case-insensitive, which the API
-- requires for register and login: "A@x.org" and "a@x.org" are one user.
-- 254 is the longest address SMTP can carry.
CREATE TABLE users (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	email		VARCHAR(254) NOT NULL,
	full_name	VARCHAR(255) NOT NULL,
	hashed_password	VARCHAR(255) NOT NULL,
	is_active	BOOLEAN NOT NULL DEFAULT TRUE,
	is_admin	BOOLEAN NOT NULL DEFAULT FALSE,
	created_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
			    ON UPDATE CURRENT_TIMESTAMP,
	CONSTRAINT uq_users_email UNIQUE (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- SKUs are codes, not words: "ab-1" and "AB-1" are different products, so
-- the SKU compares byte for byte.
CREATE TABLE products (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	sku		VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
	name		VARCHAR(255) NOT NULL,
	description	TEXT NULL,
	price		DECIMAL(12,2) NOT NULL,
	weight		DECIMAL(12,3) NULL,
	dimensions	VARCHAR(100) NULL,
	category	VARCHAR(100) NULL,
	image_url	VARCHAR(500) NULL,
	created_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
			    ON UPDATE CURRENT_TIMESTAMP,
	CONSTRAINT uq_products_sku UNIQUE (sku),
	CONSTRAINT ck_products_price CHECK (price >= 0),
	CONSTRAINT ck_products_weight CHECK (weight IS NULL OR weight >= 0),
	-- Listing filters by category and searches by name.
	INDEX ix_products_category (category),
	INDEX ix_products_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per product. The CHECKs are the last line against an oversell:
-- even if code is wrong, the database refuses to reserve more than is in
-- stock or to let stock go negative (doc/design.md, "Stock rules"). The
-- stored `available` column exists so the low-stock query can use an
-- index instead of computing per row.
CREATE TABLE inventory (
	id			BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	product_id		BIGINT NOT NULL,
	quantity_in_stock	INT NOT NULL DEFAULT 0,
	quantity_reserved	INT NOT NULL DEFAULT 0,
	reorder_level		INT NOT NULL DEFAULT 10,
	reorder_quantity	INT NOT NULL DEFAULT 50,
	last_restock_date	DATETIME NULL,
	last_stock_count_date	DATETIME NULL,
	created_at		DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at		DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
				    ON UPDATE CURRENT_TIMESTAMP,
	available		INT AS (quantity_in_stock - quantity_reserved)
				    STORED,
	CONSTRAINT uq_inventory_product UNIQUE (product_id),
	-- Stock belongs to its product: deleting the product deletes it.
	CONSTRAINT fk_inventory_product FOREIGN KEY (product_id)
	    REFERENCES products (id) ON DELETE CASCADE,
	CONSTRAINT ck_inventory_stock CHECK (quantity_in_stock >= 0),
	CONSTRAINT ck_inventory_reserved CHECK (quantity_reserved >= 0),
	CONSTRAINT ck_inventory_reserved_le_stock
	    CHECK (quantity_reserved <= quantity_in_stock),
	CONSTRAINT ck_inventory_reorder_level CHECK (reorder_level >= 0),
	CONSTRAINT ck_inventory_reorder_quantity CHECK (reorder_quantity >= 0),
	INDEX ix_inventory_available (available)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- `reservation` is kept apart from `status` so each order holds, releases
-- or deducts its stock exactly once whatever path its status takes
-- (doc/design.md, "Stock rules", rule 2). No ON DELETE on user_id: a
-- user who has orders cannot be deleted, so order history never loses
-- its owner.
CREATE TABLE orders (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	order_number	VARCHAR(32) NOT NULL,
	user_id		BIGINT NOT NULL,
	status		ENUM('pending', 'processing', 'shipped', 'delivered',
			    'cancelled') NOT NULL DEFAULT 'pending',
	reservation	ENUM('none', 'held', 'released', 'deducted')
			    NOT NULL DEFAULT 'none',
	total_amount	DECIMAL(12,2) NOT NULL DEFAULT 0,
	shipping_address TEXT NOT NULL,
	shipping_method	VARCHAR(50) NULL,
	tracking_number	VARCHAR(100) NULL,
	notes		TEXT NULL,
	created_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
			    ON UPDATE CURRENT_TIMESTAMP,
	CONSTRAINT uq_orders_number UNIQUE (order_number),
	CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id),
	CONSTRAINT ck_orders_total CHECK (total_amount >= 0),
	-- "My orders", optionally by status, newest first; the user_id prefix
	-- also serves the foreign key.
	INDEX ix_orders_user_status_created (user_id, status, created_at),
	-- The admin list by status and the worker's sweep of old pending orders.
	INDEX ix_orders_status_created (status, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- unit_price is copied at order time so later price changes do not rewrite
-- old orders. product_id has no cascade on purpose: a product that was
-- ordered cannot be deleted (the delete fails with a foreign key error).
CREATE TABLE order_items (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	order_id	BIGINT NOT NULL,
	product_id	BIGINT NOT NULL,
	quantity	INT NOT NULL,
	unit_price	DECIMAL(12,2) NOT NULL,
	created_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	-- One line per product; the order code merges duplicates first.
	CONSTRAINT uq_order_items_order_product UNIQUE (order_id, product_id),
	CONSTRAINT fk_order_items_order FOREIGN KEY (order_id)
	    REFERENCES orders (id) ON DELETE CASCADE,
	CONSTRAINT fk_order_items_product FOREIGN KEY (product_id)
	    REFERENCES products (id) ON DELETE RESTRICT,
	CONSTRAINT ck_order_items_quantity
	    CHECK (quantity BETWEEN 1 AND 1000000),
	CONSTRAINT ck_order_items_unit_price CHECK (unit_price >= 0),
	-- "Has this product been ordered", and the product side of the
	-- foreign key.
	INDEX ix_order_items_product_order (product_id, order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The ledger: every change of stock or reservation writes one row in the
-- same transaction as the change (doc/design.md, "Stock rules", rule 3).
-- product_id is copied, not a foreign key, so the history still names the
-- product and a product delete (which cascades through inventory) is not
-- blocked.
-- Orders and users may go; their movements stay with the reference nulled.
CREATE TABLE stock_movements (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	inventory_id	BIGINT NOT NULL,
	product_id	BIGINT NOT NULL,
	change_in_stock	INT NOT NULL,
	change_reserved	INT NOT NULL DEFAULT 0,
	reason		VARCHAR(255) NULL,
	order_id	BIGINT NULL,
	user_id		BIGINT NULL,
	created_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	CONSTRAINT fk_stock_movements_inventory FOREIGN KEY (inventory_id)
	    REFERENCES inventory (id) ON DELETE CASCADE,
	CONSTRAINT fk_stock_movements_order FOREIGN KEY (order_id)
	    REFERENCES orders (id) ON DELETE SET NULL,
	CONSTRAINT fk_stock_movements_user FOREIGN KEY (user_id)
	    REFERENCES users (id) ON DELETE SET NULL,
	-- A product's history in order, newest first by id.
	INDEX ix_stock_movements_inventory (inventory_id, id),
	INDEX ix_stock_movements_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Refresh tokens are stored by id (jti) so each can be used once. A token
-- presented a second time means it was stolen: the whole family (all the
-- tokens descending from one login) is revoked. Ids are hex, hence ASCII
-- compared byte for byte.
CREATE TABLE refresh_tokens (
	jti		CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
			    PRIMARY KEY,
	user_id		BIGINT NOT NULL,
	family_id	CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	expires_at	DATETIME NOT NULL,
	used_at		DATETIME NULL,
	revoked_at	DATETIME NULL,
	created_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	CONSTRAINT fk_refresh_tokens_user FOREIGN KEY (user_id)
	    REFERENCES users (id) ON DELETE CASCADE,
	INDEX ix_refresh_tokens_family (family_id),
	INDEX ix_refresh_tokens_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Idempotency-Key replays. The row is inserted before the work starts
-- (status_code NULL = in progress), so a concurrent duplicate hits the
-- unique key instead of doing the work twice. Keys are client-chosen
-- opaque strings: compared byte for byte. request_hash (SHA-256 hex) tells
-- a replay from a different request reusing the key.
CREATE TABLE idempotency_keys (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id		BIGINT NOT NULL,
	idem_key	VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
	request_hash	CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
	status_code	INT NULL,
	response_body	MEDIUMTEXT NULL,
	created_at	DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	expires_at	DATETIME NOT NULL,
	CONSTRAINT uq_idempotency_user_key UNIQUE (user_id, idem_key),
	CONSTRAINT fk_idempotency_user FOREIGN KEY (user_id)
	    REFERENCES users (id) ON DELETE CASCADE,
	-- The purge of expired keys.
	INDEX ix_idempotency_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
