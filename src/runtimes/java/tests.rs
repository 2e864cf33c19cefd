//! Tests for the java recipe: the example's plan and LLB as golden files, a Gradle project's
//! plan and LLB, build-tool and version detection, jar naming, and the errors.

use super::*;
use crate::llb::{Stage, from_plan};
use crate::plan::{Plan, Source, Step};
use crate::spec::Span;
use crate::testkit::{
    build_env, builder, commands, diagnostics, dump, facts, plan, runtime_snapshots,
};

const EXAMPLE_SPEC: &str = include_str!("../../../examples/java/shallot.yaml");
const EXAMPLE_POM: &str = include_str!("../../../examples/java/pom.xml");
const EXAMPLE_DOCKERIGNORE: &str = include_str!("../../../examples/java/.dockerignore");

/// The spec's `runtime` value in a spec whose first line is `runtime: java…`.
const RUNTIME_SPAN: Span = Span {
    line: 1,
    col: 10,
    end_line: 1,
    end_col: 14,
};

const GRADLE_SETTINGS: &str = "rootProject.name = \"greeter\"\n";
const GRADLE_BUILD: &str = r#"plugins {
    java
    application
}

version = "2.1.0"

java {
    toolchain {
        languageVersion = JavaLanguageVersion.of(17)
    }
}

application {
    mainClass = "dev.shallot.Greeter"
}
"#;

fn pom(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n\
         <modelVersion>4.0.0</modelVersion>\n{body}\n</project>\n"
    )
}

fn example_facts() -> Facts {
    facts(&[("pom.xml", EXAMPLE_POM)], Some(EXAMPLE_DOCKERIGNORE))
}

fn gradle_facts() -> Facts {
    facts(
        &[
            ("settings.gradle.kts", GRADLE_SETTINGS),
            ("build.gradle.kts", GRADLE_BUILD),
            ("gradlew", "#!/bin/sh\n"),
            (
                "gradle/wrapper/gradle-wrapper.properties",
                "distributionUrl=https\\://services.gradle.org/distributions/gradle-8.10-bin.zip\n",
            ),
        ],
        None,
    )
}

fn copied_first(plan: &Plan) -> Vec<&str> {
    match builder(plan).steps.first() {
        Some(Step::CopyFiles { paths }) => paths.iter().map(String::as_str).collect(),
        other => panic!("the first step copies the manifests, got {other:?}"),
    }
}

fn jar(plan: &Plan) -> (&Source, &str) {
    let [artifact] = plan.runtime_stage.artifacts.as_slice() else {
        panic!("one artifact, got {:?}", plan.runtime_stage.artifacts);
    };
    (&artifact.from, artifact.to.as_str())
}

fn messages(d: &Diagnostics) -> Vec<(Span, String, Option<String>)> {
    d.0.iter()
        .map(|d| (d.span, d.message.clone(), d.hint.clone()))
        .collect()
}

// ---- the example --------------------------------------------------------------------------------

#[test]
fn example_plan_golden() {
    runtime_snapshots(|| {
        insta::assert_json_snapshot!("java_example_plan", plan(EXAMPLE_SPEC, &example_facts()));
    });
}

#[test]
fn example_llb_golden() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    let env = build_env(EXAMPLE_SPEC);
    runtime_snapshots(|| {
        insta::assert_snapshot!(
            "java_example_llb_runtime",
            dump(&from_plan(&plan, &env, Stage::Runtime))
        );
    });
    // Deterministic: the same plan marshals to the same bytes.
    let bytes = from_plan(&plan, &env, Stage::Runtime).to_bytes();
    for _ in 0..5 {
        assert_eq!(from_plan(&plan, &env, Stage::Runtime).to_bytes(), bytes);
    }
}

#[test]
fn example_llb_names_read_like_a_dockerfile() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    let def = from_plan(&plan, &build_env(EXAMPLE_SPEC), Stage::Runtime);
    let names: Vec<String> = def
        .pb
        .metadata
        .values()
        .filter_map(|m| m.description.get("llb.customname").cloned())
        .collect();
    for expected in [
        "[builder 1/5] FROM docker.io/library/maven:3.9-eclipse-temurin-17",
        "[builder 2/5] COPY pom.xml ./",
        "[builder 3/5] RUN mvn -B -ntp dependency:go-offline",
        "[builder 4/5] COPY . .",
        "[builder 5/5] RUN mvn -B -ntp package -DskipTests && copy the shared libraries the app needs \
         and the runtime base lacks",
        "[runtime 1/2] FROM gcr.io/distroless/java17-debian13:nonroot (java 17 from pom.xml <maven.compiler.release>)",
        "[runtime 2/2] COPY --from=builder /.shallot/root/ / and --chown=65532:65532 \
         /app/target/hello-1.0.0.jar /app/hello-1.0.0.jar",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no {expected:?} in {names:#?}"
        );
    }
    // The dependency and package steps use the Maven cache mount.
    let caches: Vec<_> = def
        .ops()
        .into_iter()
        .filter_map(|(_, op)| match op.op {
            Some(crate::proto::pb::op::Op::Exec(exec)) => Some(exec),
            _ => None,
        })
        .flat_map(|exec| exec.mounts)
        .filter_map(|m| m.cache_opt)
        .map(|c| (c.id, c.sharing))
        .collect();
    let shared = crate::proto::pb::CacheSharingOpt::Shared as i32;
    assert_eq!(
        caches,
        vec![
            ("shallot-maven".to_string(), shared),
            ("shallot-maven".to_string(), shared)
        ]
    );
}

#[test]
fn example_plan_shape() {
    let plan = plan(EXAMPLE_SPEC, &example_facts());
    assert_eq!(builder(&plan).image, "maven:3.9-eclipse-temurin-17");
    assert_eq!(copied_first(&plan), vec!["pom.xml"]);
    assert_eq!(
        commands(&plan),
        vec![
            "mvn -B -ntp dependency:go-offline",
            "mvn -B -ntp package -DskipTests"
        ]
    );
    assert_eq!(builder(&plan).steps[2], Step::CopySource);
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/java17-debian13:nonroot"
    );
    assert_eq!(
        jar(&plan),
        (
            &Source::Builder("/app/target/hello-1.0.0.jar".to_string()),
            "/app/hello-1.0.0.jar"
        )
    );
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Inherit {
            fallback: vec!["/usr/bin/java".to_string(), "-jar".to_string()]
        }
    );
    assert_eq!(plan.config.cmd, vec!["/app/hello-1.0.0.jar"]);
    assert_eq!(plan.config.user.to_string(), "65532:65532");
    assert!(plan.context.exclude.contains(&"target".to_string()));
}

// ---- Gradle -------------------------------------------------------------------------------------

#[test]
fn gradle_plan_and_llb_golden() {
    let src = "runtime: java\nport: 8080\n";
    let plan = plan(src, &gradle_facts());
    runtime_snapshots(|| {
        insta::assert_json_snapshot!("java_gradle_plan", plan);
        insta::assert_snapshot!(
            "java_gradle_llb_builder",
            dump(&from_plan(&plan, &build_env(src), Stage::Builder))
        );
    });
}

#[test]
fn gradle_with_wrapper_copies_the_wrapper_and_uses_it() {
    let plan = plan("runtime: java\n", &gradle_facts());
    assert_eq!(builder(&plan).image, "gradle:9-jdk17");
    assert_eq!(
        copied_first(&plan),
        vec![
            "settings.gradle.kts",
            "build.gradle.kts",
            "gradlew",
            "gradle/wrapper"
        ]
    );
    assert_eq!(
        commands(&plan),
        vec![
            "sh ./gradlew --no-daemon dependencies",
            "sh ./gradlew --no-daemon jar"
        ]
    );
    let Some(Step::Run(run)) = builder(&plan).steps.get(1) else {
        panic!("the dependency step");
    };
    assert_eq!(
        run.caches,
        vec![Cache {
            target: "/root/.gradle".to_string(),
            id: "shallot-gradle".to_string(),
            locked: true,
        }]
    );
    assert_eq!(
        jar(&plan).0,
        &Source::Builder("/app/build/libs/greeter-2.1.0.jar".to_string())
    );
    assert_eq!(plan.config.cmd, vec!["/app/greeter-2.1.0.jar"]);
    assert_eq!(
        plan.runtime_stage.note.as_deref(),
        Some("java 17 from build.gradle.kts (toolchain)")
    );
    assert!(plan.context.exclude.contains(&".gradle".to_string()));
}

#[test]
fn gradle_without_wrapper_name_or_version() {
    let plan = plan(
        "runtime: java\nworkdir: /srv/web\n",
        &facts(
            &[
                ("build.gradle", "plugins { id 'java' }\n"),
                ("gradle.properties", "org.gradle.caching=true\n"),
            ],
            None,
        ),
    );
    assert_eq!(builder(&plan).image, "gradle:9-jdk21");
    assert_eq!(
        copied_first(&plan),
        vec!["build.gradle", "gradle.properties"]
    );
    assert_eq!(
        commands(&plan),
        vec!["gradle --no-daemon dependencies", "gradle --no-daemon jar"]
    );
    // No rootProject.name: the project directory (the workdir) names it; no version, none.
    assert_eq!(
        jar(&plan).0,
        &Source::Builder("/srv/web/build/libs/web.jar".to_string())
    );
}

#[test]
fn gradle_spring_boot_runs_boot_jar_and_reads_groovy() {
    let build = "plugins {\n  id 'org.springframework.boot' version '3.3.0'\n  id 'java'\n}\n\
                 version '0.3'\njava { sourceCompatibility = JavaVersion.VERSION_21 }\n";
    let plan = plan(
        "runtime: java\n",
        &facts(
            &[
                ("settings.gradle", "rootProject.name = 'shop'\n"),
                ("build.gradle", build),
            ],
            None,
        ),
    );
    assert_eq!(commands(&plan)[1], "gradle --no-daemon bootJar");
    assert_eq!(
        jar(&plan).0,
        &Source::Builder("/app/build/libs/shop-0.3.jar".to_string())
    );
    assert_eq!(builder(&plan).image, "gradle:9-jdk21");
}

#[test]
fn gradle_version_from_gradle_properties() {
    let plan = plan(
        "runtime: java\n",
        &facts(
            &[
                ("settings.gradle", "rootProject.name = 'svc'\n"),
                ("build.gradle", "plugins { id 'java' }\n"),
                ("gradle.properties", "version=4.0.0\n"),
            ],
            None,
        ),
    );
    assert_eq!(
        jar(&plan).0,
        &Source::Builder("/app/build/libs/svc-4.0.0.jar".to_string())
    );
}

#[test]
fn gradle_computed_names_need_entrypoint() {
    let computed = facts(
        &[(
            "build.gradle.kts",
            "plugins { java }\nversion = project.findProperty(\"v\") ?: \"dev\"\n",
        )],
        None,
    );
    let d = diagnostics("runtime: java\n", &computed);
    assert_eq!(
        messages(&d),
        vec![(
            RUNTIME_SPAN,
            "the Gradle build computes its version; shallot cannot tell the jar's name".to_string(),
            Some("name the jar: `entrypoint: build/libs/<name>.jar`".to_string())
        )]
    );
    let renamed = facts(
        &[(
            "build.gradle.kts",
            "plugins { java }\ntasks.jar { archiveFileName.set(\"x.jar\") }\n",
        )],
        None,
    );
    assert!(
        diagnostics("runtime: java\n", &renamed).0[0]
            .message
            .contains("renames its jar")
    );
    // `entrypoint` names the jar, and then nothing needs guessing.
    let plan = plan("runtime: java\nentrypoint: build/libs/x.jar\n", &renamed);
    assert_eq!(
        jar(&plan),
        (
            &Source::Builder("/app/build/libs/x.jar".to_string()),
            "/app/x.jar"
        )
    );
}

// ---- Maven --------------------------------------------------------------------------------------

#[test]
fn maven_is_preferred_when_both_build_files_exist() {
    let mut files = gradle_facts();
    files.files.insert(
        "pom.xml".to_string(),
        pom("<artifactId>a</artifactId><version>1</version>").into_bytes(),
    );
    let plan = plan("runtime: java\n", &files);
    assert!(builder(&plan).image.starts_with("maven:"));
}

#[test]
fn maven_copies_mvn_config_and_module_poms_first() {
    let text = pom(
        "<artifactId>parent</artifactId><version>1.0</version><packaging>pom</packaging>\
         <modules><module>api</module><module>./app/</module></modules>",
    );
    let plan = plan(
        "runtime: java\nentrypoint: app/target/app-1.0.jar\n",
        &facts(
            &[
                ("pom.xml", text.as_str()),
                (".mvn/maven.config", "-T1C\n"),
                (".mvn/jvm.config", "-Xmx1g\n"),
            ],
            None,
        ),
    );
    assert_eq!(
        copied_first(&plan),
        vec![
            "pom.xml",
            ".mvn/maven.config",
            ".mvn/jvm.config",
            "api/pom.xml",
            "app/pom.xml"
        ]
    );
    assert_eq!(
        jar(&plan),
        (
            &Source::Builder("/app/app/target/app-1.0.jar".to_string()),
            "/app/app-1.0.jar"
        )
    );
}

#[test]
fn maven_jar_name_follows_final_name_and_properties() {
    let text = pom(
        "<parent><groupId>g</groupId><artifactId>p</artifactId><version>3.1</version></parent>\
         <artifactId>svc</artifactId>\
         <properties><flavour>lite</flavour><label>${flavour}-${project.version}</label></properties>\
         <build><finalName>${project.artifactId}-${label}</finalName></build>",
    );
    let plan = plan("runtime: java\n", &facts(&[("pom.xml", &text)], None));
    assert_eq!(
        jar(&plan).0,
        &Source::Builder("/app/target/svc-lite-3.1.jar".to_string())
    );
}

#[test]
fn maven_jar_name_problems_point_at_runtime() {
    let cases = [
        (
            pom("<artifactId>w</artifactId><version>1</version><packaging>war</packaging>"),
            "pom.xml packages a `war`; runtime `java` runs a jar",
        ),
        (
            pom("<artifactId>w</artifactId><version>${revision}</version>"),
            "cannot tell the jar's name from pom.xml: `w-${revision}` uses a property defined elsewhere",
        ),
        (
            pom("<artifactId>w</artifactId>"),
            "pom.xml has no artifactId or version to name the jar",
        ),
        (
            pom(
                "<artifactId>w</artifactId><version>1</version><build><finalName>../x</finalName></build>",
            ),
            "pom.xml names the jar `../x.jar`, which is not a file name in target/",
        ),
    ];
    for (text, message) in cases {
        let d = diagnostics("runtime: java\n", &facts(&[("pom.xml", &text)], None));
        assert_eq!(
            messages(&d),
            vec![(
                RUNTIME_SPAN,
                message.to_string(),
                Some("name the jar: `entrypoint: target/<name>.jar`".to_string())
            )],
            "{text}"
        );
    }
}

#[test]
fn unreadable_pom_is_an_error() {
    let d = diagnostics(
        "runtime: java\n",
        &facts(&[("pom.xml", "<project><artifactId>x</project>")], None),
    );
    assert_eq!(
        d.0[0].message,
        "pom.xml in the build context cannot be read: `<artifactId>` is closed by `</project>` at line 1, column 23"
    );
    let d = diagnostics(
        "runtime: java\n",
        &facts(
            &[(
                "pom.xml",
                "<!DOCTYPE p [<!ENTITY a \"aaaa\">]><project></project>",
            )],
            None,
        ),
    );
    assert!(
        d.0[0]
            .message
            .ends_with("a DOCTYPE or DTD is not accepted at line 1, column 1")
    );
}

#[test]
fn modules_outside_the_context_and_unreadable_pom_versions_are_errors() {
    let text = pom("<artifactId>a</artifactId><version>1</version>\
         <modules><module>../shared</module><module>/abs</module><module>in</module></modules>\
         <properties><maven.compiler.release>twenty-one</maven.compiler.release></properties>");
    let d = diagnostics("runtime: java\n", &facts(&[("pom.xml", &text)], None));
    let messages: Vec<&str> = d.0.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "cannot read a Java version from pom.xml <maven.compiler.release>: `twenty-one`",
            "pom.xml's module `../shared` is outside the build context",
            "pom.xml's module `/abs` is outside the build context",
        ]
    );
    // A version from a parent's property is the parent's business: the default is used.
    let parent = pom("<artifactId>a</artifactId><version>1</version>\
         <properties><java.version>${parent.java}</java.version></properties>");
    let plan = plan("runtime: java\n", &facts(&[("pom.xml", &parent)], None));
    assert!(
        plan.runtime_stage.image.contains("java21"),
        "{}",
        plan.runtime_stage.image
    );
}

#[test]
fn a_latin1_pom_is_read_when_its_declaration_says_so() {
    let mut text = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><project>".to_vec();
    text.extend(b"<artifactId>caf\xe9</artifactId><version>1</version></project>");
    let plan = plan("runtime: java\n", &facts(&[("pom.xml", &text)], None));
    assert_eq!(jar(&plan).1, "/app/caf\u{e9}-1.jar");
}

#[test]
fn no_build_file_is_an_error() {
    let d = diagnostics(
        "runtime: java\n",
        &facts(&[("Main.java", "class Main {}")], None),
    );
    assert_eq!(
        messages(&d),
        vec![(
            RUNTIME_SPAN,
            "runtime `java` needs a pom.xml or a build.gradle(.kts) in the build context"
                .to_string(),
            Some("shallot builds Java apps with Maven or Gradle".to_string())
        )]
    );
}

// ---- spec settings ------------------------------------------------------------------------------

#[test]
fn jvm_options_become_java_tool_options_not_arguments() {
    let src = "runtime: java\njvm_options: -Xmx256m -XX:+UseZGC\nargs: [--verbose]\n";
    let plan = plan(src, &example_facts());
    assert_eq!(
        plan.config.env,
        vec![(
            "JAVA_TOOL_OPTIONS".to_string(),
            "-Xmx256m -XX:+UseZGC".to_string()
        )]
    );
    // Arguments after the jar are the app's.
    assert_eq!(plan.config.cmd, vec!["/app/hello-1.0.0.jar", "--verbose"]);
}

#[test]
fn build_commands_replace_the_package_step() {
    let src = "runtime: java\nbuild:\n  - mvn -B -Pprod package\n";
    let plan = plan(src, &example_facts());
    assert_eq!(
        commands(&plan),
        vec!["mvn -B -ntp dependency:go-offline", "mvn -B -Pprod package"]
    );
    let Some(Step::Run(run)) = builder(&plan).steps.last() else {
        panic!("the build command");
    };
    assert_eq!(run.caches[0].id, "shallot-maven");
    assert_eq!(run.span.map(|s| s.line), Some(3));
}

#[test]
fn bad_entrypoints_are_refused_at_their_span() {
    for entrypoint in ["App.class", "../outside.jar", "/abs/app.jar"] {
        let src = format!("runtime: java\nentrypoint: {entrypoint}\n");
        let d = diagnostics(&src, &example_facts());
        assert_eq!(d.0.len(), 1, "{entrypoint}");
        assert_eq!(d.0[0].span.line, 2, "{entrypoint}");
        assert!(
            d.0[0].message.contains("names the jar to run"),
            "{entrypoint}"
        );
    }
}

// ---- versions -----------------------------------------------------------------------------------

fn chosen(src: &str, files: &[(&str, &str)]) -> (String, Option<String>) {
    let plan = plan(src, &facts(files, None));
    let image = builder(&plan).image.clone();
    let version = image.rsplit('-').next().unwrap_or_default().to_string();
    (version, plan.runtime_stage.note.clone())
}

#[test]
fn version_comes_from_spec_then_files_then_default() {
    let basic = pom("<artifactId>a</artifactId><version>1</version>");
    let release = |v: &str| {
        pom(&format!(
            "<artifactId>a</artifactId><version>1</version>\
             <properties><maven.compiler.release>{v}</maven.compiler.release></properties>"
        ))
    };
    // Default.
    assert_eq!(
        chosen("runtime: java\n", &[("pom.xml", &basic)]),
        ("21".to_string(), None)
    );
    // The spec wins over every file.
    assert_eq!(
        chosen(
            "runtime: java@25\n",
            &[("pom.xml", &release("17")), (".java-version", "17\n")]
        ),
        ("25".to_string(), None)
    );
    // .java-version wins over the pom.
    assert_eq!(
        chosen(
            "runtime: java\n",
            &[
                ("pom.xml", &release("17")),
                (".java-version", "# pinned\ntemurin-25.0.1\n")
            ]
        ),
        (
            "25".to_string(),
            Some("java 25 from .java-version".to_string())
        )
    );
    // Spring Boot's <java.version>, through a property.
    let spring = pom("<artifactId>a</artifactId><version>1</version>\
         <properties><jdk>25</jdk><java.version>${jdk}</java.version></properties>");
    assert_eq!(
        chosen("runtime: java\n", &[("pom.xml", &spring)]),
        (
            "25".to_string(),
            Some("java 25 from pom.xml <java.version>".to_string())
        )
    );
    // A property shallot cannot resolve says nothing: the default.
    let unknown = pom("<artifactId>a</artifactId><version>1</version>\
         <properties><maven.compiler.release>${env.JDK}</maven.compiler.release></properties>");
    assert_eq!(
        chosen("runtime: java\n", &[("pom.xml", &unknown)]),
        ("21".to_string(), None)
    );
}

#[test]
fn versions_older_than_11_or_not_numbers_are_errors_naming_their_source() {
    // In the spec: at the version itself.
    let at_version = |end_col| Span {
        line: 1,
        col: 15,
        end_line: 1,
        end_col,
    };
    let hint = "use 11 or newer; write e.g. `runtime: java@21`";
    for (src, end_col, message) in [
        (
            "runtime: java@8\n",
            16,
            "java 8 is older than 11, the oldest shallot builds",
        ),
        (
            "runtime: java@abc\n",
            18,
            "java `abc` is not a java version",
        ),
    ] {
        let d = diagnostics(src, &example_facts());
        assert_eq!(
            messages(&d),
            vec![(
                at_version(end_col),
                message.to_string(),
                Some(hint.to_string())
            )],
            "{src}"
        );
    }
    // In a file: at `runtime`, naming the file (in the message and in the hint).
    let cases: [(&str, String, &str); 3] = [
        (
            "pom.xml",
            pom("<artifactId>a</artifactId><version>1</version>\
                 <properties><maven.compiler.release>10</maven.compiler.release></properties>"),
            "java 10 (from pom.xml <maven.compiler.release>) is older than 11, the oldest shallot builds",
        ),
        (
            ".java-version",
            "1.8\n".to_string(),
            "java 8 (from .java-version) is older than 11, the oldest shallot builds",
        ),
        (
            "build.gradle",
            "java { toolchain { languageVersion = JavaLanguageVersion.of(9) } }\n".to_string(),
            "java 9 (from build.gradle (toolchain)) is older than 11, the oldest shallot builds",
        ),
    ];
    for (file, text, message) in cases {
        let mut files = vec![(file, text.as_str())];
        if file == ".java-version" {
            files.push(("pom.xml", EXAMPLE_POM));
        }
        let d = diagnostics("runtime: java\n", &facts(&files, None));
        let from = message
            .split_once("(from ")
            .and_then(|(_, rest)| rest.split_once(") is older"))
            .map(|(from, _)| from)
            .unwrap_or_default();
        let hint = format!("use 11 or newer; change {from} or write `runtime: java@21`");
        assert_eq!(
            messages(&d),
            vec![(RUNTIME_SPAN, message.to_string(), Some(hint))],
            "{file}"
        );
    }
    // A .java-version shallot cannot read.
    let d = diagnostics(
        "runtime: java\n",
        &facts(
            &[(".java-version", "system\n"), ("pom.xml", EXAMPLE_POM)],
            None,
        ),
    );
    assert_eq!(
        messages(&d),
        vec![(
            RUNTIME_SPAN,
            "cannot read a Java version from .java-version: `system`".to_string(),
            Some(
                "write a feature release such as 21, or say `runtime: java@21` (11 or newer)"
                    .to_string()
            )
        )]
    );
}

#[test]
fn pom_properties_referring_to_themselves_do_not_loop() {
    let text = pom(
        "<artifactId>a</artifactId><version>${v}</version><properties><v>${v}</v></properties>",
    );
    let d = diagnostics("runtime: java\n", &facts(&[("pom.xml", &text)], None));
    assert!(d.0[0].message.starts_with("cannot tell the jar's name"));
}

#[test]
fn tool_versions_come_after_java_version_and_before_the_pom() {
    let pom17 = pom("<artifactId>a</artifactId><version>1</version>\
         <properties><maven.compiler.release>17</maven.compiler.release></properties>");
    let tools = "nodejs 24\njava temurin-25.0.1+8.0.LTS\n";
    assert_eq!(
        chosen(
            "runtime: java\n",
            &[("pom.xml", &pom17), (".tool-versions", tools)]
        ),
        (
            "25".to_string(),
            Some("java 25 from .tool-versions".to_string())
        )
    );
    assert_eq!(
        chosen(
            "runtime: java\n",
            &[
                ("pom.xml", &pom17),
                (".tool-versions", tools),
                (".java-version", "21")
            ]
        ),
        (
            "21".to_string(),
            Some("java 21 from .java-version".to_string())
        )
    );
    let files = [
        ("pom.xml", pom17.as_str()),
        (".tool-versions", "java temurin-8.0.402\n"),
    ];
    assert!(
        crate::testkit::plan_err("runtime: java\n", &crate::testkit::facts(&files, None))
            .contains("java 8 (from .tool-versions) is older than 11, the oldest shallot builds"),
    );
}

#[test]
fn twenty_thousand_modules_bring_each_pom_once_in_order() {
    let modules: String = (0..20_000)
        .map(|i| format!("<module>m{}</module>", (i * 7) % 10_000))
        .collect();
    let text = pom(&format!(
        "<artifactId>parent</artifactId><version>1.0</version><packaging>pom</packaging>\
         <modules>{modules}</modules>"
    ));
    let plan = plan(
        "runtime: java\nentrypoint: m1/target/m1-1.0.jar\n",
        &facts(&[("pom.xml", text.as_str())], None),
    );
    let copied = copied_first(&plan);
    assert_eq!(copied.len(), 10_001);
    assert_eq!(copied[..3], ["pom.xml", "m0/pom.xml", "m7/pom.xml"]);
    assert_eq!(copied[10_000], "m9993/pom.xml");
}

// ---- jlinked runtimes ---------------------------------------------------------------------------

/// The example's pom, asking for another release.
fn example_pom_at(release: &str) -> String {
    EXAMPLE_POM.replace(
        "<maven.compiler.release>17</maven.compiler.release>",
        &format!("<maven.compiler.release>{release}</maven.compiler.release>"),
    )
}

/// The builder's jdeps + jlink step, and where it is among the builder's steps.
fn jlink_step(plan: &Plan) -> Option<(usize, &crate::plan::Run)> {
    builder(plan)
        .steps
        .iter()
        .enumerate()
        .find_map(|(i, step)| match step {
            Step::Run(run) if run.command.contains("jlink ") => Some((i, run)),
            _ => None,
        })
}

#[test]
fn java_11_plan_and_llb_golden() {
    let src = "runtime: java@11\nport: 8080\n";
    let files = facts(&[("pom.xml", &example_pom_at("11"))], None);
    let plan = plan(src, &files);
    runtime_snapshots(|| {
        insta::assert_json_snapshot!("java_11_jlinked_plan", plan);
        insta::assert_snapshot!(
            "java_11_jlinked_llb_builder",
            dump(&from_plan(&plan, &build_env(src), Stage::Builder))
        );
    });
}

#[test]
fn versions_with_a_distroless_image_keep_distroless_java_and_no_jlink() {
    for v in ["17", "21", "25"] {
        let plan = plan(&format!("runtime: java@{v}\n"), &example_facts());
        assert_eq!(
            plan.runtime_stage.image,
            format!("gcr.io/distroless/java{v}-debian13:nonroot")
        );
        assert_eq!(jlink_step(&plan), None, "java {v}");
        assert_eq!(
            plan.config.entrypoint,
            Entrypoint::Inherit {
                fallback: vec!["/usr/bin/java".to_string(), "-jar".to_string()]
            }
        );
        assert!(!plan.config.env.iter().any(|(k, _)| k == "JAVA_HOME"));
    }
}

#[test]
fn java_11_runs_a_jlinked_runtime_on_distroless_cc() {
    let src = "runtime: java@11\njvm_options: -Xmx64m\n";
    let plan = plan(src, &example_facts());
    assert_eq!(builder(&plan).image, "maven:3.9-eclipse-temurin-11");
    assert_eq!(
        plan.runtime_stage.image,
        "gcr.io/distroless/cc-debian13:nonroot"
    );
    assert_eq!(plan.runtime_stage.note.as_deref(), Some("jlinked java 11"));
    assert_eq!(
        plan.config.entrypoint,
        Entrypoint::Set(vec![
            "/opt/java/openjdk/bin/java".to_string(),
            "-jar".to_string()
        ])
    );
    assert_eq!(plan.config.cmd, vec!["/app/hello-1.0.0.jar"]);
    for pair in [
        ("JAVA_HOME", "/opt/java/openjdk"),
        ("JAVA_TOOL_OPTIONS", "-Xmx64m"),
    ] {
        assert!(
            plan.config
                .env
                .contains(&(pair.0.to_string(), pair.1.to_string())),
            "{pair:?} in {:?}",
            plan.config.env
        );
    }
    // The jar is still the one artifact: the runtime itself comes through the staged root.
    assert_eq!(jar(&plan).1, "/app/hello-1.0.0.jar");
}

#[test]
fn the_jlink_step_follows_the_package_step_and_writes_the_staged_root() {
    let plan = plan_of("runtime: java@11\n");
    let (at, run) = jlink_step(&plan).expect("a jlink step");
    // Last, right after the package step that makes the jar.
    assert_eq!(at, builder(&plan).steps.len() - 1);
    assert!(
        matches!(&builder(&plan).steps[at - 1], Step::Run(r) if r.command == "mvn -B -ntp package -DskipTests")
    );
    let command = &run.command;
    for part in [
        "app=/app/target/hello-1.0.0.jar\n",
        "jdeps --ignore-missing-deps --recursive --multi-release 11 --print-module-deps \"$@\"",
        "--class-path \"$cp\"",
        "jlink --add-modules \"$modules,jdk.crypto.ec\" --strip-debug --no-man-pages \
         --no-header-files --compress=2 --output /.shallot/root/opt/java/openjdk\n",
        "mkdir -p /.shallot/root/opt/java\n",
    ] {
        assert!(command.contains(part), "no {part:?} in:\n{command}");
    }
    assert_eq!(
        run.label.as_deref(),
        Some("jdeps + jlink: java 11 with only the modules /app/target/hello-1.0.0.jar uses")
    );
    // The spec's `build` replaces the package step; the jlink step still comes after it.
    let plan = plan_of("runtime: java@11\nbuild:\n  - mvn -B -Pprod package\n");
    let steps = &builder(&plan).steps;
    assert!(
        matches!(&steps[steps.len() - 2], Step::Run(r) if r.command == "mvn -B -Pprod package")
    );
    assert!(jlink_step(&plan).is_some_and(|(i, _)| i == steps.len() - 1));
}

fn plan_of(src: &str) -> Plan {
    plan(src, &example_facts())
}

#[test]
fn releases_from_22_on_need_no_jdk_crypto_ec_and_from_21_on_compress_with_zip() {
    for (v, crypto, compress) in [
        ("11", true, "--compress=2 "),
        ("20", true, "--compress=2 "),
        ("22", false, "--compress=zip-6 "),
        ("26", false, "--compress=zip-6 "),
    ] {
        let plan = plan_of(&format!("runtime: java@{v}\n"));
        let (_, run) = jlink_step(&plan).unwrap_or_else(|| panic!("java {v}: no jlink"));
        assert_eq!(run.command.contains("jdk.crypto.ec"), crypto, "java {v}");
        assert!(run.command.contains(compress), "java {v}: {}", run.command);
        assert!(
            run.command.contains(&format!("--multi-release {v} ")),
            "java {v}"
        );
        assert_eq!(
            builder(&plan).image,
            format!("maven:3.9-eclipse-temurin-{v}")
        );
    }
}

/// A context file: its path and text.
type File<'a> = (&'a str, &'a str);

#[test]
fn java_11_from_java_version_pom_or_gradle_names_its_file() {
    let basic = pom("<artifactId>a</artifactId><version>1</version>");
    let cases: [(&[File], &str, &str); 3] = [
        (
            &[("pom.xml", &basic), (".java-version", "11.0.22\n")],
            "maven:3.9-eclipse-temurin-11",
            "jlinked java 11 from .java-version",
        ),
        (
            &[("pom.xml", &example_pom_at("11"))],
            "maven:3.9-eclipse-temurin-11",
            "jlinked java 11 from pom.xml <maven.compiler.release>",
        ),
        (
            &[(
                "build.gradle",
                "java { toolchain { languageVersion = JavaLanguageVersion.of(23) } }\n",
            )],
            "gradle:9-jdk23",
            "jlinked java 23 from build.gradle (toolchain)",
        ),
    ];
    for (files, image, note) in cases {
        let plan = plan("runtime: java\n", &facts(files, None));
        assert_eq!(builder(&plan).image, image);
        assert_eq!(plan.runtime_stage.note.as_deref(), Some(note));
        assert_eq!(
            plan.runtime_stage.image,
            "gcr.io/distroless/cc-debian13:nonroot"
        );
        assert!(jlink_step(&plan).is_some(), "{note}");
    }
}
