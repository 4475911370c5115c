-- Excerpts for lmagent's SQL rule corpus; sources and licence in ../README.md

-- source: miniflux/v2@106cdd09e155:internal/storage/api_key.go:19
-- expect: SQL004 no: user_id = $1 finds a user's few API keys through its index; lower() only filters those rows
SELECT true FROM api_keys WHERE user_id=$1 AND lower(description)=lower($2) LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/api_key.go:26
UPDATE api_keys SET last_used_at=now() WHERE user_id=$1 and token=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/api_key.go:38
SELECT
	id, user_id, token, description, last_used_at, created_at
FROM
	api_keys
WHERE
	user_id=$1
ORDER BY description ASC;

-- source: miniflux/v2@106cdd09e155:internal/storage/api_key.go:75
INSERT INTO api_keys
	(user_id, token, description)
VALUES
	($1, $2, $3)
RETURNING
	id, user_id, token, description, last_used_at, created_at;

-- source: miniflux/v2@106cdd09e155:internal/storage/api_key.go:105
DELETE FROM api_keys WHERE id = $1 AND user_id = $2;

-- source: miniflux/v2@106cdd09e155:internal/storage/batch.go:76
SELECT id, user_id, feed_url FROM feeds;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:18
-- expect: SQL004 no: user_id = $1 finds a user's few categories through its index; lower() only filters those rows
SELECT true FROM categories WHERE user_id=$1 AND id != $2 AND lower(title)=lower($3) LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:26
-- expect: SQL004 no: user_id = $1 finds a user's few categories through its index; lower() only filters those rows
SELECT true FROM categories WHERE user_id=$1 AND lower(title)=lower($2) LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:37
SELECT true FROM categories WHERE user_id=$1 AND id=$2 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:48
SELECT id, user_id, title, hide_globally FROM categories WHERE user_id=$1 AND id=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:63
SELECT id, user_id, title, hide_globally FROM categories WHERE user_id=$1 ORDER BY title ASC LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:82
SELECT id, user_id, title, hide_globally FROM categories WHERE user_id=$1 AND title=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:97
SELECT id, user_id, title, hide_globally FROM categories WHERE user_id=$1 ORDER BY title ASC;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:120
SELECT
	c.id,
	c.user_id,
	c.title,
	c.hide_globally,
	coalesce(fc.feed_count, 0),
	coalesce(uc.unread_count, 0)
FROM categories c
LEFT JOIN (
	SELECT category_id, count(*) AS feed_count
	FROM feeds
	WHERE user_id = $2
	GROUP BY category_id
) fc ON fc.category_id = c.id
LEFT JOIN (
	SELECT f.category_id, count(*) AS unread_count
	FROM entries e
	INNER JOIN feeds f ON f.id = e.feed_id
	WHERE e.user_id = $2 AND e.status = $1
	GROUP BY f.category_id
) uc ON uc.category_id = c.id
WHERE
	c.user_id=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:182
INSERT INTO categories
	(user_id, title, hide_globally)
VALUES
	($1, $2, $3)
RETURNING
	id,
	user_id,
	title,
	hide_globally;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:213
UPDATE categories SET title=$1, hide_globally=$2 WHERE id=$3 AND user_id=$4;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:231
DELETE FROM categories WHERE id = $1 AND user_id = $2;

-- source: miniflux/v2@106cdd09e155:internal/storage/category.go:272
-- expect: SQL009 no: NOT IN over a CTE of a few category ids (primary keys, never NULL): hashed, cheap and correct
WITH d_cats AS (SELECT id FROM categories WHERE user_id = $1 AND title = ANY($2))
UPDATE feeds
 SET category_id =
  (SELECT id
	FROM categories
	WHERE user_id = $1 AND id NOT IN (SELECT id FROM d_cats)
	ORDER BY title ASC
	LIMIT 1)
WHERE user_id = $1 AND category_id IN (SELECT id FROM d_cats);

-- source: miniflux/v2@106cdd09e155:internal/storage/certificate_cache.go:33
SELECT data::bytea FROM acme_cache WHERE key = $1;

-- source: miniflux/v2@106cdd09e155:internal/storage/certificate_cache.go:45
INSERT INTO acme_cache (key, data, updated_at) VALUES($1, $2::bytea, now())
ON CONFLICT (key) DO UPDATE SET data = $2::bytea, updated_at = now();

-- source: miniflux/v2@106cdd09e155:internal/storage/certificate_cache.go:57
DELETE FROM acme_cache WHERE key = $1;

-- source: miniflux/v2@106cdd09e155:internal/storage/enclosure.go:20
SELECT
	id,
	user_id,
	entry_id,
	url,
	size,
	mime_type,
    media_progression
FROM
	enclosures
WHERE
	entry_id = $1
ORDER BY id ASC;

-- source: miniflux/v2@106cdd09e155:internal/storage/enclosure.go:67
SELECT
	id,
	user_id,
	entry_id,
	url,
	size,
	mime_type,
    media_progression
FROM
	enclosures
WHERE
	entry_id = ANY($1)
ORDER BY id ASC;

-- source: miniflux/v2@106cdd09e155:internal/storage/enclosure.go:113
SELECT
	id,
	user_id,
	entry_id,
	url,
	size,
	mime_type,
    media_progression
FROM
	enclosures
WHERE
	id = $1 AND user_id = $2;

-- source: miniflux/v2@106cdd09e155:internal/storage/enclosure.go:156
INSERT INTO enclosures
	(url, size, mime_type, entry_id, user_id, media_progression)
VALUES
	($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, entry_id, encode(sha256(url::bytea), 'hex')) DO NOTHING
RETURNING
	id;

-- source: miniflux/v2@106cdd09e155:internal/storage/enclosure.go:183
DELETE FROM
	enclosures
WHERE
	user_id=$1 AND entry_id=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/enclosure.go:206
DELETE FROM
	enclosures
WHERE
	user_id=$1 AND entry_id=$2 AND url <> ALL($3);

-- source: miniflux/v2@106cdd09e155:internal/storage/enclosure.go:223
UPDATE
	enclosures
SET
	url=$1,
	size=$2,
	mime_type=$3,
	entry_id=$4,
	user_id=$5,
	media_progression=$6
WHERE
	id=$7;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:25
SELECT status, count(*) FROM entries GROUP BY status;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:54
UPDATE
	entries
SET
	title=$1,
	content=$2,
	reading_time=$3,
	document_vectors = setweight(to_tsvector($4), 'A') || setweight(to_tsvector($5), 'B')
WHERE
	id=$6 AND user_id=$7;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:87
INSERT INTO entries
	(
		title,
		hash,
		url,
		comments_url,
		published_at,
		content,
		author,
		user_id,
		feed_id,
		reading_time,
		changed_at,
		document_vectors,
		tags,
		language
	)
SELECT
	$1,
	$2,
	$3,
	$4,
	$5,
	$6,
	$7,
	$8,
	$9,
	$10,
	now(),
	setweight(to_tsvector($11), 'A') || setweight(to_tsvector($12), 'B'),
	$13,
	$14
WHERE NOT EXISTS (
	SELECT 1 FROM entry_tombstones WHERE feed_id=$9 AND hash=$2
)
RETURNING
	id, status, created_at, changed_at;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:172
UPDATE
	entries
SET
	title=$1,
	url=$2,
	comments_url=$3,
	content=$4,
	author=$5,
	reading_time=$6,
	document_vectors = setweight(to_tsvector($7), 'A') || setweight(to_tsvector($8), 'B'),
	tags=$12,
	language=$13
WHERE
	user_id=$9 AND feed_id=$10 AND hash=$11
RETURNING
	id;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:222
SELECT true FROM entries WHERE feed_id=$1 AND hash=$2 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:235
SELECT id FROM entries WHERE feed_id=$1 AND hash=$2 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:288
SELECT
EXISTS (
	SELECT 1 FROM entries WHERE feed_id=$1 AND hash=$2
) OR EXISTS (
	SELECT 1 FROM entry_tombstones WHERE feed_id=$1 AND hash=$2
);

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:305
SELECT
	reading_time
FROM
	entries
WHERE
	feed_id=$1 AND
	hash=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:374
WITH to_delete AS (
	SELECT id, feed_id, hash
	FROM entries
	WHERE
		status=$1 AND
		starred is false AND
		share_code='' AND
		created_at < now() - $2::interval
	ORDER BY created_at ASC
	FOR UPDATE SKIP LOCKED
	LIMIT $3
), deleted AS (
	DELETE FROM entries
	USING to_delete
	WHERE entries.id = to_delete.id
	RETURNING entries.feed_id, entries.hash
)
INSERT INTO entry_tombstones (feed_id, hash)
SELECT feed_id, hash FROM deleted WHERE hash <> ''
ON CONFLICT (feed_id, hash) DO NOTHING;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:414
UPDATE
	entries
SET
	status=$1,
	changed_at=now()
WHERE
	user_id=$2 AND
	id=ANY($3);

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:433
WITH updated AS (
	UPDATE entries
	SET
		status=$1,
		changed_at=now()
	WHERE
		user_id=$2 AND
		id=ANY($3)
	RETURNING feed_id
)
SELECT count(*)
FROM updated u
	JOIN feeds f ON (f.id = u.feed_id)
	JOIN categories c ON (c.id = f.category_id)
WHERE NOT f.hide_globally AND NOT c.hide_globally;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:458
UPDATE entries SET starred=$1, changed_at=now() WHERE user_id=$2 AND id=ANY($3);

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:468
UPDATE entries SET starred = NOT starred, changed_at=now() WHERE user_id=$1 AND id=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:489
WITH deleted AS (
	DELETE FROM entries
	WHERE user_id=$1 AND status=$2 AND starred is false AND share_code=''
	RETURNING feed_id, hash
)
INSERT INTO entry_tombstones (feed_id, hash)
SELECT feed_id, hash FROM deleted WHERE hash <> ''
ON CONFLICT (feed_id, hash) DO NOTHING;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:507
UPDATE entries SET status=$1, changed_at=now() WHERE user_id=$2 AND status=$3;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:525
UPDATE
	entries
SET
	status=$1,
	changed_at=now()
WHERE
	user_id=$2 AND status=$3 AND published_at < $4;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:551
UPDATE
	entries
SET
	status=$1,
	changed_at=now()
FROM
	feeds
	JOIN categories ON (categories.id = feeds.category_id)
WHERE
	entries.feed_id = feeds.id
	AND entries.user_id=$2
	AND entries.status=$3
	AND feeds.hide_globally IS FALSE
	AND categories.hide_globally IS FALSE;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:583
UPDATE
	entries
SET
	status=$1,
	changed_at=now()
WHERE
	user_id=$2 AND feed_id=$3 AND status=$4 AND published_at < $5;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:610
UPDATE
	entries
SET
	status=$1,
	changed_at=now()
FROM
	feeds
WHERE
	feed_id=feeds.id
AND
	feeds.user_id=$2
AND
	status=$3
AND
	published_at < $4
AND
	feeds.category_id=$5;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:647
SELECT share_code FROM entries WHERE user_id=$1 AND id=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:657
UPDATE entries SET share_code = $1 WHERE user_id=$2 AND id=$3;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry.go:670
UPDATE entries SET share_code='' WHERE user_id=$1 AND id=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry_pagination_builder.go:188
SELECT id, title FROM entries WHERE id = $1;

-- source: miniflux/v2@106cdd09e155:internal/storage/entry_query_builder.go:304
SELECT;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:41
SELECT true FROM feeds WHERE user_id=$1 AND id=$2 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:51
SELECT checked_at FROM feeds WHERE user_id=$1 AND id=$2 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:64
SELECT true FROM feeds WHERE user_id=$1 AND category_id=$2 AND id=$3 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:74
SELECT true FROM feeds WHERE user_id=$1 AND feed_url=$2 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:82
SELECT true FROM feeds WHERE id <> $1 AND user_id=$2 AND feed_url=$3 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:89
SELECT disabled, count(*) FROM feeds GROUP BY disabled;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:126
SELECT count(*) FROM feeds WHERE parsing_error_count >= $1;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:182
SELECT
	COALESCE(CAST(CEIL(
		(EXTRACT(epoch from interval '1 week'))	/
		NULLIF((EXTRACT(epoch from (max(published_at)-min(published_at))/NULLIF((count(*)-1), 0) )), 0)
	) AS BIGINT), 0)
FROM
	entries
WHERE
	entries.user_id=$1 AND
	entries.feed_id=$2 AND
	entries.published_at >= now() - interval '1 week';

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:227
INSERT INTO feeds (
	feed_url,
	site_url,
	title,
	category_id,
	user_id,
	etag_header,
	last_modified_header,
	crawler,
	user_agent,
	cookie,
	username,
	password,
	disabled,
	scraper_rules,
	rewrite_rules,
	blocklist_rules,
	keeplist_rules,
	block_filter_entry_rules,
	keep_filter_entry_rules,
	ignore_http_cache,
	allow_self_signed_certificates,
	fetch_via_proxy,
	hide_globally,
	url_rewrite_rules,
	no_media_player,
	apprise_service_urls,
	webhook_url,
	disable_http2,
	description,
	proxy_url,
	ignore_entry_updates,
	language
)
VALUES
	($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)
RETURNING
	id;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:342
UPDATE
	feeds
SET
	feed_url=$1,
	site_url=$2,
	title=$3,
	category_id=$4,
	etag_header=$5,
	last_modified_header=$6,
	checked_at=$7,
	parsing_error_msg=$8,
	parsing_error_count=$9,
	scraper_rules=$10,
	rewrite_rules=$11,
	blocklist_rules=$12,
	keeplist_rules=$13,
	block_filter_entry_rules=$14,
	keep_filter_entry_rules=$15,
	crawler=$16,
	user_agent=$17,
	cookie=$18,
	username=$19,
	password=$20,
	disabled=$21,
	next_check_at=$22,
	ignore_http_cache=$23,
	allow_self_signed_certificates=$24,
	fetch_via_proxy=$25,
	hide_globally=$26,
	url_rewrite_rules=$27,
	no_media_player=$28,
	apprise_service_urls=$29,
	webhook_url=$30,
	disable_http2=$31,
	description=$32,
	ntfy_enabled=$33,
	ntfy_priority=$34,
	ntfy_topic=$35,
	pushover_enabled=$36,
	pushover_priority=$37,
	proxy_url=$38,
	ignore_entry_updates=$39,
	language=$40
WHERE
	id=$41 AND user_id=$42;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:442
UPDATE
	feeds
SET
	parsing_error_msg=$1,
	parsing_error_count=$2,
	checked_at=$3,
	next_check_at=$4
WHERE
	id=$5 AND user_id=$6;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:469
DELETE FROM feeds WHERE id=$1 AND user_id=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:477
-- expect: SQL007 no: an admin action that resets every feed's error counter on purpose
UPDATE feeds SET parsing_error_count=0, parsing_error_msg='';

-- source: miniflux/v2@106cdd09e155:internal/storage/feed.go:483
-- expect: SQL007 no: an admin action that schedules every feed for refresh on purpose
UPDATE feeds SET next_check_at=now();

-- source: miniflux/v2@106cdd09e155:internal/storage/icon.go:19
SELECT true FROM feed_icons WHERE feed_id=$1 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/icon.go:30
SELECT
	i.id,
	i.hash,
	i.mime_type,
	i.content,
	i.external_id
FROM icons AS i
WHERE i.id = $2
	AND EXISTS (
		SELECT 1
		FROM feeds AS f
		INNER JOIN feed_icons AS fi ON fi.feed_id = f.id
		WHERE f.user_id = $1
			AND fi.icon_id = $2
	);

-- source: miniflux/v2@106cdd09e155:internal/storage/icon.go:60
SELECT
	id,
	hash,
	mime_type,
	content,
	external_id
FROM icons
WHERE external_id=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/icon.go:83
SELECT
	icons.id,
	icons.hash,
	icons.mime_type,
	icons.content,
	icons.external_id
FROM icons
INNER JOIN feed_icons ON feed_icons.icon_id=icons.id
INNER JOIN feeds ON feeds.id=feed_icons.feed_id
WHERE
	feeds.user_id=$1 AND feeds.id=$2
LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/icon.go:115
SELECT id FROM icons WHERE hash=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/icon.go:118
INSERT INTO icons
	(hash, mime_type, content, external_id)
VALUES
	($1, $2, $3, $4)
RETURNING
	id;

-- source: miniflux/v2@106cdd09e155:internal/storage/icon.go:141
DELETE FROM feed_icons WHERE feed_id=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/icon.go:146
INSERT INTO feed_icons (feed_id, icon_id) VALUES ($1, $2);

-- source: miniflux/v2@106cdd09e155:internal/storage/icon.go:164
DELETE FROM icons
WHERE NOT EXISTS (
	SELECT 1 FROM feed_icons WHERE feed_icons.icon_id = icons.id
);

-- source: miniflux/v2@106cdd09e155:internal/storage/icon.go:180
SELECT
	icons.id,
	icons.hash,
	icons.mime_type,
	icons.content,
	icons.external_id
FROM icons
INNER JOIN feed_icons ON feed_icons.icon_id=icons.id
INNER JOIN feeds ON feeds.id=feed_icons.feed_id
WHERE
	feeds.user_id=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/integration.go:17
SELECT true FROM integrations WHERE user_id != $1 AND fever_username=$2 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/integration.go:25
SELECT true FROM integrations WHERE user_id != $1 AND googlereader_username=$2 LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/integration.go:34
-- expect: SQL004 yes: Fever API authentication on every request: lower(fever_token) hides the token from any index; an expression index on lower(fever_token) serves it
SELECT
	users.id, users.username, users.is_admin, users.timezone
FROM
	users
LEFT JOIN
	integrations ON integrations.user_id=users.id
WHERE
	integrations.fever_enabled='t' AND lower(integrations.fever_token)=lower($1);

-- source: miniflux/v2@106cdd09e155:internal/storage/integration.go:61
SELECT
	googlereader_password
FROM
	integrations
WHERE
	integrations.googlereader_enabled='t' AND integrations.googlereader_username=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/integration.go:88
SELECT
	user_id,
	googlereader_enabled,
	googlereader_username,
	googlereader_password
FROM
	integrations
WHERE
	integrations.googlereader_enabled='t' AND integrations.googlereader_username=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/integration.go:112
SELECT
	user_id,
	pinboard_enabled,
	pinboard_token,
	pinboard_tags,
	pinboard_mark_as_unread,
	instapaper_enabled,
	instapaper_username,
	instapaper_password,
	fever_enabled,
	fever_username,
	fever_token,
	googlereader_enabled,
	googlereader_username,
	googlereader_password,
	wallabag_enabled,
	wallabag_only_url,
	wallabag_url,
	wallabag_client_id,
	wallabag_client_secret,
	wallabag_username,
	wallabag_password,
	wallabag_tags,
	notion_enabled,
	notion_token,
	notion_page_id,
	nunux_keeper_enabled,
	nunux_keeper_url,
	nunux_keeper_api_key,
	espial_enabled,
	espial_url,
	espial_api_key,
	espial_tags,
	readwise_enabled,
	readwise_api_key,
	telegram_bot_enabled,
	telegram_bot_token,
	telegram_bot_chat_id,
	telegram_bot_topic_id,
	telegram_bot_disable_web_page_preview,
	telegram_bot_disable_notification,
	telegram_bot_disable_buttons,
	linkace_enabled,
	linkace_url,
	linkace_api_key,
	linkace_tags,
	linkace_is_private,
	linkace_check_disabled,
	linkding_enabled,
	linkding_url,
	linkding_api_key,
	linkding_tags,
	linkding_mark_as_unread,
	linkwarden_enabled,
	linkwarden_url,
	linkwarden_api_key,
	linkwarden_collection_id,
	matrix_bot_enabled,
	matrix_bot_user,
	matrix_bot_password,
	matrix_bot_url,
	matrix_bot_chat_id,
	apprise_enabled,
	apprise_url,
	apprise_services_url,
	readeck_enabled,
	readeck_url,
	readeck_api_key,
	readeck_labels,
	readeck_only_url,
	readeck_push_enabled,
	shiori_enabled,
	shiori_url,
	shiori_username,
	shiori_password,
	shaarli_enabled,
	shaarli_url,
	shaarli_api_secret,
	webhook_enabled,
	webhook_url,
	webhook_secret,
	rssbridge_enabled,
	rssbridge_url,
	omnivore_enabled,
	omnivore_api_key,
	omnivore_url,
	raindrop_enabled,
	raindrop_token,
	raindrop_collection_id,
	raindrop_tags,
	betula_enabled,
	betula_url,
	betula_token,
	ntfy_enabled,
	ntfy_topic,
	ntfy_url,
	ntfy_api_token,
	ntfy_username,
	ntfy_password,
	ntfy_icon_url,
	ntfy_internal_links,
	cubox_enabled,
	cubox_api_link,
	discord_enabled,
	discord_webhook_link,
	slack_enabled,
	slack_webhook_link,
	pushover_enabled,
	pushover_user,
	pushover_token,
	pushover_device,
	pushover_prefix,
	rssbridge_token,
	karakeep_enabled,
	karakeep_api_key,
	karakeep_url,
	karakeep_tags,
	linktaco_enabled,
	linktaco_api_token,
	linktaco_org_slug,
	linktaco_tags,
	linktaco_visibility,
	archiveorg_enabled
FROM
	integrations
WHERE
	user_id=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/integration.go:378
UPDATE
	integrations
SET
	pinboard_enabled=$1,
	pinboard_token=$2,
	pinboard_tags=$3,
	pinboard_mark_as_unread=$4,
	instapaper_enabled=$5,
	instapaper_username=$6,
	instapaper_password=$7,
	fever_enabled=$8,
	fever_username=$9,
	fever_token=$10,
	wallabag_enabled=$11,
	wallabag_only_url=$12,
	wallabag_url=$13,
	wallabag_client_id=$14,
	wallabag_client_secret=$15,
	wallabag_username=$16,
	wallabag_password=$17,
	wallabag_tags=$18,
	nunux_keeper_enabled=$19,
	nunux_keeper_url=$20,
	nunux_keeper_api_key=$21,
	googlereader_enabled=$22,
	googlereader_username=$23,
	googlereader_password=$24,
	telegram_bot_enabled=$25,
	telegram_bot_token=$26,
	telegram_bot_chat_id=$27,
	telegram_bot_topic_id=$28,
	telegram_bot_disable_web_page_preview=$29,
	telegram_bot_disable_notification=$30,
	telegram_bot_disable_buttons=$31,
	espial_enabled=$32,
	espial_url=$33,
	espial_api_key=$34,
	espial_tags=$35,
	linkace_enabled=$36,
	linkace_url=$37,
	linkace_api_key=$38,
	linkace_tags=$39,
	linkace_is_private=$40,
	linkace_check_disabled=$41,
	linkding_enabled=$42,
	linkding_url=$43,
	linkding_api_key=$44,
	linkding_tags=$45,
	linkding_mark_as_unread=$46,
	matrix_bot_enabled=$47,
	matrix_bot_user=$48,
	matrix_bot_password=$49,
	matrix_bot_url=$50,
	matrix_bot_chat_id=$51,
	notion_enabled=$52,
	notion_token=$53,
	notion_page_id=$54,
	readwise_enabled=$55,
	readwise_api_key=$56,
	apprise_enabled=$57,
	apprise_url=$58,
	apprise_services_url=$59,
	readeck_enabled=$60,
	readeck_url=$61,
	readeck_api_key=$62,
	readeck_labels=$63,
	readeck_only_url=$64,
	shiori_enabled=$65,
	shiori_url=$66,
	shiori_username=$67,
	shiori_password=$68,
	shaarli_enabled=$69,
	shaarli_url=$70,
	shaarli_api_secret=$71,
	webhook_enabled=$72,
	webhook_url=$73,
	webhook_secret=$74,
	rssbridge_enabled=$75,
	rssbridge_url=$76,
	omnivore_enabled=$77,
	omnivore_api_key=$78,
	omnivore_url=$79,
	linkwarden_enabled=$80,
	linkwarden_url=$81,
	linkwarden_api_key=$82,
	raindrop_enabled=$83,
	raindrop_token=$84,
	raindrop_collection_id=$85,
	raindrop_tags=$86,
	betula_enabled=$87,
	betula_url=$88,
	betula_token=$89,
	ntfy_enabled=$90,
	ntfy_topic=$91,
	ntfy_url=$92,
	ntfy_api_token=$93,
	ntfy_username=$94,
	ntfy_password=$95,
	ntfy_icon_url=$96,
	ntfy_internal_links=$97,
	cubox_enabled=$98,
	cubox_api_link=$99,
	discord_enabled=$100,
	discord_webhook_link=$101,
	slack_enabled=$102,
	slack_webhook_link=$103,
	pushover_enabled=$104,
	pushover_user=$105,
	pushover_token=$106,
	pushover_device=$107,
	pushover_prefix=$108,
	rssbridge_token=$109,
	karakeep_enabled=$110,
	karakeep_api_key=$111,
	karakeep_url=$112,
	karakeep_tags=$113,
	linktaco_enabled=$114,
	linktaco_api_token=$115,
	linktaco_org_slug=$116,
	linktaco_tags=$117,
	linktaco_visibility=$118,
	archiveorg_enabled=$119,
	linkwarden_collection_id=$120,
	readeck_push_enabled=$121
WHERE
	user_id=$122;

-- source: miniflux/v2@106cdd09e155:internal/storage/integration.go:641
-- expect: SQL010 no: residual filter: user_id = $1 finds the user's one integrations row, the OR only tests its flags
SELECT
	true
FROM
	integrations
WHERE
	user_id=$1
AND
	(
		pinboard_enabled='t' OR
		instapaper_enabled='t' OR
		wallabag_enabled='t' OR
		notion_enabled='t' OR
		nunux_keeper_enabled='t' OR
		espial_enabled='t' OR
		readwise_enabled='t' OR
		linkace_enabled='t' OR
		linkding_enabled='t' OR
		linktaco_enabled='t' OR
		linkwarden_enabled='t' OR
		apprise_enabled='t' OR
		shiori_enabled='t' OR
		readeck_enabled='t' OR
		shaarli_enabled='t' OR
		webhook_enabled='t' OR
		omnivore_enabled='t' OR
		karakeep_enabled='t' OR
		raindrop_enabled='t' OR
		betula_enabled='t' OR
		cubox_enabled='t' OR
		discord_enabled='t' OR
		slack_enabled='t' OR
		archiveorg_enabled='t'
	);

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:24
SELECT count(*) FROM users;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:34
UPDATE users SET last_login_at=now() WHERE id=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:46
SELECT true FROM users WHERE username=LOWER($1) LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:53
SELECT true FROM users WHERE id != $1 AND username=LOWER($2) LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:69
INSERT INTO users
	(username, password, is_admin, google_id, openid_connect_id)
VALUES
	(LOWER($1), $2, $3, $4, $5)
RETURNING
	id,
	username,
	is_admin,
	language,
	theme,
	timezone,
	entry_direction,
	entries_per_page,
	keyboard_shortcuts,
	show_reading_time,
	entry_swipe,
	gesture_nav,
	stylesheet,
	custom_js,
	external_font_hosts,
	google_id,
	openid_connect_id,
	display_mode,
	entry_order,
	default_reading_speed,
	cjk_reading_speed,
	default_home_page,
	categories_sorting_order,
	mark_read_on_view,
	media_playback_rate,
	block_filter_entry_rules,
	keep_filter_entry_rules,
	always_open_external_links,
	open_external_links_in_new_tab;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:154
INSERT INTO categories (user_id, title) VALUES ($1, $2);

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:160
INSERT INTO integrations (user_id) VALUES ($1);

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:184
UPDATE users SET
	username=LOWER($1),
	password=$2,
	is_admin=$3,
	theme=$4,
	language=$5,
	timezone=$6,
	entry_direction=$7,
	entries_per_page=$8,
	keyboard_shortcuts=$9,
	show_reading_time=$10,
	entry_swipe=$11,
	gesture_nav=$12,
	stylesheet=$13,
	custom_js=$14,
	external_font_hosts=$15,
	google_id=$16,
	openid_connect_id=$17,
	display_mode=$18,
	entry_order=$19,
	default_reading_speed=$20,
	cjk_reading_speed=$21,
	default_home_page=$22,
	categories_sorting_order=$23,
	mark_read_on_view=$24,
	mark_read_on_media_player_completion=$25,
	media_playback_rate=$26,
	block_filter_entry_rules=$27,
	keep_filter_entry_rules=$28,
	always_open_external_links=$29,
	open_external_links_in_new_tab=$30
WHERE
	id=$31;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:258
UPDATE users SET
	username=LOWER($1),
	is_admin=$2,
	theme=$3,
	language=$4,
	timezone=$5,
	entry_direction=$6,
	entries_per_page=$7,
	keyboard_shortcuts=$8,
	show_reading_time=$9,
	entry_swipe=$10,
	gesture_nav=$11,
	stylesheet=$12,
	custom_js=$13,
	external_font_hosts=$14,
	google_id=$15,
	openid_connect_id=$16,
	display_mode=$17,
	entry_order=$18,
	default_reading_speed=$19,
	cjk_reading_speed=$20,
	default_home_page=$21,
	categories_sorting_order=$22,
	mark_read_on_view=$23,
	mark_read_on_media_player_completion=$24,
	media_playback_rate=$25,
	block_filter_entry_rules=$26,
	keep_filter_entry_rules=$27,
	always_open_external_links=$28,
	open_external_links_in_new_tab=$29
WHERE
	id=$30;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:336
SELECT language FROM users WHERE id = $1;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:347
SELECT
	id,
	username,
	is_admin,
	theme,
	language,
	timezone,
	entry_direction,
	entries_per_page,
	keyboard_shortcuts,
	show_reading_time,
	entry_swipe,
	gesture_nav,
	last_login_at,
	stylesheet,
	custom_js,
	external_font_hosts,
	google_id,
	openid_connect_id,
	display_mode,
	entry_order,
	default_reading_speed,
	cjk_reading_speed,
	default_home_page,
	categories_sorting_order,
	mark_read_on_view,
	mark_read_on_media_player_completion,
	media_playback_rate,
	block_filter_entry_rules,
	keep_filter_entry_rules,
	always_open_external_links,
	open_external_links_in_new_tab
FROM
	users
WHERE
	id = $1;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:390
SELECT
	id,
	username,
	is_admin,
	theme,
	language,
	timezone,
	entry_direction,
	entries_per_page,
	keyboard_shortcuts,
	show_reading_time,
	entry_swipe,
	gesture_nav,
	last_login_at,
	stylesheet,
	custom_js,
	external_font_hosts,
	google_id,
	openid_connect_id,
	display_mode,
	entry_order,
	default_reading_speed,
	cjk_reading_speed,
	default_home_page,
	categories_sorting_order,
	mark_read_on_view,
	mark_read_on_media_player_completion,
	media_playback_rate,
	block_filter_entry_rules,
	keep_filter_entry_rules,
	always_open_external_links,
	open_external_links_in_new_tab
FROM
	users
WHERE
	username=LOWER($1);

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:484
SELECT
	u.id,
	u.username,
	u.is_admin,
	u.theme,
	u.language,
	u.timezone,
	u.entry_direction,
	u.entries_per_page,
	u.keyboard_shortcuts,
	u.show_reading_time,
	u.entry_swipe,
	u.gesture_nav,
	u.last_login_at,
	u.stylesheet,
	u.custom_js,
	u.external_font_hosts,
	u.google_id,
	u.openid_connect_id,
	u.display_mode,
	u.entry_order,
	u.default_reading_speed,
	u.cjk_reading_speed,
	u.default_home_page,
	u.categories_sorting_order,
	u.mark_read_on_view,
	u.mark_read_on_media_player_completion,
	media_playback_rate,
	u.block_filter_entry_rules,
	u.keep_filter_entry_rules,
	u.always_open_external_links,
	u.open_external_links_in_new_tab
FROM
	users u
INNER JOIN
	api_keys ON api_keys.user_id=u.id
WHERE
	api_keys.token = $1;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:573
DELETE FROM users WHERE id=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:582
-- expect: SQL012 no: the admin's list of users: a handful of rows by design
SELECT
	id,
	username,
	is_admin,
	theme,
	language,
	timezone,
	entry_direction,
	entries_per_page,
	keyboard_shortcuts,
	show_reading_time,
	entry_swipe,
	gesture_nav,
	last_login_at,
	stylesheet,
	custom_js,
	external_font_hosts,
	google_id,
	openid_connect_id,
	display_mode,
	entry_order,
	default_reading_speed,
	cjk_reading_speed,
	default_home_page,
	categories_sorting_order,
	mark_read_on_view,
	mark_read_on_media_player_completion,
	media_playback_rate,
	block_filter_entry_rules,
	keep_filter_entry_rules,
	always_open_external_links,
	open_external_links_in_new_tab
FROM
	users
ORDER BY username ASC;

-- source: miniflux/v2@106cdd09e155:internal/storage/user.go:695
SELECT true FROM users WHERE id=$1 AND password <> '' LIMIT 1;

-- source: miniflux/v2@106cdd09e155:internal/storage/web_session.go:27
INSERT INTO web_sessions (
	id,
	secret_hash,
	user_agent,
	ip,
	state
)
VALUES ($1, $2, $3, $4, $5)
RETURNING created_at;

-- source: miniflux/v2@106cdd09e155:internal/storage/web_session.go:56
SELECT
	id,
	secret_hash,
	user_id,
	created_at,
	user_agent,
	ip,
	state
FROM
	web_sessions
WHERE
	user_id=$1
ORDER BY
	created_at DESC;

-- source: miniflux/v2@106cdd09e155:internal/storage/web_session.go:103
SELECT
	id,
	secret_hash,
	user_id,
	created_at,
	user_agent,
	ip,
	state
FROM
	web_sessions
WHERE
	id=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/web_session.go:145
UPDATE
	web_sessions
SET
	id=$2,
	secret_hash=$3,
	user_id=$4,
	state=$5,
	created_at=now()
WHERE
	id=$1
RETURNING created_at;

-- source: miniflux/v2@106cdd09e155:internal/storage/web_session.go:184
UPDATE
	web_sessions
SET
	user_id=$2,
	state=$3
WHERE
	id=$1;

-- source: miniflux/v2@106cdd09e155:internal/storage/web_session.go:222
DELETE FROM web_sessions WHERE user_id=$1 AND id=$2;

-- source: miniflux/v2@106cdd09e155:internal/storage/web_session.go:232
DELETE FROM
	web_sessions
WHERE
	created_at < now() - $1::interval;

-- source: miniflux/v2@106cdd09e155:internal/storage/web_session.go:251
-- expect: SQL006 no: FlushAllSessions: emptying the table is the function's purpose
DELETE FROM web_sessions;

-- source: miniflux/v2@106cdd09e155:internal/storage/webauthn.go:18
INSERT INTO webauthn_credentials
	(handle, cred_id, user_id, public_key, attestation_type, aaguid, sign_count, clone_warning, backup_eligible, backup_state)
VALUES
	($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- source: miniflux/v2@106cdd09e155:internal/storage/webauthn.go:44
SELECT
	user_id,
	cred_id,
	public_key,
	attestation_type,
	aaguid,
	sign_count,
	clone_warning,
	added_on,
	last_seen_on,
	name,
	backup_eligible,
	backup_state
FROM
	webauthn_credentials
WHERE
	handle = $1;

-- source: miniflux/v2@106cdd09e155:internal/storage/webauthn.go:93
SELECT
	handle,
	cred_id,
	public_key,
	attestation_type,
	aaguid,
	sign_count,
	clone_warning,
	name,
	added_on,
	last_seen_on,
	backup_eligible,
	backup_state
FROM
	webauthn_credentials
WHERE
	user_id = $1;

-- source: miniflux/v2@106cdd09e155:internal/storage/webauthn.go:152
UPDATE webauthn_credentials
SET last_seen_on = NOW(),
	sign_count = $1,
	clone_warning = $2,
	backup_eligible = $3,
	backup_state = $4
WHERE handle = $5;

