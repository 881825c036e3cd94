-- 004_users_identity.sql: one identity per e-mail address, and a token
-- version per user.
--
-- E-mail. Under 001's utf8mb4_unicode_ci, "jose@example.com" and
-- "josé@example.com" were one address and "àdmin@exämple.com" logged in
-- as "admin@example.com": that collation ignores accents as well as case.
-- From here on an address is stored in one form, trimmed with its ASCII
-- letters lower-cased (what email_canonical() in src/util.c makes of every
-- address the programs receive), and compared byte for byte, so only
-- ASCII case is ignored and accents stay distinct.
--
-- Two existing accounts whose addresses have the same stored form (say
-- " ann@x.org" and "Ann@x.org") cannot both keep them. The migration then
-- refuses before it changes anything, naming one such address; rename or
-- merge those accounts and run it again. The check comes first because
-- the ALTER TABLE below commits at once (DDL is never rolled back).
--
-- Token version. users.token_version goes up whenever is_active or
-- is_admin changes; every token carries the version it was issued under
-- (the "ver" claim), and a token of an older version is refused where the
-- user's row is read (admin routes, writes and refresh). Tokens issued
-- before this migration have no "ver" and count as version 0, the
-- version every user starts with here.

-- The new form of every address, computed aside. A temporary table is
-- never committed nor seen by another session; IF EXISTS: a run that
-- failed in this session may have left it.
DROP TEMPORARY TABLE IF EXISTS users_email_fold;
CREATE TEMPORARY TABLE users_email_fold (
	id	BIGINT NOT NULL PRIMARY KEY,
	email	VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
) ENGINE=InnoDB;

-- Trimmed of the white space C's isspace() knows (space, \t, \n, \v, \f,
-- \r), the characters PCRE sees through the doubled backslashes.
INSERT INTO users_email_fold (id, email)
	SELECT id, REGEXP_REPLACE(email,
	    '^[\\t\\n\\x0b\\f\\r ]+|[\\t\\n\\x0b\\f\\r ]+$', '')
	FROM users;

-- A-Z to a-z and nothing else: LOWER() would also fold non-ASCII letters,
-- which the programs do not. REPLACE matches case-sensitively.
BEGIN NOT ATOMIC
	DECLARE i INT DEFAULT 0;

	WHILE i < 26 DO
		UPDATE users_email_fold
		    SET email = REPLACE(email, CHAR(65 + i USING utf8mb4),
		    CHAR(97 + i USING utf8mb4));
		SET i = i + 1;
	END WHILE;
END;

-- Refuse, changing nothing, when two accounts would share an address.
BEGIN NOT ATOMIC
	DECLARE n INT DEFAULT 0;
	DECLARE example VARCHAR(254);
	DECLARE msg VARCHAR(512);

	SELECT COUNT(*), MIN(email) INTO n, example FROM (
	    SELECT email FROM users_email_fold GROUP BY email
	    HAVING COUNT(*) > 1) dup;
	IF n > 0 THEN
		SET msg = CONCAT('004_users_identity: ', n, ' e-mail ',
		    'address(es) held by several accounts once trimmed and ',
		    'lower-cased, e.g. "', example, '"; nothing was changed: ',
		    'rename or merge those accounts, then migrate again');
		SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;
	END IF;
END;

-- Byte-for-byte comparison first; the unique key uq_users_email stays and
-- now means one account per stored form. (Under the old collation two
-- forms that differ only in accents, say from " jose@x.org" and
-- "josé@x.org", would collide.) IF NOT EXISTS: a run that stopped between
-- here and its record in schema_migrations can be run again.
ALTER TABLE users
	MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
	    NOT NULL,
	ADD COLUMN IF NOT EXISTS token_version INT UNSIGNED NOT NULL DEFAULT 0
	    AFTER is_admin;

-- The check above left every stored form distinct, and a canonical
-- address is its own stored form, so no row takes another's old value
-- either: this cannot hit the unique key.
UPDATE users u JOIN users_email_fold f ON f.id = u.id
	SET u.email = f.email
	WHERE u.email <> f.email;

DROP TEMPORARY TABLE users_email_fold;
