-- Foundation: helpers every later table uses.

-- `updated_at` is kept current by the database, not by each query that touches a row:
--   CREATE TRIGGER <table>_set_updated_at BEFORE UPDATE ON <table>
--       FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
