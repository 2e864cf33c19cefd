//! yarn berry's `.yarnrc.yml`: top-level scalars, read line by line (no YAML evaluation).

/// A top-level scalar of `.yarnrc.yml` (`yarnPath: .yarn/releases/yarn-4.5.0.cjs`), unquoted.
pub fn yarnrc_value(rc: &str, key: &str) -> Option<String> {
    rc.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.trim_start().strip_prefix(':')?;
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        (!value.is_empty()).then(|| value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yarnrc_values() {
        let rc = "# comment\nyarnPath: \".yarn/releases/yarn-4.5.0.cjs\"\nnodeLinker: pnp\n";
        assert_eq!(
            yarnrc_value(rc, "yarnPath"),
            Some(".yarn/releases/yarn-4.5.0.cjs".to_string())
        );
        assert_eq!(yarnrc_value(rc, "nodeLinker"), Some("pnp".to_string()));
        assert_eq!(yarnrc_value(rc, "cacheFolder"), None);
        assert_eq!(yarnrc_value("yarnPathX: a\n", "yarnPath"), None);
    }
}
