-- Excerpts for lmagent's SQL rule corpus; sources and licence in ../README.md

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:93
CREATE INDEX entries_feed_idx on entries using btree(feed_id);

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:173
ALTER TABLE feeds ADD COLUMN scraper_rules text default '';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:226
CREATE INDEX entries_user_status_idx ON entries(user_id, status);

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:280
ALTER TABLE entries ADD COLUMN document_vectors tsvector;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:281
-- expect: SQL007 no: a migration's backfill: every row is meant to change (a note about batching at most)
UPDATE entries SET document_vectors = to_tsvector(substring(title || ' ' || coalesce(content, '') for 1000000));

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:294
-- expect: SQL007 no: a migration's backfill: every row is meant to change (a note about batching at most)
UPDATE
	entries
SET
	document_vectors = setweight(to_tsvector(substring(coalesce(title, '') for 1000000)), 'A') || setweight(to_tsvector(substring(coalesce(content, '') for 1000000)), 'B');

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:315
UPDATE users SET theme='light_serif' WHERE theme='default';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:316
UPDATE users SET theme='light_sans_serif' WHERE theme='sansserif';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:317
UPDATE users SET theme='dark_serif' WHERE theme='black';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:325
-- expect: SQL007 no: a migration's backfill: every row is meant to change (a note about batching at most)
UPDATE entries SET changed_at = published_at;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:333
CREATE TABLE api_keys (
	id SERIAL,
	user_id int not null references users(id) on delete cascade,
	token text not null unique,
	description text not null,
	last_used_at timestamp with time zone,
	created_at timestamp with time zone default now(),
	primary key(id),
	unique (user_id, description)
);

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:383
ALTER TABLE users ADD COLUMN show_reading_time boolean default 't';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:427
ALTER TABLE entries ADD COLUMN reading_time int not null default 0;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:434
-- expect: SQL007 no: a migration's backfill: every row is meant to change (a note about batching at most)
UPDATE entries SET created_at = published_at;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:443
SELECT true
FROM information_schema.columns
WHERE
	table_name='users' AND
	column_name='extra';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:498
UPDATE
	users
SET
	stylesheet=$2,
	google_id=$3,
	openid_connect_id=$4
WHERE
	id=$1;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:529
CREATE INDEX entries_user_status_changed_idx ON entries(user_id, status, changed_at);

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:576
ALTER TABLE integrations
ADD COLUMN telegram_bot_enabled bool default 'f',
ADD COLUMN telegram_bot_token text default '',
ADD COLUMN telegram_bot_chat_id text default '';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:639
ALTER TABLE users ADD COLUMN default_home_page text default 'unread';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:697
ALTER TABLE feeds ADD COLUMN no_media_player boolean default 'f';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:713
DELETE FROM enclosures a USING enclosures b
WHERE a.id < b.id
	AND a.user_id = b.user_id
	AND a.entry_id = b.entry_id
	AND a.url = b.url;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:769
ALTER TABLE integrations
ADD COLUMN apprise_enabled bool default 'f',
ADD COLUMN apprise_url text default '',
ADD COLUMN apprise_services_url text default '';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:858
CREATE TABLE webauthn_credentials (
	handle bytea primary key,
	cred_id bytea unique not null,
	user_id int references users(id) on delete cascade not null,
	public_key bytea not null,
	attestation_type varchar(255) not null,
	aaguid bytea,
	sign_count bigint,
	clone_warning bool,
	name text,
	added_on timestamp with time zone default now(),
	last_seen_on timestamp with time zone default now()
);

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:931
UPDATE entries SET tags = array_remove(tags, '') WHERE '' = ANY(tags);

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:943
ALTER TABLE integrations
ADD COLUMN raindrop_enabled bool default 'f',
ADD COLUMN raindrop_token text default '',
ADD COLUMN raindrop_collection_id text default '',
ADD COLUMN raindrop_tags text default '';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1005
ALTER TABLE users ADD COLUMN external_font_hosts text not null default '';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1063
ALTER TABLE feeds ADD COLUMN ntfy_topic text default '';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1102
UPDATE icons SET external_id = $1 WHERE id = $2;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1144
ALTER TABLE integrations
DROP COLUMN pocket_enabled,
DROP COLUMN pocket_access_token,
DROP COLUMN pocket_consumer_key;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1341
SELECT id, timezone FROM users;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1359
UPDATE users SET timezone = $1 WHERE id = $2;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1388
ALTER TABLE integrations ADD COLUMN linkwarden_collection_id int;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1417
UPDATE user_sessions SET ip = '127.0.0.1'::inet WHERE ip IS NULL;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1421
UPDATE user_sessions SET created_at = now() WHERE created_at IS NULL;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1425
UPDATE user_sessions SET user_agent = '' WHERE user_agent IS NULL;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1486
INSERT INTO entry_tombstones (feed_id, hash, deleted_at)
SELECT feed_id, hash, changed_at
FROM entries
WHERE status = 'removed' AND hash <> ''
	AND feed_id IN (SELECT id FROM feeds)
ON CONFLICT (feed_id, hash) DO NOTHING;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1493
DELETE FROM entries WHERE status = 'removed';

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1506
-- expect: SQL009 yes: orphan cleanup: NOT EXISTS is an anti-join that does not depend on work_mem; NOT IN is not
DELETE FROM integrations WHERE user_id NOT IN (SELECT id FROM users);

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1508
ALTER TABLE integrations
ADD CONSTRAINT integrations_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;

-- source: miniflux/v2@106cdd09e155:internal/database/migrations.go:1517
UPDATE webauthn_credentials SET name = '' WHERE name IS NULL;

