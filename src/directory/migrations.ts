/**
 * Directory schema migrations, in order. Never edit a released entry: append a new one.
 * JSON columns hold arrays/objects as text; booleans are 0/1.
 */
export const DIRECTORY_MIGRATIONS: readonly string[] = [
  // 1: provisioning entities of spec §17.1
  `
  CREATE TABLE partitions (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
  );
  CREATE TABLE css (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
  );
  CREATE TABLE css_partitions (
    css TEXT NOT NULL REFERENCES css(name) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    partition TEXT NOT NULL REFERENCES partitions(name),
    PRIMARY KEY (css, ord),
    UNIQUE (css, partition)
  );
  CREATE INDEX css_partitions_partition ON css_partitions(partition);

  CREATE TABLE lines (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    partition TEXT NOT NULL REFERENCES partitions(name),
    line_css TEXT REFERENCES css(name),
    did TEXT,
    display_name TEXT NOT NULL DEFAULT '',
    no_answer_ring_duration_s INTEGER,
    call_forward_all TEXT,
    call_forward_busy TEXT,
    call_forward_no_answer TEXT,
    voicemail_pilot TEXT,
    UNIQUE (number, partition)
  );
  CREATE INDEX lines_number ON lines(number);
  CREATE INDEX lines_did ON lines(did);

  CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    mva_numeric_id TEXT UNIQUE,
    pin_hash TEXT,
    enable_mobility INTEGER NOT NULL DEFAULT 0,
    enable_mobile_voice_access INTEGER NOT NULL DEFAULT 0,
    max_wait_time_for_desk_pickup_ms INTEGER NOT NULL DEFAULT 10000,
    primary_line TEXT REFERENCES lines(id) ON DELETE SET NULL,
    time_zone TEXT NOT NULL DEFAULT 'UTC'
  );

  CREATE TABLE mobility_profiles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    dvo_r_callback_caller_id TEXT,
    mobile_client_calling_option TEXT
  );

  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('desk', 'mobileClient')),
    owner_user TEXT REFERENCES users(user_id) ON DELETE SET NULL,
    sip_username TEXT UNIQUE,
    aor TEXT UNIQUE,
    css TEXT REFERENCES css(name),
    reroute_css TEXT REFERENCES css(name),
    device_pool TEXT,
    user_hold_audio_source TEXT,
    network_hold_audio_source TEXT,
    capabilities TEXT,
    video_capable INTEGER NOT NULL DEFAULT 0,
    dnd_enabled INTEGER NOT NULL DEFAULT 0,
    has_cellular_radio INTEGER NOT NULL DEFAULT 1,
    dvo_enabled INTEGER NOT NULL DEFAULT 0,
    dvo_forward_capable INTEGER NOT NULL DEFAULT 0,
    transfer_to_mobile_network TEXT NOT NULL DEFAULT 'useMobilitySoftkey',
    emergency_numbers TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX devices_owner ON devices(owner_user);

  CREATE TABLE device_lines (
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    line_id TEXT NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    PRIMARY KEY (device_id, line_id)
  );
  CREATE INDEX device_lines_line ON device_lines(line_id);

  -- Digest secrets as HA1 per realm (RFC 7616: MD5 and SHA-256); plaintext is never stored.
  CREATE TABLE sip_credentials (
    username TEXT NOT NULL,
    realm TEXT NOT NULL,
    ha1_md5 TEXT NOT NULL,
    ha1_sha256 TEXT NOT NULL,
    device_id TEXT REFERENCES devices(id) ON DELETE CASCADE,
    PRIMARY KEY (username, realm)
  );

  CREATE TABLE rd_profiles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner_user TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    css TEXT REFERENCES css(name),
    reroute_css TEXT REFERENCES css(name),
    device_pool TEXT,
    user_hold_audio_source TEXT,
    network_hold_audio_source TEXT,
    dnd_enabled INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX rd_profiles_owner ON rd_profiles(owner_user);
  CREATE TABLE rd_profile_lines (
    profile_id TEXT NOT NULL REFERENCES rd_profiles(id) ON DELETE CASCADE,
    line_id TEXT NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    PRIMARY KEY (profile_id, line_id)
  );

  CREATE TABLE access_lists (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner_user TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    type TEXT NOT NULL CHECK (type IN ('allowed', 'blocked'))
  );
  CREATE TABLE access_list_members (
    list_id TEXT NOT NULL REFERENCES access_lists(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('number', 'mask', 'notAvailable', 'private')),
    value TEXT,
    PRIMARY KEY (list_id, ord)
  );

  CREATE TABLE ring_schedules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner_user TEXT REFERENCES users(user_id) ON DELETE CASCADE,
    entries TEXT NOT NULL DEFAULT '[]'
  );

  CREATE TABLE remote_destinations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL,
    number_norm TEXT NOT NULL UNIQUE,
    is_mobility_identity INTEGER NOT NULL DEFAULT 0,
    rd_profile_id TEXT REFERENCES rd_profiles(id) ON DELETE CASCADE,
    device_id TEXT REFERENCES devices(id) ON DELETE CASCADE,
    mobility_profile TEXT REFERENCES mobility_profiles(id),
    owner_user TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    enable_snr INTEGER NOT NULL DEFAULT 1,
    mobile_phone INTEGER NOT NULL DEFAULT 0,
    delay_before_ringing_ms INTEGER NOT NULL,
    answer_too_soon_ms INTEGER NOT NULL,
    answer_too_late_ms INTEGER NOT NULL,
    snr_voicemail_policy TEXT NOT NULL DEFAULT 'useSystemDefault',
    ring_schedule TEXT REFERENCES ring_schedules(id),
    access_policy TEXT NOT NULL DEFAULT 'always' CHECK (access_policy IN ('always', 'allowedList', 'blockedList')),
    access_list TEXT REFERENCES access_lists(id),
    CHECK ((rd_profile_id IS NULL) <> (device_id IS NULL))
  );
  CREATE INDEX remote_destinations_owner ON remote_destinations(owner_user);
  CREATE INDEX remote_destinations_device ON remote_destinations(device_id);
  CREATE INDEX remote_destinations_profile ON remote_destinations(rd_profile_id);

  CREATE TABLE trunks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    peer_host TEXT NOT NULL,
    port INTEGER NOT NULL,
    transport TEXT NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),
    trusted INTEGER NOT NULL DEFAULT 0,
    inbound_css TEXT REFERENCES css(name),
    inbound_rules TEXT NOT NULL DEFAULT '[]',
    outbound_rules TEXT NOT NULL DEFAULT '[]',
    dtmf_mode TEXT NOT NULL DEFAULT '["rfc4733"]',
    send_diversion_on_mobility_forks INTEGER NOT NULL DEFAULT 0,
    mobility_fork_calling_identity TEXT NOT NULL DEFAULT 'original',
    answer_supervision INTEGER NOT NULL DEFAULT 1,
    max_concurrent_calls INTEGER,
    media_relay TEXT NOT NULL DEFAULT 'whenNeeded',
    registration TEXT,
    auth TEXT,
    alternates TEXT NOT NULL DEFAULT '[]'
  );

  CREATE TABLE route_patterns (
    id TEXT PRIMARY KEY,
    partition TEXT NOT NULL REFERENCES partitions(name),
    pattern TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('trunk', 'line', 'feature')),
    target_id TEXT NOT NULL,
    target_arg TEXT,
    strip_pre_dot INTEGER NOT NULL DEFAULT 0,
    prefix TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (partition, pattern)
  );

  CREATE TABLE directed_parks (
    id TEXT PRIMARY KEY,
    first_number TEXT NOT NULL,
    last_number TEXT NOT NULL,
    retrieval_prefix TEXT NOT NULL,
    partition TEXT NOT NULL REFERENCES partitions(name),
    reversion_timeout_s INTEGER NOT NULL DEFAULT 0
  );

  -- Overrides of the config's mobility parameters (key → JSON value).
  CREATE TABLE service_parameters (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
];
