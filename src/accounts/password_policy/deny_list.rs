//! The deny-list of common and breached passwords, shipped in the binary.
//!
//! `common-passwords.txt.gz` holds the 100,000 most common passwords of the
//! SecLists list `Passwords/Common-Credentials/10-million-password-list-top-100000.txt`
//! (MIT licence), lowercased, deduplicated and sorted by bytes, one a line,
//! gzip-compressed: 96,518 entries in 250 KB (docs/SECURITY.md says how to
//! regenerate it). It is decompressed once, on first use, into one string
//! and an index of line starts (about 1.1 MB), and searched by bisection.

use std::io::Read;
use std::sync::LazyLock;

const COMPRESSED: &[u8] = include_bytes!("common-passwords.txt.gz");

struct DenyList {
    text: String,
    /// Where each entry starts in `text`; entries end at the next '\n'.
    starts: Vec<u32>,
}

impl DenyList {
    fn decode() -> Result<Self, String> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(COMPRESSED)
            .read_to_string(&mut text)
            .map_err(|e| format!("the built-in password deny-list does not decompress: {e}"))?;
        let mut starts = Vec::with_capacity(100_000);
        let mut at = 0usize;
        for line in text.split_inclusive('\n') {
            if line.len() > 1 {
                starts.push(u32::try_from(at).map_err(|e| e.to_string())?);
            }
            at += line.len();
        }
        Ok(Self { text, starts })
    }

    fn entry(&self, index: usize) -> &str {
        let start = self.starts[index] as usize;
        let rest = &self.text[start..];
        rest.split('\n').next().unwrap_or(rest)
    }

    fn contains(&self, lowercased: &str) -> bool {
        let (mut low, mut high) = (0, self.starts.len());
        while low < high {
            let middle = low + (high - low) / 2;
            match self.entry(middle).as_bytes().cmp(lowercased.as_bytes()) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
            }
        }
        false
    }
}

/// Decoded on first use. A list that failed to decode is empty, and
/// `entries()` says so: the server refuses to start with it (startup.rs),
/// and a unit test keeps a broken asset from being committed.
static LIST: LazyLock<DenyList> = LazyLock::new(|| {
    DenyList::decode().unwrap_or_else(|error| {
        tracing::error!("{error}");
        DenyList {
            text: String::new(),
            starts: Vec::new(),
        }
    })
});

/// How many passwords the list holds.
pub fn entries() -> usize {
    LIST.starts.len()
}

/// Whether the password, compared case-insensitively, is on the list.
pub fn contains(candidate: &str) -> bool {
    LIST.contains(&candidate.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_decodes_whole_lowercased_sorted_and_without_duplicates() {
        let list = DenyList::decode().unwrap();
        assert_eq!(list.starts.len(), 96_518);
        let entries: Vec<&str> = (0..list.starts.len()).map(|i| list.entry(i)).collect();
        for pair in entries.windows(2) {
            assert!(
                pair[0].as_bytes() < pair[1].as_bytes(),
                "not strictly sorted: {pair:?}"
            );
        }
        for entry in &entries {
            assert!(!entry.is_empty());
            assert_eq!(*entry, entry.to_lowercase(), "not lowercased");
        }
    }

    #[test]
    fn lookups_are_case_insensitive_and_exact() {
        for common in [
            "123456", "password", "Password", "QWERTY", "iloveyou", "zzzzzz",
        ] {
            assert!(contains(common), "{common}");
        }
        // Entries at both ends of the list are found (bisection bounds).
        let list = DenyList::decode().unwrap();
        assert!(contains(list.entry(0)));
        assert!(contains(list.entry(list.starts.len() - 1)));
        for uncommon in [
            "",
            "violet-anchor-meadow-2931",
            "passwordx",
            "password ",
            " password",
        ] {
            assert!(!contains(uncommon), "{uncommon:?}");
        }
    }
}
