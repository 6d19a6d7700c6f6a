//! The `gatehouse` command line: help, configuration errors, migrations,
//! users, roles, APIs and permissions — run as the real binary against the
//! test's database.

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
    time::Duration,
};

use clap::CommandFactory;
use gatehouse::{clock::Clock, db};

use crate::helpers::{TestApp, TestEnv, USING_DATABASE, cli_command, run_cli};

/// Every command path: [], ["serve"], ["user", "add"], …
fn command_paths(command: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    for sub in command.get_subcommands() {
        let mut path = prefix.clone();
        path.push(sub.get_name().to_owned());
        command_paths(sub, path, out);
    }
}

#[test]
fn help_works_for_every_command() {
    let mut paths = Vec::new();
    command_paths(&gatehouse::cli::Cli::command(), Vec::new(), &mut paths);
    assert!(paths.len() > 20, "{paths:?}");
    let cwd = tempfile::tempdir().unwrap();
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = run_cli(cli_command(cwd.path()), &args, None);
        let stdout = out.ok();
        assert!(stdout.contains("Usage: gatehouse"), "{args:?}: {out}");
        assert!(out.stderr.is_empty(), "{args:?}: {out}");
    }
    assert!(
        std::fs::read_dir(cwd.path()).unwrap().next().is_none(),
        "--help must not touch the disk"
    );
}

#[test]
fn configuration_errors_exit_2_and_name_the_setting() {
    let cwd = tempfile::tempdir().unwrap();
    let bad_file = cwd.path().join("bad.toml");
    std::fs::write(&bad_file, "[server]\nlisten_adress = \"127.0.0.1:1\"\n").unwrap();
    let bad = bad_file.to_str().unwrap();
    let missing = cwd.path().join("missing.toml");
    let missing = missing.to_str().unwrap();

    // (environment, arguments, the setting the message must name)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
    let cases: &[Case] = &[
        (
            &[("GATEHOUSE_LISTEN", "nowhere")],
            &["migrate"],
            "server.listen",
        ),
        (&[], &["--config", bad, "migrate"], "server.listen_adress"),
        (&[], &["--config", missing, "migrate"], "missing.toml"),
        (
            &[],
            &["--database-url", "mysql://x/y", "migrate"],
            "database.url",
        ),
        (
            &[("GATEHOUSE__TOKENS__ACCESS_TOKEN_TTL_SECS", "soon")],
            &["user", "list"],
            "tokens.access_token_ttl_secs",
        ),
        (
            &[("GATEHOUSE__TOKENS__ACESS_TOKEN_TTL_SECS", "300")],
            &["user", "list"],
            "GATEHOUSE__TOKENS__ACESS_TOKEN_TTL_SECS",
        ),
        (
            &[("GATEHOUSE_ISSUER", "http://id.example.com")],
            &["migrate"],
            "server.issuer",
        ),
        (
            &[("GATEHOUSE_MASTER_KEY", "too-short")],
            &["keys", "list"],
            "master_key",
        ),
        (&[], &["serve", "--listen", "nowhere"], "server.listen"),
    ];
    for (env, args, setting) in cases {
        let mut command = cli_command(cwd.path());
        for (name, value) in *env {
            command.env(name, value);
        }
        let out = run_cli(command, args, None);
        let line = out.fails_with(2);
        assert!(
            line.contains("configuration error"),
            "{env:?} {args:?}: {out}"
        );
        assert!(
            line.contains(setting),
            "{env:?} {args:?} should name {setting}: {out}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(cwd.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "only bad.toml may exist: {left:?}");
}

#[test]
fn migrate_applies_pending_migrations_once() {
    let env = TestEnv::new();
    let first = env.cli(&["migrate"], None);
    let applied: usize = first
        .ok()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(applied >= 1, "{first}");
    assert!(first.ok().contains("migration(s) applied"));
    assert_eq!(
        env.cli(&["migrate"], None).ok().trim(),
        "0 migration(s) applied"
    );
}

fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect()
}

/// The line an administrative command names its database with.
fn using_database(out: &crate::helpers::CliOutput) -> &str {
    out.stderr
        .lines()
        .find_map(|line| line.strip_prefix(USING_DATABASE))
        .unwrap_or_else(|| panic!("no `using database` line:\n{out}"))
}

#[test]
fn admin_commands_in_a_directory_without_a_database_refuse_and_create_nothing() {
    // What an operator meets running the CLI from the wrong directory: the
    // default `./data/gatehouse.db` is not there.
    let cwd = tempfile::tempdir().unwrap();
    let expected = cwd
        .path()
        .canonicalize()
        .unwrap()
        .join("data")
        .join("gatehouse.db");
    let add = [
        "client",
        "add",
        "myapp",
        "--redirect-uri",
        "https://app.example.com/callback",
    ];
    for args in [
        &add[..],
        &["user", "list"][..],
        &["role", "list"][..],
        &["api", "list"][..],
        &["keys", "list"][..],
    ] {
        let out = run_cli(cli_command(cwd.path()), args, None);
        let line = out.fails_with(1);
        assert!(
            line.contains(&expected.display().to_string()),
            "names the path: {out}"
        );
        assert!(line.contains("gatehouse migrate"), "{out}");
        assert!(line.contains("GATEHOUSE_DATA_DIR"), "{out}");
        assert!(!out.stdout.contains("secret"), "{out}");
        assert_eq!(
            using_database(&out),
            format!("sqlite://{}", expected.display())
        );
        assert!(
            files_in(cwd.path()).is_empty(),
            "{args:?} created {:?}",
            files_in(cwd.path())
        );
    }

    run_cli(cli_command(cwd.path()), &["migrate"], None).ok();
    let out = run_cli(cli_command(cwd.path()), &add, None);
    assert!(out.ok().contains("client_secret"), "{out}");
    assert_eq!(
        using_database(&out),
        format!("sqlite://{}", expected.display())
    );
}

#[test]
fn admin_commands_refuse_a_database_without_the_schema_and_name_it() {
    // On PostgreSQL the database exists but is empty; on SQLite the file
    // does not exist yet. Either way nothing is created or migrated.
    let env = TestEnv::new();
    let out = env.cli(&["user", "list"], None);
    let line = out.fails_with(1);
    assert!(line.contains("gatehouse migrate"), "{out}");
    let shown = using_database(&out).to_owned();
    assert!(line.contains(&shown), "the error names {shown}: {out}");
    if env.is_postgres() {
        assert!(line.contains("no Gatehouse tables"), "{out}");
        assert!(shown.starts_with("postgres"), "{out}");
    } else {
        assert!(line.contains("no database at"), "{out}");
        assert!(!env.data_dir().join("test.db").exists());
    }
    let url = url::Url::parse(env.database_url()).unwrap();
    if let Some(password) = url.password() {
        assert!(!out.stderr.contains(password), "{out}");
    }
    // `client add` prints no secret for a database it refused.
    let out = env.cli(
        &["client", "add", "myapp", "--grant", "client_credentials"],
        None,
    );
    out.fails_with(1);
    assert!(!out.stdout.contains("secret"), "{out}");

    env.cli(&["migrate"], None).ok();
    let out = env.cli(&["user", "list"], None);
    assert!(out.ok().starts_with("USERNAME"), "{out}");
    assert_eq!(using_database(&out), shown);
}

#[tokio::test]
async fn admin_commands_do_not_migrate_an_older_schema() {
    let app = TestApp::spawn().await;
    let env = app.env.clone();
    drop(app);
    // Forget the newest migration, as if the database predates this build.
    let forget = "DELETE FROM __diesel_schema_migrations WHERE version = \
                  (SELECT max(version) FROM __diesel_schema_migrations)";
    {
        use diesel::{Connection, RunQueryDsl};
        if env.is_postgres() {
            let mut conn = diesel::pg::PgConnection::establish(env.database_url()).unwrap();
            diesel::sql_query(forget).execute(&mut conn).unwrap();
        } else {
            let path = env.database_url().strip_prefix("sqlite://").unwrap();
            let mut conn = diesel::sqlite::SqliteConnection::establish(path).unwrap();
            diesel::sql_query(forget).execute(&mut conn).unwrap();
        }
    }
    let out = env.cli(&["role", "list"], None);
    let line = out.fails_with(1);
    assert!(
        line.contains("1 migration(s)") && line.contains("gatehouse migrate"),
        "{out}"
    );
}

#[tokio::test]
async fn commands_exit_cleanly_every_time() {
    // Connection work left running on the pool's threads at exit once made
    // about one PostgreSQL command in four die of SIGSEGV.
    let app = TestApp::spawn().await;
    for _ in 0..20 {
        app.cli(&["role", "list"], None).ok();
    }
}

#[tokio::test]
async fn user_add_creates_a_user_with_roles_and_a_hashed_password() {
    let app = TestApp::spawn().await;
    let password = "correct horse battery";
    let out = app.cli(
        &[
            "user",
            "add",
            "alice",
            "--email",
            "alice@example.com",
            "--name",
            "Alice Example",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    );
    let stdout = out.ok();
    assert!(stdout.starts_with("created user alice (sub "), "{out}");
    assert!(!stdout.contains(password) && !out.stderr.contains(password));
    let sub = stdout
        .split("(sub ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    uuid::Uuid::parse_str(sub).unwrap();

    let user = app.db(|c| db::users::find_by_username(c, "alice")).unwrap();
    assert_eq!(user.id, sub);
    assert_eq!(user.email.as_deref(), Some("alice@example.com"));
    assert_eq!(user.name.as_deref(), Some("Alice Example"));
    assert!(!user.email_verified);
    let hash = user.password_hash.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(app.state.passwords.verify(password, Some(&hash)));
    assert_eq!(
        app.db(|c| db::users::role_names(c, &user.id)),
        vec!["admin"]
    );

    // An administrator exists now, so no setup link is offered.
    let now = app.clock.now();
    let token = app
        .db(|c| Ok(gatehouse::accounts::setup::issue_token(c, now)))
        .unwrap();
    assert!(token.is_none());
}

#[tokio::test]
async fn user_add_refuses_duplicates_unknown_roles_and_bad_input() {
    let app = TestApp::spawn().await;
    let pw = Some("long enough password\n");
    app.cli(&["user", "add", "alice", "--password-stdin"], pw)
        .ok();

    let duplicate = app.cli(&["user", "add", "alice", "--password-stdin"], pw);
    let line = duplicate.fails_with(1);
    assert!(
        line.contains("alice") && line.contains("already exists"),
        "{duplicate}"
    );

    let unknown_role = app.cli(
        &["user", "add", "bob", "--role", "wizard", "--password-stdin"],
        pw,
    );
    assert!(
        unknown_role.fails_with(1).contains("wizard"),
        "{unknown_role}"
    );
    assert!(
        app.db(|c| db::users::find_by_username(c, "bob")).is_none(),
        "a failed grant must leave no half-made user"
    );

    let bad_name = app.cli(&["user", "add", "bad name", "--password-stdin"], pw);
    assert!(bad_name.fails_with(1).contains("username"), "{bad_name}");
    let short = app.cli(
        &["user", "add", "carol", "--password-stdin"],
        Some("short\n"),
    );
    assert!(short.fails_with(1).contains("at least 15"), "{short}");
    let empty = app.cli(&["user", "add", "carol", "--password-stdin"], Some(""));
    assert!(empty.fails_with(1).contains("standard input"), "{empty}");
    let bad_email = app.cli(&["user", "add", "carol", "--email", "nope"], None);
    assert!(bad_email.fails_with(1).contains("email"), "{bad_email}");
    assert!(
        app.db(|c| db::users::find_by_username(c, "carol"))
            .is_none()
    );
}

#[tokio::test]
async fn user_set_password_and_list() {
    let app = TestApp::spawn().await;
    let out = app.cli(
        &["user", "add", "carol", "--email", "carol@example.com"],
        None,
    );
    assert!(out.ok().contains("no password set"), "{out}");
    assert!(
        app.db(|c| db::users::find_by_username(c, "carol"))
            .unwrap()
            .password_hash
            .is_none()
    );

    let new_password = "a brand new password";
    app.cli(
        &["user", "set-password", "carol", "--password-stdin"],
        Some(new_password),
    )
    .ok();
    let hash = app
        .db(|c| db::users::find_by_username(c, "carol"))
        .unwrap()
        .password_hash
        .unwrap();
    assert!(app.state.passwords.verify(new_password, Some(&hash)));
    assert!(
        !app.state
            .passwords
            .verify("a brand new passwore", Some(&hash))
    );

    let unknown = app.cli(
        &["user", "set-password", "nobody", "--password-stdin"],
        Some(new_password),
    );
    assert!(unknown.fails_with(1).contains("not found"), "{unknown}");
    let short = app.cli(
        &["user", "set-password", "carol", "--password-stdin"],
        Some("short"),
    );
    short.fails_with(1);
    // `--password-stdin` is required: never a password in argv.
    assert_eq!(app.cli(&["user", "set-password", "carol"], None).code, 2);

    app.cli(&["user", "add", "alice", "--role", "admin"], None)
        .ok();
    let list = app.cli(&["user", "list"], None);
    let lines: Vec<&str> = list.ok().lines().collect();
    assert!(lines[0].starts_with("USERNAME"), "{list}");
    assert_eq!(lines.len(), 3, "{list}");
    assert!(
        lines[1].starts_with("alice ") && lines[1].trim_end().ends_with("admin"),
        "{list}"
    );
    assert!(
        lines[2].starts_with("carol ") && lines[2].contains("carol@example.com"),
        "{list}"
    );
    assert!(
        !list.stdout.contains("$argon2"),
        "hashes never leave the database"
    );
}

#[tokio::test]
async fn roles_apis_and_permissions() {
    let app = TestApp::spawn().await;
    let api = "https://api.example.com";
    app.cli(
        &["role", "add", "editor", "--description", "Edits things"],
        None,
    )
    .ok();
    assert!(
        app.cli(&["role", "add", "editor"], None)
            .fails_with(1)
            .contains("already exists")
    );
    app.cli(&["role", "add", "Editor"], None).fails_with(1);

    app.cli(&["api", "add", api, "--name", "Example API"], None)
        .ok();
    app.cli(&["api", "add", api], None).fails_with(1);
    app.cli(&["api", "add", "has space"], None).fails_with(1);

    app.cli(&["permission", "add", api, "things:read"], None)
        .ok();
    app.cli(&["permission", "add", api, "things:write"], None)
        .ok();
    app.cli(&["permission", "add", api, "things:read"], None)
        .fails_with(1);
    let no_api = app.cli(
        &["permission", "add", "https://nope.example.com", "x"],
        None,
    );
    assert!(no_api.fails_with(1).contains("not found"), "{no_api}");

    app.cli(&["role", "allow", "editor", api, "things:read"], None)
        .ok();
    app.cli(&["role", "allow", "editor", api, "things:read"], None)
        .ok();
    let no_permission = app.cli(&["role", "allow", "editor", api, "things:delete"], None);
    assert!(
        no_permission.fails_with(1).contains("not found"),
        "{no_permission}"
    );

    app.cli(&["user", "add", "dave"], None).ok();
    app.cli(&["role", "grant", "editor", "dave"], None).ok();
    app.cli(&["role", "grant", "editor", "dave"], None).ok();
    app.cli(&["role", "grant", "editor", "nobody"], None)
        .fails_with(1);
    app.cli(&["role", "grant", "ghost", "dave"], None)
        .fails_with(1);
    let dave = app.db(|c| db::users::find_by_username(c, "dave")).unwrap();
    assert_eq!(
        app.db(|c| db::users::role_names(c, &dave.id)),
        vec!["editor"]
    );

    let roles = app.cli(&["role", "list"], None);
    let editor = roles
        .ok()
        .lines()
        .find(|l| l.starts_with("editor "))
        .unwrap();
    assert_eq!(
        editor.split_whitespace().collect::<Vec<_>>(),
        ["editor", "https://api.example.com:things:read"]
    );
    let admin = roles
        .stdout
        .lines()
        .find(|l| l.starts_with("admin "))
        .unwrap();
    assert!(admin.contains("gatehouse-admin:users:write"), "{roles}");

    let apis = app.cli(&["api", "list"], None);
    let line = apis.ok().lines().find(|l| l.starts_with(api)).unwrap();
    assert!(
        line.contains("Example API") && line.contains("things:read things:write"),
        "{apis}"
    );
    assert!(
        apis.stdout
            .lines()
            .any(|l| l.starts_with("gatehouse-admin ")),
        "{apis}"
    );
}

/// Kills the child it holds when dropped (a failing test must not leave a
/// server running).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_prints_a_one_time_setup_link_that_works() {
    let env = TestEnv::new();
    let mut command = env.command();
    command
        .env("GATEHOUSE_METRICS_LISTEN", "")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped());
    let mut child = KillOnDrop(command.spawn().unwrap());
    let stdout = child.0.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let link = loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("serve printed no setup link");
        if let Some(at) = line.find("/setup?token=") {
            break line[at..].trim().to_owned();
        }
    };
    drop(child);

    // The token was stored (hashed) in the database the server used.
    let app = TestApp::spawn_in(env, |_| {}).await;
    assert_eq!(app.get(&link).await.status(), 200, "{link}");
}

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let env = TestEnv::new();
    let mut command = env.command();
    command
        .env("GATEHOUSE_METRICS_LISTEN", "")
        .env("GATEHOUSE__LOG__LEVEL", "info")
        // Colour must be off because stderr is a pipe, not because of this.
        .env_remove("NO_COLOR")
        .args(["serve", "--listen", "127.0.0.1:0"]);
    let mut child = KillOnDrop(command.spawn().unwrap());
    let stderr = child.0.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("serve logged no start line: {seen:#?}"));
        let done = line.contains("gatehouse starting");
        seen.push(line);
        if done {
            break;
        }
    }
    drop(child);
    assert!(seen.iter().any(|line| line.contains("INFO")), "{seen:#?}");
    assert!(
        !seen.iter().any(|line| line.contains('\u{1b}')),
        "colour codes in piped logs: {seen:#?}"
    );
}
