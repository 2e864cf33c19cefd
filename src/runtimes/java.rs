//! Java: Maven or Gradle in an official JDK builder image, the jar run on distroless java, or,
//! for a release no distroless image has, on a runtime jlinked in the builder.
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
//! Any feature release from 11 on builds. One without a distroless image (11, 22, 23, …) gets,
//! after the package step, a builder step that asks `jdeps` which modules the jar uses and
//! `jlink`s a runtime of only those into [`STAGED_ROOT`]`/opt/java/openjdk`, which the runtime
//! stage lays onto distroless cc (glibc and the C++ runtime the JVM links). `/opt/java/openjdk`
//! is the Temurin images' `JAVA_HOME`, so the app sees the same paths as in the builder.
//!
//! The jar is always named, never globbed: Maven's is `target/<finalName>.jar` (by default
//! `<artifactId>-<version>`), read from `pom.xml`; Gradle's is `build/libs/<name>[-<version>].jar`,
//! read from `settings.gradle` and the build file. When the files do not say it plainly,
//! `entrypoint` names the jar.

use super::Recipe;
use crate::formats::gradle::{BuildFile, Stated, properties_version, settings_name};
use crate::formats::java_version::feature_release;
use crate::formats::pom::Pom;
use crate::formats::tool_versions::tool_version;
use crate::formats::xml::declared_latin1;
use crate::plan::facts::unreadable;
use crate::plan::shell::quote;
use crate::plan::{
    Cache, Deps, Entrypoint, Facts, Manifests, Problems, RecipeArtifact, RecipeBuilder,
    RecipeInput, RecipePlan, Run, STAGED_ROOT, Source, Version, Versions, error_at, join,
    version_line,
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
        ".tool-versions",
    ],
    spec_probes: super::no_spec_probes,
    serves: true,
    plan,
};

/// Java feature releases that have a distroless image; the others from 11 on are jlinked:
/// jlink needs modules (9 on), and 11 is the oldest release with official builder images and
/// jdeps' `--print-module-deps` still in support.
const VERSIONS: Versions = Versions {
    runtime: "java",
    known: &["17", "21", "25"],
    default: "21",
    image: "distroless image",
    carried_from: Some("11"),
};

/// Where a jlinked runtime lives in the runtime image: the Temurin images' `JAVA_HOME`.
const JLINKED_HOME: &str = "/opt/java/openjdk";

/// The base for a jlinked runtime: distroless without java, but with glibc, libgcc_s and
/// libstdc++, which the JVM's own libraries link.
const JLINKED_IMAGE: &str = "gcr.io/distroless/cc-debian13:nonroot";

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
    let RecipeInput { spec, facts, .. } = input;
    let mut problems = Problems::new();
    let tool = problems.ok(tool(spec, facts));
    let pom = match tool {
        Some(Tool::Maven) => problems.ok(pom(spec, facts)),
        _ => None,
    };
    let gradle = matches!(tool, Some(Tool::Gradle { .. })).then(|| Gradle::read(facts));
    let fallback = Chosen {
        version: VERSIONS.default.to_string(),
        from: None,
    };
    let version = problems.or(
        version(spec, facts, pom.as_ref(), gradle.as_ref()),
        fallback,
    );
    let jar = problems.or(jar(spec, tool, pom.as_ref(), gradle.as_ref()), None);
    let modules = pom.iter().flat_map(|p| &p.modules);
    for module in modules.filter(|m| super::context_path(m).is_none()) {
        problems.push(error_at(
            &spec.runtime,
            format!("pom.xml's module `{module}` is outside the build context"),
            Some(
                "only the build context reaches the build: build from the directory that holds every module (the reactor's root)"
                    .to_string(),
            ),
        ));
    }
    problems.check()?;
    let (Some(tool), Some(jar)) = (tool, jar) else {
        // Without a build tool, its own problem was reported and there is no jar to name.
        return Err(Diagnostics(Vec::new()));
    };

    let v = &version.version;
    let mut builder = match tool {
        Tool::Maven => maven_builder(spec, facts, pom.as_ref(), v),
        Tool::Gradle { wrapper } => gradle_builder(spec, facts, gradle.as_ref(), wrapper, v),
    };
    if VERSIONS.find(v).is_none() {
        // After the package step (or the spec's `build`), which is what makes the jar.
        builder
            .finish
            .push(jlink(spec, &join(&spec.workdir.value, &jar), v));
    }
    let name = jar.rsplit('/').next().unwrap_or(&jar).to_string();
    Ok(RecipePlan {
        builder: Some(builder),
        artifacts: vec![RecipeArtifact {
            from: Source::Builder(jar),
            to: name.clone(),
            directory: false,
            mode: None,
        }],
        cmd: vec![join(&spec.workdir.value, &name)],
        exclude: tool.outputs().iter().map(|p| p.to_string()).collect(),
        ..runtime(spec, &version)
    })
}

/// The runtime image, its entrypoint and environment: distroless java for a release that has
/// one, else distroless cc with the jlinked runtime.
fn runtime(spec: &Spec, version: &Chosen) -> RecipePlan {
    let v = &version.version;
    let from = version.from.as_ref().map(|from| format!(" from {from}"));
    let options = spec
        .jvm_options
        .iter()
        .map(|options| ("JAVA_TOOL_OPTIONS".to_string(), options.value.clone()));
    if VERSIONS.find(v).is_some() {
        return RecipePlan {
            runtime_image: format!("gcr.io/distroless/java{v}-debian13:nonroot"),
            runtime_note: from.map(|from| format!("java {v}{from}")),
            entrypoint: Entrypoint::Inherit {
                fallback: vec!["/usr/bin/java".to_string(), "-jar".to_string()],
            },
            env: options.collect(),
            ..Default::default()
        };
    }
    let home = [("JAVA_HOME".to_string(), JLINKED_HOME.to_string())];
    RecipePlan {
        runtime_image: JLINKED_IMAGE.to_string(),
        runtime_note: Some(format!("jlinked java {v}{}", from.unwrap_or_default())),
        entrypoint: Entrypoint::Set(vec![format!("{JLINKED_HOME}/bin/java"), "-jar".to_string()]),
        env: home.into_iter().chain(options).collect(),
        ..Default::default()
    }
}

/// The build tool the context's files name.
fn tool(spec: &Spec, facts: &Facts) -> Result<Tool, Diagnostic> {
    if facts.has("pom.xml") {
        Ok(Tool::Maven)
    } else if GRADLE_MANIFESTS[..4].iter().any(|f| facts.has(f)) {
        Ok(Tool::Gradle {
            wrapper: facts.has("gradlew"),
        })
    } else {
        Err(error_at(
            &spec.runtime,
            "runtime `java` needs a pom.xml or a build.gradle(.kts) in the build context"
                .to_string(),
            Some("shallot builds Java apps with Maven or Gradle".to_string()),
        ))
    }
}

impl Tool {
    /// Where the tool writes its outputs: never sent with the context.
    fn outputs(self) -> &'static [&'static str] {
        match self {
            Tool::Maven => &["target", "*/target"],
            Tool::Gradle { .. } => &["build", "*/build", ".gradle"],
        }
    }
}

/// The context's pom.xml, read.
fn pom(spec: &Spec, facts: &Facts) -> Result<Pom, Diagnostic> {
    let text = match facts.read_text("pom.xml", spec.runtime.span) {
        Ok(text) => std::borrow::Cow::Borrowed(text.unwrap_or_default()),
        // Maven reads a pom in the encoding its XML declaration names.
        Err(problem) => facts
            .files
            .get("pom.xml")
            .filter(|_| !facts.oversized.contains("pom.xml"))
            .and_then(|bytes| declared_latin1(bytes))
            .map(std::borrow::Cow::Owned)
            .ok_or(problem)?,
    };
    Pom::parse(&text).map_err(|why| {
        unreadable(
            "pom.xml",
            spec.runtime.span,
            format!("cannot be read: {why}"),
        )
    })
}

/// The jar to run: `entrypoint`, else the one the build file makes. `Ok(None)` when there is
/// no build file to tell (that is its own problem).
fn jar(
    spec: &Spec,
    tool: Option<Tool>,
    pom: Option<&Pom>,
    gradle: Option<&Gradle>,
) -> Result<Option<String>, Diagnostic> {
    if let Some(e) = &spec.entrypoint {
        return match super::inside_context(&e.value) {
            Some(path) if path.ends_with(".jar") => Ok(Some(path)),
            _ => Err(error_at(
                e,
                format!(
                    "`entrypoint` of runtime `java` names the jar to run, got `{}`",
                    e.value
                ),
                Some(
                    "a path relative to the project ending in `.jar`, e.g. `target/app.jar`"
                        .to_string(),
                ),
            )),
        };
    }
    let (made, dir) = match tool {
        Some(Tool::Maven) => (pom.map(maven_jar), "target"),
        Some(Tool::Gradle { .. }) => (gradle.map(|g| g.jar(spec)), "build/libs"),
        None => return Ok(None),
    };
    made.transpose().map_err(|why| {
        error_at(
            &spec.runtime,
            why,
            Some(format!("name the jar: `entrypoint: {dir}/<name>.jar`")),
        )
    })
}

// ---- builders -----------------------------------------------------------------------------------

fn maven_builder(spec: &Spec, facts: &Facts, pom: Option<&Pom>, version: &str) -> RecipeBuilder {
    let mut manifests = crate::plan::FirstOfEach::starting_with(vec!["pom.xml".to_string()]);
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
                manifests.push(format!("{dir}/pom.xml"));
            }
        }
    }
    let cache = || Cache {
        target: "/root/.m2".to_string(),
        id: "shallot-maven".to_string(),
        locked: false,
    };
    RecipeBuilder {
        image: format!("maven:3.9-eclipse-temurin-{version}"),
        deps: Some(Deps {
            manifests: Manifests::Files(manifests.into_vec()),
            install: vec![Run::at(
                "mvn -B -ntp dependency:go-offline",
                vec![cache()],
                spec.runtime.span,
            )],
        }),
        build_caches: vec![cache()],
        finish: package(spec, "mvn -B -ntp package -DskipTests", cache()),
        ..Default::default()
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
    RecipeBuilder {
        image: format!("gradle:9-jdk{version}"),
        // The cache mount is there whatever the image sets.
        env: vec![("GRADLE_USER_HOME".to_string(), "/root/.gradle".to_string())],
        deps: Some(Deps {
            manifests: Manifests::Files(manifests),
            install: vec![Run::at(
                format!("{gradle_cmd} --no-daemon dependencies"),
                vec![cache()],
                spec.runtime.span,
            )],
        }),
        build_caches: vec![cache()],
        finish: package(spec, &format!("{gradle_cmd} --no-daemon {task}"), cache()),
        ..Default::default()
    }
}

/// The package step: the tool's default, unless the spec's `build` commands package the app
/// themselves.
fn package(spec: &Spec, default: &str, cache: Cache) -> Vec<Run> {
    if spec.build.is_empty() {
        vec![Run::at(default, vec![cache], spec.runtime.span)]
    } else {
        Vec::new()
    }
}

// ---- the jlinked runtime -----------------------------------------------------------------------

/// The builder step that jlinks a runtime of only the modules the jar at `jar` (absolute) uses
/// into the staged root, at [`JLINKED_HOME`]. Plain POSIX sh: busybox's ash in the stand-ins,
/// dash or bash in the official images.
fn jlink(spec: &Spec, jar: &str, version: &str) -> Run {
    let release: u32 = version.parse().unwrap_or_default();
    // Before 22 the EC algorithms live in jdk.crypto.ec, a provider found at run time that
    // jdeps never sees, and without it most TLS handshakes (ECDHE) fail; 22 moved them into
    // java.base (JDK-8308398) and left jdk.crypto.ec empty and deprecated.
    let extra = if release < 22 { ",jdk.crypto.ec" } else { "" };
    // `zip-0`..`zip-9` came in 21, which deprecated `0`/`1`/`2` (a warning on each run);
    // before 21 only the digits are accepted. `2` is zip, as `zip-6` is.
    let compress = if release >= 21 { "zip-6" } else { "2" };
    let output = format!("{STAGED_ROOT}{JLINKED_HOME}");
    let parent = output.rsplit_once('/').map_or("/", |(dir, _)| dir);
    let command = format!(
        "set -eu\n\
         app={jar}\n\
         work=/tmp/shallot-jdeps\n\
         rm -rf \"$work\" && mkdir -p \"$work\" && cd \"$work\"\n\
         # A Spring Boot jar nests its libraries under BOOT-INF/lib: they are jdeps' class path.\n\
         jar xf \"$app\"\n\
         set -- \"$app\"\n\
         if [ -d BOOT-INF/lib ]; then\n\
         \x20 cp=\n\
         \x20 for lib in BOOT-INF/lib/*.jar; do cp=\"$cp${{cp:+:}}$work/$lib\"; done\n\
         \x20 set -- --class-path \"$cp\" \"$app\"\n\
         fi\n\
         modules=$(jdeps --ignore-missing-deps --recursive --multi-release {release} \
         --print-module-deps \"$@\")\n\
         case $modules in\n\
         \x20 ''|*[!A-Za-z0-9._,]*) echo \"jdeps gave no module list: $modules\" >&2; exit 1 ;;\n\
         esac\n\
         mkdir -p {parent}\n\
         jlink --add-modules \"$modules{extra}\" --strip-debug --no-man-pages --no-header-files \
         --compress={compress} --output {output}\n\
         cd / && rm -rf \"$work\"",
        jar = quote(jar),
    );
    Run::at(command, Vec::new(), spec.runtime.span).labelled(format!(
        "jdeps + jlink: java {release} with only the modules {jar} uses"
    ))
}

// ---- the Java version ---------------------------------------------------------------------------

/// The Java feature release to use, and which file said so (`None`: the spec or the default).
#[derive(Debug, PartialEq, Eq)]
struct Chosen {
    version: String,
    from: Option<String>,
}

/// The feature release of the `java` line of asdf's `.tool-versions`
/// (`java temurin-21.0.2+13.0.LTS`), if it has one.
fn tool_java_version(spec: &Spec, facts: &Facts) -> Result<Option<String>, Diagnostic> {
    let Some(line) = facts
        .read_text(".tool-versions", spec.runtime.span)?
        .and_then(|t| tool_version(t, &["java"]))
    else {
        return Ok(None);
    };
    feature_release(line).map(Some).ok_or_else(|| {
        error_at(
            &spec.runtime,
            format!("cannot read a Java version from .tool-versions: `java {line}`"),
            Some(format!(
                "write a release such as `java temurin-{0}`, or say `runtime: java@{0}`",
                VERSIONS.default
            )),
        )
    })
}

/// `java@N`, else `.java-version`, else the `java` line of `.tool-versions`, else the build
/// file, else the default.
fn version(
    spec: &Spec,
    facts: &Facts,
    pom: Option<&Pom>,
    gradle: Option<&Gradle>,
) -> Result<Chosen, Diagnostic> {
    if let Some(version) = VERSIONS.asked_version(spec)? {
        return Ok(Chosen {
            version: feature(&version),
            from: None,
        });
    }
    // An empty .java-version says nothing, as an empty .nvmrc does.
    let java_version = facts
        .read_text(".java-version", spec.runtime.span)?
        .map(version_line)
        .filter(|line| !line.is_empty());
    let stated = if let Some(line) = java_version {
        let Some(v) = feature_release(line) else {
            return Err(error_at(
                &spec.runtime,
                format!("cannot read a Java version from .java-version: `{line}`"),
                Some(format!(
                    "write a feature release such as {0}, or say `runtime: java@{0}` \
                     ({1} or newer)",
                    VERSIONS.default,
                    VERSIONS.carried_from.unwrap_or_default(),
                )),
            ));
        };
        Some((v, ".java-version".to_string()))
    } else if let Some(v) = tool_java_version(spec, facts)? {
        Some((v, ".tool-versions".to_string()))
    } else if let Some(pom) = pom {
        pom_java_version(pom).map_err(|(key, value)| {
            error_at(
                &spec.runtime,
                format!("cannot read a Java version from pom.xml <{key}>: `{value}`"),
                Some(format!(
                    "write a feature release such as {0} there, or say `runtime: java@{0}`",
                    VERSIONS.default
                )),
            )
        })?
    } else {
        gradle.and_then(Gradle::java_version)
    };
    let Some((v, from)) = stated else {
        return Ok(Chosen {
            version: VERSIONS.default.to_string(),
            from: None,
        });
    };
    let version = VERSIONS.stated_version(&v, &from, spec.runtime.span)?;
    Ok(Chosen {
        version: feature(&version),
        from: Some(from),
    })
}

/// The feature release of a version (`11` for `11.0.2`): what names the images.
fn feature(version: &Version) -> String {
    match version.distroless {
        Some(known) => known.to_string(),
        None => version
            .tag
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string(),
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
        Some(resolved) if is_file_name(&resolved) => Ok(format!("target/{resolved}.jar")),
        Some(resolved) => Err(format!(
            "pom.xml names the jar `{resolved}.jar`, which is not a file name in target/"
        )),
        None => Err(format!(
            "cannot tell the jar's name from pom.xml: `{name}` uses a property defined elsewhere"
        )),
    }
}

/// The Java version the pom asks for, with where it says so: the first of the properties
/// that is set. One that refers to a property defined elsewhere (a parent) is passed over; one
/// that is no version is an error, as the property and its value.
fn pom_java_version(pom: &Pom) -> Result<Option<(String, String)>, (&'static str, String)> {
    for key in POM_VERSION_PROPERTIES {
        let Some(value) = pom.properties.get(key) else {
            continue;
        };
        let Some(resolved) = pom.resolve(value) else {
            continue;
        };
        return match feature_release(&resolved) {
            Some(version) => Ok(Some((version, format!("pom.xml <{key}>")))),
            None => Err((key, resolved)),
        };
    }
    Ok(None)
}

/// Whether a jar's name (without `.jar`) names a file in the build tool's output directory:
/// no directories, no climbing out, nothing a terminal would interpret.
fn is_file_name(name: &str) -> bool {
    super::inside_context(name).as_deref() == Some(name)
        && !name.contains('/')
        && !name.chars().any(char::is_control)
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
    /// Reads the build as Gradle does: scripts as UTF-8 (a byte that is not is replaced, as in
    /// a comment it changes nothing), `gradle.properties` as ISO-8859-1, Java's encoding for
    /// properties files.
    fn read(facts: &Facts) -> Gradle {
        let script = |file: &str| {
            facts
                .files
                .get(file)
                .map(|bytes| String::from_utf8_lossy(bytes))
        };
        let mut gradle = Gradle::default();
        for settings in ["settings.gradle.kts", "settings.gradle"] {
            if let Some(text) = script(settings) {
                gradle.name = settings_name(&text);
                break;
            }
        }
        if let Some(bytes) = facts.files.get("gradle.properties") {
            let text: String = bytes.iter().map(|&b| char::from(b)).collect();
            gradle.version = properties_version(&text);
        }
        for build in ["build.gradle.kts", "build.gradle"] {
            let Some(text) = script(build) else {
                continue;
            };
            let file = BuildFile::read(&text);
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
        if is_file_name(&file) && !name.is_empty() {
            Ok(format!("build/libs/{file}"))
        } else {
            Err(format!("`{file}` is not a usable jar name"))
        }
    }
}

#[cfg(test)]
mod tests;
