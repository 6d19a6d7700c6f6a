//! `gatehouse client …`: registration rules and what is stored.

use gatehouse::{db, oauth::client_registration};

use crate::helpers::TestApp;

fn find_client(app: &TestApp, client_id: &str) -> Option<db::clients::ClientRecord> {
    let client_id = client_id.to_owned();
    app.db(move |c| db::clients::find(c, &client_id))
}

#[tokio::test]
async fn a_confidential_client_gets_a_secret_shown_once_and_stored_hashed() {
    let app = TestApp::spawn().await;
    app.cli(&["api", "add", "https://api.example.com"], None)
        .ok();
    let out = app.cli(
        &[
            "client",
            "add",
            "web",
            "--name",
            "Web App",
            "--redirect-uri",
            "https://app.example.com/cb",
            "--redirect-uri",
            "http://127.0.0.1:3000/cb",
            "--post-logout-redirect-uri",
            "https://app.example.com/",
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--resource",
            "https://api.example.com",
            "--id-token-alg",
            "ES256",
        ],
        None,
    );
    let stdout = out.ok();
    assert!(stdout.contains("registered client web"), "{out}");
    let secret = stdout
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap_or_else(|| panic!("no secret printed: {out}"))
        .trim()
        .to_owned();
    assert!(
        secret.len() >= 43,
        "{secret:?} is shorter than 256 bits of base64url"
    );
    assert!(
        secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );

    let client = find_client(&app, "web").unwrap();
    let stored = client.row.secret_hash.clone().unwrap();
    assert_ne!(stored, secret, "the secret must not be stored in the clear");
    assert_eq!(stored, client_registration::secret_hash(&secret));
    assert!(client_registration::secret_matches(&secret, &stored));
    assert!(!client.row.is_public);
    assert_eq!(client.row.name, "Web App");
    assert_eq!(client.row.grant_types, "authorization_code refresh_token");
    assert_eq!(client.row.scopes, "openid profile");
    assert_eq!(client.row.id_token_alg.as_deref(), Some("ES256"));
    assert_eq!(
        client.redirect_uris,
        vec!["http://127.0.0.1:3000/cb", "https://app.example.com/cb"]
    );
    assert_eq!(
        client.post_logout_redirect_uris,
        vec!["https://app.example.com/"]
    );
    assert_eq!(client.resources, vec!["https://api.example.com"]);

    // Listed without the secret or its hash.
    let list = app.cli(&["client", "list"], None);
    let line = list.ok().lines().find(|l| l.starts_with("web ")).unwrap();
    assert!(
        line.contains("confidential") && line.contains("Web App"),
        "{list}"
    );
    assert!(!list.stdout.contains(&secret) && !list.stdout.contains(&stored));
}

#[tokio::test]
async fn public_and_service_clients() {
    let app = TestApp::spawn().await;
    let out = app.cli(
        &[
            "client",
            "add",
            "spa",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1:5173/callback",
        ],
        None,
    );
    assert!(out.ok().contains("public client: no secret"), "{out}");
    assert!(!out.stdout.contains("client_secret"));
    let spa = find_client(&app, "spa").unwrap();
    assert!(spa.row.is_public);
    assert!(spa.row.secret_hash.is_none());
    // The default scopes: the standard OIDC ones.
    assert!(
        spa.row.scopes.split(' ').any(|s| s == "openid"),
        "{}",
        spa.row.scopes
    );

    // A machine client needs no redirect URI.
    let m2m = app.cli(
        &["client", "add", "reporter", "--grant", "client_credentials"],
        None,
    );
    assert!(m2m.ok().contains("client_secret: "), "{m2m}");
    assert_eq!(
        find_client(&app, "reporter").unwrap().row.grant_types,
        "client_credentials"
    );

    // A supplied secret is taken from stdin, never echoed.
    let secret = gatehouse::crypto::random::new_token().into_inner();
    let own = app.cli(
        &[
            "client",
            "add",
            "own",
            "--grant",
            "client_credentials",
            "--secret-stdin",
        ],
        Some(&format!("{secret}\n")),
    );
    assert!(
        own.ok().contains("client secret set from standard input"),
        "{own}"
    );
    assert!(!own.stdout.contains(&secret));
    let stored = find_client(&app, "own").unwrap().row.secret_hash.unwrap();
    assert!(client_registration::secret_matches(&secret, &stored));

    app.cli(&["role", "add", "reporting"], None).ok();
    app.cli(&["client", "grant-role", "reporter", "reporting"], None)
        .ok();
    assert_eq!(
        find_client(&app, "reporter").unwrap().roles,
        vec!["reporting"]
    );
    app.cli(&["client", "grant-role", "nobody", "reporting"], None)
        .fails_with(1);
    app.cli(&["client", "grant-role", "reporter", "ghost"], None)
        .fails_with(1);

    let list = app.cli(&["client", "list"], None);
    let lines: Vec<&str> = list.ok().lines().collect();
    assert!(lines[0].starts_with("CLIENT_ID"), "{list}");
    let ids: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, ["own", "reporter", "spa"], "{list}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("spa ") && l.contains("public")),
        "{list}"
    );
}

#[tokio::test]
async fn client_registration_rules_are_enforced() {
    let app = TestApp::spawn().await;
    let cb = "https://app.example.com/cb";
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (
            &[
                "client",
                "add",
                "short",
                "--grant",
                "client_credentials",
                "--secret-stdin",
            ],
            Some("tooshort\n"),
            "at least 43",
        ),
        (
            &[
                "client",
                "add",
                "frag",
                "--redirect-uri",
                "https://app.example.com/cb#x",
            ],
            None,
            "fragment",
        ),
        (
            &[
                "client",
                "add",
                "plain",
                "--redirect-uri",
                "http://app.example.com/cb",
            ],
            None,
            "loopback",
        ),
        (
            &[
                "client",
                "add",
                "js",
                "--redirect-uri",
                "javascript:alert(1)",
            ],
            None,
            "not allowed",
        ),
        (
            &[
                "client",
                "add",
                "6f1c1b9e-3f1a-4d6e-9a43-0c2b3e1d4f5a",
                "--redirect-uri",
                cb,
            ],
            None,
            "UUID",
        ),
        (
            &["client", "add", "bad id", "--redirect-uri", cb],
            None,
            "client id",
        ),
        (
            &[
                "client",
                "add",
                "noredirect",
                "--grant",
                "authorization_code",
            ],
            None,
            "redirect-uri",
        ),
        (&["client", "add", "noredirect2"], None, "redirect-uri"),
        (
            &[
                "client",
                "add",
                "pubcc",
                "--public",
                "--grant",
                "client_credentials",
            ],
            None,
            "public",
        ),
        (
            &[
                "client",
                "add",
                "pubsecret",
                "--public",
                "--redirect-uri",
                cb,
                "--secret-stdin",
            ],
            Some(&"b".repeat(43)),
            "public",
        ),
        (
            &[
                "client",
                "add",
                "noapi",
                "--redirect-uri",
                cb,
                "--resource",
                "https://nope.example.com",
            ],
            None,
            "not found",
        ),
        (
            &[
                "client",
                "add",
                "badscope",
                "--redirect-uri",
                cb,
                "--scope",
                "a\"b",
            ],
            None,
            "scope",
        ),
    ];
    for (args, stdin, expected) in cases {
        let out = app.cli(args, *stdin);
        let line = out.fails_with(1);
        assert!(
            line.contains(expected),
            "{args:?} should mention {expected:?}: {out}"
        );
    }
    // Unknown grant types and algorithms are usage errors.
    assert_eq!(
        app.cli(&["client", "add", "x", "--grant", "implicit"], None)
            .code,
        2
    );
    assert_eq!(
        app.cli(
            &[
                "client",
                "add",
                "x",
                "--redirect-uri",
                cb,
                "--id-token-alg",
                "HS256"
            ],
            None
        )
        .code,
        2
    );

    // Nothing half-registered.
    assert!(app.db(db::clients::list).is_empty());

    app.cli(&["client", "add", "web", "--redirect-uri", cb], None)
        .ok();
    let duplicate = app.cli(&["client", "add", "web", "--redirect-uri", cb], None);
    assert!(
        duplicate.fails_with(1).contains("already exists"),
        "{duplicate}"
    );
}

/// `client show`'s `label: value` lines.
fn show(app: &TestApp, client_id: &str) -> std::collections::HashMap<String, String> {
    let out = app.cli(&["client", "show", client_id], None);
    out.ok()
        .lines()
        .map(|line| {
            let (label, value) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("not `label: value`: {line:?}\n{out}"));
            (label.to_owned(), value.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn client_show_tells_everything_but_the_secret() {
    let app = TestApp::spawn().await;
    app.cli(&["api", "add", "https://api.example.com"], None)
        .ok();
    app.cli(&["role", "add", "reporting"], None).ok();
    let out = app.cli(
        &[
            "client",
            "add",
            "web",
            "--name",
            "Web",
            "--redirect-uri",
            "https://app.example.com/cb",
            "--redirect-uri",
            "http://127.0.0.1:3000/cb",
            "--grant",
            "authorization_code",
            "--grant",
            "client_credentials",
            "--scope",
            "openid",
            "--resource",
            "https://api.example.com",
            "--introspect",
            "https://api.example.com",
            "--backchannel-logout-uri",
            "https://app.example.com/bc",
            "--skip-consent",
        ],
        None,
    );
    let secret = out
        .ok()
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap()
        .to_owned();
    app.cli(&["client", "grant-role", "web", "reporting"], None)
        .ok();

    let shown = show(&app, "web");
    let expected = [
        ("client_id", "web"),
        ("name", "Web"),
        ("type", "confidential"),
        ("disabled", "false"),
        ("grant_types", "authorization_code client_credentials"),
        ("scopes", "openid"),
        (
            "redirect_uris",
            "http://127.0.0.1:3000/cb https://app.example.com/cb",
        ),
        ("post_logout_redirect_uris", "-"),
        ("resources", "https://api.example.com"),
        ("introspect", "https://api.example.com"),
        ("roles", "reporting"),
        ("skip_consent", "true"),
        ("id_token_alg", "default"),
        ("backchannel_logout_uri", "https://app.example.com/bc"),
    ];
    for (label, value) in expected {
        assert_eq!(
            shown.get(label).map(String::as_str),
            Some(value),
            "{label}: {shown:?}"
        );
    }
    assert!(shown["created"].ends_with('Z'), "{shown:?}");
    let stored = find_client(&app, "web").unwrap().row.secret_hash.unwrap();
    let out = app.cli(&["client", "show", "web"], None);
    assert!(
        !out.stdout.contains(&secret) && !out.stdout.contains(&stored),
        "{out}"
    );

    app.cli(&["client", "disable", "web"], None).ok();
    assert_eq!(show(&app, "web")["disabled"], "true");
    let unknown = app.cli(&["client", "show", "nobody"], None);
    assert!(
        unknown.fails_with(1).contains("\"nobody\" not found"),
        "{unknown}"
    );
}

#[tokio::test]
async fn client_revoke_role_takes_a_role_away() {
    let app = TestApp::spawn().await;
    app.cli(&["role", "add", "reporting"], None).ok();
    app.cli(&["role", "add", "auditing"], None).ok();
    app.cli(
        &["client", "add", "reporter", "--grant", "client_credentials"],
        None,
    )
    .ok();
    for role in ["reporting", "auditing"] {
        app.cli(&["client", "grant-role", "reporter", role], None)
            .ok();
    }
    let out = app.cli(&["client", "revoke-role", "reporter", "reporting"], None);
    assert!(
        out.ok().contains("revoked reporting from client reporter"),
        "{out}"
    );
    assert_eq!(find_client(&app, "reporter").unwrap().roles, ["auditing"]);

    let cases: [(&[&str], &str); 3] = [
        (
            &["client", "revoke-role", "reporter", "reporting"],
            "does not hold",
        ),
        (
            &["client", "revoke-role", "nobody", "auditing"],
            "\"nobody\" not found",
        ),
        (
            &["client", "revoke-role", "reporter", "ghost"],
            "\"ghost\" not found",
        ),
    ];
    for (args, expected) in cases {
        let out = app.cli(args, None);
        assert!(out.fails_with(1).contains(expected), "{args:?}: {out}");
    }
    assert_eq!(find_client(&app, "reporter").unwrap().roles, ["auditing"]);
}
