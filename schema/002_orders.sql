-- 002_orders.sql: indexes for the order lists, newest first.
--
-- A page of GET /orders (one user's orders) and of GET /orders/admin (all
-- orders) is sorted by created_at, then id. The index of 001 on
-- (user_id, status, created_at) serves that order only when the status
-- is given; without it, MariaDB read and sorted every order of the user,
-- or of the whole table for the admin's list. With these two a page reads
-- its own rows only, whatever the number of orders (InnoDB keeps the
-- primary key, id, at the end of each secondary index, so it breaks the
-- ties in the same order).
ALTER TABLE orders
	ADD INDEX ix_orders_user_created (user_id, created_at),
	ADD INDEX ix_orders_created (created_at);
