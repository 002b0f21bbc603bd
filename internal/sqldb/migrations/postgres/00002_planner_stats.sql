-- +goose Up
-- Baseline: no release before PostgreSQL support ever ran on PostgreSQL, so
-- every database reaches version 4 by creation (lamindb's schema, then
-- schema/lamin-postgresql.sql, stamped), never through this step. It exists
-- so that both dialects number their migrations alike.
SELECT 1;

-- +goose Down
SELECT 1;
