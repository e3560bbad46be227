-- Pre-fills a ketenhub SQLite store with @N@ synthetic documents, one record
-- and one canonical event each, and one person per four documents, for the
-- store-growth benchmark (bench/run.sh). Run it on a store the hub has just
-- created (so the schema is the hub's own, hub/store/sqlite_store.cpp
-- migrations 1 to 5); bench/run.sh replaces @N@.
--
-- Sizes follow what the hub stores for a 2 KB COA document: a 2 KB body, a
-- ~330-byte receipt, a ~1.45 KB event body. Keys are random UUIDs like the
-- real ones, so the unique indexes grow the way they do in production.
PRAGMA synchronous = OFF;
PRAGMA cache_size = -524288;
PRAGMA temp_store = MEMORY;
BEGIN;
CREATE TEMP TABLE g AS
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @N@)
  SELECT i, lower(hex(randomblob(16))) AS r, lower(hex(randomblob(16))) AS k FROM n;
CREATE TEMP TABLE u AS
  SELECT i,
         substr(r, 1, 8) || '-' || substr(r, 9, 4) || '-4' || substr(r, 14, 3) || '-8' || substr(r, 18, 3) || '-' || substr(r, 21, 12) AS receipt_id,
         substr(k, 1, 8) || '-' || substr(k, 9, 4) || '-4' || substr(k, 14, 3) || '-8' || substr(k, 18, 3) || '-' || substr(k, 21, 12) AS message_id,
         CASE i % 2 WHEN 0 THEN 'HelpdeskVraag' ELSE 'Doorverwijzing' END AS document_type,
         CASE i % 2 WHEN 0 THEN 'helpdesk_question' ELSE 'referral' END AS event_type,
         strftime('%Y-%m-%dT%H:%M:%fZ', '2020-01-01', printf('+%d seconds', i * 60)) AS received_at,
         date('2010-01-01', printf('+%d days', i % 5475)) AS event_date,
         1 + (i % ((@N@ + 3) / 4)) AS person_id
  FROM g;

INSERT INTO persons (id, hub_id, v_number, family_name, given_names, birth_date, birth_precision, sex, nationality,
                     country_of_return, name_key, match_country, created_at)
SELECT i, printf('KH-%06d', i), printf('%010d', 3000000000 + i), 'Synthetisch' || i, 'Persoon',
       date('1950-01-01', printf('+%d days', i % 20000)), 'day', CASE i % 2 WHEN 0 THEN 'M' ELSE 'V' END, 'GE', 'GE',
       printf('persoon synthetisch%d', i), 'GE', '2020-01-01T00:00:00.000Z'
FROM g WHERE i <= (@N@ + 3) / 4;

INSERT INTO person_ids (scheme, value, person_id)
SELECT 'coa', printf('%08d', 50000000 + i), i FROM g WHERE i <= (@N@ + 3) / 4;

INSERT INTO documents (id, receipt_id, partner, document_key, message_id, document_type, content_type, body_sha256, body,
                       received_at, peer_identity, receipt)
SELECT i, receipt_id, 'coa', message_id, message_id, document_type, 'application/xml', lower(hex(randomblob(32))),
       CAST(replace(hex(zeroblob(1024)), '0', 'x') AS BLOB), received_at,
       'CN=coa,OU=Partners,O=Ketenhub Development sha256:1ad6459f668b8163087801408e38620892c7354246c471cb407e7d74691c4f30',
       printf('{"document_type":"%s","message_id":"%s","partner":"coa","receipt_id":"%s","received_at":"%s","records":[{"events":1,"line":3,"outcome":"accepted","record_id":"%s"}],"status":"accepted"}',
              document_type, message_id, receipt_id, received_at, message_id)
FROM u;

INSERT INTO records (partner, record_id, document_id, outcome)
SELECT 'coa', message_id, i, 'accepted' FROM u;

INSERT INTO events (seq, document_id, partner, record_id, event_type, event_date, snapshot_scope, body, person_id)
SELECT i, i, 'coa', message_id, event_type, event_date, NULL,
       printf('{"event_date":"%s","fields":{"text":{"sensitivity":"special-category","value":"%s"}},"person":{"partner_ids":[{"scheme":"coa","value":"%08d"}],"v_number":"%010d"},"source":{"document_type":"%s","line":3,"message_id":"%s","partner":"coa","record_id":"%s"},"type":"%s"}',
              event_date, replace(hex(zeroblob(540)), '0', 'y'), 50000000 + person_id, 3000000000 + person_id,
              document_type, message_id, message_id, event_type),
       person_id
FROM u;
-- The synthetic history is routed already: the hub's routing step (which
-- starts after the last routed event) works on the benchmark's own documents.
INSERT OR REPLACE INTO cursors (name, seq, updated_at) VALUES ('routing', @N@, '2020-01-01T00:00:00.000Z');
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
