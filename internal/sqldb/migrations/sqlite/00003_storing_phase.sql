-- +goose Up
-- A folder save that replaces the store of its family records when it begins to
-- publish (phase 1), so that a repair tells "never began" (the store is the old
-- version's: keep it) from "cut off while moving the new tree in", and which head
-- it demoted, so that undoing it gives is_latest back to exactly that version.
ALTER TABLE lamin_storing ADD COLUMN phase integer NOT NULL DEFAULT 0;
ALTER TABLE lamin_storing ADD COLUMN demoted_id integer NULL;

-- +goose Down
ALTER TABLE lamin_storing DROP COLUMN demoted_id;
ALTER TABLE lamin_storing DROP COLUMN phase;
