//! `gatehouse keys …`: listing, rotation (published before it signs),
//! immediate rotation, retirement and revocation, and what servers then
//! publish.

use gatehouse::{administration::OPERATOR, clock::Clock, crypto::SigningAlgorithm};

use crate::cli_users::audit_events;
use crate::helpers::{TestApp, run_cli};

#[derive(Debug, Clone, PartialEq)]
struct KeyLine {
    kid: String,
    alg: String,
    state: String,
}

fn keys_list(app: &TestApp) -> Vec<KeyLine> {
    let out = app.cli(&["keys", "list"], None);
    let mut lines = out.ok().lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("KID"), "{out}");
    lines
        .map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(cols.len(), 6, "{line}");
            KeyLine {
                kid: cols[0].into(),
                alg: cols[1].into(),
                state: cols[2].into(),
            }
        })
        .collect()
}

fn key<'a>(keys: &'a [KeyLine], kid: &str) -> &'a KeyLine {
    keys.iter()
        .find(|k| k.kid == kid)
        .unwrap_or_else(|| panic!("{kid} not listed: {keys:?}"))
}

/// The kid in "ALG: new key KID (…)".
fn new_kids(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|line| {
            let (alg, rest) = line.split_once(": new key ")?;
            Some((alg.to_owned(), rest.split_whitespace().next()?.to_owned()))
        })
        .collect()
}

fn signer_kid(app: &TestApp, alg: SigningAlgorithm) -> String {
    app.state.keys.signer(alg).unwrap().kid().to_owned()
}

#[tokio::test]
async fn keys_list_shows_the_active_keys() {
    let app = TestApp::spawn().await;
    let keys = keys_list(&app);
    assert_eq!(keys.len(), 3, "{keys:?}");
    for alg in SigningAlgorithm::ALL {
        let listed = key(&keys, &signer_kid(&app, alg));
        assert_eq!(listed.alg, alg.as_str());
        assert_eq!(listed.state, "active");
    }
}

#[tokio::test]
async fn a_rotated_key_is_published_before_it_signs() {
    let app = TestApp::spawn().await;
    let old = signer_kid(&app, SigningAlgorithm::ES256);
    let out = app.cli(&["keys", "rotate", "--alg", "ES256"], None);
    let rotated = new_kids(out.ok());
    assert_eq!(rotated.len(), 1, "{out}");
    let (alg, new) = rotated[0].clone();
    assert_eq!(alg, "ES256");
    assert_ne!(new, old);

    let keys = keys_list(&app);
    assert_eq!(keys.len(), 4);
    assert_eq!(key(&keys, &new).state, "pending");
    assert_eq!(key(&keys, &old).state, "active");

    // A server started now publishes both, and still signs with the old one.
    let app = app.restart().await;
    let kids = app.published_kids().await;
    assert!(kids.contains(&old) && kids.contains(&new), "{kids:?}");
    assert_eq!(kids.len(), 4);
    assert_eq!(signer_kid(&app, SigningAlgorithm::ES256), old);

    // Once the JWKS cache lifetime has passed, the new key signs.
    app.clock
        .advance(app.state.settings.keys.jwks_max_age_secs as i64 + 1);
    let now = app.clock.now();
    let keys = app.state.keys.clone();
    app.db(move |conn| Ok(keys.refresh(conn, now))).unwrap();
    assert_eq!(signer_kid(&app, SigningAlgorithm::ES256), new);
    assert!(
        app.published_kids().await.contains(&old),
        "the old key stays published"
    );
}

#[tokio::test]
async fn rotate_now_and_retire() {
    let app = TestApp::spawn().await;
    let before: Vec<String> = SigningAlgorithm::ALL
        .iter()
        .map(|a| signer_kid(&app, *a))
        .collect();

    let out = app.cli(&["keys", "rotate", "--now"], None);
    let rotated = new_kids(out.ok());
    assert_eq!(rotated.len(), 3, "{out}");
    let keys = keys_list(&app);
    for (_, kid) in &rotated {
        assert_eq!(key(&keys, kid).state, "active");
    }
    for kid in &before {
        assert_eq!(key(&keys, kid).state, "retired", "{keys:?}");
    }

    let app = app.restart().await;
    for (alg, kid) in &rotated {
        assert_eq!(&signer_kid(&app, alg.parse().unwrap()), kid);
    }
    let published = app.published_kids().await;
    assert_eq!(
        published.len(),
        6,
        "retired keys stay published: {published:?}"
    );

    // Retiring the only signing RS256 key makes a replacement first.
    let rs256 = rotated
        .iter()
        .find(|(alg, _)| alg == "RS256")
        .unwrap()
        .1
        .clone();
    let out = app.cli(&["keys", "retire", &rs256], None);
    assert!(out.ok().contains(&format!("retired {rs256}")), "{out}");
    let keys = keys_list(&app);
    assert_eq!(key(&keys, &rs256).state, "retired");
    let active_rs256: Vec<&KeyLine> = keys
        .iter()
        .filter(|k| k.alg == "RS256" && k.state == "active")
        .collect();
    assert_eq!(active_rs256.len(), 1, "{keys:?}");
    assert_ne!(active_rs256[0].kid, rs256);

    // Each rotation and the retirement are on record as the operator's.
    let mut audited: Vec<String> = audit_events(&app, "admin.key.rotated")
        .into_iter()
        .map(|event| {
            assert_eq!(event.actor.as_deref(), Some(OPERATOR), "{event:?}");
            event.subject.unwrap()
        })
        .collect();
    audited.sort();
    let mut made: Vec<String> = rotated.iter().map(|(_, kid)| kid.clone()).collect();
    made.sort();
    assert_eq!(audited, made);
    let retired = audit_events(&app, "admin.key.retired");
    assert_eq!(retired.len(), 1, "{retired:?}");
    assert_eq!(retired[0].subject.as_deref(), Some(rs256.as_str()));

    let unknown = app.cli(&["keys", "retire", "no-such-kid"], None);
    assert!(unknown.fails_with(1).contains("no-such-kid"), "{unknown}");
    assert_eq!(audit_events(&app, "admin.key.retired").len(), 1);
    assert_eq!(app.cli(&["keys", "rotate", "--alg", "HS256"], None).code, 2);
}

#[tokio::test]
async fn keys_revoke_says_what_it_did_and_the_key_is_listed_revoked() {
    let app = TestApp::spawn().await;
    let es256 = signer_kid(&app, SigningAlgorithm::ES256);

    // The only ES256 signer: a replacement signs in its place.
    let out = app.cli(&["keys", "revoke", &es256], None);
    let stdout = out.ok();
    assert!(
        stdout.starts_with(&format!(
            "revoked {es256} (ES256): it is no longer published and every token it signed is refused\n"
        )),
        "{out}"
    );
    let replacement = stdout
        .lines()
        .find_map(|l| l.strip_prefix("new key "))
        .and_then(|rest| rest.strip_suffix(" signs ES256 tokens from now"))
        .unwrap_or_else(|| panic!("no replacement printed: {out}"))
        .to_owned();
    let keys = keys_list(&app);
    assert_eq!(key(&keys, &es256).state, "revoked");
    assert_eq!(key(&keys, &replacement).state, "active");
    assert_eq!(key(&keys, &replacement).alg, "ES256");

    let revoked = audit_events(&app, "admin.key.revoked");
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0].actor.as_deref(), Some(OPERATOR));
    assert_eq!(revoked[0].subject.as_deref(), Some(es256.as_str()));

    // Twice: harmless, and said so.
    let again = app.cli(&["keys", "revoke", &es256], None);
    assert_eq!(
        again.ok(),
        format!("{es256} was already revoked: nothing changed\n")
    );
    assert_eq!(audit_events(&app, "admin.key.revoked").len(), 1);

    // An unknown kid: one readable line, exit 1, nothing recorded. A kid
    // is base64url, so one in 64 starts with `-`: still a kid, no option.
    for kid in ["no-such-kid", "-no-such-kid"] {
        for command in ["revoke", "retire"] {
            let unknown = app.cli(&["keys", command, kid], None);
            assert_eq!(
                unknown.fails_with(1),
                format!("gatehouse: no signing key with kid {kid}")
            );
        }
    }
    assert_eq!(audit_events(&app, "admin.key.revoked").len(), 1);

    // A server started now neither publishes nor trusts it.
    let app = app.restart().await;
    let published = app.published_kids().await;
    assert!(!published.contains(&es256), "{published:?}");
    assert!(published.contains(&replacement), "{published:?}");
    assert!(app.state.keys.published_key(&es256).is_none());
}

#[tokio::test]
async fn keys_commands_refuse_a_wrong_master_key() {
    let app = TestApp::spawn().await;
    let kids = app.published_kids().await;
    let mut command = app.env.command();
    command.env(
        "GATEHOUSE_MASTER_KEY",
        gatehouse::crypto::random::new_token().into_inner(),
    );
    let out = run_cli(command, &["keys", "rotate", "--now"], None);
    assert!(out.fails_with(1).contains("master key"), "{out}");
    assert_eq!(keys_list(&app).len(), kids.len(), "no key was added");
}

#[tokio::test]
async fn keys_commands_elsewhere_refuse_to_create_a_master_key() {
    // The server's database, but a data directory without its key: a new
    // key would open none of the stored signing keys.
    let app = TestApp::spawn().await;
    let kids = app.published_kids().await;
    let elsewhere = tempfile::tempdir().unwrap();
    for args in [&["keys", "list"][..], &["keys", "rotate", "--now"][..]] {
        let mut command = app.env.command();
        command.env("GATEHOUSE_DATA_DIR", elsewhere.path());
        let out = run_cli(command, args, None);
        let line = out.fails_with(1);
        assert!(line.contains("no master key at"), "{out}");
        assert!(line.contains("master.key"), "{out}");
        assert!(
            std::fs::read_dir(elsewhere.path())
                .unwrap()
                .next()
                .is_none(),
            "{args:?} created a file"
        );
    }
    assert_eq!(keys_list(&app).len(), kids.len(), "no key was added");
}
