//! A local path dependency: built with the app, no registry involved.

/// The greeting line the server answers with.
pub fn greeting(name: &str) -> String {
    format!("greetings, {name}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn greets_by_name() {
        assert_eq!(super::greeting("shallot"), "greetings, shallot");
    }
}
