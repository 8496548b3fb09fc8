-- The day each piece of nightly work (the seat and usage reconciliations) last completed, so a
-- replica started later that day — a deploy, a restart — does not do it again, and a night
-- whose run failed is tried again at the next check.
CREATE TABLE nightly_runs (
    work text PRIMARY KEY,
    completed_on date NOT NULL
);
