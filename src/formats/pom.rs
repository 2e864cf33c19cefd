//! Maven's `pom.xml`: the project's coordinates, packaging, final name, properties and modules,
//! and `${…}` references resolved from them. Parents, profiles and plugins are not read.

use super::xml::{self, Located};
use std::collections::BTreeMap;

/// What shallot reads from `pom.xml`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pom {
    /// `project/artifactId`.
    pub artifact_id: Option<String>,
    /// `project/version`.
    pub version: Option<String>,
    /// `project/groupId`.
    pub group_id: Option<String>,
    /// `project/parent/version`.
    pub parent_version: Option<String>,
    /// `project/parent/groupId`.
    pub parent_group_id: Option<String>,
    /// `project/packaging` (Maven's default is `jar`).
    pub packaging: Option<String>,
    /// `project/build/finalName`.
    pub final_name: Option<String>,
    /// `project/properties/*`.
    pub properties: BTreeMap<String, String>,
    /// `project/modules/module`: a reactor's module directories.
    pub modules: Vec<String>,
}

impl Pom {
    /// Reads the elements above; values are trimmed.
    pub fn parse(text: &str) -> Result<Pom, Located> {
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
    pub fn resolve(&self, text: &str) -> Option<String> {
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
    pub fn own_version(&self) -> Option<String> {
        self.version.clone().or(self.parent_version.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pom_reader_handles_comments_cdata_entities_and_prefixes() {
        let text = "\u{feff}<?xml version=\"1.0\"?>\n<!-- <artifactId>no</artifactId> -->\n\
            <p:project xmlns:p=\"http://maven.apache.org/POM/4.0.0\" a=\"x>y\">\n\
            <p:artifactId>a&amp;b</p:artifactId>\n<version><![CDATA[1.<0>]]></version>\n\
            <properties><empty/><x>&#65;&#x42;</x></properties>\n\
            <dependencies><dependency><version>9</version></dependency></dependencies>\n\
            </p:project>";
        let pom = Pom::parse(text).expect("parses");
        assert_eq!(pom.artifact_id.as_deref(), Some("a&b"));
        assert_eq!(pom.version.as_deref(), Some("1.<0>"));
        assert_eq!(pom.properties.get("x").map(String::as_str), Some("AB"));
        assert_eq!(pom.properties.get("empty").map(String::as_str), Some(""));
    }

    #[test]
    fn pom_reader_refuses_broken_xml() {
        for (text, why) in [
            ("<project>", "`<project>` is not closed"),
            ("<project></build>", "`<project>` is closed by `</build>`"),
            ("</project>", "`</project>` closes nothing"),
            ("<project><!-- x </project>", "a comment is not closed"),
            ("<project>&bogus;</project>", "unknown entity `&bogus;`"),
            ("<project>a & b</project>", "a `&` starts no entity"),
            ("<project", "a tag is not closed"),
        ] {
            assert_eq!(
                Pom::parse(text).map_err(|e| e.error.to_string()),
                Err(why.to_string()),
                "{text}"
            );
        }
        let deep = "<a>".repeat(100);
        assert_eq!(
            Pom::parse(&deep).map_err(|e| e.to_string()),
            Err("elements are nested too deeply at line 1, column 193".to_string())
        );
    }

    #[test]
    fn references_resolve_from_coordinates_and_properties() {
        let pom = Pom::parse(
            "<project><parent><groupId>g</groupId><version>2</version></parent>\
             <artifactId>a</artifactId><modules><module>m</module><module>n</module></modules>\
             <properties><rev>${project.version}-${suffix}</rev><suffix>x</suffix>\
             <loop>${loop}</loop></properties></project>",
        )
        .expect("parses");
        assert_eq!(pom.own_version().as_deref(), Some("2"));
        assert_eq!(pom.modules, vec!["m", "n"]);
        assert_eq!(
            pom.resolve("${artifactId}-${rev}-${groupId}").as_deref(),
            Some("a-2-x-g")
        );
        assert_eq!(pom.resolve("${from.the.parent}"), None);
        assert_eq!(pom.resolve("${loop}"), None);
        assert_eq!(pom.resolve("${unclosed"), None);
    }
}
