-- Accounts: the people who sign in, the single-use tokens mailed to them, their sessions, and
-- (in development) the mail we would have sent them.

-- One row per account. Emails are stored normalised (trimmed, lower-case), which the CHECK
-- enforces, so the UNIQUE constraint makes them unique case-insensitively; the application maps
-- `users_email_key` to "an account with this email already exists".
CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    -- Optional; shown in the header instead of the email when set.
    display_name  text,
    -- Argon2id PHC string ($argon2id$v=19$m=19456,t=2,p=1$…). Never leaves the backend crate.
    password_hash text NOT NULL,
    -- Sessions remember the epoch they were created under; bumping it ends every session of the
    -- account at once ("sign out everywhere", password reset, password change).
    session_epoch integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email))),
    CONSTRAINT users_display_name_length CHECK (char_length(display_name) BETWEEN 1 AND 80)
);

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Single-use, expiring tokens sent by email. Only the SHA-256 of the token is stored, so a
-- leaked table cannot be used to reset anyone's password.
CREATE TABLE auth_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL,
    -- The address being confirmed, for `email_change` tokens.
    new_email  text,
    expires_at timestamptz NOT NULL,
    -- Set when the token is redeemed; a used token is never accepted again.
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT auth_tokens_purpose_known CHECK (purpose IN ('password_reset', 'email_change')),
    CONSTRAINT auth_tokens_email_change_has_address
        CHECK ((purpose = 'email_change') = (new_email IS NOT NULL))
);

CREATE INDEX auth_tokens_user_id_idx ON auth_tokens (user_id);

-- Sessions, in the shape tower-sessions' PostgresStore expects (schema and table names are its
-- defaults). `data` is the MessagePack-encoded session record; expired rows are deleted by a
-- periodic task in the server.
CREATE SCHEMA IF NOT EXISTS tower_sessions;

CREATE TABLE tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);

CREATE INDEX session_expiry_date_idx ON tower_sessions.session (expiry_date);

-- The development outbox: with no SMTP_URL configured, mail is written here instead of sent, and
-- shown at /dev/mailbox when DEV_MODE is on. Production (SMTP) never writes to it.
CREATE TABLE dev_outbox (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_address text NOT NULL,
    subject    text NOT NULL,
    text_body  text NOT NULL,
    html_body  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
