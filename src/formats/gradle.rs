//! Gradle build files (Groovy and Kotlin DSL) and `gradle.properties`, read as text: plain
//! assignments only, nothing evaluated.

use super::java_version::feature_release;

/// A value that is either a plain literal or something only Gradle can evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stated {
    /// A quoted string with nothing to interpolate.
    Literal(String),
    /// Anything else: a variable, a call, an interpolated string.
    Computed,
}

/// What a build file (`build.gradle[.kts]`) says plainly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildFile {
    /// The last `version = …` assignment.
    pub version: Option<Stated>,
    /// The file applies Spring Boot's plugin (`org.springframework.boot`).
    pub spring_boot: bool,
    /// The file sets one of the archive-naming properties.
    pub renames_archive: bool,
    /// The first Java version a toolchain or compatibility level names.
    pub java: Option<String>,
}

/// Build-file settings that change the jar's name.
const ARCHIVE_NAMING: [&str; 6] = [
    "archiveFileName",
    "archiveBaseName",
    "archiveVersion",
    "archiveClassifier",
    "archivesName",
    "archivesBaseName",
];

impl BuildFile {
    /// Reads a build file line by line.
    pub fn read(text: &str) -> BuildFile {
        let mut file = BuildFile::default();
        for line in code_lines(text) {
            if let Some(value) = assignment(line, "version") {
                file.version = Some(literal(value));
            }
            if line.contains("org.springframework.boot") {
                file.spring_boot = true;
            }
            if ARCHIVE_NAMING.iter().any(|k| line.contains(k)) {
                file.renames_archive = true;
            }
            if file.java.is_none() {
                file.java = gradle_java(line);
            }
        }
        file
    }
}

/// `rootProject.name` of a settings file, when it is a plain literal.
pub fn settings_name(text: &str) -> Option<String> {
    code_lines(text).find_map(|l| match literal(assignment(l, "rootProject.name")?) {
        Stated::Literal(name) => Some(name),
        Stated::Computed => None,
    })
}

/// `version` in `gradle.properties` (`version=1.0` or `version: 1.0`).
pub fn properties_version(text: &str) -> Option<Stated> {
    text.lines().find_map(|l| {
        let (key, value) = l.split_once(['=', ':'])?;
        (key.trim() == "version").then(|| Stated::Literal(value.trim().to_string()))
    })
}

/// Lines that are not comments, trimmed.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with('*'))
}

/// The right-hand side of `key = value` (Kotlin and Groovy) or `key 'value'` (Groovy).
fn assignment<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?;
    let rest = rest.trim_start();
    match rest.strip_prefix('=') {
        Some(value) => Some(value.trim()),
        None if rest.starts_with(['"', '\'']) => Some(rest),
        None => None,
    }
}

/// A quoted string with nothing to evaluate, or [`Stated::Computed`]; a `;` and a `//`
/// comment may follow it.
fn literal(value: &str) -> Stated {
    let value = value.trim();
    for quote in ['"', '\''] {
        let Some((inner, after)) = value.strip_prefix(quote).and_then(|v| v.split_once(quote))
        else {
            continue;
        };
        let after = after.trim_start();
        let after = after.strip_prefix(';').unwrap_or(after).trim_start();
        if (after.is_empty() || after.starts_with("//")) && !inner.contains('$') {
            return Stated::Literal(inner.to_string());
        }
    }
    Stated::Computed
}

/// A Java version in a build-file line: `JavaLanguageVersion.of(21)`,
/// `JavaVersion.VERSION_17`, `sourceCompatibility = '17'`.
fn gradle_java(line: &str) -> Option<String> {
    if let Some(at) = line.find("JavaLanguageVersion.of(") {
        let rest = &line[at + "JavaLanguageVersion.of(".len()..];
        return feature_release(rest.split(')').next()?);
    }
    if let Some(at) = line.find("JavaVersion.VERSION_") {
        let rest = &line[at + "JavaVersion.VERSION_".len()..];
        let token: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '_')
            .collect();
        return feature_release(&token.replace('_', "."));
    }
    for key in ["sourceCompatibility", "targetCompatibility"] {
        if let Some(Stated::Literal(v)) = assignment(line, key).map(literal) {
            return feature_release(&v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradle_java_versions() {
        for (line, expected) in [
            ("languageVersion = JavaLanguageVersion.of(21)", Some("21")),
            (
                "languageVersion.set(JavaLanguageVersion.of(\"17\"))",
                Some("17"),
            ),
            ("sourceCompatibility = JavaVersion.VERSION_25", Some("25")),
            ("sourceCompatibility = JavaVersion.VERSION_1_8", Some("8")),
            ("sourceCompatibility = '17'", Some("17")),
            ("targetCompatibility = \"21\"", Some("21")),
            ("implementation(\"x:y:1.0\")", None),
        ] {
            assert_eq!(gradle_java(line).as_deref(), expected, "{line}");
        }
    }

    #[test]
    fn build_files_are_read_plainly() {
        let groovy = "plugins { id 'org.springframework.boot' version '3.4.0' }\n\
            // version = 'commented'\n\
            version '1.0'\n\
            java { sourceCompatibility = JavaVersion.VERSION_17 }\n\
            java { toolchain { languageVersion = JavaLanguageVersion.of(21) } }\n";
        assert_eq!(
            BuildFile::read(groovy),
            BuildFile {
                version: Some(Stated::Literal("1.0".to_string())),
                spring_boot: true,
                renames_archive: false,
                java: Some("17".to_string()),
            }
        );
        let kotlin = "version = \"1.$minor\"\ntasks.jar { archiveBaseName.set(\"x\") }\n";
        assert_eq!(
            BuildFile::read(kotlin),
            BuildFile {
                version: Some(Stated::Computed),
                spring_boot: false,
                renames_archive: true,
                java: None,
            }
        );
        assert_eq!(BuildFile::read(""), BuildFile::default());
    }

    #[test]
    fn settings_and_properties() {
        assert_eq!(
            settings_name("// x\nrootProject.name = \"greeter\"\n").as_deref(),
            Some("greeter")
        );
        assert_eq!(
            settings_name("rootProject.name = 'g';\n").as_deref(),
            Some("g")
        );
        assert_eq!(settings_name("rootProject.name = providers.x\n"), None);
        assert_eq!(
            settings_name("rootProject.name = 'g' // the service\n").as_deref(),
            Some("g")
        );
        for computed in ["'a' + 'b'", "\"1.$x\"", "'a\\'b'", "'''1.0'''"] {
            assert_eq!(literal(computed), Stated::Computed, "{computed}");
        }
        assert_eq!(
            literal("\"1.0\" ; // x"),
            Stated::Literal("1.0".to_string())
        );
        assert_eq!(
            properties_version("org.gradle.caching=true\nversion: 2.1\n"),
            Some(Stated::Literal("2.1".to_string()))
        );
        assert_eq!(properties_version("versions=1\n"), None);
    }
}
