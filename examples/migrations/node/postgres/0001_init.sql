-- The regional node's schema (PostgreSQL). The SQLite schema is the same with its types.
-- Identities are stored only as keyed pseudonyms (subject_phone, subject_uid): no column or
-- index holds a raw phone number or user id outside the item's own JSON.

-- One row per stored item, oldest first by id.
CREATE TABLE items (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item_key      BYTEA NOT NULL UNIQUE,      -- residency-delivery ItemKey (16 bytes)
  item_id       TEXT,                      -- wamid / call id / WASender key id, as routed
  kind          TEXT NOT NULL,
  status        TEXT,
  country       TEXT,
  region        TEXT NOT NULL,
  masked        BIGINT NOT NULL,          -- 1: a masked copy of another region's item
  provider      TEXT NOT NULL,
  message_type  TEXT,
  subject_phone TEXT,                      -- pseudonym of the party's phone
  subject_uid   TEXT,                      -- pseudonym of the party's user id or LID
  received_at   BIGINT NOT NULL,          -- ms
  json          TEXT NOT NULL              -- the item's own JSON object
);
CREATE INDEX items_subject_phone ON items (subject_phone);
CREATE INDEX items_subject_uid ON items (subject_uid);
CREATE INDEX items_received_at ON items (received_at);
CREATE INDEX items_item_id ON items (item_id);

-- Idempotency keys: residency-delivery's reserve / commit / release protocol.
CREATE TABLE dedupe (
  key       BYTEA PRIMARY KEY,
  state     TEXT NOT NULL,
  token     BIGINT NOT NULL,
  expires   BIGINT,
  committed BIGINT
);
CREATE INDEX dedupe_committed ON dedupe (committed);

-- The transactional outbox of the archive worker, written with the items.
CREATE TABLE outbox (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item        BIGINT NOT NULL,
  task        TEXT NOT NULL,               -- 'cloud_media' | 'wasender_media' | 'template'
  attempts    BIGINT NOT NULL DEFAULT 0,
  next_at     BIGINT NOT NULL,            -- ms
  lease_until BIGINT NOT NULL DEFAULT 0,  -- ms
  failed      BIGINT NOT NULL DEFAULT 0,
  last_error  TEXT
);
CREATE INDEX outbox_due ON outbox (failed, next_at);

-- Dead letters of this region (residency-delivery DeadLetter JSON lines).
CREATE TABLE dead_letters (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  digest      BYTEA NOT NULL UNIQUE,        -- SHA-256 of received_at and body: redeliveries store once
  line        TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  stored_at   BIGINT NOT NULL
);

-- The archive log: one row per Merkle leaf (archive records and tombstones).
CREATE TABLE log_leaves (
  idx           BIGINT PRIMARY KEY,       -- leaf index, from 0, without gaps
  leaf_hash     BYTEA NOT NULL,
  kind          TEXT NOT NULL,             -- 'record' | 'tombstone'
  item          BIGINT,                   -- items.id of the record's item (while it exists)
  message_id    TEXT,                      -- the record's message id (a pseudonym)
  object_key    TEXT,                      -- where the bytes live ('' when none were kept)
  subject_phone TEXT,
  subject_uid   TEXT,
  verification  TEXT,
  archived_at   BIGINT NOT NULL,          -- s
  erased        BIGINT NOT NULL DEFAULT 0,-- 1: object and data deleted (a tombstone says why)
  data          TEXT                       -- the record's or tombstone's JSON (its hash is the leaf data)
);
CREATE INDEX log_leaves_subject_phone ON log_leaves (subject_phone);
CREATE INDEX log_leaves_subject_uid ON log_leaves (subject_uid);
CREATE INDEX log_leaves_message_id ON log_leaves (message_id);
CREATE INDEX log_leaves_item ON log_leaves (item);

-- Signed tree heads, one per log size.
CREATE TABLE tree_heads (
  size      BIGINT PRIMARY KEY,
  head      TEXT NOT NULL                  -- the signed head as JSON
);

-- One row whose update serializes appends to the log across connections and nodes.
CREATE TABLE log_lock (
  id BIGINT PRIMARY KEY,
  n  BIGINT NOT NULL
);
INSERT INTO log_lock (id, n) VALUES (1, 0);
