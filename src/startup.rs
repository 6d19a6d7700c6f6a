//! Builds the application from `Settings`: database, migrations, master key,
//! signing keys, password hasher. The HTTP side lives in `http::server`.

use std::{sync::Arc, time::Duration};

use crate::app::AppState;
use crate::clock::Clock;
use crate::config::{DatabaseUrl, Settings};
use crate::crypto::{
    KeyPolicy, KeyStore, KeyStoreError, MasterKey,
    password::{HashLimiter, PasswordHasher},
};
use crate::db::{self, Db, DbError, SchemaState};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Database(DbError),
    #[error("master key: {0}")]
    MasterKey(#[from] crate::crypto::MasterKeyError),
    #[error("signing keys: {0}")]
    Keys(#[from] KeyStoreError),
    #[error("password hasher: {0}")]
    Passwords(#[from] crate::crypto::password::PasswordError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the built-in password deny-list is empty or broken; rebuild the binary")]
    DenyList,
    /// An administrative command found no set-up database where it looked.
    #[error("{0}")]
    NotSetUp(String),
}

impl From<DbError> for StartupError {
    fn from(error: DbError) -> Self {
        StartupError::Database(error)
    }
}

/// Opens the pool and applies migrations.
pub fn connect_database(settings: &Settings) -> Result<Db, StartupError> {
    let url = settings.database_url()?;
    let db = Db::connect(
        &url,
        settings.database.pool_size,
        Duration::from_secs(settings.database.connect_timeout_secs),
    )?;
    let applied = db.run_blocking(db::run_migrations)?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    Ok(db)
}

/// Opens the pool on a database that `serve` or `migrate` has already set
/// up, for the administrative commands: they never create a database or
/// change its schema, so one run from the wrong directory (or with the
/// wrong URL) says so instead of working on a new, empty database the
/// server never sees.
pub fn connect_existing_database(settings: &Settings) -> Result<Db, StartupError> {
    let url = settings.database_url()?;
    let shown = url.describe();
    let advice = "run `gatehouse migrate` (or `gatehouse serve`) first, or point --config, \
                  GATEHOUSE_DATA_DIR or GATEHOUSE_DATABASE_URL at the server's database";
    if let DatabaseUrl::Sqlite(path) = &url
        && !path.exists()
    {
        return Err(StartupError::NotSetUp(format!(
            "no database at {shown}: {advice}"
        )));
    }
    let db = Db::connect(
        &url,
        settings.database.pool_size,
        Duration::from_secs(settings.database.connect_timeout_secs),
    )?;
    match db.run_blocking(db::schema_state)? {
        SchemaState::Empty => Err(StartupError::NotSetUp(format!(
            "the database {shown} has no Gatehouse tables: {advice}"
        ))),
        SchemaState::Pending(0) => Ok(db),
        SchemaState::Pending(pending) => Err(StartupError::NotSetUp(format!(
            "the database {shown} needs {pending} migration(s) this version brings: \
             run `gatehouse migrate` first"
        ))),
    }
}

/// For the administrative commands: the master key must already exist (set,
/// or as `master.key` in the data directory). Creating one would leave a
/// key that opens none of the stored signing keys.
pub fn require_master_key(settings: &Settings) -> Result<(), StartupError> {
    let file = settings.data_dir.join("master.key");
    if settings.master_key.expose().is_empty() && !file.exists() {
        let shown = std::path::absolute(&file).unwrap_or(file);
        return Err(StartupError::NotSetUp(format!(
            "no master key at {}: run this where the server runs, or point --config, \
             GATEHOUSE_DATA_DIR or GATEHOUSE_MASTER_KEY at the server's key",
            shown.display()
        )));
    }
    Ok(())
}

pub fn master_key(settings: &Settings) -> Result<MasterKey, StartupError> {
    let configured = settings.master_key.expose();
    Ok(if configured.is_empty() {
        MasterKey::load_or_create_file(&settings.data_dir)?
    } else {
        MasterKey::from_base64(configured)?
    })
}

pub fn key_policy(settings: &Settings) -> KeyPolicy {
    let tokens = &settings.tokens;
    KeyPolicy {
        publish_ahead_secs: i64::try_from(settings.keys.jwks_max_age_secs).unwrap_or(i64::MAX),
        retain_after_retire_secs: tokens
            .access_token_ttl_secs
            .max(tokens.id_token_ttl_secs)
            .max(tokens.authorization_code_ttl_secs),
    }
}

/// Database, keys and hasher, ready to serve or to run a CLI command.
pub fn build_state(settings: Settings, clock: Arc<dyn Clock>) -> Result<AppState, StartupError> {
    let db = connect_database(&settings)?;
    build_state_on(db, settings, clock)
}

/// [`build_state`] on a database already opened (for the administrative
/// commands, by [`connect_existing_database`]).
pub fn build_state_on(
    db: Db,
    settings: Settings,
    clock: Arc<dyn Clock>,
) -> Result<AppState, StartupError> {
    crate::crypto::install_jwt_provider();
    // Read once: the key store unseals signing keys with it, the refresh
    // grant seals successors with it.
    let master = Arc::new(master_key(&settings)?);
    let policy = key_policy(&settings);
    let now = clock.now();
    // Nodes starting together on a new database would each create a first
    // key per algorithm; under the lock the first creates them and the
    // others load them.
    let keys = db.transaction_blocking(|conn| {
        db::advisory::lock_for_transaction(conn, db::advisory::Lock::InitialKeys)?;
        KeyStore::load(conn, master.clone(), policy, now)
    })?;
    // Decoded now rather than at the first new password: a server must not
    // accept passwords without its deny-list.
    if crate::accounts::password_policy::deny_list::entries() == 0 {
        return Err(StartupError::DenyList);
    }
    let passwords = PasswordHasher::new(&settings.passwords)?;
    let hash_limiter = HashLimiter::new(&settings.passwords);
    let passkeys = crate::accounts::passkeys::Passkeys::from_settings(&settings);
    Ok(AppState {
        passkeys,
        settings: Arc::new(settings),
        db,
        keys: Arc::new(keys),
        passwords: Arc::new(passwords),
        hash_limiter: Arc::new(hash_limiter),
        sealer: master,
        clock,
        backchannel_wake: Arc::new(tokio::sync::Notify::new()),
        caches: Arc::new(crate::cache::Caches::default()),
        audit: Arc::new(crate::audit::AuditQueue::default()),
    })
}
