// Tests whose endpoints `cityreach serve` does not offer yet. They still run: a failure
// counts as skipped ("pending"), a pass as passed with a note to take the name out of this
// list. E2E_STRICT=1 treats the list as empty.
//
// Empty: when the map was finished, the working tree's server offered every endpoint it
// calls (tiles, features API, park coverage with gaps and sites, calibers, isochrones,
// living circle, checks), and all tests passed against it. Add a test's name here only
// while an endpoint is being rebuilt.
export const PENDING = new Set([]);
