-- The age tables report their edits like every other input of the indicators (issue 22
-- leftover; docs/capacity.md, "The cache").
--
-- The walking service and park coverage learn which input tables were edited from the
-- tile service's listener (NOTIFY cityreach_tiles, migration 0006) and, on a server that
-- reads a replica, from the replicated change log tile_changes (migration 0022): a kept
-- data version is read again only for the tables whose count moved. The age tables of
-- migration 0020 had no such trigger, so the capacity indicator read their version on
-- every request. They get facility_categories' whole-layer trigger (migration 0009, with
-- 0022's log): one change row and one notification per edit statement, delivered on
-- commit, replayed by every replica with the edit. No tile layer depends on them, so the
-- tile caches and the tile store evict nothing; the count of the table moves.
--
-- An import (cityreach import ages, or the API) is one INSERT … ON CONFLICT DO UPDATE
-- statement: its INSERT and UPDATE statement triggers both fire. The cascades of a
-- community's delete and of an age band's delete or renamed code fire
-- community_age_population's triggers too.
CREATE TRIGGER zz_tiles_all AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON age_bands
    FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tiles_notify_all();
CREATE TRIGGER zz_tiles_all AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON community_age_population
    FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tiles_notify_all();
