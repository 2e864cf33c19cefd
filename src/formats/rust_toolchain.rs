//! rustup's toolchain files: `rust-toolchain.toml` and the legacy `rust-toolchain`.

/// The channel of a `rust-toolchain.toml` (`[toolchain] channel = "…"`) or of a legacy
/// `rust-toolchain` (the same TOML, or just the channel on one line).
pub fn toolchain_channel(text: &str) -> Option<String> {
    if let Ok(table) = text.parse::<toml::Table>() {
        return table
            .get("toolchain")?
            .get("channel")?
            .as_str()
            .map(str::to_string);
    }
    let line = text.trim();
    (!line.is_empty() && !line.contains(char::is_whitespace)).then(|| line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels() {
        let channel = toolchain_channel;
        assert_eq!(
            channel("[toolchain]\nchannel = \"1.90.0\"\ncomponents = [\"clippy\"]\n").as_deref(),
            Some("1.90.0")
        );
        assert_eq!(channel("[toolchain]\nprofile = \"minimal\"\n"), None);
        assert_eq!(channel("stable\n").as_deref(), Some("stable"));
        assert_eq!(channel("  1.89  \n").as_deref(), Some("1.89"));
        assert_eq!(channel(""), None);
        assert_eq!(channel("not toml = at all ["), None);
    }
}
