-- A run's replays, for POST /v1/runs/:id/replay {once: true} (is there one already?) without reading every run.
CREATE INDEX runs_replay_of_idx ON runs (replay_of) WHERE replay_of IS NOT NULL;
