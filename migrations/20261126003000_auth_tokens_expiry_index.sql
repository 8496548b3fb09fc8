-- The periodic housekeeping deletes tokens that expired more than a day ago
-- (`DELETE FROM auth_tokens WHERE expires_at < now() - interval '1 day'`); this index keeps that
-- from scanning the whole table.
CREATE INDEX auth_tokens_expires_at_idx ON auth_tokens (expires_at);
