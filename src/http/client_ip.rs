//! The client's address, for the sign-in throttle and the audit log: the
//! TCP peer, unless the peer is a trusted proxy (`server.trusted_proxies`).
//! Then the configured forwarding header is read from the right (the end
//! the proxies append to): trusted proxies are skipped, and the first
//! address that is not one is the client. Anything to its left was written
//! by the client itself and is never believed. From an untrusted peer the
//! headers are ignored altogether.

use std::net::IpAddr;

use actix_web::{HttpRequest, http::header::HeaderMap, web};

use crate::app::AppState;
use crate::config::{Cidr, ClientIpHeader};

/// The client address of `req` (canonical: IPv4-mapped IPv6 as IPv4).
/// `None` only without a TCP peer (never in a running server).
pub fn of(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    Some(match req.app_data::<web::Data<AppState>>() {
        Some(state) => {
            let server = &state.settings.server;
            resolve(
                peer,
                req.headers(),
                &server.trusted_proxies,
                server.client_ip_header,
            )
        }
        None => peer.to_canonical(),
    })
}

/// The same, as the audit log records it.
pub fn for_audit(req: &HttpRequest) -> Option<String> {
    of(req).map(|ip| ip.to_string())
}

pub fn resolve(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &[Cidr],
    header: ClientIpHeader,
) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| range.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops = match header {
        ClientIpHeader::XForwardedFor => x_forwarded_for(headers),
        ClientIpHeader::Forwarded => forwarded(headers),
    };
    // Walk from the proxy nearest to us towards the client.
    let mut nearest = peer;
    for hop in hops.into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => nearest = ip,
            Some(ip) => return ip,
            // A trusted proxy did not know (or hid) who it talked to: the
            // last address we can vouch for stands.
            None => return nearest,
        }
    }
    // Every hop is trusted: the furthest one is the client.
    nearest
}

/// `X-Forwarded-For: client, proxy1, proxy2`, over any number of lines.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .flat_map(|value| {
            let text = value.to_str().unwrap_or("unknown");
            text.split(',').map(node).collect::<Vec<_>>()
        })
        .collect()
}

/// RFC 7239: `Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::17]:4711"`.
/// One hop per element; an element without `for` is a hop of unknown origin.
fn forwarded(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("forwarded")
        .flat_map(|value| {
            let text = value.to_str().unwrap_or("for=unknown");
            split_unquoted(text, ',')
                .into_iter()
                .map(|element| {
                    split_unquoted(element, ';').into_iter().find_map(|pair| {
                        let (name, value) = pair.split_once('=')?;
                        name.trim().eq_ignore_ascii_case("for").then(|| node(value))
                    })?
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Splits on `separator` outside double quotes (a quoted value may hold one).
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// One hop: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`, `[2001:db8::1]`,
/// `[2001:db8::1]:8080`, optionally quoted. `unknown`, obfuscated names
/// (`_hidden`) and anything else are `None`.
fn node(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .trim();
    let ip = if let Some(rest) = text.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if !after.is_empty() && !is_port(after.strip_prefix(':')?) {
            return None;
        }
        inner.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)?
    } else if let Ok(ip) = text.parse::<IpAddr>() {
        ip
    } else {
        let (host, port) = text.split_once(':')?;
        if !is_port(port) {
            return None;
        }
        host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)?
    };
    Some(ip.to_canonical())
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(lines: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in lines {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn ranges(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|r| r.parse().unwrap()).collect()
    }

    const XFF: ClientIpHeader = ClientIpHeader::XForwardedFor;
    const FWD: ClientIpHeader = ClientIpHeader::Forwarded;

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[
            ("x-forwarded-for", "198.51.100.1"),
            ("forwarded", "for=198.51.100.1"),
        ]);
        let peer = ip("203.0.113.5");
        assert_eq!(resolve(peer, &h, &[], XFF), peer);
        assert_eq!(resolve(peer, &h, &ranges(&["10.0.0.0/8"]), XFF), peer);
        assert_eq!(resolve(peer, &h, &ranges(&["10.0.0.0/8"]), FWD), peer);
        assert_eq!(
            resolve(ip("::ffff:203.0.113.5"), &h, &[], XFF),
            peer,
            "canonical"
        );
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let trusted = ranges(&["10.0.0.0/8", "127.0.0.1/32"]);
        let peer = ip("127.0.0.1");
        // The client forged the first entry; our proxies appended the rest.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.1.2.3")]);
        assert_eq!(resolve(peer, &h, &trusted, XFF), ip("198.51.100.7"));
        // The same chain over several header lines.
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "198.51.100.7,10.1.2.3"),
        ]);
        assert_eq!(resolve(peer, &h, &trusted, XFF), ip("198.51.100.7"));
        // Every hop trusted: the furthest.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.1.2.3")]);
        assert_eq!(resolve(peer, &h, &trusted, XFF), ip("10.9.9.9"));
        // No header: the (trusted) peer itself.
        assert_eq!(resolve(peer, &HeaderMap::new(), &trusted, XFF), peer);
        // A hop our proxy could not name stops the walk at that proxy.
        let h = headers(&[("x-forwarded-for", "198.51.100.7, unknown, 10.1.2.3")]);
        assert_eq!(resolve(peer, &h, &trusted, XFF), ip("10.1.2.3"));
        let h = headers(&[("x-forwarded-for", "garbage")]);
        assert_eq!(resolve(peer, &h, &trusted, XFF), peer);
        // Ports and brackets, as some proxies write them.
        let h = headers(&[("x-forwarded-for", "198.51.100.7:5555, [2001:db8::5]:443")]);
        assert_eq!(resolve(peer, &h, &trusted, XFF), ip("2001:db8::5"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let trusted = ranges(&["127.0.0.1/32"]);
        let peer = ip("127.0.0.1");
        let h = headers(&[
            ("x-forwarded-for", "198.51.100.1"),
            ("forwarded", "for=198.51.100.2"),
        ]);
        assert_eq!(resolve(peer, &h, &trusted, XFF), ip("198.51.100.1"));
        assert_eq!(resolve(peer, &h, &trusted, FWD), ip("198.51.100.2"));
    }

    #[test]
    fn forwarded_for_takes_every_rfc_7239_form() {
        let trusted = ranges(&["127.0.0.1/32", "::1/128"]);
        let peer = ip("127.0.0.1");
        for (value, expected) in [
            ("for=192.0.2.60", "192.0.2.60"),
            ("For=\"192.0.2.60:4711\"", "192.0.2.60"),
            ("for=\"[2001:db8:cafe::17]\"", "2001:db8:cafe::17"),
            (
                "for=\"[2001:db8:cafe::17]:4711\";proto=https",
                "2001:db8:cafe::17",
            ),
            ("proto=https;for=192.0.2.43;by=203.0.113.60", "192.0.2.43"),
            ("for=192.0.2.43, for=\"[::1]:1234\"", "192.0.2.43"),
            ("for=192.0.2.43;host=\"a,b\"", "192.0.2.43"),
        ] {
            let h = headers(&[("forwarded", value)]);
            assert_eq!(resolve(peer, &h, &trusted, FWD), ip(expected), "{value}");
        }
        // The loopback client of a loopback proxy is itself trusted.
        let h = headers(&[("forwarded", "for=\"[::1]:1234\"")]);
        assert_eq!(resolve(peer, &h, &trusted, FWD), ip("::1"));
        // Obfuscated, unknown or missing `for`: the proxy's own address.
        for value in ["for=unknown", "for=_hidden", "proto=https", "for=\"[::1\""] {
            let h = headers(&[("forwarded", value)]);
            assert_eq!(resolve(peer, &h, &trusted, FWD), peer, "{value}");
        }
    }
}
