//! Typed settings, layered: built-in `config/default.toml` → optional file →
//! environment. Validated once at start; the result is plain data passed to
//! whoever needs it (never a global).

use std::{collections::BTreeMap, fmt, net::SocketAddr, path::PathBuf};

use serde::Deserialize;
use url::Url;

use crate::crypto::SigningAlgorithm;
use crate::secret::Secret;

pub mod cidr;
pub use cidr::Cidr;

const DEFAULTS: &str = include_str!("../config/default.toml");

/// Short environment names for the settings an operator sets most often.
const ENV_ALIASES: &[(&str, &str)] = &[
    ("GATEHOUSE_DATABASE_URL", "database.url"),
    ("GATEHOUSE_ISSUER", "server.issuer"),
    ("GATEHOUSE_LISTEN", "server.listen"),
    ("GATEHOUSE_METRICS_LISTEN", "server.metrics_listen"),
    ("GATEHOUSE_DATA_DIR", "data_dir"),
    ("GATEHOUSE_MASTER_KEY", "master_key"),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub master_key: Secret<String>,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub tokens: TokenSettings,
    pub keys: KeySettings,
    pub housekeeping: HousekeepingSettings,
    pub backchannel: BackchannelSettings,
    pub sessions: SessionSettings,
    pub authorize: AuthorizeSettings,
    pub login: LoginSettings,
    pub passwords: PasswordSettings,
    pub webauthn: WebauthnSettings,
    pub password_policy: PasswordPolicy,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub issuer: String,
    pub listen: String,
    pub metrics_listen: String,
    pub workers: usize,
    /// Peers whose forwarding header is believed (see `http::client_ip`).
    pub trusted_proxies: Vec<Cidr>,
    pub client_ip_header: ClientIpHeader,
}

/// Which header a trusted proxy writes the client's address into. Only one
/// is read: a client can send either, and only the proxy's own is honest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientIpHeader {
    XForwardedFor,
    Forwarded,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: Secret<String>,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub access_token_ttl_secs: i64,
    pub id_token_ttl_secs: i64,
    pub authorization_code_ttl_secs: i64,
    pub refresh_token_idle_ttl_secs: i64,
    pub refresh_token_absolute_ttl_secs: i64,
    pub refresh_token_reuse_grace_secs: i64,
    pub access_token_alg: SigningAlgorithm,
    pub id_token_alg: SigningAlgorithm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    pub jwks_max_age_secs: u64,
    pub rotation_interval_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HousekeepingSettings {
    pub interval_secs: u64,
    pub batch_size: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackchannelSettings {
    pub max_attempts: i32,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub idle_timeout_secs: i64,
    pub absolute_timeout_secs: i64,
}

/// Bounds on sign-in requests waiting for a person (`/authorize`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeSettings {
    pub max_pending_per_browser: i64,
    pub max_pending_per_ip: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSettings {
    pub pair_failures_before_delay: i64,
    pub ip_failures_before_delay: i64,
    pub account_failures_before_delay: i64,
    pub base_delay_secs: i64,
    pub max_delay_secs: i64,
    pub account_max_delay_secs: i64,
    pub failure_window_secs: i64,
    pub account_failure_window_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashes computed at once; 0 means one per CPU core.
    pub max_concurrent_hashes: usize,
    /// How long a request waits for a free slot before a 503.
    pub hash_queue_timeout_ms: u64,
}

/// Passkeys (WebAuthn): the relying party that credentials are bound to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebauthnSettings {
    /// Empty: the issuer's host. Otherwise that host or a parent domain of
    /// it. Credentials are bound to it for good: changing it later makes
    /// every registered passkey unusable.
    pub rp_id: String,
    /// The name authenticators show beside the account.
    pub rp_name: String,
}

/// Which new passwords are accepted (`accounts::password_policy`), after
/// NIST SP 800-63B-4: lengths in Unicode characters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicy {
    /// For people whose password is their only factor.
    pub min_length: usize,
    /// For people who also have a second factor (TOTP or a passkey).
    pub min_length_with_second_factor: usize,
    pub max_length: usize,
}

/// SP 800-63B-4 §3.1.1.2: never below 8, even beside a second factor.
pub const PASSWORD_MIN_LENGTH_FLOOR: usize = 8;
/// SP 800-63B-4 asks that at least 64 characters be allowed.
pub const PASSWORD_MAX_LENGTH_FLOOR: usize = 64;
/// At most 4 bytes a character: the hashed input stays within
/// `crypto::password::MAX_PASSWORD_BYTES`.
pub const PASSWORD_MAX_LENGTH_CEILING: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

/// A configuration problem, worded for the operator: it names the setting.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

fn err(message: impl Into<String>) -> ConfigError {
    ConfigError(message.into())
}

/// Where the database lives, decided by the URL scheme and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Url::parse(url).map_err(|e| err(format!("database.url is not a valid URL: {e}")))?;
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(err("database.url: sqlite:// needs a file path"));
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else {
            Err(err(
                "database.url must start with postgres://, postgresql:// or sqlite://",
            ))
        }
    }

    /// The database as an operator should see it: a SQLite path made
    /// absolute (so a command run from the wrong directory shows it), a
    /// PostgreSQL URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => {
                let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                format!("sqlite://{}", path.display())
            }
            Self::Postgres(url) => match Url::parse(url) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("***"));
                    }
                    parsed.to_string()
                }
                Err(_) => "postgres://(unparsable URL)".to_owned(),
            },
        }
    }
}

/// Values that command-line flags set; they win over files and environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub issuer: Option<String>,
}

impl Settings {
    /// Loads defaults, then `file`, then the process environment, then `overrides`.
    pub fn load(
        file: Option<&std::path::Path>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Self::load_from(file, &env, overrides)
    }

    pub fn load_from(
        file: Option<&std::path::Path>,
        env: &BTreeMap<String, String>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut merged: toml::Table = DEFAULTS
            .parse()
            .map_err(|e| err(format!("built-in defaults: {e}")))?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
            let table: toml::Table = text
                .parse()
                .map_err(|e| err(format!("{}: {e}", path.display())))?;
            merge_file(&mut merged, table, "", path)?;
        }
        apply_environment(&mut merged, env)?;
        let mut set = |key: &str, value: &Option<String>| {
            if let Some(value) = value {
                set_path(&mut merged, key, toml::Value::String(value.clone()));
            }
        };
        set("database.url", &overrides.database_url);
        set("server.listen", &overrides.listen);
        set("server.issuer", &overrides.issuer);

        let settings: Settings = serde_path_to_error::deserialize(toml::Value::Table(merged))
            .map_err(|e| err(format!("{}: {}", e.path(), e.inner().message())))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        validate_issuer(&self.server.issuer)?;
        self.server
            .listen
            .parse::<SocketAddr>()
            .map_err(|e| err(format!("server.listen {:?}: {e}", self.server.listen)))?;
        if !self.server.metrics_listen.is_empty() {
            self.server
                .metrics_listen
                .parse::<SocketAddr>()
                .map_err(|e| {
                    err(format!(
                        "server.metrics_listen {:?}: {e}",
                        self.server.metrics_listen
                    ))
                })?;
        }
        self.database_url()?;
        if self.database.pool_size == 0 {
            return Err(err("database.pool_size must be at least 1"));
        }
        if !self.master_key.expose().is_empty() {
            crate::crypto::MasterKey::from_base64(self.master_key.expose())
                .map_err(|e| err(format!("master_key: {e}")))?;
        }
        let positive = [
            (
                "tokens.access_token_ttl_secs",
                self.tokens.access_token_ttl_secs,
            ),
            ("tokens.id_token_ttl_secs", self.tokens.id_token_ttl_secs),
            (
                "tokens.authorization_code_ttl_secs",
                self.tokens.authorization_code_ttl_secs,
            ),
            (
                "sessions.idle_timeout_secs",
                self.sessions.idle_timeout_secs,
            ),
            (
                "authorize.max_pending_per_browser",
                self.authorize.max_pending_per_browser,
            ),
            (
                "authorize.max_pending_per_ip",
                self.authorize.max_pending_per_ip,
            ),
            (
                "sessions.absolute_timeout_secs",
                self.sessions.absolute_timeout_secs,
            ),
            ("login.base_delay_secs", self.login.base_delay_secs),
            (
                "tokens.refresh_token_idle_ttl_secs",
                self.tokens.refresh_token_idle_ttl_secs,
            ),
            (
                "tokens.refresh_token_absolute_ttl_secs",
                self.tokens.refresh_token_absolute_ttl_secs,
            ),
            ("housekeeping.batch_size", self.housekeeping.batch_size),
            ("login.failure_window_secs", self.login.failure_window_secs),
            (
                "login.account_failure_window_secs",
                self.login.account_failure_window_secs,
            ),
            (
                "login.pair_failures_before_delay",
                self.login.pair_failures_before_delay,
            ),
            (
                "login.ip_failures_before_delay",
                self.login.ip_failures_before_delay,
            ),
            (
                "login.account_failures_before_delay",
                self.login.account_failures_before_delay,
            ),
        ];
        for (name, value) in positive {
            if value <= 0 {
                return Err(err(format!("{name} must be positive")));
            }
        }
        for (name, max) in [
            ("login.max_delay_secs", self.login.max_delay_secs),
            (
                "login.account_max_delay_secs",
                self.login.account_max_delay_secs,
            ),
        ] {
            if max < self.login.base_delay_secs {
                return Err(err(format!(
                    "{name} must be at least login.base_delay_secs"
                )));
            }
        }
        crate::crypto::password::params(&self.passwords)
            .map_err(|e| err(format!("passwords: {e}")))?;
        validate_rp_id(&self.server.issuer, &self.webauthn.rp_id)?;
        validate_password_policy(&self.password_policy)?;
        if self.log.format == LogFormat::Pretty && self.log.level.trim().is_empty() {
            return Err(err("log.level must not be empty"));
        }
        Ok(())
    }

    pub fn database_url(&self) -> Result<DatabaseUrl, ConfigError> {
        let url = self.database.url.expose();
        if url.is_empty() {
            Ok(DatabaseUrl::Sqlite(self.data_dir.join("gatehouse.db")))
        } else {
            DatabaseUrl::parse(url)
        }
    }

    /// The issuer without any trailing slash (validation forbids one).
    pub fn issuer(&self) -> &str {
        &self.server.issuer
    }

    /// How authenticator apps name this installation: the issuer without
    /// its scheme ("id.example.com").
    pub fn totp_issuer(&self) -> &str {
        let issuer = self.issuer();
        issuer
            .strip_prefix("https://")
            .or_else(|| issuer.strip_prefix("http://"))
            .unwrap_or(issuer)
    }
}

fn validate_password_policy(policy: &PasswordPolicy) -> Result<(), ConfigError> {
    if policy.min_length_with_second_factor < PASSWORD_MIN_LENGTH_FLOOR {
        return Err(err(format!(
            "password_policy.min_length_with_second_factor must be at least \
             {PASSWORD_MIN_LENGTH_FLOOR} (NIST SP 800-63B-4)"
        )));
    }
    if policy.min_length < policy.min_length_with_second_factor {
        return Err(err("password_policy.min_length must be at least \
             password_policy.min_length_with_second_factor"));
    }
    if !(PASSWORD_MAX_LENGTH_FLOOR..=PASSWORD_MAX_LENGTH_CEILING).contains(&policy.max_length)
        || policy.max_length < policy.min_length
    {
        return Err(err(format!(
            "password_policy.max_length must be from {PASSWORD_MAX_LENGTH_FLOOR} to \
             {PASSWORD_MAX_LENGTH_CEILING}, and at least password_policy.min_length"
        )));
    }
    Ok(())
}

fn validate_issuer(issuer: &str) -> Result<(), ConfigError> {
    let url =
        parse_absolute_url(issuer).map_err(|e| err(format!("server.issuer {issuer:?} {e}")))?;
    if issuer.ends_with('/') {
        return Err(err(format!(
            "server.issuer {issuer:?} must not end with '/': it is compared byte for byte"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err("server.issuer must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err("server.issuer must not carry credentials"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(&url) => Ok(()),
        "http" => Err(err(format!(
            "server.issuer {issuer:?}: http is allowed only for a loopback host; use https"
        ))),
        other => Err(err(format!("server.issuer: unsupported scheme {other:?}"))),
    }
}

/// An explicit `webauthn.rp_id` must be the issuer's host or a parent
/// domain of it (WebAuthn refuses any other), so the issuer's host must be
/// a domain. An empty one (the default) is always accepted: with an
/// IP-literal issuer passkeys are then simply off.
fn validate_rp_id(issuer: &str, rp_id: &str) -> Result<(), ConfigError> {
    if rp_id.is_empty() {
        return Ok(());
    }
    let domain = Url::parse(issuer)
        .ok()
        .and_then(|url| url.domain().map(str::to_ascii_lowercase));
    let Some(domain) = domain else {
        return Err(err(format!(
            "webauthn.rp_id {rp_id:?}: passkeys need an issuer whose host is a domain \
             name, not an IP address; leave rp_id empty to run without passkeys"
        )));
    };
    let rp_id = rp_id.to_ascii_lowercase();
    if domain == rp_id || domain.ends_with(&format!(".{rp_id}")) {
        Ok(())
    } else {
        Err(err(format!(
            "webauthn.rp_id {rp_id:?} must be the issuer's host {domain:?} or a parent \
             domain of it"
        )))
    }
}

/// Why a configured or registered URL did not parse, worded to follow the
/// value it names: `redirect URI "x" must be an absolute URL such as …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlProblem(String);

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An absolute URL. A value without a scheme (`school.example.com/cb`) is
/// the common mistake, and the parser's own words for it ("relative URL
/// without a base") tell an operator nothing: say what to write instead.
pub fn parse_absolute_url(input: &str) -> Result<Url, UrlProblem> {
    Url::parse(input).map_err(|error| {
        UrlProblem(match error {
            url::ParseError::RelativeUrlWithoutBase => format!(
                "must be an absolute URL such as https://{}",
                input.trim_start_matches('/')
            ),
            other => format!("is not a valid URL: {other}"),
        })
    })
}

/// True for `localhost`, 127.0.0.0/8 and `[::1]`.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// File keys must already exist in the defaults: a typo is an error, not a
/// silently ignored setting.
fn merge_file(
    base: &mut toml::Table,
    overlay: toml::Table,
    prefix: &str,
    path: &std::path::Path,
) -> Result<(), ConfigError> {
    for (key, value) in overlay {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(overlay_inner)) => {
                merge_file(inner, overlay_inner, &full, path)?;
            }
            (Some(toml::Value::Table(_)), _) => {
                return Err(err(format!("{}: `{full}` must be a table", path.display())));
            }
            (Some(slot), value) => *slot = value,
            (None, _) => {
                return Err(err(format!("{}: unknown setting `{full}`", path.display())));
            }
        }
    }
    Ok(())
}

/// Environment overrides. A `GATEHOUSE__SECTION__KEY` name that matches no
/// setting is an error, as an unknown key in a file is: a typo must not be
/// silently ignored. Other single-underscore `GATEHOUSE_*` names that are
/// not aliases are left alone: the environment is shared with tools (and
/// the test suite's own `GATEHOUSE_TEST_*` variables).
fn apply_environment(
    table: &mut toml::Table,
    env: &BTreeMap<String, String>,
) -> Result<(), ConfigError> {
    for (name, path) in ENV_ALIASES {
        if let Some(value) = env.get(*name) {
            set_known_path(table, path, value);
        }
    }
    for (name, value) in env {
        if let Some(rest) = name.strip_prefix("GATEHOUSE__") {
            let path = rest.to_ascii_lowercase().replace("__", ".");
            match lookup(table, &path) {
                Some(toml::Value::Table(_)) => {
                    return Err(err(format!(
                        "environment variable {name} names the section `{path}`, not a setting \
                         (use {name}__KEY)"
                    )));
                }
                Some(_) => set_known_path(table, &path, value),
                None => {
                    return Err(err(format!(
                        "environment variable {name}: unknown setting `{path}` \
                         (see config/default.toml for every setting)"
                    )));
                }
            }
        }
    }
    Ok(())
}

fn set_known_path(table: &mut toml::Table, path: &str, raw: &str) {
    let Some(existing) = lookup(table, path) else {
        return;
    };
    let value = match existing {
        toml::Value::Integer(_) => raw
            .parse::<i64>()
            .map(toml::Value::Integer)
            .unwrap_or_else(|_| toml::Value::String(raw.to_owned())),
        toml::Value::Boolean(_) => raw
            .parse::<bool>()
            .map(toml::Value::Boolean)
            .unwrap_or_else(|_| toml::Value::String(raw.to_owned())),
        // Lists are comma-separated: `10.0.0.0/8,127.0.0.1/32`.
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| toml::Value::String(item.to_owned()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_owned()),
    };
    set_path(table, path, value);
}

fn lookup<'a>(table: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.');
    let mut current = table.get(parts.next()?)?;
    for part in parts {
        current = current.as_table()?.get(part)?;
    }
    Some(current)
}

fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut current = table;
    for part in parts {
        let Some(toml::Value::Table(next)) = current.get_mut(part) else {
            return;
        };
        current = next;
    }
    current.insert(last.to_owned(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_from(None, &env, &Overrides::default())
    }

    #[test]
    fn defaults_are_valid() {
        let settings = load(&[]).unwrap();
        assert_eq!(settings.issuer(), "http://127.0.0.1:8080");
        assert_eq!(
            settings.database_url().unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("./data/gatehouse.db"))
        );
    }

    #[test]
    fn environment_overrides_and_other_single_underscore_names_are_ignored() {
        let settings = load(&[
            ("GATEHOUSE_ISSUER", "https://id.example.com"),
            ("GATEHOUSE__TOKENS__ACCESS_TOKEN_TTL_SECS", "42"),
            ("GATEHOUSE__DATA_DIR", "/srv/gatehouse"),
            ("GATEHOUSE_TEST_POSTGRES_URL", "postgres://x"),
            ("GATEHOUSE_TEST_BACKEND", "postgres"),
        ])
        .unwrap();
        assert_eq!(settings.issuer(), "https://id.example.com");
        assert_eq!(settings.tokens.access_token_ttl_secs, 42);
        assert_eq!(settings.data_dir, PathBuf::from("/srv/gatehouse"));
    }

    #[test]
    fn unknown_double_underscore_environment_names_are_errors_naming_the_variable() {
        for (name, names) in [
            (
                "GATEHOUSE__TOKENS__ACESS_TOKEN_TTL_SECS",
                "tokens.acess_token_ttl_secs",
            ),
            ("GATEHOUSE__NOPE__NOTHING", "nope.nothing"),
            ("GATEHOUSE__SERVER", "section `server`"),
            ("GATEHOUSE__", "unknown setting"),
        ] {
            let e = load(&[(name, "1")]).unwrap_err();
            let message = e.to_string();
            assert!(message.contains(name), "{message}");
            assert!(message.contains(names), "{message}");
        }
    }

    #[test]
    fn described_database_urls_hide_the_password_and_show_an_absolute_path() {
        let url = DatabaseUrl::parse("postgres://gh:s3cret@db.example.com:5432/gh?sslmode=require")
            .unwrap();
        let shown = url.describe();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.starts_with("postgres://gh:***@db.example.com:5432/gh"),
            "{shown}"
        );
        let plain = DatabaseUrl::parse("postgres://gh@db/gh")
            .unwrap()
            .describe();
        assert_eq!(plain, "postgres://gh@db/gh");
        let sqlite = DatabaseUrl::Sqlite(PathBuf::from("./data/gatehouse.db")).describe();
        let path = sqlite.strip_prefix("sqlite://").unwrap();
        assert!(std::path::Path::new(path).is_absolute(), "{sqlite}");
        assert!(path.ends_with("data/gatehouse.db"), "{sqlite}");
    }

    #[test]
    fn http_issuer_needs_loopback_and_no_trailing_slash() {
        assert!(load(&[("GATEHOUSE_ISSUER", "http://id.example.com")]).is_err());
        assert!(load(&[("GATEHOUSE_ISSUER", "https://id.example.com/")]).is_err());
        assert!(load(&[("GATEHOUSE_ISSUER", "http://localhost:9000")]).is_ok());
        assert!(load(&[("GATEHOUSE_ISSUER", "http://[::1]:9000/base")]).is_ok());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let e = load(&[("GATEHOUSE_DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(e.to_string().contains("database.url"), "{e}");
        let e = load(&[("GATEHOUSE__TOKENS__ACCESS_TOKEN_TTL_SECS", "soon")]).unwrap_err();
        assert!(e.to_string().contains("access_token_ttl_secs"), "{e}");
        let e = load(&[("GATEHOUSE_LISTEN", "nowhere")]).unwrap_err();
        assert!(e.to_string().contains("server.listen"), "{e}");
    }

    #[test]
    fn trusted_proxies_come_as_a_comma_separated_list_and_bad_ranges_name_the_setting() {
        let settings = load(&[]).unwrap();
        assert!(settings.server.trusted_proxies.is_empty());
        assert_eq!(
            settings.server.client_ip_header,
            ClientIpHeader::XForwardedFor
        );
        let settings = load(&[
            (
                "GATEHOUSE__SERVER__TRUSTED_PROXIES",
                "10.0.0.0/8, 127.0.0.1/32,,2001:db8::/48",
            ),
            ("GATEHOUSE__SERVER__CLIENT_IP_HEADER", "forwarded"),
        ])
        .unwrap();
        let ranges: Vec<String> = settings
            .server
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ranges, ["10.0.0.0/8", "127.0.0.1/32", "2001:db8::/48"]);
        assert_eq!(settings.server.client_ip_header, ClientIpHeader::Forwarded);
        let e = load(&[(
            "GATEHOUSE__SERVER__TRUSTED_PROXIES",
            "10.0.0.0/8,10.0.0.0/33",
        )])
        .unwrap_err();
        assert!(e.to_string().contains("server.trusted_proxies"), "{e}");
        assert!(e.to_string().contains("10.0.0.0/33"), "{e}");
        let e = load(&[("GATEHOUSE__SERVER__CLIENT_IP_HEADER", "x-real-ip")]).unwrap_err();
        assert!(e.to_string().contains("server.client_ip_header"), "{e}");
    }

    #[test]
    fn login_limits_must_be_positive_and_delays_ordered() {
        let e = load(&[("GATEHOUSE__LOGIN__PAIR_FAILURES_BEFORE_DELAY", "0")]).unwrap_err();
        assert!(
            e.to_string().contains("login.pair_failures_before_delay"),
            "{e}"
        );
        let e = load(&[("GATEHOUSE__LOGIN__ACCOUNT_MAX_DELAY_SECS", "1")]).unwrap_err();
        assert!(
            e.to_string().contains("login.account_max_delay_secs"),
            "{e}"
        );
    }

    #[test]
    fn rp_id_must_be_the_issuer_host_or_a_parent_domain() {
        let settings = load(&[("GATEHOUSE_ISSUER", "https://id.school.example")]).unwrap();
        assert_eq!(settings.webauthn.rp_id, "");
        assert_eq!(settings.webauthn.rp_name, "Gatehouse");
        for good in ["id.school.example", "school.example", "ID.School.Example"] {
            load(&[
                ("GATEHOUSE_ISSUER", "https://id.school.example"),
                ("GATEHOUSE__WEBAUTHN__RP_ID", good),
            ])
            .unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in ["other.example", "hool.example", "x.id.school.example"] {
            let e = load(&[
                ("GATEHOUSE_ISSUER", "https://id.school.example"),
                ("GATEHOUSE__WEBAUTHN__RP_ID", bad),
            ])
            .unwrap_err();
            assert!(e.to_string().contains("webauthn.rp_id"), "{e}");
        }
        let e = load(&[("GATEHOUSE__WEBAUTHN__RP_ID", "127.0.0.1")]).unwrap_err();
        assert!(e.to_string().contains("IP address"), "{e}");
    }

    #[test]
    fn the_password_policy_defaults_follow_nist_and_bad_bounds_name_the_setting() {
        let policy = load(&[]).unwrap().password_policy;
        assert_eq!(
            (
                policy.min_length,
                policy.min_length_with_second_factor,
                policy.max_length
            ),
            (15, 8, 128)
        );
        for (name, value, names) in [
            (
                "GATEHOUSE__PASSWORD_POLICY__MIN_LENGTH_WITH_SECOND_FACTOR",
                "6",
                "password_policy.min_length_with_second_factor",
            ),
            (
                "GATEHOUSE__PASSWORD_POLICY__MIN_LENGTH",
                "7",
                "password_policy.min_length",
            ),
            (
                "GATEHOUSE__PASSWORD_POLICY__MAX_LENGTH",
                "32",
                "password_policy.max_length",
            ),
            (
                "GATEHOUSE__PASSWORD_POLICY__MAX_LENGTH",
                "1000",
                "password_policy.max_length",
            ),
        ] {
            let e = load(&[(name, value)]).unwrap_err();
            assert!(e.to_string().contains(names), "{e}");
        }
        let lowered = load(&[
            ("GATEHOUSE__PASSWORD_POLICY__MIN_LENGTH", "12"),
            ("GATEHOUSE__PASSWORD_POLICY__MAX_LENGTH", "64"),
        ])
        .unwrap()
        .password_policy;
        assert_eq!((lowered.min_length, lowered.max_length), (12, 64));
    }

    #[test]
    fn unknown_file_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[server]\nlisten_address = \"x\"\n").unwrap();
        let e =
            Settings::load_from(Some(&path), &BTreeMap::new(), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("server.listen_address"), "{e}");
    }
}
