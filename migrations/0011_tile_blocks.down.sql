DO $$
DECLARE l text;
BEGIN
    FOR l IN SELECT layer FROM tile_block_specs LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS zz_blocks_ins ON %I', l);
        EXECUTE format('DROP TRIGGER IF EXISTS zz_blocks_upd ON %I', l);
        EXECUTE format('DROP TRIGGER IF EXISTS zz_blocks_del ON %I', l);
        EXECUTE format('DROP TRIGGER IF EXISTS zz_blocks_trunc ON %I', l);
    END LOOP;
END $$;
DROP FUNCTION IF EXISTS cityreach_tile_blocks_refresh_all(text);
DROP FUNCTION IF EXISTS cityreach_tile_blocks_track(text, text[], text[], float8, float8);
DROP FUNCTION IF EXISTS cityreach_tile_blocks(text, integer, integer, integer, integer);
DROP FUNCTION IF EXISTS cityreach_tile_blocks_refresh(text, int, int, int, int);
DROP FUNCTION IF EXISTS cityreach_tile_blocks_touch();
DROP FUNCTION IF EXISTS cityreach_tile_blocks_mark(text, integer[], box2d[]);
DROP FUNCTION IF EXISTS cityreach_cell_size();
DROP TABLE IF EXISTS tile_blocks_dirty, tile_blocks, tile_block_specs;
