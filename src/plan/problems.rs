//! The problems a recipe finds, kept together: a user sees every one at once, not one per
//! build.

use crate::spec::{Diagnostic, Diagnostics};

/// Problems found so far.
#[derive(Debug, Default)]
pub struct Problems(Vec<Diagnostic>);

impl Problems {
    /// No problems yet.
    pub fn new() -> Problems {
        Problems::default()
    }

    /// Keeps a problem.
    pub fn push(&mut self, problem: Diagnostic) {
        self.0.push(problem);
    }

    /// Keeps every problem of `problems`.
    pub fn extend(&mut self, problems: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(problems);
    }

    /// The value, or `None` with its problem kept.
    pub fn ok<T>(&mut self, result: Result<T, Diagnostic>) -> Option<T> {
        result.map_err(|problem| self.push(problem)).ok()
    }

    /// The value, or `fallback` with the problem kept: planning goes on, to find the rest.
    pub fn or<T>(&mut self, result: Result<T, Diagnostic>, fallback: T) -> T {
        self.ok(result).unwrap_or(fallback)
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing is wrong, else every problem.
    pub fn check(self) -> Result<(), Diagnostics> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Diagnostics(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Span;

    fn problem(message: &str) -> Diagnostic {
        Diagnostic {
            span: Span::point(1, 1),
            message: message.to_string(),
            hint: None,
        }
    }

    #[test]
    fn keeps_every_problem_and_goes_on() {
        let mut problems = Problems::new();
        assert_eq!(problems.or(Ok(1), 0), 1);
        assert_eq!(problems.or(Err(problem("a")), 0), 0);
        assert_eq!(problems.ok::<u8>(Err(problem("b"))), None);
        problems.extend([problem("c")]);
        assert!(!problems.is_empty());
        let messages: Vec<String> = problems
            .check()
            .unwrap_err()
            .0
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert_eq!(messages, ["a", "b", "c"]);
        assert_eq!(Problems::new().check(), Ok(()));
    }
}
