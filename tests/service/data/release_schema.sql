-- The service's tables as the release before migrations created them (Base.metadata.create_all on SQLite).
-- Captured from that code's sqlite_master; the migration test fills them and upgrades.
CREATE TABLE api_keys (
	id VARCHAR(40) NOT NULL, 
	owner VARCHAR(100) NOT NULL, 
	key_hash VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (key_hash)
);
CREATE INDEX ix_api_keys_owner ON api_keys (owner);
CREATE TABLE recordings (
	id VARCHAR(40) NOT NULL, 
	owner VARCHAR(100) NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	size_bytes INTEGER NOT NULL, 
	duration_s DOUBLE, 
	idempotency_key VARCHAR(200), 
	created_at DATETIME NOT NULL, 
	audio_deleted_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (owner, idempotency_key)
);
CREATE INDEX ix_recordings_owner ON recordings (owner);
CREATE TABLE audit_events (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	owner VARCHAR(100), 
	action VARCHAR(60) NOT NULL, 
	resource_type VARCHAR(20), 
	resource_id VARCHAR(40), 
	client VARCHAR(64), 
	outcome INTEGER, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_audit_events_at ON audit_events (at);
CREATE TABLE jobs (
	id VARCHAR(40) NOT NULL, 
	owner VARCHAR(100) NOT NULL, 
	recording_id VARCHAR(40) NOT NULL, 
	state VARCHAR(20) NOT NULL, 
	stage VARCHAR(40), 
	percent INTEGER NOT NULL, 
	options JSON NOT NULL, 
	attempts INTEGER NOT NULL, 
	error_code VARCHAR(60), 
	error_message VARCHAR(500), 
	cancel_requested BOOLEAN NOT NULL, 
	worker VARCHAR(40), 
	created_at DATETIME NOT NULL, 
	started_at DATETIME, 
	finished_at DATETIME, 
	heartbeat_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(recording_id) REFERENCES recordings (id)
);
CREATE INDEX ix_jobs_recording_id ON jobs (recording_id);
CREATE INDEX ix_jobs_state ON jobs (state);
CREATE INDEX ix_jobs_owner ON jobs (owner);
