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
use crate::formats::gradle::{BuildFile, Stated, properties_version, settings_name};
use crate::formats::java_version::feature_release;
use crate::formats::pom::Pom;
use crate::plan::{
    Cache, CrossCompile, Entrypoint, Facts, RecipeArtifact, RecipeBuilder, RecipeInput, RecipePlan,
    Run, Step, error_at,
};
use crate::spec::{Diagnostic, Diagnostics, Spec};

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
        (None, Some(Tool::Maven)) => match pom.as_ref().map(maven_jar) {
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
        pom_java_version(pom)
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

// ---- Maven --------------------------------------------------------------------------------------

/// Java version properties, most specific first.
const POM_VERSION_PROPERTIES: [&str; 4] = [
    "maven.compiler.release",
    "java.version",
    "maven.compiler.target",
    "maven.compiler.source",
];

/// `target/<finalName>.jar`.
fn maven_jar(pom: &Pom) -> Result<String, String> {
    let packaging = pom.packaging.as_deref().unwrap_or("jar");
    if packaging != "jar" {
        return Err(format!(
            "pom.xml packages a `{packaging}`; runtime `java` runs a jar"
        ));
    }
    let name = match &pom.final_name {
        Some(name) => name.clone(),
        None => {
            let artifact = pom.artifact_id.as_deref().unwrap_or("");
            let version = pom.own_version().unwrap_or_default();
            if artifact.is_empty() || version.is_empty() {
                return Err("pom.xml has no artifactId or version to name the jar".to_string());
            }
            format!("{artifact}-{version}")
        }
    };
    match pom.resolve(&name) {
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
fn pom_java_version(pom: &Pom) -> Option<(String, String)> {
    POM_VERSION_PROPERTIES.iter().find_map(|key| {
        let value = pom.properties.get(*key)?;
        let version = feature_release(&pom.resolve(value)?)?;
        Some((version, format!("pom.xml <{key}>")))
    })
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

impl Gradle {
    fn read(facts: &Facts) -> Gradle {
        let mut gradle = Gradle::default();
        for settings in ["settings.gradle.kts", "settings.gradle"] {
            if let Some(text) = facts.text(settings) {
                gradle.name = settings_name(text);
                break;
            }
        }
        if let Some(text) = facts.text("gradle.properties") {
            gradle.version = properties_version(text);
        }
        for build in ["build.gradle.kts", "build.gradle"] {
            let Some(text) = facts.text(build) else {
                continue;
            };
            let file = BuildFile::read(text);
            if file.version.is_some() {
                gradle.version = file.version;
            }
            gradle.spring_boot = file.spring_boot;
            gradle.renames_archive = file.renames_archive;
            gradle.java = file.java.map(|v| (v, format!("{build} (toolchain)")));
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

#[cfg(test)]
mod tests;
