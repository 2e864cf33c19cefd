//! The code's shape, held by the suite (issue 7's "done when"): no non-test function in `src/`
//! over 80 lines, no recipe `plan` over 60, and no dependency circle among the library's
//! top-level modules.
//!
//! Every `.rs` file under `src/` is parsed with `syn`. Test code (files named `tests.rs` or
//! under a `tests/` dir, modules declared `#[cfg(test)]`, `#[test]` fns) and generated code
//! (`src/proto*`, files that `include!` generated code) are left out; `proto` has no edges of
//! its own, so it stays a leaf everyone may use. An edge A → B is non-test code in A naming
//! `crate::B` (or `super::B` from A's own file), in `use` trees, paths, or macro arguments.
//! Functions written inside macro invocations are not seen.
//!
//! `cargo test --test shape -- --ignored --nocapture shape_report` prints the longest functions,
//! the size of each recipe and its `plan`, and the module edges: the before/after numbers.

use proc_macro2::{Span, TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Attribute, Item, Meta, Token, UseTree};

/// The limits issue 7 sets.
const LIMITS: Limits = Limits {
    function: 80,
    recipe_plan: 60,
};

/// Longest functions shown by `shape_report`.
const REPORT_TOP: usize = 10;

/// How long a function may be, in lines from its `fn` line to its closing brace.
#[derive(Clone, Copy)]
struct Limits {
    /// Any non-test function.
    function: usize,
    /// A fn named `plan` in `src/runtimes/*.rs`: the recipes, where repetition grows.
    recipe_plan: usize,
}

/// One function with a body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Function {
    file: String,
    line: usize,
    /// `name`, `Type::name` (impl) or `Trait::name` (trait default).
    name: String,
    /// The bare ident, to recognise recipe `plan`s.
    ident: String,
    lines: usize,
    limit: usize,
}

impl Function {
    fn describe(&self) -> String {
        format!(
            "{}:{} fn {}: {} lines (limit {})",
            self.file, self.line, self.name, self.lines, self.limit
        )
    }
}

/// A path naming a top-level module (or crate-root item), and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    to: String,
    file: String,
    line: usize,
}

/// What one pass over a file's non-test code collects.
#[derive(Default)]
struct Found {
    functions: Vec<Function>,
    /// Top-level module names (or the first segment under the crate root) this file refers to.
    references: Vec<Reference>,
    /// The file `include!`s generated code.
    includes_generated: bool,
    /// `mod x;` declarations made in test-only position, as the candidate files they load.
    test_module_files: Vec<PathBuf>,
}

/// Walks one file, skipping test-only items, collecting functions and module references.
struct Walker<'a> {
    file: &'a str,
    limits: Limits,
    recipe_file: bool,
    /// The module path of the current position (the file's, plus inline `mod`s).
    module: Vec<String>,
    /// Where `mod x;` declared at the current position looks for its file.
    child_dir: PathBuf,
    /// The directory holding the file.
    file_dir: PathBuf,
    /// How many inline `mod { .. }` the current position is inside.
    inline_depth: usize,
    /// `Type` or `Trait` whose fns are being visited; cleared inside fn bodies.
    owner: Option<String>,
    found: Found,
}

impl Walker<'_> {
    fn record(&mut self, ident: &syn::Ident, fn_token: Span, close: Span) {
        let line = fn_token.start().line;
        let lines = close.end().line + 1 - line;
        let ident = ident.to_string();
        let name = match &self.owner {
            Some(owner) => format!("{owner}::{ident}"),
            None => ident.clone(),
        };
        let limit = if self.recipe_file && ident == "plan" {
            self.limits.recipe_plan
        } else {
            self.limits.function
        };
        self.found.functions.push(Function {
            file: self.file.to_string(),
            line,
            name,
            ident,
            lines,
            limit,
        });
    }

    /// Visits a fn body with no owner, so nested fns are named by themselves.
    fn in_body(&mut self, visit: impl FnOnce(&mut Self)) {
        let owner = self.owner.take();
        visit(self);
        self.owner = owner;
    }

    fn refer(&mut self, segments: &[String], line: usize) {
        if let Some(to) = resolve_top(&self.module, segments) {
            self.found.references.push(Reference {
                to,
                file: self.file.to_string(),
                line,
            });
        }
    }

    fn test_module_declared(&mut self, item: &syn::ItemMod) {
        let name = item.ident.to_string();
        let files = match path_attr(&item.attrs) {
            // At a file's top, `#[path]` is relative to the file's directory; inside an
            // inline `mod`, to the directory that `mod` would have.
            Some(path) if self.inline_depth == 0 => vec![self.file_dir.join(path)],
            Some(path) => vec![self.child_dir.join(path)],
            None => vec![
                self.child_dir.join(format!("{name}.rs")),
                self.child_dir.join(&name).join("mod.rs"),
            ],
        };
        self.found.test_module_files.extend(files);
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if let Item::Mod(m) = item {
            if m.content.is_none() && is_test_only(&m.attrs) {
                self.test_module_declared(m);
            }
        }
        if !is_test_only(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let name = item.ident.to_string();
        let dir = self.child_dir.clone();
        self.child_dir = dir.join(&name);
        self.module.push(name);
        self.inline_depth += 1;
        visit::visit_item_mod(self, item);
        self.inline_depth -= 1;
        self.module.pop();
        self.child_dir = dir;
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.record(
            &item.sig.ident,
            item.sig.fn_token.span,
            item.block.brace_token.span.close(),
        );
        self.in_body(|w| visit::visit_item_fn(w, item));
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let owner = self.owner.replace(type_name(&item.self_ty));
        visit::visit_item_impl(self, item);
        self.owner = owner;
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        let owner = self.owner.replace(item.ident.to_string());
        visit::visit_item_trait(self, item);
        self.owner = owner;
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        if !is_test_only(impl_item_attrs(item)) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.record(
            &item.sig.ident,
            item.sig.fn_token.span,
            item.block.brace_token.span.close(),
        );
        self.in_body(|w| visit::visit_impl_item_fn(w, item));
    }

    fn visit_trait_item(&mut self, item: &'ast syn::TraitItem) {
        if !is_test_only(trait_item_attrs(item)) {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(body) = &item.default {
            self.record(
                &item.sig.ident,
                item.sig.fn_token.span,
                body.brace_token.span.close(),
            );
        }
        self.in_body(|w| visit::visit_trait_item_fn(w, item));
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&item.tree, &[], &mut leaves);
        for (segments, line) in leaves {
            self.refer(&segments, line);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(first) = path.segments.first() {
            self.refer(&segments, first.ident.span().start().line);
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if is_generated_include(&mac.path) {
            self.found.includes_generated = true;
        }
        for (segments, line) in token_paths(mac.tokens.clone()) {
            self.refer(&segments, line);
        }
        visit::visit_macro(self, mac);
    }
}

/// `include!` and `include_proto!` paste generated code into the file.
fn is_generated_include(path: &syn::Path) -> bool {
    path.segments
        .last()
        .is_some_and(|s| s.ident == "include" || s.ident == "include_proto")
}

/// The directory where `mod x;` declared at the top of `file` is looked for (`src/a/b.rs` →
/// `src/a/b`, `src/a/mod.rs` → `src/a`).
fn child_dir(file: &Path) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
    match file.file_stem().and_then(|s| s.to_str()) {
        Some("mod" | "lib" | "main") | None => dir,
        Some(stem) => dir.join(stem),
    }
}

/// The module path of a library file: `src/lib.rs` → `[]`, `src/a/mod.rs` and `src/a.rs` →
/// `[a]`, `src/a/b.rs` → `[a, b]`. `None` for a binary's files (their `crate` is the binary).
fn module_path(rel: &str) -> Option<Vec<String>> {
    let inner = rel.strip_prefix("src/")?.strip_suffix(".rs")?;
    if inner == "main" || inner.starts_with("bin/") {
        return None;
    }
    let mut parts: Vec<String> = inner.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    Some(parts)
}

/// The top-level module (or crate-root item) a path starting with `crate`, `self` or `super`
/// names, seen from `module`. Other paths (locals, extern crates, std) name none.
fn resolve_top(module: &[String], segments: &[String]) -> Option<String> {
    let mut at: Vec<&str> = module.iter().map(String::as_str).collect();
    let mut rest = segments.iter().map(String::as_str).peekable();
    match rest.next()? {
        "crate" => at.clear(),
        "self" => {}
        "super" => {
            at.pop()?;
            while rest.next_if_eq(&"super").is_some() {
                at.pop()?;
            }
        }
        _ => return None,
    }
    at.first()
        .copied()
        .or_else(|| rest.next())
        .map(str::to_string)
}

/// Each leaf of a `use` tree as its full path, with the line of the path's first segment
/// (where `use crate::plan::{..}` names the module).
fn use_leaves(tree: &UseTree, prefix: &[(String, usize)], out: &mut Vec<(Vec<String>, usize)>) {
    let with = |ident: &syn::Ident| {
        let mut path = prefix.to_vec();
        path.push((ident.to_string(), ident.span().start().line));
        path
    };
    let leaf = |path: Vec<(String, usize)>| {
        let line = path.first().map_or(0, |(_, line)| *line);
        (path.into_iter().map(|(segment, _)| segment).collect(), line)
    };
    match tree {
        UseTree::Path(p) => use_leaves(&p.tree, &with(&p.ident), out),
        UseTree::Name(n) => out.push(leaf(with(&n.ident))),
        UseTree::Rename(r) => out.push(leaf(with(&r.ident))),
        UseTree::Glob(_) => out.push(leaf(prefix.to_vec())),
        UseTree::Group(g) => {
            for tree in &g.items {
                use_leaves(tree, prefix, out);
            }
        }
    }
}

/// Paths starting with `crate`, `self` or `super` inside a macro's tokens, which `syn` leaves
/// unparsed (`format!("{}", crate::plan::X)`).
fn token_paths(tokens: TokenStream) -> Vec<(Vec<String>, usize)> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < trees.len() {
        match &trees[i] {
            TokenTree::Group(g) => {
                out.extend(token_paths(g.stream()));
                i += 1;
            }
            TokenTree::Ident(id) if is_path_root(id) && !follows_colons(&trees, i) => {
                let (segments, next) = token_path(&trees, i);
                out.push((segments, id.span().start().line));
                i = next;
            }
            _ => i += 1,
        }
    }
    out
}

fn is_path_root(id: &proc_macro2::Ident) -> bool {
    id == "crate" || id == "self" || id == "super"
}

/// Whether the token at `i` continues a path (`a::crate` is not a root).
fn follows_colons(trees: &[TokenTree], i: usize) -> bool {
    i >= 1 && is_punct(&trees[i - 1], ':')
}

fn is_punct(tree: &TokenTree, ch: char) -> bool {
    matches!(tree, TokenTree::Punct(p) if p.as_char() == ch)
}

/// The `a::b::c` path starting at `start`, and the index after it.
fn token_path(trees: &[TokenTree], start: usize) -> (Vec<String>, usize) {
    let mut segments = vec![trees[start].to_string()];
    let mut i = start + 1;
    while i + 2 < trees.len() && is_punct(&trees[i], ':') && is_punct(&trees[i + 1], ':') {
        match &trees[i + 2] {
            TokenTree::Ident(id) => segments.push(id.to_string()),
            _ => break,
        }
        i += 3;
    }
    (segments, i)
}

/// Whether the item exists only in test builds: `#[test]`, `#[tokio::test]`, `#[cfg(test)]`,
/// `#[cfg(all(test, ..))]`.
fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let path = attr.path();
        if path.segments.last().is_some_and(|s| s.ident == "test") {
            return true;
        }
        path.is_ident("cfg")
            && attr
                .parse_args::<Meta>()
                .is_ok_and(|m| cfg_implies_test(&m))
    })
}

fn cfg_implies_test(meta: &Meta) -> bool {
    match meta {
        Meta::Path(p) => p.is_ident("test"),
        Meta::List(list) if list.path.is_ident("all") => list
            .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            .is_ok_and(|all| all.iter().any(cfg_implies_test)),
        _ => false,
    }
}

/// The value of `#[path = "..."]`, if any.
fn path_attr(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map_or_else(|| "impl".to_string(), |s| s.ident.to_string()),
        _ => "impl".to_string(),
    }
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

fn impl_item_attrs(item: &syn::ImplItem) -> &[Attribute] {
    match item {
        syn::ImplItem::Const(i) => &i.attrs,
        syn::ImplItem::Fn(i) => &i.attrs,
        syn::ImplItem::Type(i) => &i.attrs,
        syn::ImplItem::Macro(i) => &i.attrs,
        _ => &[],
    }
}

fn trait_item_attrs(item: &syn::TraitItem) -> &[Attribute] {
    match item {
        syn::TraitItem::Const(i) => &i.attrs,
        syn::TraitItem::Fn(i) => &i.attrs,
        syn::TraitItem::Type(i) => &i.attrs,
        syn::TraitItem::Macro(i) => &i.attrs,
        _ => &[],
    }
}

/// Walks one file's non-test code. `rel` is its path from the repository root (`src/a/b.rs`).
fn walk(rel: &str, ast: &syn::File, limits: Limits) -> Found {
    let path = Path::new(rel);
    let mut walker = Walker {
        file: rel,
        limits,
        recipe_file: is_recipe_dir(path),
        module: module_path(rel).unwrap_or_default(),
        child_dir: child_dir(path),
        file_dir: path.parent().unwrap_or(Path::new("")).to_path_buf(),
        inline_depth: 0,
        owner: None,
        found: Found::default(),
    };
    walker.visit_file(ast);
    walker.found
}

/// A file directly in `src/runtimes/`, where the recipes live.
fn is_recipe_dir(path: &Path) -> bool {
    path.parent() == Some(Path::new("src/runtimes"))
}

/// Test code by location: `tests.rs`, or anything under a `tests/` directory.
fn is_test_path(rel: &str) -> bool {
    let mut parts = rel.split('/').rev();
    parts.next() == Some("tests.rs") || parts.any(|dir| dir == "tests")
}

/// One parsed file of `src/`.
struct SourceFile {
    rel: String,
    lines: usize,
    ast: syn::File,
}

/// The library's and binaries' non-test, non-generated code, walked.
struct Tree {
    /// Walked files by path, with their line counts.
    files: BTreeMap<String, (usize, Found)>,
    /// The library's top-level modules, as `src/lib.rs` declares them.
    modules: BTreeSet<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, relative to `base`, sorted.
fn rust_files(base: &Path, dir: &Path, out: &mut Vec<String>) {
    let entries = std::fs::read_dir(base.join(dir))
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        let rel = dir.join(entry.file_name());
        if entry.path().is_dir() {
            rust_files(base, &rel, out);
        } else if rel.extension().is_some_and(|e| e == "rs") {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    out.sort();
}

fn parse(base: &Path, rel: String) -> SourceFile {
    let text = std::fs::read_to_string(base.join(&rel))
        .unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
    let ast = syn::parse_file(&text).unwrap_or_else(|e| {
        let at = e.span().start();
        panic!("{rel}:{}:{}: cannot parse: {e}", at.line, at.column + 1)
    });
    SourceFile {
        rel,
        lines: text.lines().count(),
        ast,
    }
}

/// The modules `lib.rs` declares, leaving out test-only ones.
fn top_modules(lib: &syn::File) -> BTreeSet<String> {
    lib.items
        .iter()
        .filter_map(|item| match item {
            Item::Mod(m) if !is_test_only(&m.attrs) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect()
}

fn scan(base: &Path, limits: Limits) -> Tree {
    let mut rels = Vec::new();
    rust_files(base, Path::new("src"), &mut rels);
    let sources: Vec<SourceFile> = rels.into_iter().map(|rel| parse(base, rel)).collect();
    let modules = sources
        .iter()
        .find(|s| s.rel == "src/lib.rs")
        .map(|lib| top_modules(&lib.ast))
        .unwrap_or_else(|| panic!("no src/lib.rs under {}", base.display()));
    let mut walked: BTreeMap<String, (usize, Found)> = sources
        .iter()
        .filter(|s| !is_test_path(&s.rel) && !s.rel.starts_with("src/proto"))
        .map(|s| (s.rel.clone(), (s.lines, walk(&s.rel, &s.ast, limits))))
        .collect();
    // Files that a `#[cfg(test)] mod x;` loads are test code wherever they live.
    let test_files: BTreeSet<String> = walked
        .values()
        .flat_map(|(_, found)| &found.test_module_files)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    walked.retain(|rel, (_, found)| !test_files.contains(rel) && !found.includes_generated);
    Tree {
        files: walked,
        modules,
    }
}

impl Tree {
    fn functions(&self) -> impl Iterator<Item = &Function> {
        self.files.values().flat_map(|(_, found)| &found.functions)
    }

    /// Edges between top-level modules, each with the first place that makes it.
    fn edges(&self) -> BTreeMap<(String, String), Reference> {
        let mut edges: BTreeMap<(String, String), Reference> = BTreeMap::new();
        for (rel, (_, found)) in &self.files {
            let Some(from) = module_path(rel).and_then(|m| m.into_iter().next()) else {
                continue;
            };
            for r in &found.references {
                if r.to != from && self.modules.contains(&r.to) {
                    let first = edges
                        .entry((from.clone(), r.to.clone()))
                        .or_insert(r.clone());
                    if (r.file.as_str(), r.line) < (first.file.as_str(), first.line) {
                        *first = r.clone();
                    }
                }
            }
        }
        edges
    }
}

/// Functions over their limit, longest first.
fn over_limit<'a>(functions: impl IntoIterator<Item = &'a Function>) -> Vec<&'a Function> {
    let mut over: Vec<&Function> = functions
        .into_iter()
        .filter(|f| f.lines > f.limit)
        .collect();
    over.sort_by(|a, b| (b.lines, &a.file, a.line).cmp(&(a.lines, &b.file, b.line)));
    over
}

/// Every simple cycle, each starting at its smallest module and ending where it started,
/// shortest first.
fn cycles<'a>(edges: impl IntoIterator<Item = &'a (String, String)>) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges {
        next.entry(from).or_default().push(to);
    }
    let mut found = Vec::new();
    for &start in next.keys() {
        extend_cycles(start, &mut vec![start], &next, &mut found);
    }
    found.sort_by(|a: &Vec<String>, b| (a.len(), a).cmp(&(b.len(), b)));
    found
}

fn extend_cycles<'a>(
    start: &'a str,
    path: &mut Vec<&'a str>,
    next: &BTreeMap<&'a str, Vec<&'a str>>,
    found: &mut Vec<Vec<String>>,
) {
    let last = path[path.len() - 1];
    for &to in next.get(last).into_iter().flatten() {
        if to == start {
            found.push(path.iter().chain([&start]).map(|m| m.to_string()).collect());
        } else if to > start && !path.contains(&to) {
            path.push(to);
            extend_cycles(start, path, next, found);
            path.pop();
        }
    }
}

/// The failure message for functions over their limit, or `None`.
fn function_offences(functions: &[&Function]) -> Option<String> {
    if functions.is_empty() {
        return None;
    }
    let mut message = format!(
        "{} function(s) over their limit (issue 7), longest first:\n",
        functions.len()
    );
    for f in functions {
        let _ = writeln!(message, "  {}", f.describe());
    }
    Some(message)
}

/// The failure message for dependency circles, with where each edge is made, or `None`.
fn cycle_offences(edges: &BTreeMap<(String, String), Reference>) -> Option<String> {
    let found = cycles(edges.keys());
    if found.is_empty() {
        return None;
    }
    let mut message = format!(
        "{} dependency circle(s) among top-level modules (issue 7: data flows one way):\n",
        found.len()
    );
    for cycle in &found {
        let _ = writeln!(message, "  {}", cycle.join(" → "));
        for pair in cycle.windows(2) {
            let at = &edges[&(pair[0].clone(), pair[1].clone())];
            let _ = writeln!(
                message,
                "    {} → {}: {}:{}",
                pair[0], pair[1], at.file, at.line
            );
        }
    }
    Some(message)
}

fn report(tree: &Tree) -> String {
    let mut out = String::from("longest non-test functions:\n");
    let mut all: Vec<&Function> = tree.functions().collect();
    all.sort_by(|a, b| (b.lines, &a.file, a.line).cmp(&(a.lines, &b.file, b.line)));
    for f in all.iter().take(REPORT_TOP) {
        let _ = writeln!(out, "  {}", f.describe());
    }
    out.push_str("recipes (src/runtimes/*.rs, without mod.rs):\n");
    for (rel, (lines, found)) in &tree.files {
        if !is_recipe_dir(Path::new(rel)) || rel.ends_with("/mod.rs") {
            continue;
        }
        let plans: Vec<String> = found
            .functions
            .iter()
            .filter(|f| f.ident == "plan")
            .map(|f| format!("fn {} {} lines (line {})", f.name, f.lines, f.line))
            .collect();
        let plans = if plans.is_empty() {
            "no fn plan".to_string()
        } else {
            plans.join(", ")
        };
        let _ = writeln!(out, "  {rel}: {lines} lines; {plans}");
    }
    out.push_str("module edges:\n");
    let mut by_module: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let edges = tree.edges();
    for (from, to) in edges.keys() {
        by_module.entry(from).or_default().push(to);
    }
    for (from, to) in by_module {
        let _ = writeln!(out, "  {from} → {}", to.join(", "));
    }
    out
}

#[test]
fn no_function_over_its_limit() {
    let tree = scan(&root(), LIMITS);
    if let Some(message) = function_offences(&over_limit(tree.functions())) {
        panic!("{message}");
    }
}

#[test]
fn no_dependency_circle_among_top_level_modules() {
    let tree = scan(&root(), LIMITS);
    if let Some(message) = cycle_offences(&tree.edges()) {
        panic!("{message}");
    }
}

/// Guards the two checks above against passing because the scan saw nothing.
#[test]
fn the_scan_sees_every_top_level_module() {
    let tree = scan(&root(), LIMITS);
    for module in &tree.modules {
        let seen = tree.files.iter().any(|(rel, (_, found))| {
            module_path(rel).is_some_and(|m| m.first() == Some(module))
                && !found.functions.is_empty()
        });
        assert!(
            seen || module == "proto",
            "no function found in module `{module}`: is the scan looking at src/?"
        );
    }
    assert!(tree.modules.contains("spec") && tree.modules.contains("plan"));
}

#[test]
#[ignore = "a report, not a check: cargo test --test shape -- --ignored --nocapture shape_report"]
fn shape_report() {
    print!("{}", report(&scan(&root(), LIMITS)));
}

/// The helpers above, on tiny inline sources.
mod helpers {
    use super::*;

    const SMALL: Limits = Limits {
        function: 5,
        recipe_plan: 3,
    };

    fn functions(rel: &str, src: &str) -> Vec<Function> {
        walk(
            rel,
            &syn::parse_file(src).expect("test source parses"),
            SMALL,
        )
        .functions
    }

    fn offences(rel: &str, src: &str) -> Vec<String> {
        over_limit(&functions(rel, src))
            .iter()
            .map(|f| f.describe())
            .collect()
    }

    fn edges(files: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut tree = Tree {
            files: BTreeMap::new(),
            modules: ["a", "b", "c", "proto"].map(String::from).into(),
        };
        for (rel, src) in files {
            let found = walk(
                rel,
                &syn::parse_file(src).expect("test source parses"),
                SMALL,
            );
            tree.files.insert(rel.to_string(), (0, found));
        }
        tree.edges().into_keys().collect()
    }

    fn edge(from: &str, to: &str) -> (String, String) {
        (from.to_string(), to.to_string())
    }

    #[test]
    fn a_3_line_fn_passes_a_limit_of_5() {
        assert_eq!(
            offences("src/a.rs", "fn f() {\n    g();\n}\n"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_7_line_fn_fails_a_limit_of_5() {
        let src = "\n/// Doc lines do not count.\npub fn f() {\n    a();\n    b();\n    c();\n    d();\n    e();\n}\n";
        assert_eq!(
            offences("src/a.rs", src),
            ["src/a.rs:3 fn f: 7 lines (limit 5)"]
        );
    }

    #[test]
    fn offenders_are_listed_longest_first_with_their_owner() {
        let src = "impl S {\n    fn short() {\n\n\n\n\n    }\n}\n\
                   trait T {\n    fn long() {\n\n\n\n\n\n\n\n    }\n}\n\
                   fn outer() {\n    fn inner() {\n\n\n\n\n\n    }\n}\n";
        assert_eq!(
            offences("src/a.rs", src),
            [
                "src/a.rs:10 fn T::long: 9 lines (limit 5)",
                "src/a.rs:20 fn outer: 9 lines (limit 5)",
                "src/a.rs:21 fn inner: 7 lines (limit 5)",
                "src/a.rs:2 fn S::short: 6 lines (limit 5)",
            ]
        );
    }

    #[test]
    fn a_recipe_plan_has_the_tighter_limit() {
        let src = "fn plan() {\n\n\n}\nfn other() {\n\n\n}\n";
        assert_eq!(
            offences("src/runtimes/x.rs", src),
            ["src/runtimes/x.rs:1 fn plan: 4 lines (limit 3)"]
        );
        assert_eq!(offences("src/plan/x.rs", src), Vec::<String>::new());
    }

    #[test]
    fn test_code_is_skipped() {
        let long = "{\n\n\n\n\n\n\n\n}";
        let src = format!(
            "#[cfg(test)]\nmod tests {{\n    fn helper() {long}\n}}\n\
             #[test]\nfn case() {long}\n\
             #[cfg(all(test, unix))]\nfn unix_only() {long}\n\
             impl S {{\n    #[cfg(test)]\n    fn fixture() {long}\n}}\n\
             #[cfg(not(test))]\nfn real() {long}\n"
        );
        let names: Vec<String> = functions("src/a.rs", &src)
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["real"]);
    }

    #[test]
    fn test_files_are_skipped_by_location_and_declaration() {
        assert!(is_test_path("src/spec/tests.rs"));
        assert!(is_test_path("src/runtimes/node/tests/cases.rs"));
        assert!(!is_test_path("src/runtimes/node.rs"));
        let src = "#[cfg(test)]\n#[path = \"static/tests.rs\"]\nmod tests;\n#[cfg(test)]\nmod kit;\nmod real;\n";
        let found = walk(
            "src/runtimes/static.rs",
            &syn::parse_file(src).expect("parses"),
            SMALL,
        );
        let files: Vec<String> = found
            .test_module_files
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            files,
            [
                "src/runtimes/static/tests.rs",
                "src/runtimes/static/kit.rs",
                "src/runtimes/static/kit/mod.rs",
            ]
        );
    }

    #[test]
    fn generated_code_is_recognised() {
        let src = "pub mod pb {\n    tonic::include_proto!(\"pb\");\n}\n";
        assert!(
            walk("src/wire.rs", &syn::parse_file(src).expect("parses"), SMALL).includes_generated
        );
        let src = "fn f() { include_str!(\"x\"); }";
        assert!(
            !walk("src/a.rs", &syn::parse_file(src).expect("parses"), SMALL).includes_generated
        );
    }

    #[test]
    fn a_two_module_cycle_is_found_with_where_each_edge_is_made() {
        let edges = edges(&[
            ("src/a/mod.rs", "use crate::b::X;\n"),
            ("src/b.rs", "fn f() {\n    super::a::g();\n}\n"),
        ]);
        assert_eq!(edges, [edge("a", "b"), edge("b", "a")]);
        assert_eq!(cycles(&edges), [["a", "b", "a"]]);
        let mut tree_edges = BTreeMap::new();
        for (n, e) in edges.iter().enumerate() {
            let at = Reference {
                to: e.1.clone(),
                file: format!("src/{}.rs", e.0),
                line: n + 1,
            };
            tree_edges.insert(e.clone(), at);
        }
        assert_eq!(
            cycle_offences(&tree_edges).as_deref(),
            Some(
                "1 dependency circle(s) among top-level modules (issue 7: data flows one way):\n  \
                 a → b → a\n    a → b: src/a.rs:1\n    b → a: src/b.rs:2\n"
            )
        );
    }

    #[test]
    fn a_one_way_graph_has_no_cycle() {
        let edges = edges(&[
            ("src/a.rs", "use crate::{b::X, proto::pb};\n"),
            ("src/b/mod.rs", "fn f() -> crate::c::T { todo!() }\n"),
            ("src/c.rs", "use crate::proto;\n"),
        ]);
        assert_eq!(
            edges,
            [
                edge("a", "b"),
                edge("a", "proto"),
                edge("b", "c"),
                edge("c", "proto")
            ]
        );
        assert!(cycles(&edges).is_empty());
    }

    #[test]
    fn every_cycle_is_listed_once() {
        let edges = [
            edge("a", "b"),
            edge("b", "a"),
            edge("b", "c"),
            edge("c", "a"),
        ];
        assert_eq!(
            cycles(&edges),
            [vec!["a", "b", "a"], vec!["a", "b", "c", "a"]]
        );
    }

    #[test]
    fn references_are_found_in_paths_macros_and_super() {
        let edges = edges(&[
            (
                "src/a/x.rs",
                "fn f() {\n    super::y::g();\n    let _ = format!(\"{}\", crate::b::NAME);\n}\n",
            ),
            ("src/b/x/y.rs", "fn f(_: super::super::super::c::T) {}\n"),
            (
                "src/c/mod.rs",
                "fn f() { self::inner::g(); std::mem::drop(()); }\n",
            ),
        ]);
        assert_eq!(edges, [edge("a", "b"), edge("b", "c")]);
    }

    #[test]
    fn an_edge_points_at_the_line_naming_the_module() {
        let src = "\nuse crate::b::{\n    X,\n    Y,\n};\n";
        let found = walk("src/a.rs", &syn::parse_file(src).expect("parses"), SMALL);
        let lines: Vec<usize> = found.references.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 2]);
    }

    #[test]
    fn test_code_makes_no_edge() {
        let edges = edges(&[(
            "src/a.rs",
            "#[cfg(test)]\nmod tests {\n    use crate::b::X;\n}\n#[cfg(test)]\nuse crate::c::Y;\n",
        )]);
        assert_eq!(edges, Vec::<(String, String)>::new());
    }

    fn write_tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temp dir");
        for (rel, src) in files {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("dirs");
            std::fs::write(path, src).expect("a file");
        }
        dir
    }

    /// A tree whose only long function and only back edge are test code.
    const CLEAN: &[(&str, &str)] = &[
        ("src/lib.rs", "pub mod a;\npub mod b;\npub mod proto;\n"),
        (
            "src/a.rs",
            "use crate::b::f;\n\n#[cfg(test)]\n#[path = \"a_test.rs\"]\nmod checks;\n",
        ),
        (
            "src/a_test.rs",
            "use crate::a::X;\nfn long() {\n\n\n\n\n\n}\n",
        ),
        ("src/b/mod.rs", "pub fn f() {}\n#[cfg(test)]\nmod tests;\n"),
        (
            "src/b/tests.rs",
            "use crate::a::X;\nfn long() {\n\n\n\n\n\n}\n",
        ),
        (
            "src/proto.rs",
            "pub mod pb {\n    tonic::include_proto!(\"pb\");\n}\n",
        ),
        ("src/bin/tool.rs", "fn main() {}\n"),
    ];

    #[test]
    fn a_clean_tree_passes_both_checks() {
        let dir = write_tree(CLEAN);
        let tree = scan(dir.path(), SMALL);
        assert_eq!(tree.modules, ["a", "b", "proto"].map(String::from).into());
        let files: Vec<&String> = tree.files.keys().collect();
        assert_eq!(
            files,
            ["src/a.rs", "src/b/mod.rs", "src/bin/tool.rs", "src/lib.rs"]
        );
        assert_eq!(function_offences(&over_limit(tree.functions())), None);
        assert_eq!(cycle_offences(&tree.edges()), None);
    }

    #[test]
    fn a_tree_with_violations_fails_both_checks() {
        let mut files = CLEAN.to_vec();
        files.push((
            "src/b/more.rs",
            "fn g() -> super::super::a::X {\n\n\n\n\n\n}\n",
        ));
        let dir = write_tree(&files);
        let tree = scan(dir.path(), SMALL);
        assert_eq!(
            function_offences(&over_limit(tree.functions())).as_deref(),
            Some(
                "1 function(s) over their limit (issue 7), longest first:\n  \
                 src/b/more.rs:1 fn g: 7 lines (limit 5)\n"
            )
        );
        assert_eq!(
            cycle_offences(&tree.edges()).as_deref(),
            Some(
                "1 dependency circle(s) among top-level modules (issue 7: data flows one way):\n  \
                 a → b → a\n    a → b: src/a.rs:1\n    b → a: src/b/more.rs:1\n"
            )
        );
    }
}
