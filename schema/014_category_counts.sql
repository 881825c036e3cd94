-- 014_category_counts.sql: X-Total-Count of the product list by
-- category without reading the category's index entries (10,000 of them
-- for a category of a million-product shop, a few ms each time the
-- cached count is stale).
--
-- As in 012_list_counts.sql: triggers keep the count of each category
-- in the transaction of the product's write, as up to 8 slot rows (the
-- writer's CONNECTION_ID() % 8). A product without a category is in no
-- count. The category column has the type and collation of
-- products.category, so two spellings the list's filter takes as one
-- ("Tools" and "tools") are one count here too; a category whose
-- products are all gone keeps its rows at 0. Products are written by
-- the admin only, never on the order path. TRUNCATE fires no trigger:
-- whoever empties products empties category_counts too. `inventoryctl
-- audit` compares each count with COUNT(*).
CREATE TABLE category_counts (
	category VARCHAR(100) NOT NULL,
	slot TINYINT UNSIGNED NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (category, slot)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

LOCK TABLES products WRITE, category_counts WRITE;

CREATE TRIGGER products_category_insert AFTER INSERT ON products
FOR EACH ROW
	IF NEW.category IS NOT NULL THEN
		INSERT INTO category_counts (category, slot, n)
		    VALUES (NEW.category, CONNECTION_ID() % 8, 1)
		    ON DUPLICATE KEY UPDATE n = n + 1;
	END IF;

-- Equal in the column's collation is the same category: nothing moves.
CREATE TRIGGER products_category_update AFTER UPDATE ON products
FOR EACH ROW
	IF NOT (NEW.category <=> OLD.category) THEN
		IF OLD.category IS NOT NULL THEN
			INSERT INTO category_counts (category, slot, n)
			    VALUES (OLD.category, CONNECTION_ID() % 8, -1)
			    ON DUPLICATE KEY UPDATE n = n - 1;
		END IF;
		IF NEW.category IS NOT NULL THEN
			INSERT INTO category_counts (category, slot, n)
			    VALUES (NEW.category, CONNECTION_ID() % 8, 1)
			    ON DUPLICATE KEY UPDATE n = n + 1;
		END IF;
	END IF;

CREATE TRIGGER products_category_delete AFTER DELETE ON products
FOR EACH ROW
	IF OLD.category IS NOT NULL THEN
		INSERT INTO category_counts (category, slot, n)
		    VALUES (OLD.category, CONNECTION_ID() % 8, -1)
		    ON DUPLICATE KEY UPDATE n = n - 1;
	END IF;

INSERT INTO category_counts (category, slot, n)
	SELECT category, 0, COUNT(*) FROM products
	WHERE category IS NOT NULL GROUP BY category;

UNLOCK TABLES;
