//! npm's version syntax (node-semver): ranges such as `engines.node` (`>=20 <23`, `^22`,
//! `22.x || 24`) and the exact versions `packageManager` pins.
//!
//! Only what choosing a major needs is kept: prerelease and build suffixes are dropped.

/// A full version: major, minor, patch.
pub type Version = (u64, u64, u64);

/// The largest version number npm accepts (node-semver's `MAX_SAFE_INTEGER`). Larger ones are
/// not versions; the bound also keeps every `+ 1` below (a range's exclusive ceiling) from
/// overflowing, which would panic or wrap a range into "any version".
const MAX_NUMBER: u64 = (1 << 53) - 1;

/// A possibly partial version as npm ranges write it: `22`, `22.3`, `22.x`, `22.3.1`, `*`.
/// Prerelease and build suffixes are dropped: only majors are chosen here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partial {
    /// The major, `None` for `*` / `x`.
    pub major: Option<u64>,
    /// The minor, `None` when absent or a wildcard.
    pub minor: Option<u64>,
    /// The patch, `None` when absent or a wildcard.
    pub patch: Option<u64>,
}

impl Partial {
    /// Any version (`*`, `x` or an empty string).
    pub const ANY: Partial = Partial {
        major: None,
        minor: None,
        patch: None,
    };

    /// Reads `22`, `v22.3`, `22.x`, `22.3.1-rc.1`; `None` if it is not such a version.
    pub fn parse(text: &str) -> Option<Partial> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        if text.is_empty() {
            return Some(Partial::ANY);
        }
        let text = text.split(['-', '+']).next().unwrap_or_default();
        let mut parts = [None; 3];
        let mut wild = false;
        for (i, part) in text.split('.').enumerate() {
            if i >= 3 {
                return None;
            }
            if matches!(part, "x" | "X" | "*") {
                wild = true;
            } else if wild || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                // A number after a wildcard (`1.x.3`) is not a version either.
                return None;
            } else {
                // Too many digits for a u64 fails to parse; past npm's bound is refused too.
                parts[i] = Some(part.parse().ok().filter(|n| *n <= MAX_NUMBER)?);
            }
        }
        Some(Partial {
            major: parts[0],
            minor: parts[1],
            patch: parts[2],
        })
    }

    /// The lowest version it stands for (`22.x` → 22.0.0).
    fn floor(self) -> Version {
        (
            self.major.unwrap_or(0),
            self.minor.unwrap_or(0),
            self.patch.unwrap_or(0),
        )
    }

    /// The first version past those it stands for (`22` → 23.0.0, `22.3` → 22.4.0,
    /// `22.3.1` → 22.3.2); `None` for `*`.
    fn ceiling(self) -> Option<Version> {
        match (self.major, self.minor, self.patch) {
            (None, _, _) => None,
            (Some(m), None, _) => Some((m + 1, 0, 0)),
            (Some(m), Some(n), None) => Some((m, n + 1, 0)),
            (Some(m), Some(n), Some(p)) => Some((m, n, p + 1)),
        }
    }
}

/// The versions one comparator set (`>=20 <23`) allows: `[lo, hi)`, `hi = None` unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    lo: Version,
    hi: Option<Version>,
}

impl Interval {
    const ALL: Interval = Interval {
        lo: (0, 0, 0),
        hi: None,
    };
    const NONE: Interval = Interval {
        lo: (0, 0, 0),
        hi: Some((0, 0, 0)),
    };

    fn below(hi: Version) -> Interval {
        Interval {
            lo: (0, 0, 0),
            hi: Some(hi),
        }
    }

    /// `[lo, hi)`; `hi = None` is unbounded.
    pub fn from(lo: Version, hi: Option<Version>) -> Interval {
        Interval { lo, hi }
    }

    fn and(self, other: Interval) -> Interval {
        let hi = match (self.hi, other.hi) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Interval {
            lo: self.lo.max(other.lo),
            hi,
        }
    }

    /// Whether some version of this major is allowed.
    pub fn allows_major(self, major: u64) -> bool {
        // The last major has no successor: its versions reach to the top.
        let next = major.checked_add(1).map(|m| (m, 0, 0));
        let range = self.and(Interval::from((major, 0, 0), next));
        range.hi.is_none_or(|hi| range.lo < hi)
    }
}

/// An npm version range (`engines.node`) as the intervals of its `||` alternatives. Covers
/// what npm's grammar has: `=`, `<`, `<=`, `>`, `>=`, `~`, `^`, hyphen ranges, `x`/`*`
/// wildcards, partial versions and a leading `v`; prerelease tags are ignored (only majors
/// are chosen). `None` if it is not such a range.
pub fn parse_range(range: &str) -> Option<Vec<Interval>> {
    range.split("||").map(parse_set).collect()
}

fn parse_set(set: &str) -> Option<Interval> {
    let set = set.trim();
    if let Some((from, to)) = set.split_once(" - ") {
        let from = Partial::parse(from)?;
        let to = Partial::parse(to)?;
        return Some(Interval::from(from.floor(), to.ceiling()));
    }
    // `>= 20` is allowed: an operator alone joins the next word.
    let mut words: Vec<String> = Vec::new();
    let mut pending = String::new();
    for word in set.split_whitespace() {
        pending.push_str(word);
        if !word
            .trim_start_matches(['<', '>', '=', '~', '^'])
            .is_empty()
        {
            words.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        return None;
    }
    words
        .iter()
        .try_fold(Interval::ALL, |acc, word| Some(acc.and(comparator(word)?)))
}

fn comparator(word: &str) -> Option<Interval> {
    let ops = [">=", "<=", "~>", ">", "<", "=", "~", "^"];
    let (op, rest) = ops
        .iter()
        .find_map(|op| word.strip_prefix(op).map(|rest| (*op, rest)))
        .unwrap_or(("", word));
    let v = Partial::parse(rest)?;
    let any = v.major.is_none();
    Some(match op {
        "" | "=" => Interval::from(v.floor(), v.ceiling()),
        ">=" => Interval::from(v.floor(), None),
        ">" if any => Interval::NONE,
        ">" => Interval::from(v.ceiling()?, None),
        "<" if any => Interval::NONE,
        "<" => Interval::below(v.floor()),
        "<=" => Interval::from((0, 0, 0), v.ceiling()),
        "~" | "~>" => {
            let hi = match (v.major, v.minor) {
                (Some(m), Some(n)) => Some((m, n + 1, 0)),
                (Some(m), None) => Some((m + 1, 0, 0)),
                _ => None,
            };
            Interval::from(v.floor(), hi)
        }
        "^" => {
            let hi = match (v.major, v.minor, v.patch) {
                (None, _, _) => None,
                (Some(0), Some(0), Some(p)) => Some((0, 0, p + 1)),
                (Some(0), Some(n), _) => Some((0, n + 1, 0)),
                (Some(m), _, _) => Some((m + 1, 0, 0)),
            };
            Interval::from(v.floor(), hi)
        }
        _ => return None,
    })
}

/// `1.2.3` or `1.2.3-rc.1`: digits, dots, and a prerelease of letters, digits, `.` and `-`.
pub fn is_exact_version(v: &str) -> bool {
    let (core, pre) = match v.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (v, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_versions() {
        for ok in ["1.22.22", "9.0.0", "4.0.0-rc.42", "10.1.0-beta-1"] {
            assert!(is_exact_version(ok), "{ok}");
        }
        for bad in [
            "",
            "9",
            "9.1",
            "^9.1.0",
            "9.1.0 ",
            "9.1.0-",
            "9.1.0-a b",
            "v9.1.0",
            "9.x.0",
        ] {
            assert!(!is_exact_version(bad), "{bad:?}");
        }
    }

    #[test]
    fn ranges_as_intervals() {
        assert_eq!(
            parse_range("^0.2.3"),
            Some(vec![Interval::from((0, 2, 3), Some((0, 3, 0)))])
        );
        assert_eq!(
            parse_range("^0.0.3"),
            Some(vec![Interval::from((0, 0, 3), Some((0, 0, 4)))])
        );
        assert_eq!(
            parse_range("~1.2.3 || >=2 <=2.1"),
            Some(vec![
                Interval::from((1, 2, 3), Some((1, 3, 0))),
                Interval::from((2, 0, 0), Some((2, 2, 0))),
            ])
        );
        assert_eq!(
            parse_range("1.2.3 - 2"),
            Some(vec![Interval::from((1, 2, 3), Some((3, 0, 0)))])
        );
    }

    #[test]
    fn partial_versions() {
        let p = |major, minor, patch| Partial {
            major,
            minor,
            patch,
        };
        assert_eq!(Partial::parse("v22"), Some(p(Some(22), None, None)));
        assert_eq!(Partial::parse("22.3.x"), Some(p(Some(22), Some(3), None)));
        assert_eq!(
            Partial::parse(" 22.3.1-rc.1+b "),
            Some(p(Some(22), Some(3), Some(1)))
        );
        assert_eq!(Partial::parse("*"), Some(Partial::ANY));
        assert_eq!(Partial::parse(""), Some(Partial::ANY));
        for bad in ["1.x.3", "1.2.3.4", "a", "1..2"] {
            assert_eq!(Partial::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn intervals_allow_majors() {
        let set = |r: &str| parse_range(r).and_then(|s| s.first().copied());
        let Some(range) = set(">=20 <23") else {
            panic!(">=20 <23 should parse");
        };
        assert!(range.allows_major(20));
        assert!(range.allows_major(22));
        assert!(!range.allows_major(23));
        assert!(!range.allows_major(19));
        assert_eq!(
            parse_range(">=22 <22"),
            Some(vec![Interval::from((22, 0, 0), Some((22, 0, 0)))])
        );
        assert!(set(">*").is_some_and(|i| !i.allows_major(0)));
        assert_eq!(parse_range("=> 22"), None);
        let top = parse_range(">=9007199254740991").and_then(|s| s.first().copied());
        assert!(top.is_some_and(|i| !i.allows_major(22) && i.allows_major(u64::MAX)));
    }

    #[test]
    fn numbers_too_large_are_not_versions() {
        let max = u64::MAX.to_string();
        let huge = "9".repeat(400);
        for n in [max.as_str(), "9007199254740992", huge.as_str()] {
            for range in [
                n.to_string(),
                format!("{n}.x"),
                format!("^{n}"),
                format!("~{n}"),
                format!(">{n}"),
                format!("<={n}"),
                format!("1.{n}"),
                format!("~1.{n}"),
                format!("^0.0.{n}"),
                format!("1 - {n}"),
                format!(">=22 || {n}"),
            ] {
                assert_eq!(parse_range(&range), None, "{range}");
            }
            assert_eq!(Partial::parse(n), None, "{n}");
        }
        // npm's own largest number is still one.
        assert!(parse_range("^9007199254740991").is_some());
    }
}
