//! No module imports a module that imports it back: checked from the sources.
//!
//! For each library crate (and the root facade) this builds the module graph from `mod`
//! declarations and the `crate::`, `super::`, `self::` and child-module paths the code uses
//! (in `use` trees and in expressions), and fails with the cycle spelled out. A path is followed
//! through the `use` bindings of the module it names, so `use crate::Error` counts as a
//! reference to the module that defines `Error`, not to the root that re-exports it. `#[cfg(test)]`
//! items, comments (doc comments included) and string literals are skipped. Declaring
//! `mod child` is not an edge; a child naming its parent through `super::` is.
//!
//! A `pub use` (of any visibility) is a module's public face, not a use of what it names: it
//! is followed by the modules that name the re-exported item, but it is no edge of its own.
//! So the smoltcp shape, a parent re-exporting its children's items while they take shared
//! items from it, is no cycle; a parent whose own code uses a child that uses it back is.
//!
//! A token scanner rather than a parser, because xtask keeps to the standard library.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// How many referencing lines a cycle's report quotes per edge: the first ones are
/// usually the `use` lines, and the rest only repeat the edge.
const QUOTED: usize = 3;

/// A module's path below the crate root (empty for the root).
type ModPath = Vec<String>;

/// Fails when a module of a library crate (or of the root facade) depends on itself.
pub(crate) fn check(root: &Path) -> Result<(), String> {
    println!("\n>>> xtask step: no module import cycles");
    let mut crates = vec![("opskit".to_string(), root.join("src").join("lib.rs"))];
    let dir = root.join("crates");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("listing {}: {e}", dir.display()))?;
    let mut names: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    names.sort();
    for c in names {
        let lib = c.join("src").join("lib.rs");
        if lib.is_file() {
            let name = c
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            crates.push((name, lib));
        }
    }
    let mut found = Vec::new();
    for (name, lib) in &crates {
        let graph = Graph::load(lib, &|p| std::fs::read_to_string(p).ok());
        let cycles = graph.cycles();
        println!(
            "{name}: {} modules, {} edges, {} cycles",
            graph.modules.len(),
            graph.edges().len(),
            cycles.len()
        );
        for c in cycles {
            found.push(format!("{name}: {c}"));
        }
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!("module import cycles:\n{}", found.join("\n")))
    }
}

/// One token of a source file with comments and literals removed.
#[derive(Debug, Clone, PartialEq)]
struct Tok {
    text: String,
    line: usize,
}

/// The source with comments, strings and char literals blanked out (newlines kept).
fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !is_ident(c[i - 1]))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match c.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some(&ch) => blank(&mut out, ch),
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                if let Some(&ch) = c.get(i) {
                    blank(&mut out, ch);
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c[i] == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or else a lifetime.
            if next == Some('\\') {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

fn tokens(src: &str) -> Vec<Tok> {
    let clean = strip(src);
    let c: Vec<char> = clean.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let start = i;
        if c[i] == '\n' {
            line += 1;
            i += 1;
            continue;
        } else if c[i].is_whitespace() {
            i += 1;
            continue;
        } else if is_ident(c[i]) {
            while i < c.len() && is_ident(c[i]) {
                i += 1;
            }
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            i += 1;
        }
        out.push(Tok {
            text: c[start..i].iter().collect(),
            line,
        });
    }
    out
}

/// A path the module's code names, relative to that module.
#[derive(Debug, Clone)]
struct Ref {
    segs: Vec<String>,
    line: usize,
}

#[derive(Debug, Default)]
struct Module {
    file: PathBuf,
    children: BTreeSet<String>,
    /// Names brought in by `use`: name -> path (relative to this module).
    bindings: BTreeMap<String, Vec<String>>,
    refs: Vec<Ref>,
}

/// The module graph of one crate.
#[derive(Debug, Default)]
struct Graph {
    modules: BTreeMap<ModPath, Module>,
    /// Each file's lines, to quote the referencing line.
    lines: BTreeMap<PathBuf, Vec<String>>,
}

fn tok(t: &[Tok], i: usize) -> &str {
    t.get(i).map_or("", |t| t.text.as_str())
}

/// Parses a `use` tree starting at `i` under `prefix`; returns the index after it.
fn use_tree(
    t: &[Tok],
    mut i: usize,
    prefix: &[String],
    out: &mut Vec<(Ref, Option<String>)>,
) -> usize {
    let mut path = prefix.to_vec();
    if tok(t, i) == "::" {
        // `::name` is an extern crate.
        path.push("::".into());
        i += 1;
    }
    loop {
        match tok(t, i) {
            "{" => {
                i += 1;
                while i < t.len() && tok(t, i) != "}" {
                    let before = i;
                    i = use_tree(t, i, &path, out);
                    if tok(t, i) == "," {
                        i += 1;
                    }
                    if i == before {
                        i += 1;
                    }
                }
                return i + 1;
            }
            "*" => {
                let line = t[i].line;
                out.push((Ref { segs: path, line }, None));
                return i + 1;
            }
            s if s.chars().next().is_some_and(is_ident) => {
                let line = t[i].line;
                path.push(s.to_string());
                i += 1;
                if tok(t, i) == "::" {
                    i += 1;
                    continue;
                }
                if path.last().is_some_and(|l| l == "self") {
                    path.pop();
                }
                let mut bind = path.last().cloned();
                if tok(t, i) == "as" {
                    bind = Some(tok(t, i + 1).to_string()).filter(|b| b != "_");
                    i += 2;
                }
                out.push((Ref { segs: path, line }, bind));
                return i;
            }
            _ => return i,
        }
    }
}

/// Skips one item starting at `i`: up to its `;` or the end of its `{…}` block.
fn skip_item(t: &[Tok], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < t.len() {
        match tok(t, i) {
            "{" | "(" | "[" => depth += 1,
            "}" | ")" | "]" => {
                depth = depth.saturating_sub(1);
                if depth == 0 && tok(t, i) == "}" {
                    return i + 1;
                }
            }
            ";" if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// Whether the `use` at `i` is a re-export: `pub use`, `pub(crate) use`, `pub(super) use`.
fn is_pub_before(t: &[Tok], i: usize) -> bool {
    let before = |k: usize| i.checked_sub(k).map_or("", |j| tok(t, j));
    before(1) == "pub" || (before(1) == ")" && before(4) == "pub" && before(3) == "(")
}

fn is_cfg_test(t: &[Tok], i: usize) -> bool {
    ["#", "[", "cfg", "(", "test", ")", "]"]
        .iter()
        .enumerate()
        .all(|(k, s)| tok(t, i + k) == *s)
}

impl Graph {
    /// Loads the crate whose root file is `lib`, reading files through `read`.
    fn load(lib: &Path, read: &dyn Fn(&Path) -> Option<String>) -> Graph {
        let mut g = Graph::default();
        let dir = lib.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut queue = VecDeque::from([(Vec::new(), lib.to_path_buf(), dir)]);
        while let Some((path, file, dir)) = queue.pop_front() {
            let Some(src) = read(&file) else { continue };
            g.lines.insert(
                file.clone(),
                src.lines().map(|l| l.trim().to_string()).collect(),
            );
            for (child, child_dir) in g.scan(&path, &file, &dir, &tokens(&src)) {
                let name = child.last().cloned().unwrap_or_default();
                let flat = child_dir.join(format!("{name}.rs"));
                let nested = child_dir.join(&name).join("mod.rs");
                let (f, d) = if read(&flat).is_some() {
                    (flat, child_dir.join(&name))
                } else {
                    (nested, child_dir.join(&name))
                };
                queue.push_back((child, f, d));
            }
        }
        g
    }

    /// Records the modules of one file; returns the file modules it declares, with the
    /// directory their files are in.
    fn scan(
        &mut self,
        top: &ModPath,
        file: &Path,
        dir: &Path,
        t: &[Tok],
    ) -> Vec<(ModPath, PathBuf)> {
        let mut files = Vec::new();
        // (module, directory of its children, brace depth at which it closes)
        let mut stack = vec![(top.clone(), dir.to_path_buf(), 0usize)];
        self.modules.entry(top.clone()).or_default().file = file.to_path_buf();
        let mut depth = 0usize;
        let mut i = 0;
        while i < t.len() {
            let (cur, cur_dir, _) = stack.last().cloned().unwrap_or_default();
            let s = tok(t, i);
            if is_cfg_test(t, i) {
                i += 7;
                while tok(t, i) == "#" {
                    i = skip_item(t, i + 1);
                }
                i = skip_item(t, i);
                continue;
            }
            match s {
                "{" => depth += 1,
                "}" => {
                    depth = depth.saturating_sub(1);
                    if stack.len() > 1 && stack.last().is_some_and(|s| s.2 > depth) {
                        stack.pop();
                    }
                }
                "mod" if tok(t, i + 1).chars().next().is_some_and(is_ident) => {
                    let name = tok(t, i + 1).to_string();
                    let mut child = cur.clone();
                    child.push(name.clone());
                    self.modules
                        .entry(cur.clone())
                        .or_default()
                        .children
                        .insert(name.clone());
                    if tok(t, i + 2) == "{" {
                        depth += 1;
                        self.modules.entry(child.clone()).or_default().file = file.to_path_buf();
                        stack.push((child, cur_dir.join(&name), depth));
                        i += 3;
                        continue;
                    }
                    files.push((child, cur_dir.clone()));
                    i += 2;
                    continue;
                }
                "use" => {
                    let mut uses = Vec::new();
                    let end = use_tree(t, i + 1, &[], &mut uses);
                    let reexport = is_pub_before(t, i);
                    let m = self.modules.entry(cur.clone()).or_default();
                    for (r, bind) in uses {
                        if let Some(b) = bind {
                            m.bindings.insert(b, r.segs.clone());
                        }
                        if !reexport {
                            m.refs.push(r);
                        }
                    }
                    i = end.max(i + 1);
                    continue;
                }
                _ if s.chars().next().is_some_and(is_ident)
                    && tok(t, i + 1) == "::"
                    && !matches!(tok(t, i.wrapping_sub(1)), "::" | "$")
                    && !(tok(t, i.wrapping_sub(1)) == "in" && tok(t, i.wrapping_sub(2)) == "(") =>
                {
                    let line = t[i].line;
                    let mut segs = vec![s.to_string()];
                    i += 2;
                    while tok(t, i).chars().next().is_some_and(is_ident) {
                        segs.push(tok(t, i).to_string());
                        if tok(t, i + 1) != "::" {
                            break;
                        }
                        i += 2;
                    }
                    self.modules
                        .entry(cur)
                        .or_default()
                        .refs
                        .push(Ref { segs, line });
                }
                _ => {}
            }
            i += 1;
        }
        files
    }

    /// The module a path named in module `from` refers to (the module defining the item),
    /// or `None` for paths outside the crate.
    fn resolve(&self, from: &ModPath, segs: &[String], hops: usize) -> Option<ModPath> {
        let first = segs.first()?;
        let (mut cur, mut rest) = match first.as_str() {
            "crate" => (Vec::new(), &segs[1..]),
            "self" => (from.clone(), &segs[1..]),
            "super" => {
                let mut cur = from.clone();
                let mut k = 0;
                while segs.get(k).is_some_and(|s| s == "super") {
                    cur.pop()?;
                    k += 1;
                }
                (cur, &segs[k..])
            }
            _ => {
                let m = self.modules.get(from)?;
                if m.children.contains(first) {
                    (from.clone(), segs)
                } else if let Some(b) = m.bindings.get(first).filter(|b| b.len() > 1 && hops < 16) {
                    let mut full = b.clone();
                    full.extend_from_slice(&segs[1..]);
                    return self.resolve(from, &full, hops + 1);
                } else {
                    return None;
                }
            }
        };
        while let Some(next) = rest.first() {
            let m = self.modules.get(&cur)?;
            if m.children.contains(next) {
                cur.push(next.clone());
                rest = &rest[1..];
            } else if let Some(b) = m.bindings.get(next).filter(|_| hops < 16) {
                let mut full = b.clone();
                full.extend_from_slice(&rest[1..]);
                // A re-export of another crate's item is no edge.
                return self.resolve(&cur, &full, hops + 1);
            } else {
                break;
            }
        }
        Some(cur)
    }

    /// Every edge `from -> to` with the lines that make it: `(file:line, text)`.
    fn edges(&self) -> BTreeMap<(ModPath, ModPath), Vec<String>> {
        let mut edges: BTreeMap<_, Vec<String>> = BTreeMap::new();
        for (path, m) in &self.modules {
            for r in &m.refs {
                let Some(to) = self.resolve(path, &r.segs, 0) else {
                    continue;
                };
                if &to == path || !self.modules.contains_key(&to) {
                    continue;
                }
                let text = self
                    .lines
                    .get(&m.file)
                    .and_then(|l| l.get(r.line - 1))
                    .cloned()
                    .unwrap_or_default();
                let at = format!("{}:{}: {text}", m.file.display(), r.line);
                let list = edges.entry((path.clone(), to)).or_default();
                if !list.contains(&at) {
                    list.push(at);
                }
            }
        }
        edges
    }

    /// One cycle per strongly connected group of modules, each with its referencing lines.
    fn cycles(&self) -> Vec<String> {
        let edges = self.edges();
        let mut next: BTreeMap<&ModPath, Vec<&ModPath>> = BTreeMap::new();
        for (from, to) in edges.keys() {
            next.entry(from).or_default().push(to);
        }
        let reach = |start: &ModPath| -> BTreeSet<ModPath> {
            let mut seen = BTreeSet::new();
            let mut todo = vec![start.clone()];
            while let Some(n) = todo.pop() {
                for &m in next.get(&n).into_iter().flatten() {
                    if seen.insert(m.clone()) {
                        todo.push(m.clone());
                    }
                }
            }
            seen
        };
        let reaches: BTreeMap<&ModPath, BTreeSet<ModPath>> =
            self.modules.keys().map(|m| (m, reach(m))).collect();
        let mut done = BTreeSet::new();
        let mut out = Vec::new();
        for (m, r) in &reaches {
            if done.contains(*m) || !r.contains(*m) {
                continue;
            }
            let group: BTreeSet<ModPath> = r
                .iter()
                .filter(|o| reaches[o].contains(*m))
                .cloned()
                .collect();
            done.extend(group.iter().cloned());
            // Shortest way back from m to m inside the group.
            let mut prev: BTreeMap<ModPath, ModPath> = BTreeMap::new();
            let mut todo = VecDeque::from([(*m).clone()]);
            'bfs: while let Some(n) = todo.pop_front() {
                for &o in next.get(&n).into_iter().flatten() {
                    if !group.contains(o) || prev.contains_key(o) {
                        continue;
                    }
                    prev.insert(o.clone(), n.clone());
                    if o == *m {
                        break 'bfs;
                    }
                    todo.push_back(o.clone());
                }
            }
            let mut cycle = vec![(*m).clone()];
            let mut at = (*m).clone();
            while let Some(p) = prev.get(&at) {
                cycle.push(p.clone());
                if p == *m {
                    break;
                }
                at = p.clone();
            }
            cycle.reverse();
            let mut text = cycle.iter().map(name).collect::<Vec<_>>().join(" -> ");
            if group.len() > cycle.len() - 1 {
                let all: Vec<_> = group.iter().map(name).collect();
                let _ = write!(text, " (all tangled: {})", all.join(", "));
            }
            for w in cycle.windows(2) {
                let ats = &edges[&(w[0].clone(), w[1].clone())];
                for at in ats.iter().take(QUOTED) {
                    let _ = write!(text, "\n    {} -> {}: {at}", name(&w[0]), name(&w[1]));
                }
                if ats.len() > QUOTED {
                    let _ = write!(text, "\n    (and {} more)", ats.len() - QUOTED);
                }
            }
            out.push(text);
        }
        out
    }
}

fn name(p: &ModPath) -> String {
    if p.is_empty() {
        "crate".into()
    } else {
        p.join("::")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The graph of a crate given as `(file, source)` pairs below `src/`.
    fn graph(files: &[(&str, &str)]) -> Graph {
        let files: BTreeMap<PathBuf, String> = files
            .iter()
            .map(|(p, s)| (Path::new("src").join(p), (*s).to_string()))
            .collect();
        Graph::load(Path::new("src/lib.rs"), &|p| files.get(p).cloned())
    }

    fn edge_names(g: &Graph) -> Vec<String> {
        g.edges()
            .keys()
            .map(|(a, b)| format!("{} -> {}", name(a), name(b)))
            .collect()
    }

    fn first_lines(g: &Graph) -> Vec<String> {
        g.cycles()
            .iter()
            .map(|c| c.lines().next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn grouped_nested_and_multi_line_uses_are_edges() {
        let g = graph(&[
            ("lib.rs", "mod a;\nmod b;\nmod c;\nmod d;\n"),
            (
                "a.rs",
                "use crate::{\n    b::{self, X},\n    c::{Y, z::{W}},\n};\n",
            ),
            ("b.rs", "pub struct X;"),
            ("c.rs", "pub struct Y; pub mod z { pub struct W; }"),
            ("d.rs", "fn f() -> u8 { crate::b::X; 0 }"),
        ]);
        assert_eq!(edge_names(&g), ["a -> b", "a -> c", "a -> c::z", "d -> b"]);
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn a_cycle_of_three_is_spelled_out() {
        let g = graph(&[
            (
                "lib.rs",
                "mod element;\nmod rpn;\nmod value;\npub use element::E;\n",
            ),
            ("element.rs", "use crate::rpn::R;\npub struct E;"),
            ("rpn.rs", "pub struct R(crate::value::V);"),
            ("value.rs", "use crate::E;\npub struct V;"),
        ]);
        assert_eq!(first_lines(&g), ["element -> rpn -> value -> element"]);
        let c = &g.cycles()[0];
        assert!(
            c.contains("value -> element: src/value.rs:1: use crate::E;"),
            "{c}"
        );
    }

    #[test]
    fn re_exports_at_the_root_are_followed_to_the_defining_module() {
        let g = graph(&[
            (
                "lib.rs",
                "mod error;\nmod parse;\npub use error::Error;\npub use parse::parse;\n",
            ),
            ("error.rs", "pub enum Error {}"),
            (
                "parse.rs",
                "use crate::Error;\npub fn parse() -> Result<(), Error> { Ok(()) }",
            ),
        ]);
        // The root's re-exports are its public face, not edges.
        assert_eq!(edge_names(&g), ["parse -> error"]);
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn a_re_export_of_another_crate_is_no_edge() {
        let g = graph(&[
            ("lib.rs", "mod a;\npub use a::A;\npub use other::Info;\n"),
            ("a.rs", "use crate::Info;\npub struct A(Info);"),
        ]);
        assert!(edge_names(&g).is_empty(), "{:?}", edge_names(&g));
    }

    #[test]
    fn a_parent_and_child_that_refer_to_each_other_are_a_cycle() {
        let g = graph(&[
            ("lib.rs", "mod wire;"),
            (
                "wire.rs",
                "mod tcp;\npub struct Error;\nfn f(_: &tcp::Packet) {}\n",
            ),
            ("wire/tcp.rs", "pub struct Packet(super::Error);"),
        ]);
        assert_eq!(first_lines(&g), ["wire -> wire::tcp -> wire"]);
    }

    #[test]
    fn a_parent_re_exporting_a_child_that_uses_it_is_no_cycle() {
        let g = graph(&[
            (
                "lib.rs",
                "mod wire;\npub use wire::Packet;\npub(crate) use wire::Error as E;",
            ),
            (
                "wire.rs",
                "mod tcp;\npub use tcp::Packet;\npub struct Error;\npub(crate) fn read() {}",
            ),
            (
                "wire/tcp.rs",
                "use super::{Error, read};\npub struct Packet;",
            ),
        ]);
        assert!(g.cycles().is_empty(), "{:?}", g.cycles());
        // The parent's own code using the child is an edge, and with the child's use of the
        // parent, a cycle.
        let g = graph(&[
            ("lib.rs", "mod wire;"),
            (
                "wire.rs",
                "mod tcp;\npub use tcp::Packet;\npub struct Error;\nfn f(_: tcp::Packet) {}",
            ),
            ("wire/tcp.rs", "use super::Error;\npub struct Packet;"),
        ]);
        assert_eq!(g.cycles().len(), 1, "{:?}", g.cycles());
    }

    #[test]
    fn declaring_a_child_is_not_an_edge() {
        let g = graph(&[
            ("lib.rs", "mod wire;"),
            ("wire.rs", "mod tcp;\npub struct Error;\n"),
            ("wire/tcp.rs", "pub struct Packet(super::Error);"),
        ]);
        assert_eq!(edge_names(&g), ["wire::tcp -> wire"]);
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn super_super_climbs_two_levels() {
        let g = graph(&[
            ("lib.rs", "mod a;\nmod b;\npub use a::x::X;\n"),
            ("a.rs", "pub mod x;"),
            ("a/x.rs", "pub struct X(super::super::b::B);"),
            ("b.rs", "pub struct B;\nfn f(_: crate::X) {}"),
        ]);
        assert_eq!(first_lines(&g), ["a::x -> b -> a::x"]);
    }

    #[test]
    fn tests_comments_strings_and_macros_are_not_edges() {
        let g = graph(&[
            ("lib.rs", "mod a;\nmod b;\n"),
            (
                "a.rs",
                "//! See [`crate::b::B`].\n/// crate::b::B\nconst S: &str = \"crate::b::B\";\n\
                 /* use crate::b; */\nmacro_rules! m { () => { $crate::b::B } }\n\
                 pub(crate) fn f<'a>(x: &'a u8) -> char { let _ = x; 'c' }\n\
                 #[cfg(test)]\nmod tests {\n    use crate::b::B;\n    fn g() { let _ = B; }\n}\n\
                 pub struct A;\n",
            ),
            ("b.rs", "pub struct B(crate::a::A);"),
        ]);
        assert_eq!(edge_names(&g), ["b -> a"]);
    }
}
