-- Excerpts for lmagent's SQL rule corpus; sources and licence in ../README.md

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/__init__.py:387
SELECT name FROM users LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/__init__.py:353
SELECT name, password_hash, is_guest, admin, user_type
FROM users
WHERE name LIKE ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/account_data.py:152
SELECT account_data_type, content FROM account_data
WHERE user_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/account_data.py:197
SELECT room_id, account_data_type, content FROM room_account_data
WHERE user_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/account_data.py:255
SELECT stream_id FROM account_data
WHERE user_id = ? AND account_data_type = ?
ORDER BY stream_id DESC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/account_data.py:365
SELECT stream_id, user_id, account_data_type FROM account_data WHERE ? < stream_id AND stream_id <= ? ORDER BY stream_id ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/account_data.py:397
SELECT stream_id, user_id, room_id, account_data_type FROM room_account_data WHERE ? < stream_id AND stream_id <= ? ORDER BY stream_id ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/account_data.py:424
SELECT account_data_type, content FROM account_data
WHERE user_id = ? AND stream_id > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/account_data.py:459
SELECT room_id, account_data_type, content FROM room_account_data
WHERE user_id = ? AND stream_id > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/account_data.py:948
SELECT name FROM users
WHERE deactivated = ? and name > ?
ORDER BY name ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/appservice.py:84
SELECT COALESCE(max(txn_id), 0) FROM application_services_txns;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/appservice.py:297
INSERT INTO application_services_txns(as_id, txn_id, event_ids) VALUES(?,?,?);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/appservice.py:355
SELECT txn_id, event_ids FROM application_services_txns WHERE as_id=? ORDER BY txn_id ASC LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/cache.py:164
SELECT stream_id, cache_func, keys, invalidation_ts
FROM cache_invalidation_stream_by_instance
WHERE stream_id > ? AND instance_name = ?
ORDER BY stream_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/cache.py:704
SELECT stream_id FROM cache_invalidation_stream_by_instance
ORDER BY stream_id ASC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/cache.py:717
SELECT stream_id FROM cache_invalidation_stream_by_instance
WHERE stream_id <= ? AND invalidation_ts <= ?
ORDER BY stream_id DESC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/cache.py:732
SELECT invalidation_ts FROM cache_invalidation_stream_by_instance
WHERE stream_id > ?
ORDER BY stream_id ASC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/cache.py:749
DELETE FROM cache_invalidation_stream_by_instance
WHERE ? <= stream_id AND stream_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/censor_events.py:84
SELECT redactions.event_id, redacts FROM redactions
LEFT JOIN events AS original_event ON (
    redacts = original_event.event_id
)
WHERE NOT have_censored
AND redactions.received_ts <= ?
ORDER BY redactions.received_ts ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/client_ips.py:470
DELETE FROM user_ips
WHERE last_seen IN (
    SELECT last_seen FROM user_ips
    WHERE last_seen <= ?
    ORDER BY last_seen ASC
    LIMIT 5000
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/client_ips.py:378
UPDATE devices
SET last_seen = ?, ip = ?, user_agent = ?
WHERE user_id = ? AND device_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/client_ips.py:168
-- expect: SQL005 no: LIMIT 1 OFFSET n finds the next batch boundary through the index; the offset is a fixed batch size, not a page number
SELECT last_seen FROM user_ips
WHERE last_seen > ?
ORDER BY last_seen
LIMIT 1
OFFSET ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/client_ips.py:556
SELECT access_token, ip, user_agent, last_seen FROM user_ips
WHERE last_seen >= ? AND user_id = ?
ORDER BY last_seen
DESC;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/client_ips.py:281
DELETE FROM user_ips
WHERE user_id = ? AND access_token = ? AND ip = ? AND last_seen < ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/client_ips.py:302
DELETE FROM user_ips
WHERE user_id = ? AND access_token = ? AND ip = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/client_ips.py:311
INSERT INTO user_ips
(user_id, access_token, ip, device_id, user_agent, last_seen)
VALUES (?, ?, ?, ?, ?, ?);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/deviceinbox.py:615
SELECT stream_id, messages_json FROM device_federation_outbox WHERE destination = ? AND ? < stream_id AND stream_id <= ? ORDER BY stream_id ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/deviceinbox.py:657
DELETE FROM device_federation_outbox WHERE destination = ? AND stream_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/deviceinbox.py:702
SELECT max(stream_id), user_id FROM device_inbox WHERE ? < stream_id AND stream_id <= ? GROUP BY user_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/deviceinbox.py:711
SELECT max(stream_id), destination FROM device_federation_outbox WHERE ? < stream_id AND stream_id <= ? GROUP BY destination;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/deviceinbox.py:1057
DELETE FROM device_inbox
WHERE
    stream_id >= ? AND stream_id < ?
    AND NOT EXISTS (
        SELECT * FROM devices d
        WHERE
            d.device_id=device_inbox.device_id
            AND d.user_id=device_inbox.user_id
            AND NOT hidden
    );

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/deviceinbox.py:542
SELECT MAX(stream_id) FROM (
    SELECT stream_id FROM device_inbox
    WHERE user_id = ? AND device_id = ?
        AND ? < stream_id AND stream_id <= ?
    ORDER BY stream_id
    LIMIT ?
) AS d;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/deviceinbox.py:560
DELETE FROM device_inbox
WHERE user_id = ? AND device_id = ?
AND ? < stream_id AND stream_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/deviceinbox.py:1040
SELECT max(stream_id) FROM device_inbox;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:549
SELECT user_id, device_id, stream_id, opentracing_context FROM device_lists_outbound_pokes
WHERE destination = ? AND ? < stream_id AND stream_id <= ?
ORDER BY stream_id
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:674
SELECT user_id, coalesce(max(o.stream_id), 0)
FROM device_lists_outbound_pokes as o
WHERE destination = ? AND o.stream_id <= ?
GROUP BY user_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:693
DELETE FROM device_lists_outbound_pokes
WHERE destination = ? AND stream_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:873
SELECT DISTINCT user_id FROM device_lists_stream
WHERE ? < stream_id AND stream_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:1510
SELECT DISTINCT user_id, device_id FROM device_lists_changes_in_room
WHERE room_id = ? AND stream_id > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:2172
SELECT user_id, device_id, room_id, stream_id, opentracing_context
FROM device_lists_changes_in_room
WHERE
    (stream_id, room_id) > (?, ?) AND
    stream_id <= ? AND
    NOT converted_to_destinations
ORDER BY stream_id ASC, room_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:2280
SELECT user_id, device_id FROM device_lists_remote_pending AS d
INNER JOIN current_state_events AS c ON
    type = 'm.room.member'
    AND state_key = user_id
    AND membership = 'join'
WHERE
    room_id = ? AND stream_id > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:645
SELECT coalesce(max(stream_id), 0) as stream_id
FROM device_lists_outbound_last_success
WHERE destination = ? AND user_id = ? AND stream_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:958
SELECT DISTINCT user_ids FROM user_signature_stream
WHERE from_user_id = ? AND stream_id > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:1001
SELECT stream_id, entity FROM (
    SELECT stream_id, user_id AS entity FROM device_lists_stream
    UNION ALL
    SELECT stream_id, destination AS entity FROM device_lists_outbound_pokes
) AS e
WHERE ? < stream_id AND stream_id <= ?
ORDER BY stream_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:1339
SELECT
    dlop1.destination,
    dlop1.user_id,
    MAX(dlop1.stream_id) AS stream_id,
    (SELECT MIN(dlop2.device_id) AS device_id FROM
        device_lists_outbound_pokes dlop2
        WHERE dlop2.destination = dlop1.destination AND
          dlop2.user_id=dlop1.user_id AND
          dlop2.stream_id=MAX(dlop1.stream_id)
    )
FROM device_lists_outbound_pokes dlop1
    GROUP BY destination, user_id
    HAVING min(ts) < ? AND count(*) > 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:1371
-- expect: SQL010 no: residual filter: destination = ? AND user_id = ? find the rows through the primary key
DELETE FROM device_lists_outbound_pokes
WHERE destination = ? AND user_id = ? AND (
    stream_id < ? OR
    (stream_id = ? AND device_id != ?)
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:1387
DELETE FROM device_lists_outbound_last_success
WHERE destination = ? AND user_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/devices.py:1418
SELECT user_id, device_id
FROM devices WHERE last_seen < ? AND hidden = FALSE;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/directory.py:143
SELECT room_id FROM room_aliases WHERE room_alias = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/directory.py:154
DELETE FROM room_aliases WHERE room_alias = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/directory.py:158
DELETE FROM room_alias_servers WHERE room_alias = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/e2e_room_keys.py:467
SELECT MAX(version) FROM e2e_room_keys_versions WHERE user_id=? AND deleted=0;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/e2e_room_keys.py:549
SELECT MAX(version) FROM e2e_room_keys_versions WHERE user_id=?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/end_to_end_keys.py:1309
SELECT key_id, key_json FROM e2e_one_time_keys_json
WHERE user_id = ? AND device_id = ? AND algorithm = ?
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/end_to_end_keys.py:153
SELECT user_id FROM device_lists_stream
WHERE stream_id >= ? AND user_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/end_to_end_keys.py:592
SELECT algorithm, COUNT(key_id) FROM e2e_one_time_keys_json WHERE user_id = ? AND device_id = ? GROUP BY algorithm;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/end_to_end_keys.py:1084
SELECT stream_id, from_user_id AS user_id
FROM user_signature_stream
WHERE ? < stream_id AND stream_id <= ?
ORDER BY stream_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/end_to_end_keys.py:1412
SELECT updatable_without_uia_before_ms
FROM e2e_cross_signing_keys
WHERE user_id = ? AND keytype = 'master'
ORDER BY stream_id DESC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/end_to_end_keys.py:1695
UPDATE e2e_cross_signing_keys
SET updatable_without_uia_before_ms = ?
WHERE stream_id = (
    SELECT stream_id
    FROM e2e_cross_signing_keys
    WHERE user_id = ? AND keytype = 'master'
    ORDER BY stream_id DESC
    LIMIT 1
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:661
SELECT tc.event_id, ea.auth_id, eac.chain_id IS NOT NULL
FROM event_auth_chain_to_calculate AS tc
LEFT JOIN event_auth AS ea USING (event_id)
LEFT JOIN event_auth_chains AS eac ON (ea.auth_id = eac.event_id)
WHERE tc.room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1142
SELECT e.event_id FROM event_forward_extremities AS f
INNER JOIN events AS e USING (event_id)
WHERE f.room_id = ?
ORDER BY e.depth DESC
LIMIT 10;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1239
SELECT 1 FROM stream_ordering_to_exterm
WHERE stream_ordering > ? AND room_id = ?
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1304
SELECT event_id FROM stream_ordering_to_exterm
INNER JOIN (
    SELECT room_id, MAX(stream_ordering) AS stream_ordering
    FROM stream_ordering_to_exterm
    WHERE stream_ordering <= ? GROUP BY room_id
) AS rms USING (room_id, stream_ordering)
WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1344
SELECT depth, stream_ordering, prev_event_id, events.type FROM event_edges
/* Get the depth and stream_ordering of the prev_event_id from the events table */
INNER JOIN events
ON prev_event_id = events.event_id

/* exclude outliers from the results (we don't have the state, so cannot
 * verify if the requesting server can see them).
 */
WHERE NOT events.outlier

/* Look for an edge which matches the given event_id */
AND event_edges.event_id = ? AND NOT event_edges.is_state

/* Because we can have many events at the same depth,
* we want to also tie-break and sort on stream_ordering */
ORDER BY depth DESC, stream_ordering DESC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1535
INSERT INTO event_failed_pull_attempts (
    room_id, event_id, num_attempts, last_attempt_ts, last_cause
)
    VALUES (?, ?, ?, ?, ?)
ON CONFLICT (room_id, event_id) DO UPDATE SET
    num_attempts=event_failed_pull_attempts.num_attempts + 1,
    last_attempt_ts=EXCLUDED.last_attempt_ts,
    last_cause=EXCLUDED.last_cause;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1663
SELECT prev_event_id FROM event_edges WHERE event_id = ? AND NOT is_state LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:2044
DELETE FROM event_forward_extremities WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:334
SELECT event_id FROM event_auth_chains
WHERE chain_id = ? AND sequence_number <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:611
SELECT event_id FROM event_auth_chains
WHERE chain_id = ? AND ? < sequence_number AND sequence_number <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1703
DELETE FROM stream_ordering_to_exterm
WHERE stream_ordering < ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1819
SELECT origin, event_id
FROM federation_inbound_events_staging
WHERE room_id = ?
ORDER BY received_ts ASC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1845
SELECT event_json, internal_metadata, origin
FROM federation_inbound_events_staging
WHERE room_id = ?
ORDER BY received_ts ASC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:2067
DELETE FROM event_auth
WHERE event_id IN (
    SELECT event_id FROM events
    LEFT JOIN state_events AS se USING (room_id, event_id)
    WHERE ? <= stream_ordering AND stream_ordering < ?
        AND se.state_key IS null
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1754
DELETE FROM federation_inbound_events_staging
WHERE origin = ? AND event_id = ?
RETURNING received_ts;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1990
SELECT count(*) FROM federation_inbound_events_staging;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:1994
SELECT min(received_ts) FROM federation_inbound_events_staging;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:2057
SELECT COALESCE(MIN(stream_ordering), 0) FROM events;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_federation.py:2061
SELECT COALESCE(MAX(stream_ordering), 0) FROM events;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1245
SELECT received_ts FROM events
WHERE stream_ordering <= ?
ORDER BY stream_ordering DESC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1358
SELECT r.stream_id, r.room_id, r.user_id, r.thread_id, e.stream_ordering
FROM receipts_linearized AS r
INNER JOIN events AS e USING (event_id)
WHERE ? < r.stream_id AND r.stream_id <= ? AND user_id LIKE ?
ORDER BY r.stream_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1725
DELETE FROM event_push_actions_staging WHERE event_id IN (
    SELECT event_id FROM event_push_actions_staging WHERE
    inserted_ts < ? OR inserted_ts IS NULL
    LIMIT ?
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:848
SELECT DISTINCT(user_id) FROM event_push_actions WHERE stream_ordering >= ? AND stream_ordering <= ? AND notif = 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:931
SELECT ep.event_id, ep.room_id, ep.thread_id, ep.stream_ordering,
    ep.actions, ep.highlight
FROM event_push_actions AS ep
WHERE
    ep.user_id = ?
    AND ep.stream_ordering > ?
    AND ep.stream_ordering <= ?
    AND ep.notif = 1
ORDER BY ep.stream_ordering ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1004
SELECT ep.event_id, ep.room_id, ep.thread_id, ep.stream_ordering,
    ep.actions, ep.highlight, e.received_ts
FROM event_push_actions AS ep
INNER JOIN events AS e USING (room_id, event_id)
WHERE
    ep.user_id = ?
    AND ep.stream_ordering > ?
    AND ep.stream_ordering <= ?
    AND ep.notif = 1
ORDER BY ep.stream_ordering DESC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1064
SELECT 1 FROM event_push_actions
WHERE user_id = ? AND stream_ordering > ? AND notif = 1
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1217
SELECT MAX(stream_ordering) FROM events;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1278
SELECT e.received_ts
FROM event_push_actions AS ep
JOIN events e ON ep.room_id = e.room_id AND ep.event_id = e.event_id
WHERE ep.stream_ordering > ? AND notif = 1
ORDER BY ep.stream_ordering ASC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1498
-- expect: SQL005 no: LIMIT 1 OFFSET n finds the next batch boundary through the index; the offset is a fixed batch size, not a page number
SELECT stream_ordering FROM event_push_actions
WHERE stream_ordering > ?
ORDER BY stream_ordering ASC LIMIT 1 OFFSET ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1624
-- expect: SQL007 no: event_push_summary_stream_ordering is a single-row table (Lock CHAR(1) ... CHECK (Lock='X'))
UPDATE event_push_summary_stream_ordering SET stream_ordering = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1663
-- expect: SQL005 no: LIMIT 1 OFFSET n finds the next batch boundary through the index; the offset is a fixed batch size, not a page number
SELECT stream_ordering FROM event_push_actions
WHERE stream_ordering <= ? AND highlight = 0
ORDER BY stream_ordering ASC LIMIT 1 OFFSET ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/event_push_actions.py:1683
DELETE FROM event_push_actions
WHERE stream_ordering <= ? AND highlight = 0;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:1223
SELECT json FROM event_json
INNER JOIN current_state_events USING (room_id, event_id)
WHERE room_id = ? AND type = ? AND state_key = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:2107
INSERT INTO event_push_actions (
    room_id, event_id, user_id, actions, stream_ordering,
    topological_ordering, notif, highlight, unread, thread_id
)
SELECT ?, event_id, user_id, actions, ?, ?, notif, highlight, unread, thread_id
FROM event_push_actions_staging
WHERE event_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:2347
DELETE FROM event_backward_extremities WHERE event_id = ? AND room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:2368
DELETE FROM event_failed_pull_attempts
WHERE event_id = ? and room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:1077
INSERT INTO current_state_delta_stream
    (stream_id, instance_name, room_id, type, state_key, event_id, prev_event_id)
SELECT ?, ?, room_id, type, state_key, null, event_id
    FROM current_state_events
    WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:1110
INSERT INTO current_state_delta_stream
(stream_id, instance_name, room_id, type, state_key, event_id, prev_event_id)
SELECT ?, ?, ?, ?, ?, ?, (
    SELECT event_id FROM current_state_events
    WHERE room_id = ? AND type = ? AND state_key = ?
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:1889
INSERT INTO threads (room_id, thread_id, latest_event_id, topological_ordering, stream_ordering)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (room_id, thread_id)
DO UPDATE SET
    latest_event_id = excluded.latest_event_id,
    topological_ordering = excluded.topological_ordering,
    stream_ordering = excluded.stream_ordering
WHERE
    threads.topological_ordering <= excluded.topological_ordering AND
    threads.stream_ordering < excluded.stream_ordering;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:1966
SELECT event_id, topological_ordering, stream_ordering
FROM event_relations
INNER JOIN events USING (event_id)
WHERE relates_to_id = ? AND relation_type = ?
ORDER BY topological_ordering DESC, stream_ordering DESC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:2134
DELETE FROM event_push_actions_staging WHERE event_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:2146
DELETE FROM event_push_actions WHERE room_id = ? AND event_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:387
SELECT room_version FROM rooms WHERE room_id = ? FOR SHARE;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:1138
DELETE FROM current_state_events WHERE room_id = ? AND type = ? AND state_key = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:1150
INSERT INTO current_state_events
    (room_id, type, state_key, event_id, membership, event_stream_ordering)
VALUES (
    ?, ?, ?, ?,
    (SELECT membership FROM room_memberships WHERE event_id = ?),
    (SELECT stream_ordering FROM events WHERE event_id = ?)
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:1174
DELETE FROM local_current_membership WHERE room_id = ? AND user_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:1185
INSERT INTO local_current_membership
    (room_id, user_id, event_id, membership, event_stream_ordering)
VALUES (
    ?, ?, ?,
    (SELECT membership FROM room_memberships WHERE event_id = ?),
    (SELECT stream_ordering FROM events WHERE event_id = ?)
);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events.py:1447
UPDATE events SET outlier = FALSE WHERE event_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:42
UPDATE events SET stream_ordering2 = stream_ordering WHERE stream_ordering2 IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:284
SELECT stream_ordering, event_id, json FROM events INNER JOIN event_json USING (event_id) WHERE ? <= stream_ordering AND stream_ordering < ? ORDER BY stream_ordering DESC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:317
UPDATE events SET sender = ?, contains_url = ? WHERE event_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:353
SELECT stream_ordering, event_id FROM events WHERE ? <= stream_ordering AND stream_ordering < ? ORDER BY stream_ordering DESC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:395
UPDATE events SET origin_server_ts = ? WHERE event_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:619
SELECT event_id FROM redactions
WHERE event_id > ?
ORDER BY event_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:642
UPDATE redactions
SET received_ts = (
    SELECT COALESCE(received_ts, origin_server_ts, ?) FROM events
    WHERE events.event_id = redactions.event_id
)
WHERE ? <= event_id AND event_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:778
SELECT DISTINCT
    event_id,
    COALESCE(room_version, '1'),
    json,
    state_events.event_id IS NOT NULL,
    event_auth.event_id IS NOT NULL
FROM rejections
INNER JOIN event_json USING (event_id)
LEFT JOIN rooms USING (room_id)
LEFT JOIN state_events USING (event_id)
LEFT JOIN event_auth USING (event_id)
WHERE event_id > ?
ORDER BY event_id
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:1095
SELECT event_id, chain_id, sequence_number, e.event_id IS NOT NULL
FROM event_auth_chains
LEFT JOIN events AS e USING (event_id)
WHERE event_id > ? ORDER BY event_auth_chains.event_id ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:466
SELECT prev_event_id, event_id, internal_metadata,
    rejections.event_id IS NOT NULL, events.outlier
FROM (
    SELECT event_id AS prev_event_id
    FROM _extremities_to_check
    LIMIT ?
) AS f
LEFT JOIN event_edges USING (prev_event_id)
LEFT JOIN events USING (event_id)
LEFT JOIN event_json USING (event_id)
LEFT JOIN rejections USING (event_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:676
UPDATE event_json
SET
    json = convert_from(json::bytea, 'utf8')
FROM redactions
WHERE
    redactions.have_censored
    AND event_json.event_id = redactions.redacts
    AND json NOT LIKE '{%';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:704
SELECT event_id, json FROM event_json
LEFT JOIN event_labels USING (event_id)
WHERE event_id > ? AND label IS NULL
ORDER BY event_id LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:1120
DELETE FROM event_auth_chains WHERE event_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:1130
DELETE FROM event_auth_chain_links WHERE
origin_chain_id = ? AND origin_sequence_number = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:1167
SELECT event_id, json FROM event_json
WHERE event_id > ?
ORDER BY event_id LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:1265
UPDATE events SET stream_ordering2=stream_ordering
WHERE stream_ordering IN (
   SELECT stream_ordering FROM events WHERE stream_ordering > ?
   ORDER BY stream_ordering LIMIT ?
)
RETURNING stream_ordering;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:1348
-- expect: SQL005 no: LIMIT 1 OFFSET n finds the next batch boundary through the index; the offset is a fixed batch size, not a page number
SELECT event_id FROM event_edges
WHERE event_id > ?
ORDER BY event_id
LIMIT 1 OFFSET ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_bg_updates.py:1438
-- expect: SQL005 no: LIMIT 1 OFFSET n finds the next batch boundary through the index; the offset is a fixed batch size, not a page number
SELECT stream_ordering FROM events
WHERE stream_ordering > ? AND stream_ordering <= ?
ORDER BY stream_ordering
LIMIT 1 OFFSET ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_forward_extremities.py:41
SELECT event_id FROM event_forward_extremities
INNER JOIN events USING (room_id, event_id)
WHERE room_id = ?
ORDER BY stream_ordering DESC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_forward_extremities.py:63
DELETE FROM event_forward_extremities
WHERE event_id != ? AND room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_forward_extremities.py:105
SELECT event_id, state_group, depth, received_ts
FROM event_forward_extremities
INNER JOIN event_to_state_groups USING (event_id)
INNER JOIN events USING (room_id, event_id)
WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:1687
SELECT COUNT(*) FROM current_state_events WHERE room_id=?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:363
SELECT stream_id, event_id, rejection_status_changed
FROM un_partial_stated_event_stream
WHERE ? < stream_id AND stream_id <= ? AND instance_name = ?
ORDER BY stream_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:1749
SELECT e.stream_ordering, e.event_id, e.room_id, e.type, se.state_key, redacts, relates_to_id, membership, rejections.reason IS NOT NULL, e.outlier FROM events AS e LEFT JOIN redactions USING (event_id) LEFT JOIN state_events AS se USING (event_id) LEFT JOIN event_relations USING (event_id) LEFT JOIN room_memberships USING (event_id) LEFT JOIN rejections USING (event_id) WHERE ? < stream_ordering AND stream_ordering <= ? AND instance_name = ? ORDER BY stream_ordering ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:1792
SELECT out.event_stream_ordering, e.event_id, e.room_id, e.type, se.state_key, redacts, relates_to_id, membership, rejections.reason IS NOT NULL, e.outlier FROM events AS e INNER JOIN ex_outlier_stream AS out USING (event_id) LEFT JOIN redactions USING (event_id) LEFT JOIN state_events AS se USING (event_id) LEFT JOIN event_relations USING (event_id) LEFT JOIN room_memberships USING (event_id) LEFT JOIN rejections USING (event_id) WHERE ? < out.event_stream_ordering AND out.event_stream_ordering <= ? AND out.instance_name = ? ORDER BY out.event_stream_ordering ASC;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:1854
SELECT -e.stream_ordering, e.event_id, e.room_id, e.type, se.state_key, redacts, relates_to_id FROM events AS e LEFT JOIN redactions USING (event_id) LEFT JOIN state_events AS se USING (event_id) LEFT JOIN event_relations USING (event_id) WHERE ? > stream_ordering AND stream_ordering >= ?  AND instance_name = ? ORDER BY stream_ordering ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:1884
SELECT -event_stream_ordering, e.event_id, e.room_id, e.type, se.state_key, redacts, relates_to_id FROM events AS e INNER JOIN ex_outlier_stream AS out USING (event_id) LEFT JOIN redactions USING (event_id) LEFT JOIN state_events AS se USING (event_id) LEFT JOIN event_relations USING (event_id) WHERE ? > event_stream_ordering AND event_stream_ordering >= ? AND out.instance_name = ? ORDER BY event_stream_ordering DESC;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:1938
SELECT stream_id, room_id, type, state_key, event_id
FROM current_state_delta_stream
WHERE ? < stream_id AND stream_id <= ?
    AND instance_name = ?
ORDER BY stream_id ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:1951
SELECT stream_id, room_id, type, state_key, event_id
FROM current_state_delta_stream
WHERE stream_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:2100
DELETE FROM event_txn_id_device_id
WHERE inserted_ts < ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:2202
SELECT 1 FROM event_forward_extremities
WHERE
    room_id = ?
    AND event_id = ?
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:2225
SELECT 1 FROM event_edges
/* Check to make sure the event referencing our event in question is not rejected */
LEFT JOIN rejections ON event_edges.event_id = rejections.event_id
WHERE
    event_edges.prev_event_id = ?
    /* It's not a valid edge if the event referencing our event in
     * question is rejected.
     */
    AND rejections.event_id IS NULL
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:2398
SELECT event_id FROM partial_state_events AS pse
    JOIN events USING (event_id)
WHERE pse.room_id = ? AND
   NOT EXISTS(
      SELECT 1 FROM event_edges AS ee
         JOIN partial_state_events AS prev_pse ON (prev_pse.event_id=ee.prev_event_id)
         WHERE ee.event_id=pse.event_id
   )
ORDER BY events.stream_ordering
LIMIT 100;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:290
SELECT COALESCE(max(chain_id), 0) FROM event_auth_chains;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/events_worker.py:2019
SELECT event_id, expiry_ts FROM event_expiry
ORDER BY expiry_ts ASC LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/filtering.py:69
-- expect: SQL005 no: LIMIT 1 OFFSET n finds the next batch boundary through the index; the offset is a fixed batch size, not a page number
SELECT user_id FROM user_filters
WHERE user_id > ?
ORDER BY user_id
LIMIT 1 OFFSET 1000;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/filtering.py:86
UPDATE user_filters
SET full_user_id = '@' || user_id || ?
WHERE ? < user_id AND user_id <= ? AND full_user_id IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/filtering.py:94
UPDATE user_filters
SET full_user_id = '@' || user_id || ?
WHERE ? < user_id AND full_user_id IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/filtering.py:173
SELECT filter_id FROM user_filters WHERE full_user_id = ? AND filter_json = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/filtering.py:181
SELECT MAX(filter_id) FROM user_filters WHERE full_user_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/filtering.py:190
INSERT INTO user_filters (full_user_id, user_id, filter_id, filter_json)VALUES(?, ?, ?, ?);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/lock.py:322
DELETE FROM worker_read_write_locks
WHERE last_renewed_ts < ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/lock.py:153
-- expect: SQL010 no: ON CONFLICT ... DO UPDATE WHERE tests the one conflicting row
INSERT INTO worker_locks (lock_name, lock_key, instance_name, token, last_renewed_ts)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (lock_name, lock_key)
DO UPDATE
    SET
        token = EXCLUDED.token,
        instance_name = EXCLUDED.instance_name,
        last_renewed_ts = EXCLUDED.last_renewed_ts
    WHERE
        worker_locks.last_renewed_ts < ?
        OR worker_locks.instance_name = EXCLUDED.instance_name;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:352
-- expect: SQL010 no: both branches test last_access_ts (< ? and IS NULL): one B-tree on it serves both through a BitmapOr
SELECT media_id
FROM local_media_repository AS lmr
WHERE
    ( last_access_ts < ?
    OR ( created_ts < ? AND last_access_ts IS NULL ) )
    AND media_length > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:823
SELECT media_origin, media_id, filesystem_id
FROM remote_media_cache
WHERE last_access_ts < ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:859
SELECT media_id FROM local_media_repository_url_cache WHERE expires_ts < ? ORDER BY expires_ts ASC LIMIT 500;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:877
DELETE FROM local_media_repository_url_cache WHERE media_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:886
SELECT media_id FROM local_media_repository WHERE created_ts < ? AND url_cache IS NOT NULL ORDER BY created_ts ASC LIMIT 500;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:267
SELECT COUNT(*) as total_media
FROM local_media_repository
WHERE user_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:490
SELECT COUNT(*), MIN(created_ts)
FROM local_media_repository
WHERE user_id = ?
    AND created_ts > ?
    AND media_length IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:522
SELECT response_code, expires_ts, og
FROM local_media_repository_url_cache
WHERE url = ? AND download_ts <= ?
ORDER BY download_ts DESC LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:693
UPDATE remote_media_cache SET last_access_ts = ? WHERE media_origin = ? AND media_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:706
UPDATE local_media_repository SET last_access_ts = ? WHERE media_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:905
DELETE FROM local_media_repository WHERE media_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:909
DELETE FROM local_media_repository_thumbnails WHERE media_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/media_repository.py:534
SELECT response_code, expires_ts, og
FROM local_media_repository_url_cache
WHERE url = ? AND download_ts > ?
ORDER BY download_ts ASC LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:237
SELECT COUNT(*) FROM (
    SELECT user_id FROM user_ips
    WHERE last_seen > ?
    GROUP BY user_id
) u;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:111
SELECT COUNT(*) FROM events
WHERE type = 'm.room.encrypted'
AND stream_ordering > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:128
SELECT COUNT(*) FROM events
WHERE type = 'm.room.encrypted'
    AND sender LIKE ?
AND stream_ordering > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:145
SELECT COUNT(DISTINCT room_id) FROM events
WHERE type = 'm.room.encrypted'
AND stream_ordering > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:167
SELECT COUNT(*) FROM events
WHERE type = 'm.room.message'
AND stream_ordering > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:184
SELECT COUNT(*) FROM events
WHERE type = 'm.room.message'
    AND sender LIKE ?
AND stream_ordering > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:201
SELECT COUNT(DISTINCT room_id) FROM events
WHERE type = 'm.room.message'
AND stream_ordering > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:278
-- expect: SQL003 no: the LIKEs classify rows in a SELECT-list CASE; rows are chosen by the timestamp range, not by them
SELECT
    client_type,
    count(client_type)
FROM
    (
        SELECT
            user_id,
            CASE
                WHEN
                    LOWER(user_agent) LIKE '%%riot%%' OR
                    LOWER(user_agent) LIKE '%%element%%'
                    THEN CASE
                        WHEN
                            LOWER(user_agent) LIKE '%%electron%%'
                            THEN 'electron'
                        WHEN
                            LOWER(user_agent) LIKE '%%android%%'
                            THEN 'android'
                        WHEN
                            LOWER(user_agent) LIKE '%%ios%%'
                            THEN 'ios'
                        ELSE 'unknown'
                    END
                WHEN
                    LOWER(user_agent) LIKE '%%mozilla%%' OR
                    LOWER(user_agent) LIKE '%%gecko%%'
                    THEN 'web'
                ELSE 'unknown'
            END as client_type
        FROM
            user_daily_visits
        WHERE
            timestamp > ?
            AND
            timestamp < ?
        GROUP BY
            user_id,
            client_type
        HAVING
            max(timestamp) - min(timestamp) > ?
    ) AS temp
GROUP BY
    client_type
;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:343
SELECT COUNT(*) FROM (
    SELECT
        1
    FROM
        user_daily_visits
    WHERE
        timestamp > ?
        AND
        timestamp < ?
    GROUP BY
        user_id
    HAVING
        max(timestamp) - min(timestamp) > ?
) AS r30_users;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:403
INSERT INTO user_daily_visits (user_id, device_id, timestamp, user_agent)
SELECT u.user_id, u.device_id, ?, MAX(u.user_agent)
FROM user_ips AS u
LEFT JOIN (
  SELECT user_id, device_id, timestamp FROM user_daily_visits
  WHERE timestamp = ?
) udv
ON u.user_id = udv.user_id AND u.device_id=udv.device_id
INNER JOIN users ON users.name=u.user_id
WHERE ? <= last_seen AND last_seen < ?
AND udv.timestamp IS NULL AND users.is_guest=0
AND users.appservice_id IS NULL
GROUP BY u.user_id, u.device_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/metrics.py:81
SELECT t1.c, t2.c
FROM (
    SELECT room_id, COUNT(*) c FROM event_forward_extremities
    GROUP BY room_id
) t1 LEFT JOIN (
    SELECT room_id, COUNT(*) c FROM current_state_events
    GROUP BY room_id
) t2 ON t1.room_id = t2.room_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/monthly_active_users.py:84
SELECT COUNT(*)
FROM monthly_active_users
    LEFT JOIN users
    ON monthly_active_users.user_id=users.name
WHERE (users.appservice_id IS NULL OR users.appservice_id = '');

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/monthly_active_users.py:111
SELECT COALESCE(appservice_id, 'native'), COUNT(*)
FROM monthly_active_users
LEFT JOIN users ON monthly_active_users.user_id=users.name
GROUP BY appservice_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/openid.py:40
SELECT user_id FROM open_id_tokens WHERE token = ? AND ? <= ts_valid_until_ms;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/presence.py:466
SELECT user_id, state, last_active_ts, last_federation_update_ts, last_user_sync_ts, status_msg, currently_active FROM presence_stream WHERE state != ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/presence.py:225
SELECT stream_id, user_id, state, last_active_ts,
    last_federation_update_ts, last_user_sync_ts,
    status_msg, currently_active
FROM presence_stream
WHERE ? < stream_id AND stream_id <= ?
ORDER BY stream_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/profile.py:63
-- expect: SQL005 no: LIMIT 1 OFFSET n finds the next batch boundary through the index; the offset is a fixed batch size, not a page number
SELECT user_id FROM profiles
WHERE user_id > ?
ORDER BY user_id
LIMIT 1 OFFSET 1000;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/profile.py:80
UPDATE profiles
SET full_user_id = '@' || user_id || ?
WHERE ? < user_id AND user_id <= ? AND full_user_id IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/profile.py:88
UPDATE profiles
SET full_user_id = '@' || user_id || ?
WHERE ? < user_id AND full_user_id IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:108
SELECT e.event_id, e.depth FROM events as e INNER JOIN event_forward_extremities as f ON e.event_id = f.event_id AND e.room_id = f.room_id WHERE f.room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:166
SELECT event_id, should_delete FROM events_to_purge;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:180
SELECT DISTINCT e.event_id FROM events_to_purge AS e INNER JOIN event_edges AS ed ON e.event_id = ed.prev_event_id LEFT JOIN events_to_purge AS ep2 ON ed.event_id = ep2.event_id WHERE ep2.event_id IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:190
DELETE FROM event_backward_extremities WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:195
INSERT INTO event_backward_extremities (room_id, event_id) VALUES (?, ?);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:205
SELECT DISTINCT state_group FROM events_to_purge
INNER JOIN event_to_state_groups USING (event_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:218
DELETE FROM event_to_state_groups WHERE event_id IN (SELECT event_id from events_to_purge);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:257
UPDATE events SET outlier = TRUE WHERE event_id IN (   SELECT event_id FROM events_to_purge    WHERE NOT should_delete);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:276
SELECT COALESCE(MIN(depth), 0)
FROM event_backward_extremities AS eb
INNER JOIN event_edges AS eg ON eg.prev_event_id = eb.event_id
INNER JOIN events AS e ON e.event_id = eg.event_id
WHERE eb.room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:290
UPDATE room_depth SET min_depth = ? WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:375
SELECT DISTINCT state_group FROM events
INNER JOIN event_to_state_groups USING(event_id)
WHERE events.room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:388
SELECT chain_id, sequence_number FROM events
LEFT JOIN event_auth_chains USING (event_id)
WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/purge_events.py:368
SELECT room_version FROM rooms WHERE room_id = ? FOR UPDATE;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/push_rule.py:454
SELECT priority, priority_class FROM push_rules
WHERE user_name = ? AND rule_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/push_rule.py:492
UPDATE push_rules SET priority = priority + 1 WHERE user_name = ? AND priority_class = ? AND priority >= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/push_rule.py:536
SELECT COUNT(*), MAX(priority) FROM push_rules WHERE user_name = ? and priority_class = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/push_rule.py:577
UPDATE push_rules SET priority_class = ?, priority = ?, conditions = ?, actions = ? WHERE user_name = ? AND rule_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/push_rule.py:355
SELECT stream_id, user_id
FROM push_rules_stream
WHERE ? < stream_id AND stream_id <= ?
ORDER BY stream_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/push_rule.py:524
SELECT * FROM push_rules
WHERE user_name = ? and priority_class = ?
FOR UPDATE;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/push_rule.py:624
INSERT INTO push_rules_enable (id, user_name, rule_id, enabled)
VALUES (?, ?, ?, 1)
ON CONFLICT DO NOTHING;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/push_rule.py:234
SELECT COUNT(stream_id) FROM push_rules_stream WHERE user_id = ? AND ? < stream_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/pusher.py:201
SELECT
    id, user_name, access_token, profile_tag, kind, app_id,
    app_display_name, device_display_name, pushkey, ts, lang, data,
    last_stream_ordering, last_success, failing_since,
    COALESCE(enabled, TRUE) AS enabled, device_id
FROM pushers;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/pusher.py:272
SELECT id, user_name, app_id, pushkey
FROM pushers
WHERE ? < id AND id <= ?
ORDER BY id ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/pusher.py:287
SELECT stream_id, user_id, app_id, pushkey
FROM deleted_pushers
WHERE ? < stream_id AND stream_id <= ?
ORDER BY stream_id ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/pusher.py:460
SELECT p.id, access_token FROM pushers AS p
LEFT JOIN access_tokens AS a ON (p.access_token = a.id)
WHERE p.id > ?
ORDER BY p.id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/pusher.py:516
SELECT p.id, p.user_name, p.app_id, p.pushkey
FROM pushers AS p
    LEFT JOIN user_threepids AS t
        ON t.user_id = p.user_name
        AND t.medium = 'email'
        AND t.address = p.pushkey
WHERE t.user_id is NULL
    AND p.app_id = 'm.email'
    AND p.id > ?
ORDER BY p.id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/pusher.py:226
SELECT id, user_name, access_token, profile_tag, kind, app_id,
    app_display_name, device_display_name, pushkey, ts, lang, data,
    last_stream_ordering, last_success, failing_since,
    enabled, device_id
FROM pushers WHERE COALESCE(enabled, TRUE);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/pusher.py:587
SELECT
    p.id AS pusher_id,
    p.device_id AS pusher_device_id,
    at.device_id AS token_device_id
FROM pushers AS p
LEFT JOIN access_tokens AS at
    ON p.access_token = at.id
WHERE
    p.access_token IS NOT NULL
    AND p.id > ?
ORDER BY p.id
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:264
SELECT rl.room_id, rl.event_id, e.topological_ordering, e.stream_ordering FROM receipts_linearized AS rl INNER JOIN events AS e USING (room_id, event_id) WHERE rl.room_id = e.room_id AND rl.event_id = e.event_id AND user_id = ? AND receipt_type = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:564
SELECT DISTINCT user_id FROM receipts_linearized
WHERE ? < stream_id AND stream_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:612
SELECT stream_id, room_id, receipt_type, user_id, event_id, thread_id, data
FROM receipts_linearized
WHERE ? < stream_id AND stream_id <= ?
AND instance_name = ?
ORDER BY stream_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:971
UPDATE receipts_linearized
SET event_stream_ordering = (
    SELECT stream_ordering
    FROM events
    WHERE event_id = receipts_linearized.event_id
)
WHERE stream_id >= ? AND stream_id < ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:1017
SELECT MAX(stream_id), room_id, receipt_type, user_id
FROM receipts_linearized
WHERE thread_id IS NULL
GROUP BY room_id, receipt_type, user_id
HAVING COUNT(*) > 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:1087
SELECT room_id, receipt_type, user_id FROM receipts_graph
WHERE thread_id IS NULL
GROUP BY room_id, receipt_type, user_id
HAVING COUNT(*) > 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:358
SELECT stream_id, instance_name, receipt_type, user_id, event_id, data
FROM receipts_linearized
WHERE room_id = ? AND stream_id > ? AND stream_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:368
SELECT stream_id, instance_name, receipt_type, user_id, event_id, data
FROM receipts_linearized WHERE
room_id = ? AND stream_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:501
SELECT stream_id, instance_name, room_id, receipt_type, user_id, event_id, data
FROM receipts_linearized WHERE
stream_id > ? AND stream_id <= ?
ORDER BY stream_id DESC
LIMIT 100;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:510
SELECT stream_id, instance_name, room_id, receipt_type, user_id, event_id, data
FROM receipts_linearized WHERE
stream_id <= ?
ORDER BY stream_id DESC
LIMIT 100;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:1100
DELETE FROM receipts_graph
WHERE
    room_id = ? AND
    receipt_type = ? AND
    user_id = ? AND
    thread_id IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/receipts.py:961
SELECT max(stream_id) FROM receipts_linearized;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:598
SELECT users.name as user_id,
    users.is_guest,
    users.shadow_banned,
    access_tokens.id as token_id,
    access_tokens.device_id,
    access_tokens.valid_until_ms,
    access_tokens.user_id as token_owner,
    access_tokens.used as token_used
FROM users
INNER JOIN access_tokens on users.name = COALESCE(puppets_user_id, access_tokens.user_id)
WHERE token = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:2928
SELECT name FROM users WHERE '@0' <= name AND name < '@a';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:467
SELECT user_id, expiration_ts_ms FROM account_validity WHERE email_sent = FALSE AND (expiration_ts_ms - ?) <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:697
-- expect: SQL004 yes: case-insensitive login lookup: lower(name) hides users.name from its primary key index; an expression index serves it
SELECT name, password_hash FROM users WHERE lower(name) = lower(?);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:902
SELECT user_type, COUNT(*) AS count FROM (
    SELECT
    CASE
        WHEN is_guest=0 AND appservice_id IS NULL THEN 'native'
        WHEN is_guest=1 AND appservice_id IS NULL THEN 'guest'
        WHEN is_guest=0 AND appservice_id IS NOT NULL THEN 'bridged'
    END AS user_type
    FROM users
    WHERE creation_ts > ?
) AS t GROUP BY user_type;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:1282
DELETE FROM threepid_validation_token WHERE
expires < ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:1306
SELECT users.name FROM users LEFT JOIN account_validity ON (users.name = account_validity.user_id) WHERE account_validity.user_id is NULL AND users.deactivated = 0;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:2905
DELETE FROM login_tokens WHERE expiry_ts <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:227
SELECT
    name, is_guest, admin, consent_version, consent_ts,
    consent_server_notice_sent, appservice_id, creation_ts, user_type,
    deactivated, COALESCE(shadow_banned, FALSE) AS shadow_banned,
    COALESCE(approved, TRUE) AS approved,
    COALESCE(locked, FALSE) AS locked
FROM users
WHERE name = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:884
SELECT COUNT(*) FROM users;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:927
SELECT COUNT(*) FROM users
WHERE appservice_id IS NULL;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:941
SELECT COUNT(*) FROM users where user_type is null;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:1801
SELECT
    rt.id token_id,
    rt.user_id,
    rt.device_id,
    rt.next_token_id,
    (nrt.next_token_id IS NOT NULL) AS has_next_refresh_token_been_refreshed,
    at.used AS has_next_access_token_been_used,
    rt.expiry_ts,
    rt.ultimate_session_expiry_ts
FROM refresh_tokens rt
LEFT JOIN refresh_tokens nrt ON rt.next_token_id = nrt.id
LEFT JOIN access_tokens at ON at.refresh_token_id = nrt.id
WHERE rt.token = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:2048
SELECT COALESCE(approved, TRUE) AS approved FROM users WHERE name = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:2118
SELECT
    users.name,
    COUNT(access_tokens.token) AS count_tokens,
    COUNT(user_threepids.address) AS count_threepids
FROM users
    LEFT JOIN access_tokens ON (access_tokens.user_id = users.name)
    LEFT JOIN user_threepids ON (user_threepids.user_id = users.name)
WHERE (users.password_hash IS NULL OR users.password_hash = '')
AND (users.appservice_id IS NULL OR users.appservice_id = '')
AND users.is_guest = 0
AND users.name > ?
GROUP BY users.name
ORDER BY users.name ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:2553
INSERT INTO profiles(full_user_id, user_id, displayname) VALUES (?,?,?);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:1535
SELECT token, uses_allowed, pending, completed, expiry_time
FROM registration_tokens;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:1543
-- expect: SQL010 no: each OR tests one column with IS NULL; a few admin-made tokens
SELECT token, uses_allowed, pending, completed, expiry_time
FROM registration_tokens
WHERE (uses_allowed > pending + completed OR uses_allowed IS NULL)
    AND (expiry_time > ? OR expiry_time IS NULL);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/registration.py:1553
-- expect: SQL010 no: uses_allowed <= pending + completed compares columns: no index serves that branch whatever the OR; a few admin-made tokens
SELECT token, uses_allowed, pending, completed, expiry_time
FROM registration_tokens
WHERE uses_allowed <= pending + completed OR expiry_time <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/relations.py:906
SELECT 1 FROM event_relations
INNER JOIN events USING (event_id)
WHERE
    relates_to_id = ?
    AND relation_type = ?
    AND type = ?
    AND sender = ?
    AND aggregation_key = ?
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/relations.py:1035
WITH RECURSIVE related_events AS (
    SELECT event_id, relates_to_id, relation_type, 0 AS depth
    FROM event_relations
    WHERE event_id = ?
    UNION SELECT e.event_id, e.relates_to_id, e.relation_type, depth + 1
    FROM event_relations e
    INNER JOIN related_events r ON r.relates_to_id = e.event_id
    WHERE depth <= 3
)
SELECT relates_to_id FROM related_events
WHERE relation_type = 'm.thread'
ORDER BY depth DESC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/relations.py:1094
SELECT relates_to_id FROM event_relations WHERE relates_to_id = COALESCE((
    WITH RECURSIVE related_events AS (
        SELECT event_id, relates_to_id, relation_type, 0 AS depth
        FROM event_relations
        WHERE event_id = ?
        UNION SELECT e.event_id, e.relates_to_id, e.relation_type, depth + 1
        FROM event_relations e
        INNER JOIN related_events r ON r.relates_to_id = e.event_id
        WHERE depth <= 3
    )
    SELECT relates_to_id FROM related_events
    ORDER BY depth DESC
    LIMIT 1
), ?) AND relation_type = 'm.thread' LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:1103
SELECT media_id
FROM local_media_repository
WHERE user_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:1139
UPDATE local_media_repository
SET quarantined_by = ?
WHERE media_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:254
SELECT room_id, state.name, state.canonical_alias, curr.joined_members,
  curr.local_users_in_room AS joined_local_members, rooms.room_version AS version,
  rooms.creator, state.encryption, state.is_federatable AS federatable,
  rooms.is_public AS public, state.join_rules, state.guest_access,
  state.history_visibility, curr.current_state_events AS state_events,
  state.avatar, state.topic, state.room_type
FROM rooms
LEFT JOIN room_stats_state state USING (room_id)
LEFT JOIN room_stats_current curr USING (room_id)
WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:404
SELECT count(*)  FROM rooms;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:456
SELECT room_id FROM rooms WHERE is_public
UNION SELECT room_id from appservice_room_list;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:1161
UPDATE remote_media_cache
SET quarantined_by = ?
WHERE media_origin = ? AND media_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:1210
SELECT room_id, min_lifetime, max_lifetime FROM room_retention
INNER JOIN current_state_events USING (event_id, room_id);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:1460
SELECT stream_id, room_id
FROM un_partial_stated_room_stream
WHERE ? < stream_id AND stream_id <= ? AND instance_name = ?
ORDER BY stream_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:1495
SELECT
    er.id,
    er.received_ts,
    er.room_id,
    er.event_id,
    er.user_id,
    er.content,
    events.sender,
    room_stats_state.canonical_alias,
    room_stats_state.name,
    event_json.json AS event_json
FROM event_reports AS er
LEFT JOIN events
    ON events.event_id = er.event_id
JOIN event_json
    ON event_json.event_id = er.event_id
JOIN room_stats_state
    ON room_stats_state.room_id = er.room_id
WHERE er.id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:1824
SELECT room_id, json FROM current_state_events
INNER JOIN event_json USING (room_id, event_id)
WHERE room_id > ? AND type = 'm.room.create' AND state_key = ''
ORDER BY room_id
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:2047
SELECT room_id, json FROM event_json
INNER JOIN rooms AS room USING (room_id)
INNER JOIN current_state_events AS state_event USING (room_id, event_id)
WHERE room_id > ? AND (room.creator IS NULL OR room.creator = '') AND state_event.type = 'm.room.create' AND state_event.state_key = ''
ORDER BY room_id
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:2111
SELECT state.room_id, json FROM event_json
INNER JOIN current_state_events AS state USING (event_id)
WHERE state.room_id > ? AND type = 'm.room.create'
ORDER BY state.room_id
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:2557
DELETE FROM device_lists_remote_pending
WHERE stream_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:444
SELECT room_id from appservice_room_list
WHERE appservice_id = ? AND network_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:452
SELECT room_id FROM rooms WHERE is_public;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:895
SELECT min_lifetime, max_lifetime FROM room_retention
INNER JOIN current_state_events USING (event_id, room_id)
WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:1234
SELECT DISTINCT room_id FROM current_state_events;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:1982
UPDATE room_depth SET min_depth2=min_depth
WHERE room_id IN (
   SELECT room_id FROM room_depth WHERE room_id > ?
   ORDER BY room_id LIMIT ?
)
RETURNING room_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/room.py:2555
-- expect: SQL006 no: no partially joined room is left, so every pending row goes, on purpose (room.py comment)
DELETE FROM device_lists_remote_pending;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:606
SELECT room_id, e.instance_name, e.stream_ordering
FROM current_state_events AS c
INNER JOIN events AS e USING (room_id, event_id)
WHERE
    c.type = 'm.room.member'
    AND c.state_key = ?
    AND c.membership = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:947
SELECT state_key FROM current_state_events
WHERE membership = ?
    AND type = 'm.room.member'
    AND room_id = ?
    AND state_key LIKE ?
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:1182
-- expect: SQL013 yes: asks whether any member has not forgotten the room: EXISTS stops at the first of possibly thousands of members
SELECT count(*) > 0 FROM local_current_membership
INNER JOIN room_memberships USING (room_id, event_id)
WHERE
    room_id = ?
    AND forgotten = 0;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:262
SELECT state_key, display_name, avatar_url FROM room_memberships as m
INNER JOIN current_state_events as c
ON m.event_id = c.event_id
AND m.room_id = c.room_id
AND m.user_id = c.state_key
WHERE c.type = 'm.room.member' AND c.room_id = ? AND m.membership = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:298
SELECT count(*), membership FROM current_state_events
WHERE type = 'm.room.member' AND room_id = ?
    AND membership IS NOT NULL
GROUP BY membership;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:314
SELECT state_key, membership, event_id
FROM current_state_events
WHERE type = 'm.room.member' AND room_id = ?
    AND membership IS NOT NULL
ORDER BY
    CASE membership WHEN ? THEN 1 WHEN ? THEN 2 ELSE 3 END ASC,
    event_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:997
SELECT DISTINCT substring(state_key FROM '@[^:]*:(.*)$')
FROM current_state_events
WHERE
    type = 'm.room.member'
    AND membership = 'join'
    AND room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:1055
SELECT
    /* Match the domain part of the MXID */
    substring(c.state_key FROM '@[^:]*:(.*)$') as server_domain
FROM current_state_events c
/* Get the depth of the event from the events table */
INNER JOIN events AS e USING (event_id)
WHERE
    /* Find any join state events in the room */
    c.type = 'm.room.member'
    AND c.membership = 'join'
    AND c.room_id = ?
/* Group all state events from the same domain into their own buckets (groups) */
GROUP BY server_domain
/* Sorted by lowest depth first */
ORDER BY min(e.depth) ASC;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:1116
SELECT  COUNT(*) FROM  room_memberships WHERE  user_id = ? AND  room_id = ? AND  forgotten = 0;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:1156
SELECT room_id, (
    SELECT count(*) FROM room_memberships
    WHERE room_id = m.room_id AND user_id = m.user_id AND forgotten = 0
) AS count
FROM room_memberships AS m
WHERE user_id = ? AND forgotten = 1
GROUP BY room_id, user_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:1370
SELECT stream_ordering, event_id, events.room_id, event_json.json
FROM events
INNER JOIN event_json USING (event_id)
WHERE ? <= stream_ordering AND stream_ordering < ?
AND type = 'm.room.member'
ORDER BY stream_ordering DESC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:1402
UPDATE room_memberships SET display_name = ?, avatar_url = ?
WHERE event_id = ? AND room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:124
SELECT COUNT(DISTINCT substr(out.user_id, pos+1))
FROM (
    SELECT rm.user_id as user_id, instr(rm.user_id, ':')
        AS pos FROM room_memberships as rm
    INNER JOIN current_state_events as c ON rm.event_id = c.event_id
    WHERE c.type = 'm.room.member'
) as out;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:134
SELECT COUNT(DISTINCT split_part(state_key, ':', 2))
FROM current_state_events
WHERE type = 'm.room.member' AND membership = 'join';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:1455
UPDATE current_state_events
SET membership = (
    SELECT membership FROM room_memberships
    WHERE event_id = current_state_events.event_id
)
WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/roommember.py:1444
SELECT MIN(room_id) FROM current_state_events WHERE room_id > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/search.py:84
INSERT INTO event_search
(event_id, room_id, key, vector, stream_ordering, origin_server_ts)
VALUES (?,?,?,to_tsvector('english', ?),?,?);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/search.py:358
UPDATE event_search AS es
SET stream_ordering = e.stream_ordering, origin_server_ts = e.origin_server_ts
FROM events AS e
WHERE e.event_id = es.event_id
AND ? <= e.stream_ordering AND e.stream_ordering < ?
RETURNING es.stream_ordering;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/search.py:468
SELECT ts_rank_cd(vector, websearch_to_tsquery('english', ?)) AS rank,
room_id, event_id
FROM event_search
WHERE vector @@  websearch_to_tsquery('english', ?);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/search.py:476
SELECT room_id, count(*) as count FROM event_search
WHERE vector @@ websearch_to_tsquery('english', ?);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/search.py:409
-- expect: SQL004 no: a one-off cleanup that must look at every row (typeof(value) != 'text'): no index could help a negation
DELETE FROM event_search WHERE typeof(value) != 'text';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/session.py:112
SELECT value FROM sessions WHERE
session_type = ? AND session_id = ? AND expiry_time_ms > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/session.py:137
DELETE FROM sessions WHERE expiry_time_ms <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/state.py:348
SELECT type, state_key, event_id FROM current_state_events
WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/state.py:557
SELECT DISTINCT room_id FROM current_state_events
WHERE room_id > ? ORDER BY room_id LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/state.py:571
SELECT room_id
FROM local_current_membership
WHERE
    room_id > ? AND room_id <= ?
    AND membership = 'join'
GROUP BY room_id;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/state.py:594
SELECT DISTINCT efe.room_id
FROM event_forward_extremities efe
LEFT JOIN current_state_events cse ON
    cse.event_id = efe.event_id
    AND cse.type = 'm.room.create'
    AND cse.state_key = ''
WHERE
    cse.event_id IS NULL
    AND efe.room_id > ? AND efe.room_id <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/state_deltas.py:86
SELECT stream_id, count(*)
FROM current_state_delta_stream
WHERE stream_id > ? AND stream_id <= ?
GROUP BY stream_id
ORDER BY stream_id ASC
LIMIT 100;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/state_deltas.py:114
SELECT stream_id, room_id, type, state_key, event_id, prev_event_id
FROM current_state_delta_stream
WHERE ? < stream_id AND stream_id <= ?
ORDER BY stream_id ASC;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stats.py:151
SELECT DISTINCT name FROM users
WHERE name > ?
ORDER BY name ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stats.py:197
SELECT DISTINCT room_id FROM current_state_events
WHERE room_id > ?
ORDER BY room_id ASC
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stats.py:533
SELECT membership, count(*) FROM current_state_events
WHERE room_id = ? AND type = 'm.room.member'
GROUP BY membership;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stats.py:543
SELECT COUNT(*) FROM current_state_events
WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stats.py:649
SELECT COUNT(distinct room_id) FROM current_state_events
WHERE type = 'm.room.member' AND state_key = ?
    AND membership = 'join';

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stream.py:1340
SELECT type, MIN(stream_id) FROM federation_stream_position
GROUP BY type;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stream.py:1624
SELECT instance_name, stream_ordering
FROM timeline_gaps
WHERE room_id = ? AND ? < stream_ordering AND stream_ordering <= ?
ORDER BY stream_ordering;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stream.py:869
SELECT stream_ordering, topological_ordering, event_id
FROM events
LEFT JOIN rejections USING (event_id)
WHERE room_id = ?
    AND stream_ordering <= ?
    AND NOT outlier
    AND rejections.event_id IS NULL
ORDER BY stream_ordering DESC
LIMIT 1;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stream.py:912
SELECT * FROM (
    SELECT instance_name, stream_ordering, topological_ordering, event_id
    FROM events
    LEFT JOIN rejections USING (event_id)
    WHERE room_id = ?
        AND ? < stream_ordering AND stream_ordering <= ?
        AND NOT outlier
        AND rejections.event_id IS NULL
    ORDER BY stream_ordering DESC
) AS a
UNION
SELECT * FROM (
    SELECT instance_name, stream_ordering, topological_ordering, event_id
    FROM events
    LEFT JOIN rejections USING (event_id)
    WHERE room_id = ?
        AND stream_ordering <= ?
        AND NOT outlier
        AND rejections.event_id IS NULL
    ORDER BY stream_ordering DESC
    LIMIT 1
) AS b;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stream.py:1083
SELECT MAX(topological_ordering) FROM events WHERE room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/stream.py:1252
SELECT e.stream_ordering, e.event_id, e.received_ts FROM events AS e WHERE ? < e.stream_ordering AND e.stream_ordering <= ? ORDER BY e.stream_ordering ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/tags.py:256
UPDATE room_tags_revisions SET stream_id = ? WHERE user_id = ? AND room_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/tags.py:92
SELECT stream_id, user_id, room_id FROM room_tags_revisions as r WHERE ? < stream_id AND stream_id <= ? ORDER BY stream_id ASC LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/tags.py:130
SELECT room_id from room_tags_revisions WHERE user_id = ? AND stream_id > ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/tags.py:224
DELETE FROM room_tags  WHERE user_id = ? AND room_id = ? AND tag = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/tags.py:265
INSERT INTO room_tags_revisions (user_id, room_id, stream_id) VALUES (?, ?, ?);

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/task_scheduler.py:100
SELECT * FROM scheduled_tasks;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/transactions.py:274
-- expect: SQL010 no: ON CONFLICT ... DO UPDATE WHERE tests the one conflicting row
INSERT INTO destinations (
    destination, failure_ts, retry_last_ts, retry_interval
)
    VALUES (?, ?, ?, ?)
ON CONFLICT (destination) DO UPDATE SET
        failure_ts = EXCLUDED.failure_ts,
        retry_last_ts = EXCLUDED.retry_last_ts,
        retry_interval = EXCLUDED.retry_interval
    WHERE
        EXCLUDED.retry_interval = 0
        OR EXCLUDED.retry_last_ts = 0
        OR destinations.retry_interval IS NULL
        OR destinations.retry_interval < EXCLUDED.retry_interval
        OR destinations.retry_last_ts < EXCLUDED.retry_last_ts;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/transactions.py:400
SELECT event_id FROM destination_rooms
 JOIN events USING (stream_ordering)
WHERE destination = ?
  AND stream_ordering > ?
ORDER BY stream_ordering
LIMIT 50;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/transactions.py:444
-- expect: SQL010 no: residual filter: keyset destination > ? ORDER BY destination LIMIT 25 drives the scan
SELECT DISTINCT destination FROM destinations
INNER JOIN destination_rooms USING (destination)
    WHERE
        stream_ordering > last_successful_stream_ordering
        AND destination > ?
        AND (
            retry_last_ts IS NULL OR
            retry_last_ts + retry_interval < ?
        )
        ORDER BY destination
        LIMIT 25;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/transactions.py:579
SELECT COUNT(*) as total_rooms
FROM destination_rooms
WHERE destination = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/transactions.py:85
DELETE FROM received_transactions WHERE ts < ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/ui_auth.py:332
SELECT session_id FROM ui_auth_sessions WHERE creation_time <= ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/user_directory.py:623
SELECT user_server_name
FROM user_directory_stale_remote_users
WHERE next_try_at_ts < ?
GROUP BY user_server_name
ORDER BY MIN(next_try_at_ts), user_server_name
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/user_directory.py:657
SELECT user_id, retry_counter, next_try_at_ts
FROM user_directory_stale_remote_users
WHERE user_server_name = ? AND next_try_at_ts < ?
ORDER BY next_try_at_ts
LIMIT ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/user_erasure_store.py:78
SELECT 1 FROM erased_users WHERE user_id = ?;

-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/databases/main/user_erasure_store.py:83
INSERT INTO erased_users (user_id) VALUES (?);

