DROP TABLE IF EXISTS scenario_changes, scenarios;
