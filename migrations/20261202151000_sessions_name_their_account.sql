-- The account a signed-in session belongs to, so that loading a session loads its account in the
-- same statement (a join on `users`) instead of a second round trip. Written from the session's
-- data whenever the row is; NULL for anonymous sessions and for rows last written before this
-- column existed (those look their account up on their own until their next save, which a
-- session in use makes within a minute). No foreign key: a session whose account is gone finds
-- no row to join, and is ended by the request that finds it so.
ALTER TABLE tower_sessions.session ADD COLUMN user_id uuid;
