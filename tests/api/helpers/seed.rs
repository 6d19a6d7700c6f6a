//! Set-up in-process: users, roles, APIs and clients made through
//! `gatehouse::administration` as the command-line operator (audited with
//! actor `cli`, exactly as `gatehouse user add …` would), without starting
//! a process per change. Tests of the command line itself run the CLI.

use gatehouse::{
    accounts::{AccountError, users::NewUser},
    administration::{self, Actor},
    clock::Clock,
    db::DbConnection,
    oauth::client_registration::ClientSpec,
    secret::Secret,
};

use super::TestApp;

/// Every seeded user's password: it passes the password policy (21
/// characters, not deny-listed, containing none of the kit's usernames).
pub const PASSWORD: &str = "correct horse battery";
/// Where the kit's clients redirect unless told otherwise.
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/cb";
/// The built-in API whose permissions administer Gatehouse.
pub const ADMIN_API: &str = "gatehouse-admin";

impl TestApp {
    /// The server's (manual) clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// A set-up change made as the command-line operator, straight through
    /// `gatehouse::administration` (audited with actor `cli`), in one
    /// transaction.
    pub fn operate<T>(
        &self,
        change: impl FnOnce(&mut DbConnection, &Actor, i64) -> Result<T, AccountError>,
    ) -> T {
        let now = self.now();
        let outcome = self
            .state
            .db
            .transaction_blocking(|conn| change(conn, &Actor::Operator, now))
            .unwrap_or_else(|e| panic!("set-up: {e}"));
        // As `administration::perform` does for this server: the change is
        // in force at once, not after the next epoch poll.
        self.state.caches.clear();
        outcome
    }

    /// A user with `PASSWORD`, holding `roles`; returns the `sub`.
    pub fn add_user(&self, username: &str, roles: &[&str]) -> String {
        self.add_user_with(NewUser {
            username: username.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            ..NewUser::default()
        })
    }

    /// A user with `PASSWORD` and whatever else `new` says; returns the `sub`.
    pub fn add_user_with(&self, new: NewUser) -> String {
        let password = Secret::new(PASSWORD.to_owned());
        let row = gatehouse::accounts::users::prepare_user(
            &new,
            Some(&password),
            &self.state.passwords,
            &self.state.settings.password_policy,
            self.now(),
        )
        .unwrap_or_else(|e| panic!("user {}: {e}", new.username));
        let sub = row.id.clone();
        self.operate(|conn, actor, now| {
            administration::users::create(conn, actor, &row, &new.roles, now)
        });
        sub
    }

    /// A role holding `permissions` on `api` (an API the role may already
    /// know is fine; the role is created if missing).
    pub fn add_role(&self, role: &str, api: &str, permissions: &[&str]) {
        self.operate(|conn, actor, now| {
            if gatehouse::accounts::roles::find(conn, role).is_err() {
                administration::directory::create_role(conn, actor, role, "", now)?;
            }
            permissions.iter().try_for_each(|permission| {
                administration::directory::allow(conn, actor, role, api, permission, now)
            })
        });
    }

    /// An API (resource server) with `permissions`.
    pub fn add_api(&self, identifier: &str, permissions: &[&str]) {
        self.operate(|conn, actor, now| {
            administration::directory::create_api(conn, actor, identifier, None, now)?;
            permissions.iter().try_for_each(|permission| {
                administration::directory::add_permission(conn, actor, identifier, permission, now)
                    .map(drop)
            })
        });
    }

    /// A client registered as `gatehouse client add ID FLAGS…` would (the
    /// same flags), except that a client of the code grant given no
    /// `--redirect-uri` redirects to `REDIRECT_URI`. Returns its secret
    /// (empty for a public client).
    pub fn add_client(&self, client_id: &str, flags: &[&str]) -> String {
        let spec = client_spec(client_id, flags);
        let registered = self
            .operate(|conn, actor, now| administration::clients::register(conn, actor, spec, now));
        registered
            .secret
            .map(|secret| secret.expose().to_owned())
            .unwrap_or_default()
    }

    /// Gives `role` to client `client_id` (its service account).
    pub fn grant_client_role(&self, client_id: &str, role: &str) {
        self.operate(|conn, actor, now| {
            administration::clients::grant_role(conn, actor, client_id, role, now)
        });
    }
}

/// What `client add` makes of its flags (see `gatehouse client add --help`).
fn client_spec(client_id: &str, flags: &[&str]) -> ClientSpec {
    let mut spec = ClientSpec {
        client_id: client_id.to_owned(),
        name: None,
        public: false,
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        grant_types: vec![],
        scopes: vec![],
        resources: vec![],
        introspect: vec![],
        skip_consent: false,
        id_token_alg: None,
        backchannel_logout_uri: None,
        secret: None,
    };
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        let mut value = || {
            (*flags
                .next()
                .unwrap_or_else(|| panic!("{flag} needs a value")))
            .to_owned()
        };
        match *flag {
            "--public" => spec.public = true,
            "--skip-consent" => spec.skip_consent = true,
            "--redirect-uri" => spec.redirect_uris.push(value()),
            "--post-logout-redirect-uri" => spec.post_logout_redirect_uris.push(value()),
            "--name" => spec.name = Some(value()),
            "--grant" => spec.grant_types.push(value().parse().unwrap()),
            "--scope" => spec.scopes.push(value()),
            "--resource" => spec.resources.push(value()),
            "--introspect" => spec.introspect.push(value()),
            "--id-token-alg" => spec.id_token_alg = Some(value().parse().unwrap()),
            "--backchannel-logout-uri" => spec.backchannel_logout_uri = Some(value()),
            other => panic!("client flag {other} is not known to the test kit"),
        }
    }
    if spec.scopes.is_empty() {
        spec.scopes = gatehouse::oauth::scope::SUPPORTED_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
    }
    let code_grant = spec.grant_types.is_empty()
        || spec
            .grant_types
            .iter()
            .any(|g| g.to_string() == "authorization_code");
    if code_grant && spec.redirect_uris.is_empty() {
        spec.redirect_uris.push(REDIRECT_URI.to_owned());
    }
    spec
}
