-- Short DDL excerpts of the synapse tables the rules need to know (passed as --schema by the bench).
-- Single-row position tables: a UNIQUE column that a CHECK pins to one value holds at most one row.
-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/full_schemas/72/full.sql.sqlite:73
CREATE TABLE appservice_stream_position( Lock CHAR(1) NOT NULL DEFAULT 'X' UNIQUE, stream_ordering BIGINT, CHECK (Lock='X') );
-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/full_schemas/72/full.sql.sqlite:99
CREATE TABLE event_push_summary_stream_ordering ( Lock CHAR(1) NOT NULL DEFAULT 'X' UNIQUE, stream_ordering BIGINT NOT NULL, CHECK (Lock='X') );
-- source: matrix-org/synapse@be65a8ec0195:synapse/storage/schema/main/full_schemas/72/full.sql.sqlite:106
CREATE TABLE user_directory_stream_pos ( Lock CHAR(1) NOT NULL DEFAULT 'X' UNIQUE, stream_id BIGINT, CHECK (Lock='X') );
