//! Java: Maven or Gradle in an official JDK builder image, the jar run on distroless java.
//!
//! Builder: the build tool is told by the context's files (`pom.xml` → Maven, else
//! `build.gradle[.kts]` / `settings.gradle[.kts]` → Gradle, with `./gradlew` when present).
//! The manifests are copied first and a dependency step (`mvn dependency:go-offline`,
//! `gradle dependencies`) fills the tool's cache mount, so a source-only change keeps that
//! step cached; the package step that follows uses the same mount for whatever the
//! dependency step could not foresee (plugins resolved lazily, MDEP-82).
//! Runtime: distroless java, whose entrypoint is already `java -jar`, so the command is only
//! the jar. JVM flags go through `JAVA_TOOL_OPTIONS` (the spec's `jvm_options`): anything
//! after the jar would reach the app's `main`, not the JVM.
//!
//! The jar is always named, never globbed: Maven's is `target/<finalName>.jar` (by default
//! `<artifactId>-<version>`), read from `pom.xml`; Gradle's is `build/libs/<name>[-<version>].jar`,
//! read from `settings.gradle` and the build file. When the files do not say it plainly,
//! `entrypoint` names the jar.

use super::Recipe;
use crate::plan::{
    Cache, CrossCompile, Entrypoint, Facts, RecipeArtifact, RecipeBuilder, RecipeInput, RecipePlan,
    Run, Step, error_at,
};
use crate::spec::{Diagnostic, Diagnostics, Spec};
use std::collections::BTreeMap;

/// The java recipe.
pub const JAVA: Recipe = Recipe {
    name: "java",
    probes: &[
        "pom.xml",
        ".mvn/maven.config",
        ".mvn/jvm.config",
        ".mvn/extensions.xml",
        "build.gradle",
        "build.gradle.kts",
        "settings.gradle",
        "settings.gradle.kts",
        "gradle.properties",
        "gradle/libs.versions.toml",
        "gradle/wrapper/gradle-wrapper.properties",
        "gradlew",
        ".java-version",
    ],
    spec_probes: super::no_spec_probes,
    serves: true,
    plan,
};

/// Java feature releases that have a distroless image.
const VERSIONS: [&str; 3] = ["17", "21", "25"];
const DEFAULT_VERSION: &str = "21";

/// Gradle's project files, copied before the dependency step when present.
const GRADLE_MANIFESTS: [&str; 6] = [
    "settings.gradle",
    "settings.gradle.kts",
    "build.gradle",
    "build.gradle.kts",
    "gradle.properties",
    "gradle/libs.versions.toml",
];
/// Files under `.mvn/` that change how Maven runs, copied with `pom.xml`.
const MAVEN_CONFIG: [&str; 3] = [
    ".mvn/maven.config",
    ".mvn/jvm.config",
    ".mvn/extensions.xml",
];

/// The build tool, as the context's files tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    Maven,
    /// `wrapper`: the project has `./gradlew`.
    Gradle {
        wrapper: bool,
    },
}

fn plan(input: RecipeInput<'_>) -> Result<RecipePlan, Diagnostics> {
    let spec = input.spec;
    let facts = input.facts;
    let mut problems = Vec::new();

    let tool = if facts.has("pom.xml") {
        Some(Tool::Maven)
    } else if GRADLE_MANIFESTS[..4].iter().any(|f| facts.has(f)) {
        Some(Tool::Gradle {
            wrapper: facts.has("gradlew"),
        })
    } else {
        problems.push(error_at(
            &spec.runtime,
            "runtime `java` needs a pom.xml or a build.gradle(.kts) in the build context"
                .to_string(),
            Some("shallot builds Java apps with Maven or Gradle".to_string()),
        ));
        None
    };

    let pom = match tool {
        Some(Tool::Maven) => match facts.text("pom.xml").map(Pom::parse) {
            Some(Ok(pom)) => Some(pom),
            Some(Err(why)) => {
                problems.push(error_at(
                    &spec.runtime,
                    format!("pom.xml in the build context cannot be read: {why}"),
                    None,
                ));
                None
            }
            None => {
                problems.push(error_at(
                    &spec.runtime,
                    "pom.xml in the build context is not UTF-8 text".to_string(),
                    None,
                ));
                None
            }
        },
        _ => None,
    };
    let gradle = match tool {
        Some(Tool::Gradle { .. }) => Some(Gradle::read(facts)),
        _ => None,
    };

    let version = match version(spec, facts, pom.as_ref(), gradle.as_ref()) {
        Ok(v) => v,
        Err(d) => {
            problems.push(d);
            Chosen {
                version: DEFAULT_VERSION.to_string(),
                from: None,
            }
        }
    };

    let jar = match (&spec.entrypoint, tool) {
        (Some(e), _) => match super::inside_context(&e.value) {
            Some(path) if path.ends_with(".jar") => Some(path),
            _ => {
                problems.push(error_at(
                    e,
                    format!(
                        "`entrypoint` of runtime `java` names the jar to run, got `{}`",
                        e.value
                    ),
                    Some(
                        "a path relative to the project ending in `.jar`, e.g. `target/app.jar`"
                            .to_string(),
                    ),
                ));
                None
            }
        },
        (None, Some(Tool::Maven)) => match pom.as_ref().map(Pom::jar) {
            Some(Ok(jar)) => Some(jar),
            Some(Err(why)) => {
                problems.push(error_at(
                    &spec.runtime,
                    why,
                    Some("name the jar: `entrypoint: target/<name>.jar`".to_string()),
                ));
                None
            }
            None => None,
        },
        (None, Some(Tool::Gradle { .. })) => match gradle.as_ref().map(|g| g.jar(spec)) {
            Some(Ok(jar)) => Some(jar),
            Some(Err(why)) => {
                problems.push(error_at(
                    &spec.runtime,
                    why,
                    Some("name the jar: `entrypoint: build/libs/<name>.jar`".to_string()),
                ));
                None
            }
            None => None,
        },
        (None, None) => None,
    };

    let (Some(tool), Some(jar), true) = (tool, jar, problems.is_empty()) else {
        return Err(Diagnostics(problems));
    };

    let builder = match tool {
        Tool::Maven => maven_builder(spec, facts, pom.as_ref(), &version.version),
        Tool::Gradle { wrapper } => {
            gradle_builder(spec, facts, gradle.as_ref(), wrapper, &version.version)
        }
    };
    let name = jar.rsplit('/').next().unwrap_or(&jar).to_string();
    let mut env = Vec::new();
    if let Some(options) = &spec.jvm_options {
        env.push(("JAVA_TOOL_OPTIONS".to_string(), options.value.clone()));
    }
    let v = &version.version;
    Ok(RecipePlan {
        builder: Some(builder),
        runtime_image: format!("gcr.io/distroless/java{v}-debian13:nonroot"),
        runtime_note: version.from.map(|from| format!("java {v} from {from}")),
        artifacts: vec![RecipeArtifact {
            from: crate::plan::Source::Builder(jar),
            to: name.clone(),
            directory: false,
            mode: None,
        }],
        entrypoint: Entrypoint::Inherit {
            fallback: vec!["/usr/bin/java".to_string(), "-jar".to_string()],
        },
        cmd: vec![crate::plan::join(&spec.workdir.value, &name)],
        env,
        exclude: match tool {
            Tool::Maven => vec!["target".to_string(), "*/target".to_string()],
            Tool::Gradle { .. } => vec![
                "build".to_string(),
                "*/build".to_string(),
                ".gradle".to_string(),
            ],
        },
        unlocked: None,
    })
}

// ---- builders -----------------------------------------------------------------------------------

fn maven_builder(spec: &Spec, facts: &Facts, pom: Option<&Pom>, version: &str) -> RecipeBuilder {
    let mut manifests = vec!["pom.xml".to_string()];
    manifests.extend(
        MAVEN_CONFIG
            .iter()
            .filter(|f| facts.has(f))
            .map(|f| f.to_string()),
    );
    // A reactor needs every module's pom to plan the build.
    if let Some(pom) = pom {
        for module in &pom.modules {
            if let Some(dir) = super::inside_context(module) {
                let path = format!("{dir}/pom.xml");
                if !manifests.contains(&path) {
                    manifests.push(path);
                }
            }
        }
    }
    let cache = || Cache {
        target: "/root/.m2".to_string(),
        id: "shallot-maven".to_string(),
        locked: false,
    };
    let mut steps = vec![
        Step::CopyFiles { paths: manifests },
        Step::Run(Run {
            command: "mvn -B -ntp dependency:go-offline".to_string(),
            caches: vec![cache()],
            span: Some(spec.runtime.span),
        }),
        Step::CopySource,
    ];
    steps.extend(package_steps(
        spec,
        "mvn -B -ntp package -DskipTests",
        cache,
    ));
    RecipeBuilder {
        image: format!("maven:3.9-eclipse-temurin-{version}"),
        env: vec![],
        steps,
        cross: CrossCompile::No,
    }
}

fn gradle_builder(
    spec: &Spec,
    facts: &Facts,
    gradle: Option<&Gradle>,
    wrapper: bool,
    version: &str,
) -> RecipeBuilder {
    let mut manifests: Vec<String> = GRADLE_MANIFESTS
        .iter()
        .filter(|f| facts.has(f))
        .map(|f| f.to_string())
        .collect();
    if wrapper {
        manifests.push("gradlew".to_string());
        if facts.has("gradle/wrapper/gradle-wrapper.properties") {
            // The wrapper jar is binary, so the directory is copied rather than probed.
            manifests.push("gradle/wrapper".to_string());
        }
    }
    // `sh ./gradlew`: the executable bit may not survive every checkout.
    let gradle_cmd = if wrapper { "sh ./gradlew" } else { "gradle" };
    let cache = || Cache {
        target: "/root/.gradle".to_string(),
        id: "shallot-gradle".to_string(),
        // Gradle's caches are not safe for two builds writing at once.
        locked: true,
    };
    let task = match gradle {
        Some(g) if g.spring_boot => "bootJar",
        _ => "jar",
    };
    let mut steps = vec![
        Step::CopyFiles { paths: manifests },
        Step::Run(Run {
            command: format!("{gradle_cmd} --no-daemon dependencies"),
            caches: vec![cache()],
            span: Some(spec.runtime.span),
        }),
        Step::CopySource,
    ];
    steps.extend(package_steps(
        spec,
        &format!("{gradle_cmd} --no-daemon {task}"),
        cache,
    ));
    RecipeBuilder {
        image: format!("gradle:9-jdk{version}"),
        // The cache mount is there whatever the image sets.
        env: vec![("GRADLE_USER_HOME".to_string(), "/root/.gradle".to_string())],
        steps,
        cross: CrossCompile::No,
    }
}

/// The package step: the tool's default, or the spec's `build` commands instead of it.
fn package_steps(spec: &Spec, default: &str, cache: impl Fn() -> Cache) -> Vec<Step> {
    if spec.build.is_empty() {
        return vec![Step::Run(Run {
            command: default.to_string(),
            caches: vec![cache()],
            span: Some(spec.runtime.span),
        })];
    }
    spec.build
        .iter()
        .map(|command| {
            Step::Run(Run {
                command: command.value.clone(),
                caches: vec![cache()],
                span: Some(command.span),
            })
        })
        .collect()
}

// ---- the Java version ---------------------------------------------------------------------------

/// The Java feature release to use, and which file said so (`None`: the spec or the default).
#[derive(Debug, PartialEq, Eq)]
struct Chosen {
    version: String,
    from: Option<String>,
}

/// `java@N`, else `.java-version`, else the build file, else the default.
fn version(
    spec: &Spec,
    facts: &Facts,
    pom: Option<&Pom>,
    gradle: Option<&Gradle>,
) -> Result<Chosen, Diagnostic> {
    if let Some(v) = &spec.runtime_version {
        return if VERSIONS.contains(&v.value.as_str()) {
            Ok(Chosen {
                version: v.value.clone(),
                from: None,
            })
        } else {
            Err(error_at(
                v,
                format!("java {} has no distroless image", v.value),
                Some(format!("use one of: {}", VERSIONS.join(", "))),
            ))
        };
    }
    let stated = if facts.has(".java-version") {
        let text = facts.text(".java-version").unwrap_or_default();
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or_default();
        match feature_release(line) {
            Some(v) => Some((v, ".java-version".to_string())),
            None => {
                return Err(error_at(
                    &spec.runtime,
                    format!(
                        "cannot read a Java version from .java-version: `{}`",
                        line.escape_default()
                    ),
                    Some(format!(
                        "write a feature release such as 21, or say `runtime: java@21` (one of: {})",
                        VERSIONS.join(", ")
                    )),
                ));
            }
        }
    } else if let Some(pom) = pom {
        pom.java_version()
    } else {
        gradle.and_then(Gradle::java_version)
    };
    match stated {
        None => Ok(Chosen {
            version: DEFAULT_VERSION.to_string(),
            from: None,
        }),
        Some((v, from)) if VERSIONS.contains(&v.as_str()) => Ok(Chosen {
            version: v,
            from: Some(from),
        }),
        Some((v, from)) => Err(error_at(
            &spec.runtime,
            format!("java {v} (from {from}) has no distroless image"),
            Some(format!(
                "distroless has java {}; say which with `runtime: java@{DEFAULT_VERSION}`",
                VERSIONS.join(", ")
            )),
        )),
    }
}

/// The feature release in a version string: `21`, `21.0.2`, `17.0.9+9`, `temurin-21.0.1`,
/// `openjdk64-17.0.2`, and `1.8` (the old spelling, feature release 8).
fn feature_release(text: &str) -> Option<String> {
    let text = text.trim().trim_matches(|c| c == '"' || c == '\'');
    // A vendor prefix (jenv, asdf, sdkman) ends at the last `-` before a digit.
    let text = match text.rfind('-') {
        Some(i) if text[i + 1..].starts_with(|c: char| c.is_ascii_digit()) => &text[i + 1..],
        _ => text,
    };
    let mut parts = text.split(|c: char| !c.is_ascii_digit());
    let first = parts.next()?;
    let major = if first == "1" { parts.next()? } else { first };
    let valid = !major.is_empty() && major.len() <= 3 && !major.starts_with('0');
    valid.then(|| major.to_string())
}

// ---- Maven --------------------------------------------------------------------------------------

/// What shallot reads from `pom.xml`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Pom {
    artifact_id: Option<String>,
    version: Option<String>,
    group_id: Option<String>,
    parent_version: Option<String>,
    parent_group_id: Option<String>,
    packaging: Option<String>,
    final_name: Option<String>,
    properties: BTreeMap<String, String>,
    modules: Vec<String>,
}

/// Java version properties, most specific first.
const POM_VERSION_PROPERTIES: [&str; 4] = [
    "maven.compiler.release",
    "java.version",
    "maven.compiler.target",
    "maven.compiler.source",
];

impl Pom {
    fn parse(text: &str) -> Result<Pom, String> {
        let mut pom = Pom::default();
        for (path, value) in xml::leaves(text)? {
            let value = value.trim().to_string();
            match path.as_str() {
                "project/artifactId" => pom.artifact_id = Some(value),
                "project/version" => pom.version = Some(value),
                "project/groupId" => pom.group_id = Some(value),
                "project/parent/version" => pom.parent_version = Some(value),
                "project/parent/groupId" => pom.parent_group_id = Some(value),
                "project/packaging" => pom.packaging = Some(value),
                "project/build/finalName" => pom.final_name = Some(value),
                "project/modules/module" => pom.modules.push(value),
                p => {
                    if let Some(key) = p.strip_prefix("project/properties/") {
                        if !key.contains('/') {
                            pom.properties.insert(key.to_string(), value);
                        }
                    }
                }
            }
        }
        Ok(pom)
    }

    /// `${…}` references replaced from the project's coordinates and properties; `None` if
    /// one cannot be (a property from a parent, a profile or the command line).
    fn resolve(&self, text: &str) -> Option<String> {
        let mut out = text.to_string();
        // Properties may refer to properties; a few rounds settle any sane pom, and the bound
        // stops a property that refers to itself.
        for _ in 0..8 {
            let Some(start) = out.find("${") else {
                return Some(out);
            };
            let end = start + out[start..].find('}')?;
            let name = &out[start + 2..end];
            let value = match name {
                "project.artifactId" | "pom.artifactId" | "artifactId" => self.artifact_id.clone(),
                "project.version" | "pom.version" | "version" => self.own_version(),
                "project.groupId" | "pom.groupId" | "groupId" => {
                    self.group_id.clone().or(self.parent_group_id.clone())
                }
                "project.parent.version" => self.parent_version.clone(),
                other => self.properties.get(other).cloned(),
            }?;
            out.replace_range(start..=end, &value);
        }
        (!out.contains("${")).then_some(out)
    }

    /// The project's version, inherited from the parent when not its own.
    fn own_version(&self) -> Option<String> {
        self.version.clone().or(self.parent_version.clone())
    }

    /// `target/<finalName>.jar`.
    fn jar(&self) -> Result<String, String> {
        let packaging = self.packaging.as_deref().unwrap_or("jar");
        if packaging != "jar" {
            return Err(format!(
                "pom.xml packages a `{packaging}`; runtime `java` runs a jar"
            ));
        }
        let name = match &self.final_name {
            Some(name) => name.clone(),
            None => {
                let artifact = self.artifact_id.as_deref().unwrap_or("");
                let version = self.own_version().unwrap_or_default();
                if artifact.is_empty() || version.is_empty() {
                    return Err("pom.xml has no artifactId or version to name the jar".to_string());
                }
                format!("{artifact}-{version}")
            }
        };
        match self.resolve(&name) {
            Some(resolved)
                if super::inside_context(&resolved).as_deref() == Some(resolved.as_str()) =>
            {
                Ok(format!("target/{resolved}.jar"))
            }
            _ => Err(format!(
                "cannot tell the jar's name from pom.xml: `{name}` uses a property defined elsewhere"
            )),
        }
    }

    /// The Java version the pom asks for, with where it says so.
    fn java_version(&self) -> Option<(String, String)> {
        POM_VERSION_PROPERTIES.iter().find_map(|key| {
            let value = self.properties.get(*key)?;
            let version = feature_release(&self.resolve(value)?)?;
            Some((version, format!("pom.xml <{key}>")))
        })
    }
}

/// Just enough XML for a pom: elements, text, comments, CDATA and the five entities. A DTD is
/// refused (no entity expansion from an untrusted context).
mod xml {
    /// Every element with text, as its path from the root (`project/build/finalName`, namespace
    /// prefixes dropped) and its text, in document order.
    pub(super) fn leaves(text: &str) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        // Open elements: name and the text seen directly inside.
        let mut stack: Vec<(String, String)> = Vec::new();
        let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("<!--") {
                rest = skip_past(after, "-->", "a comment")?;
            } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
                let end = after.find("]]>").ok_or("a CDATA section is not closed")?;
                if let Some((_, text)) = stack.last_mut() {
                    text.push_str(&after[..end]);
                }
                rest = &after[end + 3..];
            } else if rest.starts_with("<!") {
                return Err("a DOCTYPE or DTD is not accepted".to_string());
            } else if let Some(after) = rest.strip_prefix("<?") {
                rest = skip_past(after, "?>", "a processing instruction")?;
            } else if let Some(after) = rest.strip_prefix("</") {
                let end = after.find('>').ok_or("a closing tag is not closed")?;
                let name = local_name(after[..end].trim());
                let (open, text) = stack.pop().ok_or(format!("`</{name}>` closes nothing"))?;
                if open != name {
                    return Err(format!("`<{open}>` is closed by `</{name}>`"));
                }
                let mut path: Vec<&str> = stack.iter().map(|(n, _)| n.as_str()).collect();
                path.push(&open);
                out.push((path.join("/"), text));
                rest = &after[end + 1..];
            } else if let Some(after) = rest.strip_prefix('<') {
                let end = tag_end(after).ok_or("a tag is not closed")?;
                let tag = &after[..end];
                let self_closing = tag.ends_with('/');
                let name = tag
                    .trim_end_matches('/')
                    .split(|c: char| c.is_whitespace())
                    .next()
                    .unwrap_or("");
                if name.is_empty() {
                    return Err("a tag has no name".to_string());
                }
                if stack.len() >= 64 {
                    return Err("elements are nested too deeply".to_string());
                }
                let name = local_name(name).to_string();
                if self_closing {
                    let mut path: Vec<&str> = stack.iter().map(|(n, _)| n.as_str()).collect();
                    path.push(&name);
                    out.push((path.join("/"), String::new()));
                } else {
                    stack.push((name, String::new()));
                }
                rest = &after[end + 1..];
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                if let Some((_, text)) = stack.last_mut() {
                    text.push_str(&unescape(&rest[..end])?);
                }
                rest = &rest[end..];
            }
        }
        match stack.last() {
            Some((open, _)) => Err(format!("`<{open}>` is not closed")),
            None => Ok(out),
        }
    }

    fn skip_past<'a>(text: &'a str, end: &str, what: &str) -> Result<&'a str, String> {
        let at = text.find(end).ok_or(format!("{what} is not closed"))?;
        Ok(&text[at + end.len()..])
    }

    /// Where a start tag ends: the first `>` outside quoted attribute values.
    fn tag_end(tag: &str) -> Option<usize> {
        let mut quote = None;
        for (i, c) in tag.char_indices() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => return Some(i),
                _ => {}
            }
        }
        None
    }

    fn local_name(name: &str) -> &str {
        name.rsplit(':').next().unwrap_or(name)
    }

    fn unescape(text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let after = &rest[amp + 1..];
            let semi = after
                .find(';')
                .filter(|&i| i <= 10)
                .ok_or("a `&` starts no entity")?;
            let entity = &after[..semi];
            let c = match entity {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                e => e
                    .strip_prefix("#x")
                    .map(|h| u32::from_str_radix(h, 16))
                    .or_else(|| e.strip_prefix('#').map(str::parse))
                    .and_then(Result::ok)
                    .and_then(char::from_u32)
                    .ok_or(format!("unknown entity `&{e};`"))?,
            };
            out.push(c);
            rest = &after[semi + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

// ---- Gradle -------------------------------------------------------------------------------------

/// What shallot reads from a Gradle build: plain assignments only, no evaluation.
#[derive(Debug, Default, PartialEq, Eq)]
struct Gradle {
    /// `rootProject.name` from the settings file.
    name: Option<String>,
    /// `version` from the build file or `gradle.properties`.
    version: Option<Stated>,
    /// The build file applies Spring Boot's plugin: its `bootJar` is the runnable jar.
    spring_boot: bool,
    /// The build file changes the archive's name: shallot cannot tell it.
    renames_archive: bool,
    /// A toolchain or compatibility level: the Java version and the file saying it.
    java: Option<(String, String)>,
}

/// A value that is either a plain literal or something only Gradle can evaluate.
#[derive(Debug, PartialEq, Eq)]
enum Stated {
    Literal(String),
    Computed,
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

impl Gradle {
    fn read(facts: &Facts) -> Gradle {
        let mut gradle = Gradle::default();
        for settings in ["settings.gradle.kts", "settings.gradle"] {
            if let Some(text) = facts.text(settings) {
                gradle.name = code_lines(text).find_map(|l| {
                    let value = assignment(l, "rootProject.name")?;
                    match literal(value) {
                        Some(Stated::Literal(name)) => Some(name),
                        _ => None,
                    }
                });
                break;
            }
        }
        if let Some(text) = facts.text("gradle.properties") {
            gradle.version = text.lines().find_map(|l| {
                let (key, value) = l.split_once(['=', ':'])?;
                (key.trim() == "version").then(|| Stated::Literal(value.trim().to_string()))
            });
        }
        for build in ["build.gradle.kts", "build.gradle"] {
            let Some(text) = facts.text(build) else {
                continue;
            };
            for line in code_lines(text) {
                if let Some(value) = assignment(line, "version") {
                    gradle.version = literal(value);
                }
                if line.contains("org.springframework.boot") {
                    gradle.spring_boot = true;
                }
                if ARCHIVE_NAMING.iter().any(|k| line.contains(k)) {
                    gradle.renames_archive = true;
                }
                if gradle.java.is_none() {
                    gradle.java = gradle_java(line).map(|v| (v, format!("{build} (toolchain)")));
                }
            }
            break;
        }
        gradle
    }

    fn java_version(&self) -> Option<(String, String)> {
        self.java.clone()
    }

    /// `build/libs/<name>[-<version>].jar`: Gradle's archive name, with the project directory
    /// (the workdir) as the name when the settings give none, and no version when unspecified.
    fn jar(&self, spec: &Spec) -> Result<String, String> {
        if self.renames_archive {
            return Err(
                "the Gradle build renames its jar; shallot cannot tell the name".to_string(),
            );
        }
        let name = match &self.name {
            Some(name) => name.clone(),
            None => spec
                .workdir
                .value
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        let file = match &self.version {
            None => format!("{name}.jar"),
            Some(Stated::Literal(v)) if v == "unspecified" => format!("{name}.jar"),
            Some(Stated::Literal(v)) => format!("{name}-{v}.jar"),
            Some(Stated::Computed) => {
                return Err(
                    "the Gradle build computes its version; shallot cannot tell the jar's name"
                        .to_string(),
                );
            }
        };
        match super::inside_context(&file) {
            Some(f) if f == file && !name.is_empty() => Ok(format!("build/libs/{file}")),
            _ => Err(format!("`{file}` is not a usable jar name")),
        }
    }
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

/// A quoted string with nothing to evaluate, or [`Stated::Computed`].
fn literal(value: &str) -> Option<Stated> {
    let value = value.trim().trim_end_matches(';').trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            if !inner.contains(quote) && !inner.contains('$') {
                return Some(Stated::Literal(inner.to_string()));
            }
        }
    }
    Some(Stated::Computed)
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
        if let Some(Stated::Literal(v)) = assignment(line, key).and_then(literal) {
            return feature_release(&v);
        }
    }
    None
}

#[cfg(test)]
mod tests;
