//! pom.xml, through the XML reader underneath it, and `${…}` references resolved against the
//! pom itself (its final name and each of its values).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shallot::formats::{pom::Pom, xml};

fuzz_target!(|text: &str| {
    let _ = xml::leaves(text);
    let _ = xml::declared_latin1(text.as_bytes()).map(|latin1| xml::leaves(&latin1));
    let Ok(pom) = Pom::parse(text) else {
        return;
    };
    let _ = pom.own_version();
    let named = [&pom.final_name, &pom.artifact_id, &pom.version];
    for value in named.into_iter().flatten().chain(pom.properties.values()) {
        let _ = pom.resolve(value);
    }
    let _ = pom.resolve("${project.artifactId}-${project.version}.${project.packaging}");
});
