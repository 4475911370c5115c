-- Matching sign-ups to invitations of the same company by a normalised e-mail pattern: LIKE is not
-- hashable, so the hash join on the domain evaluates two regular expressions for every pair of
-- the same domain in its Join Filter, where all the time goes. A normalised column joined with =
-- would let the hash join do the matching.
CREATE TABLE invitations (id bigint PRIMARY KEY, email text NOT NULL, domain text NOT NULL);
CREATE TABLE signups (id bigint PRIMARY KEY, email text NOT NULL, domain text NOT NULL);
INSERT INTO invitations SELECT g, 'Person.' || g || '@Corp' || (g % 50) || '.example', 'corp' || (g % 50) FROM generate_series(1, 5000) g;
INSERT INTO signups SELECT g, 'person.' || (g * 3) || '@corp' || ((g * 3) % 50) || '.example', 'corp' || ((g * 3) % 50) FROM generate_series(1, 5000) g;
ANALYZE invitations, signups;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- explain
SELECT count(*) FROM signups s JOIN invitations i ON i.domain = s.domain
 WHERE regexp_replace(lower(i.email), '[^a-z0-9@.]', '', 'g') LIKE regexp_replace(lower(s.email), '[^a-z0-9@.]', '', 'g');
