//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>) of an [`Sbom`].
//!
//! The bytes depend on the SBOM alone: packages in a fixed order (app, runtime, then the
//! dependencies sorted by name and version), ids made from names, and no clock. `created` is
//! `SOURCE_DATE_EPOCH` when the build has one, else the Unix epoch (`1970-01-01T00:00:00Z`):
//! a document that says "made from these lockfiles" is the same document whenever it is made,
//! and an SBOM that changed with the wall clock would change the attestation's digest on
//! every build. The namespace, which SPDX wants unique per document, is a hash of the rest.

use super::{Package, Sbom};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeSet;

/// The in-toto predicate type of an SPDX document, as BuildKit recognizes an SBOM.
pub const PREDICATE_TYPE: &str = "https://spdx.dev/Document";

/// The document describing `sbom`; `epoch` (Unix seconds) is its creation time.
pub fn document(sbom: &Sbom, epoch: Option<i64>) -> Value {
    let mut ids = BTreeSet::new();
    let app_id = unique_id("SPDXRef-Application", &mut ids);
    let mut packages = vec![package_json(&sbom.app, &app_id, "APPLICATION")];
    let mut relationships = vec![relationship("SPDXRef-DOCUMENT", "DESCRIBES", &app_id)];
    if let Some(runtime) = &sbom.runtime {
        let id = unique_id("SPDXRef-Runtime", &mut ids);
        packages.push(package_json(runtime, &id, "FRAMEWORK"));
        relationships.push(relationship(&app_id, "DEPENDS_ON", &id));
    }
    for package in &sbom.packages {
        let wanted = format!(
            "SPDXRef-Package-{}-{}",
            package
                .purl()
                .split('/')
                .next()
                .unwrap_or("pkg:x")
                .trim_start_matches("pkg:"),
            id_part(&format!(
                "{}-{}",
                package.name,
                package.version.as_deref().unwrap_or("")
            ))
        );
        let id = unique_id(&wanted, &mut ids);
        packages.push(package_json(package, &id, "LIBRARY"));
        relationships.push(relationship(&app_id, "DEPENDS_ON", &id));
    }
    let created = crate::image::rfc3339(epoch.unwrap_or(0));
    let mut document = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{} ({})", sbom.app.name, sbom.platform),
        "creationInfo": {
            "created": created,
            "creators": [format!("Tool: shallot-{}", env!("CARGO_PKG_VERSION"))],
        },
        "comment": comment(sbom),
        "packages": packages,
        "relationships": relationships,
    });
    let digest = Sha256::digest(document.to_string().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    document["documentNamespace"] = json!(format!(
        "https://shallot.dev/spdx/{}/{hex}",
        id_part(&sbom.app.name)
    ));
    document
}

/// What the document is of and what it leaves out.
fn comment(sbom: &Sbom) -> String {
    let from = match &sbom.lockfile {
        Some(lockfile) => format!("from {lockfile} (production dependencies only)"),
        None => "with no lockfile to read".to_string(),
    };
    let mut lines = vec![format!(
        "The runtime image for {}, made by shallot {from}; the image's files were not scanned (its base image's OS packages are not listed).",
        sbom.platform
    )];
    lines.extend(sbom.notes.iter().cloned());
    lines.join("\n")
}

/// One package, as SPDX writes it.
fn package_json(package: &Package, id: &str, purpose: &str) -> Value {
    let mut value = json!({
        "SPDXID": id,
        "name": package.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": purpose,
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": package.purl(),
        }],
    });
    if let Some(version) = &package.version {
        value["versionInfo"] = json!(version);
    }
    let mut notes: Vec<String> = package.note.iter().cloned().collect();
    value["licenseDeclared"] = json!(match package.license.as_deref() {
        Some(license) if is_expression(license) => license.to_string(),
        Some(other) => {
            notes.push(format!("licence as declared: {other}"));
            "NOASSERTION".to_string()
        }
        None => "NOASSERTION".to_string(),
    });
    if !notes.is_empty() {
        value["comment"] = json!(notes.join("; "));
    }
    value
}

/// Whether `text` reads as an SPDX licence expression: ids (letters, digits, `.`, `-`, `+`,
/// `:`) joined by `AND`, `OR` and `WITH`, in parentheses or not. npm's `SEE LICENSE IN …` and
/// `UNLICENSED` are not, so they go to the package's comment.
fn is_expression(text: &str) -> bool {
    let spaced = text.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced
        .split_whitespace()
        .filter(|t| *t != "(" && *t != ")")
        .collect();
    let id = |t: &str| {
        !t.is_empty()
            && t != "UNLICENSED"
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | ':'))
    };
    !tokens.is_empty()
        && tokens.iter().enumerate().all(|(i, t)| {
            if i % 2 == 0 {
                id(t)
            } else {
                matches!(*t, "AND" | "OR" | "WITH")
            }
        })
        && tokens.len() % 2 == 1
}

/// `text` with every character an SPDX id may not hold made `-`.
fn id_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `wanted`, or `wanted-2`, `wanted-3`, … when taken.
fn unique_id(wanted: &str, taken: &mut BTreeSet<String>) -> String {
    let mut id = wanted.to_string();
    let mut n = 1;
    while taken.contains(&id) {
        n += 1;
        id = format!("{wanted}-{n}");
    }
    taken.insert(id.clone());
    id
}

/// A relationship element.
fn relationship(from: &str, kind: &str, to: &str) -> Value {
    json!({
        "spdxElementId": from,
        "relationshipType": kind,
        "relatedSpdxElement": to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_expressions() {
        for good in [
            "MIT",
            "(MIT OR Apache-2.0)",
            "GPL-2.0+ WITH Classpath-exception-2.0",
        ] {
            assert!(is_expression(good), "{good}");
        }
        for bad in ["SEE LICENSE IN LICENSE.md", "UNLICENSED", "MIT OR", ""] {
            assert!(!is_expression(bad), "{bad}");
        }
    }
}
