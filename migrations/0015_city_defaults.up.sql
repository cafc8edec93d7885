-- Each city records the park-coverage caliber its figures are given under when a request
-- names none (issue 18: one answer per question). The API, the CLI, the web map and the
-- reports all read it; the caliber's own default method completes it (internal/caliber).
-- The id is checked for its form only: calibers are data of the running process (the
-- built-in ones and caliber_definitions), so an unknown id is refused when it is used, with
-- a 400 naming the caliber.
--
-- The column default is GB/T 50563-2010 (the 城市体检 / 园林城市 evaluation caliber), which
-- every city had before this migration. Baotou's is GB/T 51346-2019: its 2025–2030 action
-- plan sets park service-radius coverage of 100 % by 2030, a planning target, and the
-- planning standard GB/T 51346 is the one whose targets run to 100 % (new districts);
-- docs/coverage.md gives the reasoning. The demo seed writes it for Baotou too.
ALTER TABLE cities
    ADD COLUMN default_caliber text NOT NULL DEFAULT 'gbt50563-2010',
    ADD CONSTRAINT cities_default_caliber_format CHECK (default_caliber ~ '^[a-z][a-z0-9._-]{1,62}$');

UPDATE cities SET default_caliber = 'gbt51346-2019' WHERE slug = 'baotou';
