-- Excerpts for lmagent's SQL rule corpus; sources and licence in ../README.md

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/15/presence_indices.sql:2
CREATE INDEX IF NOT EXISTS presence_list_user_id ON presence_list (user_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/15/v15.sql:21
INSERT INTO pushers2 (id, user_name, profile_tag, kind, app_id, app_display_name, device_display_name, pushkey, ts, lang, data, last_token, last_success, failing_since)
SELECT id, user_name, profile_tag, kind, app_id, app_display_name, device_display_name, pushkey, ts, lang, data, last_token, last_success, failing_since FROM pushers;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/remove_duplicates.sql:3
-- expect: SQL009 yes: dedupe of a whole table: the subquery is as big as the table; past work_mem PostgreSQL runs NOT IN as a per-row SubPlan, NOT EXISTS is an anti-join
DELETE FROM event_to_state_groups WHERE state_group not in (
    SELECT MAX(state_group) FROM event_to_state_groups GROUP BY event_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/remove_duplicates.sql:7
-- expect: SQL009 yes: dedupe of a whole table: the subquery is as big as the table; past work_mem PostgreSQL runs NOT IN as a per-row SubPlan, NOT EXISTS is an anti-join
DELETE FROM event_to_state_groups WHERE rowid not in (
    SELECT MIN(rowid) FROM event_to_state_groups GROUP BY event_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/room_alias_index.sql:3
CREATE INDEX IF NOT EXISTS room_alias_servers_alias ON room_alias_servers(room_alias);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/unique_constraints.sql:5
-- expect: SQL009 yes: dedupe of a whole table: the subquery is as big as the table; past work_mem PostgreSQL runs NOT IN as a per-row SubPlan, NOT EXISTS is an anti-join
DELETE FROM current_state_events WHERE rowid not in (
    SELECT MIN(rowid) FROM current_state_events GROUP BY event_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/unique_constraints.sql:13
-- expect: SQL009 yes: dedupe of a whole table: the subquery is as big as the table; past work_mem PostgreSQL runs NOT IN as a per-row SubPlan, NOT EXISTS is an anti-join
DELETE FROM room_memberships WHERE rowid not in (
    SELECT MIN(rowid) FROM room_memberships GROUP BY event_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/unique_constraints.sql:21
-- expect: SQL009 yes: dedupe of a whole table: the subquery is as big as the table; past work_mem PostgreSQL runs NOT IN as a per-row SubPlan, NOT EXISTS is an anti-join
DELETE FROM topics WHERE rowid not in (
    SELECT MIN(rowid) FROM topics GROUP BY event_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/unique_constraints.sql:29
-- expect: SQL009 yes: dedupe of a whole table: the subquery is as big as the table; past work_mem PostgreSQL runs NOT IN as a per-row SubPlan, NOT EXISTS is an anti-join
DELETE FROM room_names WHERE rowid not in (
    SELECT MIN(rowid) FROM room_names GROUP BY event_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/unique_constraints.sql:34
CREATE UNIQUE INDEX room_names_id ON room_names(event_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/unique_constraints.sql:37
-- expect: SQL009 yes: dedupe of a whole table: the subquery is as big as the table; past work_mem PostgreSQL runs NOT IN as a per-row SubPlan, NOT EXISTS is an anti-join
DELETE FROM presence WHERE rowid not in (
    SELECT MIN(rowid) FROM presence GROUP BY user_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/unique_constraints.sql:45
-- expect: SQL009 yes: dedupe of a whole table: the subquery is as big as the table; past work_mem PostgreSQL runs NOT IN as a per-row SubPlan, NOT EXISTS is an anti-join
DELETE FROM presence_allow_inbound WHERE rowid not in (
    SELECT MIN(rowid) FROM presence_allow_inbound
    GROUP BY observed_user_id, observer_user_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/unique_constraints.sql:56
-- expect: SQL009 yes: dedupe of a whole table: the subquery is as big as the table; past work_mem PostgreSQL runs NOT IN as a per-row SubPlan, NOT EXISTS is an anti-join
DELETE FROM presence_list WHERE rowid not in (
    SELECT MIN(rowid) FROM presence_list
    GROUP BY user_id, observed_user_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/unique_constraints.sql:67
-- expect: SQL009 yes: dedupe of a whole table: the subquery is as big as the table; past work_mem PostgreSQL runs NOT IN as a per-row SubPlan, NOT EXISTS is an anti-join
DELETE FROM room_aliases WHERE rowid not in (
    SELECT MIN(rowid) FROM room_aliases GROUP BY room_alias
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/unique_constraints.sql:72
CREATE INDEX room_aliases_id ON room_aliases(room_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/users.sql:12
INSERT INTO new_access_tokens
SELECT a.id, u.name, a.device_id, a.token, a.last_used
FROM access_tokens as a
INNER JOIN users as u ON u.id = a.user_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/users.sql:30
INSERT INTO new_users SELECT name, password_hash, creation_ts, admin FROM users;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/users.sql:47
INSERT INTO new_user_ips
SELECT user, access_token, device_id, ip, user_agent, last_seen FROM user_ips;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/16/users.sql:55
CREATE INDEX IF NOT EXISTS user_ips_user_ip ON user_ips(user_id, access_token, ip);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/18/server_keys_bigger_ints.sql:27
INSERT INTO new_server_keys_json
SELECT server_name, key_id, from_server,ts_added_ms, ts_valid_until_ms, key_json FROM server_keys_json;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/18/server_keys_bigger_ints.sql:30
DROP TABLE server_keys_json;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/20/dummy.sql:1
SELECT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/22/receipts_index.sql:20
CREATE INDEX receipts_linearized_room_stream ON receipts_linearized(
    room_id, stream_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/22/user_threepids_unique.sql:10
INSERT INTO user_threepids2
SELECT * FROM user_threepids WHERE added_at IN (
	SELECT max(added_at) FROM user_threepids GROUP BY medium, address
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/25/tags.sql:32
CREATE TABLE IF NOT EXISTS private_user_data_max_stream_id(
    Lock CHAR(1) NOT NULL DEFAULT 'X' UNIQUE,  -- Makes sure this table only has one row.
    stream_id  BIGINT NOT NULL,
    CHECK (Lock='X')
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/28/event_push_actions.sql:26
CREATE INDEX event_push_actions_room_id_event_id_user_id_profile_tag on event_push_actions(room_id, event_id, user_id, profile_tag);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/29/push_actions.sql:17
ALTER TABLE event_push_actions ADD COLUMN stream_ordering BIGINT;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/29/push_actions.sql:21
-- expect: SQL007 no: a migration's backfill: every row is meant to change (a note about batching at most)
UPDATE event_push_actions SET stream_ordering = (
    SELECT stream_ordering FROM events WHERE event_id = event_push_actions.event_id
), topological_ordering = (
    SELECT topological_ordering FROM events WHERE event_id = event_push_actions.event_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/29/push_actions.sql:27
-- expect: SQL007 no: a migration's backfill: every row is meant to change (a note about batching at most)
UPDATE event_push_actions SET notif = 1, highlight = 0;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/30/presence_stream.sql:28
CREATE INDEX presence_stream_id ON presence_stream(stream_id, user_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/30/public_rooms.sql:21
-- expect: SQL009 yes: rooms without an alias: NOT EXISTS is an anti-join; NOT IN hashes only within work_mem
UPDATE rooms SET is_public = (1 = 0) WHERE is_public = (1 = 1) AND room_id not in (
    SELECT room_id FROM room_aliases
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/31/invites.sql:17
CREATE TABLE local_invites(
    stream_id BIGINT NOT NULL,
    inviter TEXT NOT NULL,
    invitee TEXT NOT NULL,
    event_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    locally_rejected TEXT,
    replaced_by TEXT
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/31/invites.sql:28
INSERT INTO local_invites SELECT
    stream_ordering as stream_id,
    sender as inviter,
    state_key as invitee,
    event_id,
    room_id,
    NULL as locally_rejected,
    NULL as replaced_by
FROM events
NATURAL JOIN current_state_events
NATURAL JOIN room_memberships
WHERE membership = 'invite'  AND state_key IN (SELECT name FROM users);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/32/openid.sql:9
CREATE index open_id_tokens_ts_valid_until_ms ON open_id_tokens(ts_valid_until_ms);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/32/remove_indices.sql:26
DROP INDEX IF EXISTS st_extrem_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/33/devices_for_e2e_keys.sql:18
INSERT INTO devices
SELECT user_id, device_id, NULL FROM e2e_device_keys_json;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/33/devices_for_e2e_keys_clear_unknown_device.sql:18
UPDATE devices
SET display_name = NULL
WHERE display_name = 'unknown device';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/34/appservice_stream.sql:16
CREATE TABLE IF NOT EXISTS appservice_stream_position(
    Lock CHAR(1) NOT NULL DEFAULT 'X' UNIQUE,  -- Makes sure this table only has one row.
    stream_ordering BIGINT,
    CHECK (Lock='X')
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/34/appservice_stream.sql:22
INSERT INTO appservice_stream_position (stream_ordering)
SELECT COALESCE(MAX(stream_ordering), 0) FROM events;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/34/push_display_name_rename.sql:16
DELETE FROM push_rules WHERE rule_id = 'global/override/.m.rule.contains_display_name';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/34/push_display_name_rename.sql:17
UPDATE push_rules SET rule_id = 'global/override/.m.rule.contains_display_name' WHERE rule_id = 'global/underride/.m.rule.contains_display_name';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/34/push_display_name_rename.sql:19
DELETE FROM push_rules_enable WHERE rule_id = 'global/override/.m.rule.contains_display_name';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/34/push_display_name_rename.sql:20
UPDATE push_rules_enable SET rule_id = 'global/override/.m.rule.contains_display_name' WHERE rule_id = 'global/underride/.m.rule.contains_display_name';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/35/device_outbox.sql:30
DROP TABLE IF EXISTS device_federation_inbox;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/35/device_stream_id.sql:20
INSERT INTO device_max_stream_id (stream_id)
SELECT COALESCE(MAX(stream_id), 0) FROM device_inbox;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/35/event_push_actions_index.sql:16
INSERT into background_updates (update_name, progress_json)
VALUES ('epa_highlight_index', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/35/public_room_list_change_stream.sql:23
INSERT INTO public_room_list_stream (stream_id, room_id, visibility)
SELECT 1, room_id, is_public FROM rooms
WHERE is_public = CAST(1 AS BOOLEAN);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/35/stream_order_to_extrem.sql:17
CREATE TABLE stream_ordering_to_exterm (
    stream_ordering BIGINT NOT NULL,
    room_id TEXT NOT NULL,
    event_id TEXT NOT NULL
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/35/stream_order_to_extrem.sql:23
INSERT INTO stream_ordering_to_exterm (stream_ordering, room_id, event_id)
SELECT stream_ordering, room_id, event_id FROM event_forward_extremities
INNER JOIN (
    SELECT room_id, max(stream_ordering) as stream_ordering FROM events
    INNER JOIN event_forward_extremities USING (room_id, event_id)
    GROUP BY room_id
) AS rms USING (room_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/36/readd_public_rooms.sql:17
INSERT INTO stream_ordering_to_exterm (stream_ordering, room_id, event_id)
SELECT
    (SELECT stream_ordering FROM events where event_id = e.event_id) AS stream_ordering,
    room_id,
    event_id
FROM event_forward_extremities AS e
WHERE NOT EXISTS (
    SELECT room_id FROM stream_ordering_to_exterm AS s
    WHERE s.room_id = e.room_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/37/user_threepids.sql:23
UPDATE user_threepids
SET medium = 'email_old'
WHERE medium = 'email'
   AND address IN (
        -- We select all the addresses that are linked to the user_id that is NOT
        -- the most recently created.
        SELECT u.address
        FROM
            user_threepids AS u,
            -- `duplicate_addresses` is a table of all the email addresses that
            -- appear multiple times and when the binding was created
            (
                SELECT lower(u1.address) AS address, max(u1.added_at) AS max_ts
                FROM user_threepids AS u1
                INNER JOIN user_threepids AS u2 ON u1.medium = u2.medium AND lower(u1.address) = lower(u2.address) AND u1.address != u2.address
                WHERE u1.medium = 'email' AND u2.medium = 'email'
                GROUP BY lower(u1.address)
            ) AS duplicate_addresses
        WHERE
            lower(u.address) = duplicate_addresses.address
            AND u.added_at != max_ts  -- NOT the most recently created
    );

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/37/user_threepids.sql:48
UPDATE user_threepids SET address = LOWER(address) WHERE medium = 'email';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/39/device_federation_stream_idx.sql:16
CREATE INDEX device_federation_outbox_id ON device_federation_outbox(stream_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/39/federation_out_position.sql:22
INSERT INTO federation_stream_position (type, stream_id) SELECT 'events', coalesce(max(stream_ordering), -1) FROM events;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/40/device_inbox.sql:17
INSERT into background_updates (update_name, progress_json)
VALUES ('device_inbox_stream_index', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/40/device_list_streams.sql:50
CREATE TABLE device_lists_outbound_pokes (
    destination TEXT NOT NULL,
    stream_id BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    sent BOOLEAN NOT NULL,
    ts BIGINT NOT NULL  -- So that in future we can clear out pokes to dead servers
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/40/pushers.sql:35
INSERT INTO pushers2 SELECT * FROM PUSHERS;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/41/device_outbound_index.sql:16
CREATE INDEX device_lists_outbound_pokes_stream ON device_lists_outbound_pokes(stream_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/42/device_list_last_id.sql:25
INSERT INTO device_lists_outbound_last_success
SELECT destination, user_id, coalesce(max(stream_id), 0) as stream_id
    FROM device_lists_outbound_pokes
    WHERE sent = (1 = 1)  -- sqlite doesn't have inbuilt boolean values
    GROUP BY destination, user_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/42/event_auth_state_only.sql:16
INSERT INTO background_updates (update_name, progress_json) VALUES
('event_auth_state_only', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/43/blocked_rooms.sql:21
CREATE UNIQUE INDEX blocked_rooms_idx ON blocked_rooms(room_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/43/user_share.sql:33
-- expect: SQL007 no: a migration resetting a single-row position table
UPDATE user_directory_stream_pos SET stream_id = NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/44/expire_url_cache.sql:23
CREATE TABLE local_media_repository_url_cache_new(
    url TEXT,
    response_code INTEGER,
    etag TEXT,
    expires_ts BIGINT,
    og TEXT,
    media_id TEXT,
    download_ts BIGINT
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/44/expire_url_cache.sql:33
INSERT INTO local_media_repository_url_cache_new
SELECT url, response_code, etag, expires + download_ts, og, media_id, download_ts FROM local_media_repository_url_cache;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/45/group_server.sql:36
CREATE INDEX groups_users_g_idx ON group_users(group_id, user_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/45/group_server.sql:60
CREATE TABLE group_summary_rooms (
    group_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    category_id TEXT NOT NULL,
    room_order BIGINT NOT NULL,
    is_public BOOLEAN NOT NULL, -- whether the room should be show to everyone
    UNIQUE (group_id, category_id, room_id, room_order),
    CHECK (room_order > 0)
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/45/group_server.sql:123
CREATE TABLE group_attestations_renewals (
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    valid_until_ms BIGINT NOT NULL
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/45/group_server.sql:148
CREATE TABLE local_group_membership (
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL,
    membership TEXT NOT NULL,
    is_publicised BOOLEAN NOT NULL,  -- if the user is publicising their membership
    content TEXT NOT NULL
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/46/drop_unique_deleted_pushers.sql:19
CREATE TABLE deleted_pushers2 (
    stream_id BIGINT NOT NULL,
    app_id TEXT NOT NULL,
    pushkey TEXT NOT NULL,
    user_id TEXT NOT NULL
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/46/drop_unique_deleted_pushers.sql:26
INSERT INTO deleted_pushers2 (stream_id, app_id, pushkey, user_id)
SELECT stream_id, app_id, pushkey, user_id from deleted_pushers;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/46/group_server.sql:26
INSERT INTO groups_new
SELECT group_id, name, avatar_url, short_description, long_description, (1=1) FROM groups;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/46/user_dir_null_room_ids.sql:26
INSERT INTO user_directory2(user_id, room_id, display_name, avatar_url)
SELECT user_id, room_id, display_name, avatar_url from user_directory;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/46/user_dir_null_room_ids.sql:30
ALTER TABLE user_directory2 RENAME TO user_directory;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/47/last_access_media.sql:16
ALTER TABLE local_media_repository ADD COLUMN last_access_ts BIGINT;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/49/add_user_daily_visits.sql:20
CREATE INDEX user_daily_visits_uts_idx ON user_daily_visits(user_id, timestamp);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/50/add_creation_ts_users_index.sql:18
INSERT into background_updates (update_name, progress_json)
VALUES ('users_creation_ts', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/51/monthly_active_users.sql:17
CREATE TABLE monthly_active_users (
    user_id TEXT NOT NULL,
    -- Last time we saw the user. Not guaranteed to be accurate due to rate limiting
    -- on updates, Granularity of updates governed by
    -- synapse.storage.monthly_active_users.LAST_SEEN_GRANULARITY
    -- Measured in ms since epoch.
    timestamp BIGINT NOT NULL
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/52/e2e_room_keys.sql:26
INSERT INTO e2e_room_keys_versions_new
SELECT user_id, CAST(version as BIGINT), algorithm, auth_data, deleted FROM e2e_room_keys_versions;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/52/e2e_room_keys.sql:47
INSERT INTO e2e_room_keys_new
SELECT user_id, room_id, session_id, CAST(version as BIGINT), first_message_index, forwarded_count, is_verified, session_data FROM e2e_room_keys;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/52/e2e_room_keys.sql:51
ALTER TABLE e2e_room_keys_new RENAME TO e2e_room_keys;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/53/user_dir_populate.sql:17
INSERT INTO background_updates (update_name, progress_json) VALUES
('populate_user_directory_createtables', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/53/user_ips_index.sql:21
INSERT INTO background_updates (update_name, progress_json, depends_on) VALUES
('user_ips_remove_dupes', '{}', 'user_ips_analyze');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/53/user_share.sql:36
CREATE INDEX users_who_share_public_rooms_r_idx ON users_who_share_public_rooms(room_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/53/users_in_public_rooms.sql:20
DROP TABLE IF EXISTS users_who_share_public_rooms;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/54/add_validity_to_server_keys.sql:19
-- expect: SQL007 no: a migration's backfill: every row is meant to change (a note about batching at most)
UPDATE server_signature_keys SET ts_valid_until_ms = (
    SELECT MAX(ts_valid_until_ms) FROM server_keys_json skj WHERE
        skj.server_name = server_signature_keys.server_name AND
        skj.key_id = server_signature_keys.key_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/54/delete_forward_extremities.sql:23
CREATE INDEX _extremities_to_check_id ON _extremities_to_check(event_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/54/drop_legacy_tables.sql:25
DROP TABLE IF EXISTS event_edge_hashes;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/54/relations.sql:26
CREATE UNIQUE INDEX event_relations_id ON event_relations(event_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/54/stats.sql:22
INSERT INTO stats_stream_pos (stream_id) VALUES (null);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/54/stats.sql:61
CREATE UNIQUE INDEX room_state_room ON room_state(room_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/54/stats2.sql:20
-- expect: SQL009 no: a constant NOT IN a tiny table: no column to scan, no NULL trap that matters
INSERT INTO background_updates (update_name, progress_json)
SELECT 'populate_stats_createtables', '{}'
WHERE
    'populate_stats_process_rooms' IN (
        SELECT update_name FROM background_updates
    )
    AND 'populate_stats_createtables' NOT IN (  -- don't insert if already exists
        SELECT update_name FROM background_updates
    );

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/add_spans_to_device_lists.sql:20
ALTER TABLE device_lists_outbound_pokes ADD opentracing_context TEXT;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/current_state_events_membership_mk2.sql:23
INSERT INTO background_updates (update_name, progress_json) VALUES
('current_state_events_membership', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/delete_keys_from_deleted_backups.sql:19
-- expect: SQL009 yes: correlated NOT IN runs per row; NOT EXISTS is an anti-join
DELETE FROM e2e_room_keys
WHERE version NOT IN (
  SELECT version
  FROM e2e_room_keys_versions
  WHERE e2e_room_keys.user_id = e2e_room_keys_versions.user_id
  AND e2e_room_keys_versions.deleted = 0
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/destinations_failure_ts.sql:24
UPDATE destinations SET failure_ts = retry_last_ts - retry_interval
WHERE retry_last_ts > 0;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/device_stream_id_insert.sql:18
INSERT INTO device_max_stream_id (stream_id) SELECT 0 WHERE NOT EXISTS (
    SELECT * from device_max_stream_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/drop_unused_event_tables.sql:18
DROP TABLE IF EXISTS topics;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/fix_room_keys_index.sql:18
DROP INDEX IF EXISTS e2e_room_keys_idx;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:17
DELETE FROM group_attestations_remote WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:18
DELETE FROM group_attestations_renewals WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:19
DELETE FROM group_invites WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:20
DELETE FROM group_roles WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:21
DELETE FROM group_room_categories WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:22
DELETE FROM group_rooms WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:23
DELETE FROM group_summary_roles WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:24
DELETE FROM group_summary_room_categories WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:25
DELETE FROM group_summary_rooms WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:26
DELETE FROM group_summary_users WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:27
DELETE FROM local_group_membership WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:28
DELETE FROM local_group_updates WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/nuke_empty_communities_from_db.sql:29
DELETE FROM groups WHERE group_id IN (SELECT group_id FROM groups WHERE NOT EXISTS (SELECT group_id FROM group_users WHERE group_id = groups.group_id));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/redaction_censor3_fix_update.sql.postgres:21
INSERT into background_updates (update_name, progress_json)
VALUES ('event_fix_redactions_bytes_create_index', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/room_retention.sql:30
CREATE INDEX room_retention_max_lifetime_idx on room_retention(max_lifetime);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/stats_separated.sql:21
DROP TABLE IF EXISTS room_stats;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/stats_separated.sql:31
DELETE FROM background_updates WHERE update_name IN (
    'populate_stats_createtables',
    'populate_stats_process_rooms',
    'populate_stats_process_users',
    'populate_stats_cleanup'
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/stats_separated.sql:40
INSERT INTO background_updates (update_name, progress_json, depends_on) VALUES
('populate_stats_process_rooms', '{}', 'current_state_events_membership');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/stats_separated.sql:51
DROP TABLE IF EXISTS stats_incremental_position;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/stats_separated.sql:59
INSERT INTO stats_incremental_position (
    stream_id
) SELECT COALESCE(MAX(stream_ordering), 0) from events;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/56/stats_separated.sql:113
CREATE TABLE user_stats_current (
    user_id TEXT NOT NULL PRIMARY KEY,

    joined_rooms BIGINT NOT NULL,

    -- The maximum delta stream position that this row takes into account.
    completed_delta_stream_id BIGINT NOT NULL
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/57/device_list_remote_cache_stale.sql:19
CREATE TABLE IF NOT EXISTS device_lists_remote_resync (
    user_id TEXT NOT NULL,
    added_ts BIGINT NOT NULL
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/57/remove_sent_outbound_pokes.sql:21
DELETE FROM device_lists_outbound_pokes WHERE sent;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/57/rooms_version_column_2.sql.postgres:25
UPDATE rooms SET room_version=(
    SELECT COALESCE(json::json->'content'->>'room_version','1')
    FROM current_state_events cse INNER JOIN event_json ej USING (event_id)
    WHERE cse.room_id=rooms.room_id AND cse.type='m.room.create' AND cse.state_key=''
) WHERE rooms.room_version IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/57/rooms_version_column_3.sql.postgres:31
UPDATE rooms SET room_version=(
    SELECT COALESCE(json::json->'content'->>'room_version','1')
    FROM state_events se INNER JOIN event_json ej USING (event_id)
    WHERE se.room_id=rooms.room_id AND se.type='m.room.create' AND se.state_key=''
    LIMIT 1
) WHERE rooms.room_version IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/05cache_instance.sql.postgres:28
CREATE UNIQUE INDEX cache_invalidation_stream_by_instance_id ON cache_invalidation_stream_by_instance(stream_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/07add_method_to_thumbnail_constraint.sql.postgres:23
INSERT INTO background_updates (ordering, update_name, progress_json) VALUES
(5807, 'local_media_repository_thumbnails_method_idx', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/10_pushrules_enabled_delete_obsolete.sql:22
DELETE FROM push_rules_enable WHERE
rule_id NOT LIKE 'global/%/.m.rule.%'
AND NOT EXISTS (
  SELECT 1 FROM push_rules
  WHERE push_rules.user_name = push_rules_enable.user_name
    AND push_rules.rule_id = push_rules_enable.rule_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/11dehydration.sql:16
CREATE TABLE IF NOT EXISTS dehydrated_devices(
    user_id TEXT NOT NULL PRIMARY KEY,
    device_id TEXT NOT NULL,
    device_data TEXT NOT NULL -- JSON-encoded client-defined data
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/14events_instance_name.sql.postgres:18
SELECT setval('events_stream_seq', (
    SELECT COALESCE(MAX(stream_ordering), 1) FROM events
));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/14events_instance_name.sql.postgres:26
SELECT setval('events_backfill_stream_seq', (
    SELECT GREATEST(COALESCE(-MIN(stream_ordering), 1), 1) FROM events
));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/15unread_count.sql:22
ALTER TABLE event_push_actions_staging ADD COLUMN unread SMALLINT;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/16populate_stats_process_rooms_fix.sql:20
DELETE FROM background_updates WHERE update_name = 'populate_stats_process_rooms';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/16populate_stats_process_rooms_fix.sql:21
UPDATE background_updates SET update_name = 'populate_stats_process_rooms'
WHERE update_name = 'populate_stats_process_rooms_2';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/19txn_id.sql:25
CREATE TABLE IF NOT EXISTS event_txn_id (
    event_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    token_id BIGINT NOT NULL,
    txn_id TEXT NOT NULL,
    inserted_ts BIGINT NOT NULL,
    FOREIGN KEY (event_id)
        REFERENCES events (event_id) ON DELETE CASCADE,
    FOREIGN KEY (token_id)
        REFERENCES access_tokens (id) ON DELETE CASCADE
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/21as_device_stream.sql:17
ALTER TABLE application_services_state ADD COLUMN presence_stream_id INT;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/58/23e2e_cross_signing_keys_idx.sql:16
INSERT INTO background_updates (ordering, update_name, progress_json) VALUES
(5823, 'e2e_cross_signing_keys_idx', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/02shard_send_to_device.sql:17
ALTER TABLE device_federation_inbox ADD COLUMN instance_name TEXT;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/03shard_send_to_device_sequence.sql.postgres:20
SELECT setval('device_inbox_sequence', (
    SELECT GREATEST(
        (SELECT COALESCE(MAX(stream_id), 1) FROM device_inbox),
        (SELECT COALESCE(MAX(stream_id), 1) FROM device_federation_outbox)
    )
));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/04_event_auth_chains.sql:48
CREATE INDEX event_auth_chain_to_calculate_rm_id ON event_auth_chain_to_calculate(room_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/06shard_account_data.sql:20
ALTER TABLE receipts_linearized ADD COLUMN instance_name TEXT;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/06shard_account_data.sql.postgres:20
SELECT setval('account_data_sequence', (
    SELECT GREATEST(
        (SELECT COALESCE(MAX(stream_id), 1) FROM room_account_data),
        (SELECT COALESCE(MAX(stream_id), 1) FROM room_tags_revisions),
        (SELECT COALESCE(MAX(stream_id), 1) FROM account_data)
    )
));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/06shard_account_data.sql.postgres:30
SELECT setval('receipts_sequence', (
    SELECT COALESCE(MAX(stream_id), 1) FROM receipts_linearized
));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/07shard_account_data_fix.sql:18
DELETE FROM stream_positions WHERE stream_name = 'receipts' OR stream_name = 'account_data';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/09rejected_events_metadata.sql:24
DELETE FROM background_updates WHERE update_name = 'rejected_events_metadata';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/09rejected_events_metadata.sql:25
INSERT INTO background_updates (ordering, update_name, progress_json) VALUES
(5828, 'rejected_events_metadata', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/12presence_stream_instance_seq.sql.postgres:18
SELECT setval('presence_stream_sequence', (
    SELECT COALESCE(MAX(stream_id), 1) FROM presence_stream
));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/13users_to_send_full_presence_to.sql:24
CREATE TABLE IF NOT EXISTS users_to_send_full_presence_to(
    -- The user ID to send full presence to.
    user_id TEXT PRIMARY KEY,
    -- A presence stream ID token - the current presence stream token when the row was last upserted.
    -- If a user calls /sync and this token is part of the update they're to receive, we also include
    -- full user presence in the response.
    -- This allows multiple devices for a user to receive full presence whenever they next call /sync.
    presence_stream_id BIGINT,
    FOREIGN KEY (user_id)
        REFERENCES users (name)
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/59/16federation_inbound_staging.sql:32
CREATE UNIQUE INDEX federation_inbound_events_staging_instance_event ON federation_inbound_events_staging(origin, event_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/60/01recreate_stream_ordering.sql.postgres:44
INSERT INTO background_updates (ordering, update_name, progress_json, depends_on) VALUES
(6001, 'replace_stream_ordering_column', '{}', 'index_stream_ordering2_ts');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/61/01change_appservices_txns.sql.postgres:23
ALTER TABLE application_services_txns ALTER COLUMN txn_id SET DATA TYPE BIGINT;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/61/01insertion_event_lookups.sql:42
CREATE TABLE IF NOT EXISTS chunk_events(
    event_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    chunk_id TEXT NOT NULL
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/63/03session_store.sql:17
CREATE TABLE IF NOT EXISTS sessions(
    session_type TEXT NOT NULL,  -- The unique key for this type of session.
    session_id TEXT NOT NULL,  -- The session ID passed to the client.
    value TEXT NOT NULL, -- A JSON dictionary to persist.
    expiry_time_ms BIGINT NOT NULL,  -- The time this session will expire (epoch time in milliseconds).
    UNIQUE (session_type, session_id)
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/65/01msc2716_insertion_event_edges.sql:18
DROP INDEX insertion_event_edges_event_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/65/04_local_group_updates.sql:17
INSERT INTO background_updates (ordering, update_name, progress_json) VALUES
(6504, 'local_group_updates_index', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/65/06remove_deleted_devices_from_device_inbox.sql:31
DELETE FROM background_updates WHERE update_name = 'remove_deleted_devices_from_device_inbox';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/68/01event_columns.sql:19
ALTER TABLE events
-- if this event is a state event, its state key
ADD COLUMN state_key TEXT DEFAULT NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/68/06_msc3202_add_device_list_appservice_stream_type.sql:23
ALTER TABLE application_services_state ADD COLUMN device_list_stream_id BIGINT;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/69/02cache_invalidation_index.sql:17
INSERT INTO background_updates (ordering, update_name, progress_json) VALUES
(6902, 'cache_invalidation_index_by_instance', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/70/01clean_table_purged_rooms.sql:18
-- expect: SQL009 yes: orphan cleanup: NOT EXISTS is an anti-join that does not depend on work_mem
DELETE FROM federation_inbound_events_staging WHERE room_id not in (
    SELECT room_id FROM rooms
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:24
DELETE FROM background_updates WHERE update_name = 'remove_hidden_devices_from_device_inbox';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:28
DELETE FROM background_updates WHERE update_name = 'device_lists_outbound_last_success_unique_idx';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:29
DELETE FROM background_updates WHERE update_name = 'drop_device_lists_outbound_last_success_non_unique_idx';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:34
DELETE FROM background_updates WHERE update_name = 'event_thread_relation';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:37
DELETE FROM background_updates WHERE update_name = 'local_group_updates_index';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:43
DELETE FROM background_updates WHERE update_name = 'media_repository_drop_index_wo_method';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:48
DELETE FROM background_updates WHERE update_name = 'refresh_tokens_device_index';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:50
DELETE FROM background_updates WHERE update_name = 'user_threepids_grandfather';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:57
DELETE FROM background_updates WHERE update_name = 'event_search_postgres_gist';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:60
DELETE FROM background_updates WHERE update_name = 'populate_stats_cleanup';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/71/01remove_noop_background_updates.sql:61
DELETE FROM background_updates WHERE update_name = 'populate_stats_prepare';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/72/01event_push_summary_receipt.sql:33
INSERT INTO event_push_summary_last_receipt_stream_id (stream_id)
SELECT COALESCE(MAX(stream_id), 0)
FROM receipts_linearized;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/72/02event_push_actions_index.sql:18
INSERT INTO background_updates (ordering, update_name, progress_json) VALUES
(7202, 'event_push_actions_stream_highlight_index', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/72/03drop_event_reference_hashes.sql:17
DROP TABLE event_reference_hashes;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/72/03remove_groups.sql:24
DROP TABLE IF EXISTS group_summary_room_categories;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/72/04drop_column_application_services_state_last_txn.sql.postgres:17
ALTER table application_services_state DROP COLUMN last_txn;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/72/05remove_unstable_private_read_receipts.sql:18
DELETE FROM receipts_linearized WHERE receipt_type = 'org.matrix.msc2285.read.private';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/72/05remove_unstable_private_read_receipts.sql:19
DELETE FROM receipts_graph WHERE receipt_type = 'org.matrix.msc2285.read.private';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/72/07thread_receipts.sql.postgres:24
ALTER TABLE receipts_linearized
ADD CONSTRAINT receipts_linearized_uniqueness_thread
    UNIQUE (room_id, receipt_type, user_id, thread_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/72/08begin_cache_invalidation_seq_at_2.sql.postgres:21
SELECT setval('cache_invalidation_stream_seq', (
    SELECT COALESCE(MAX(last_value), 1) FROM cache_invalidation_stream_seq
));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/72/08thread_receipts.sql:19
INSERT INTO background_updates (ordering, update_name, progress_json) VALUES
(7007, 'receipts_graph_unique_index', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/73/03users_approved_column.sql:20
ALTER TABLE users ADD COLUMN approved BOOLEAN;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/73/08thread_receipts_non_null.sql.postgres:19
ALTER TABLE receipts_linearized
DROP CONSTRAINT receipts_linearized_uniqueness;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/73/11event_search_room_id_n_distinct.sql.postgres:28
ALTER TABLE event_search ALTER COLUMN room_id SET (n_distinct = -0.01);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/73/12refactor_device_list_outbound_pokes.sql:40
INSERT INTO device_lists_changes_converted_stream_position (stream_id, room_id) VALUES (
    (
        SELECT COALESCE(
            -- The last converted stream id is the smallest unconverted stream id minus
            -- one.
            MIN(stream_id) - 1,
            -- If there is no unconverted stream id, the last converted stream id is the
            -- largest stream id.
            -- Otherwise, pick 1, since stream ids start at 2.
            (SELECT COALESCE(MAX(stream_id), 1) FROM device_lists_changes_in_room)
        ) FROM device_lists_changes_in_room WHERE NOT converted_to_destinations
    ),
    ''
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/73/21_un_partial_stated_room_stream_seq.sql.postgres:18
SELECT setval('un_partial_stated_room_stream_sequence', (
    SELECT COALESCE(MAX(stream_id), 1) FROM un_partial_stated_room_stream
));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/73/22_rebuild_user_dir_stats.sql:16
INSERT INTO background_updates (ordering, update_name, progress_json, depends_on) VALUES
  -- Set up user directory staging tables.
  (7322, 'populate_user_directory_createtables', '{}', NULL),
  -- Run through each room and update the user directory according to who is in it.
  (7322, 'populate_user_directory_process_rooms', '{}', 'populate_user_directory_createtables'),
  -- Insert all users into the user directory, if search_all_users is on.
  (7322, 'populate_user_directory_process_users', '{}', 'populate_user_directory_process_rooms'),
  -- Clean up user directory staging tables.
  (7322, 'populate_user_directory_cleanup', '{}', 'populate_user_directory_process_users'),
  -- Rebuild the room_stats_current and room_stats_state tables.
  (7322, 'populate_stats_process_rooms', '{}', NULL),
  -- Update the user_stats_current table.
  (7322, 'populate_stats_process_users', '{}', NULL)
ON CONFLICT (update_name) DO NOTHING;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/73/23_fix_thread_index.sql:25
DELETE FROM background_updates WHERE update_name = 'event_push_summary_unique_index';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/73/23_un_partial_stated_room_stream_seq.sql.postgres:16
CREATE SEQUENCE IF NOT EXISTS un_partial_stated_event_stream_sequence;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/73/23_un_partial_stated_room_stream_seq.sql.postgres:18
SELECT setval('un_partial_stated_event_stream_sequence', (
    SELECT COALESCE(MAX(stream_id), 1) FROM un_partial_stated_event_stream
));

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/74/03_membership_tables_event_stream_ordering.sql.postgres:26
ALTER TABLE local_current_membership ADD CONSTRAINT event_stream_ordering_fkey FOREIGN KEY (event_stream_ordering) REFERENCES events(stream_ordering) NOT VALID;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/74/90COMMENTS_destinations.sql.postgres:21
COMMENT ON COLUMN destinations.destination IS 'server name of remote homeserver in question';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/74/90COMMENTS_destinations.sql.postgres:50
COMMENT ON COLUMN destination_rooms.stream_ordering IS
$$`stream_ordering` of the most recent PDU in this room that needs to be sent (by us) to this homeserver.
This can only be pointing to our own PDU because we are only responsible for sending our own PDUs.$$;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/76/01_add_profiles_full_user_id_column.sql:20
INSERT INTO background_updates (ordering, update_name, progress_json) VALUES (7501, 'profiles_full_user_id_key_idx', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/76/04_add_room_forgetter.sql:22
INSERT INTO room_forgetter_stream_pos (
    stream_id
) SELECT COALESCE(MAX(stream_ordering), 0) from events;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/77/05thread_notifications_backfill.sql:19
DELETE FROM background_updates WHERE update_name = 'event_push_backfill_thread_id';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/77/05thread_notifications_backfill.sql:22
UPDATE event_push_actions_staging SET thread_id = 'main' WHERE thread_id IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/77/05thread_notifications_backfill.sql:23
UPDATE event_push_actions SET thread_id = 'main' WHERE thread_id IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/77/05thread_notifications_backfill.sql:28
DELETE FROM event_push_summary AS a WHERE thread_id IS NULL AND EXISTS (
    SELECT 1 FROM event_push_summary AS b
    WHERE b.thread_id = 'main' AND a.user_id = b.user_id AND a.room_id = b.room_id
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/77/05thread_notifications_backfill.sql:38
INSERT INTO event_push_summary (user_id, room_id, notif_count, stream_ordering, unread_count, last_receipt_stream_ordering, thread_id)
SELECT user_id, room_id, MAX(notif_count), MAX(stream_ordering), MAX(unread_count), MAX(last_receipt_stream_ordering), 'main'
FROM event_push_summary
WHERE thread_id IS NULL
GROUP BY user_id, room_id, thread_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/77/05thread_notifications_backfill.sql:44
DELETE FROM event_push_summary AS a WHERE thread_id IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/77/05thread_notifications_backfill.sql:47
DELETE FROM background_updates WHERE update_name = 'event_push_actions_thread_id_null';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/77/05thread_notifications_backfill.sql:48
DELETE FROM background_updates WHERE update_name = 'event_push_summary_thread_id_null';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/77/06thread_notifications_not_null_event_push_actions_staging.sql.postgres:21
ALTER TABLE event_push_actions_staging
ADD CONSTRAINT event_push_actions_staging_thread_id CHECK (thread_id IS NOT NULL) NOT VALID;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/77/06thread_notifications_not_null_event_push_actions_staging.sql.postgres:26
INSERT INTO background_updates (ordering, update_name, progress_json) VALUES
(7706, 'event_push_actions_staging_thread_id', '{}');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/79/03_read_write_locks_triggers.sql.postgres:100
ALTER TABLE worker_read_write_locks_mode DROP CONSTRAINT IF EXISTS worker_read_write_locks_mode_foreign;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/80/01_users_alter_locked.sql:16
ALTER TABLE users ADD locked BOOLEAN DEFAULT FALSE NOT NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/80/04_read_write_locks_deadlock.sql.postgres:27
CREATE OR REPLACE FUNCTION delete_read_write_lock_parent() RETURNS trigger AS $$
DECLARE
    new_token TEXT;
    mode_row_token TEXT;
BEGIN
    -- Only update the token in `_mode` if its our token. This prevents
    -- deadlocks.
    --
    -- We shove the token into `mode_row_token`, as otherwise postgres complains
    -- we're not using the returned data.
    SELECT token INTO mode_row_token FROM worker_read_write_locks_mode
        WHERE
            lock_name = OLD.lock_name
            AND lock_key = OLD.lock_key
            AND token = OLD.token
        FOR UPDATE;

    IF NOT FOUND THEN
        RETURN NEW;
    END IF;

    SELECT token INTO new_token FROM worker_read_write_locks
        WHERE
            lock_name = OLD.lock_name
            AND lock_key = OLD.lock_key
        LIMIT 1 FOR UPDATE SKIP LOCKED;

    IF NOT FOUND THEN
        DELETE FROM worker_read_write_locks_mode
            WHERE lock_name = OLD.lock_name AND lock_key = OLD.lock_key AND token = OLD.token;
    ELSE
        UPDATE worker_read_write_locks_mode
            SET token = new_token
            WHERE lock_name = OLD.lock_name AND lock_key = OLD.lock_key;
    END IF;

    RETURN NEW;
END
$$
LANGUAGE plpgsql;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/83/01_drop_old_tables.sql:24
DROP TABLE IF EXISTS batch_events;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/delta/83/06_event_push_summary_room.sql:16
INSERT INTO background_updates (ordering, update_name, progress_json) VALUES
(8306, 'event_push_summary_index_room_id', '{}');

