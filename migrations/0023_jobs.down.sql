-- Drops the jobs table of 0023.
DROP TABLE jobs;
