//! `cargo xtask bench hooks`, also part of `cargo xtask bench`: what each framework hook crate
//! (integrations/flexpa-link-{yew,leptos,dioxus}) adds to a minimal app of its framework. The
//! apps are bench/hook-size/<framework>: one button, and with the `link` feature the hook crate's
//! `FlexpaLinkButton` on `use_flexpa_link` (its README quick start) instead. Each of the six
//! builds is built and measured as section 1 is (release profile, wasm-bindgen --target web,
//! wasm-opt -Oz, gzip -9 of the wasm and of every JS file); the section goes to
//! RESULTS/hooks.md (which report.mjs includes in the full run) and, run alone, into
//! BENCH_OUT (BENCHMARKS.md) between the `hooks:begin`/`hooks:end` markers.

use std::fs;
use std::path::{Path, PathBuf};

use super::{app_sizes, commit, crate_versions, now, npm_version, npm_wasm_opt, out, Bench};
use crate::cmd::{cmd, Result};
use crate::env::{self, Toolchain, WASM_TARGET};
use crate::examples;

/// The apps: (framework, its crate in Cargo.lock, the app's package).
const APPS: [(&str, &str, &str); 3] = [
    ("Yew", "yew", "hook-size-yew"),
    ("Leptos", "leptos", "hook-size-leptos"),
    ("Dioxus", "dioxus", "hook-size-dioxus"),
];

const BEGIN: &str =
    "<!-- hooks:begin (written by `cargo xtask bench hooks`; do not edit by hand) -->";
const END: &str = "<!-- hooks:end -->";
/// How the section's row in the summary table starts (the command replaces that row).
const SUMMARY: &str = "| wasm size: what a hook crate adds to a one-button app";

/// What the benchmark writes: its section (markers included) and its summary table row.
pub struct Hooks {
    pub section: String,
    pub summary: String,
}

/// One framework's two builds: [wasm, wasm gzip, js, js gzip] without and with Link.
struct Row {
    framework: &'static str,
    version: String,
    plain: [u64; 4],
    link: [u64; 4],
}

/// `cargo xtask bench hooks`: builds and measures the six apps, prints the section and writes
/// it into BENCH_OUT (BENCHMARKS.md).
pub fn main(root: &Path, tc: &Toolchain) -> Result {
    let wb_cli = examples::check_wasm_bindgen(root)?;
    let out_md = std::env::var_os("BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("BENCHMARKS.md"));
    let mut b = Bench::new(root, tc, None)?;
    b.npm_ci_unless_there(&["binaryen"])?;
    b.wasm_opt = npm_wasm_opt(root)?;
    let work = env::target_dir(root).join("bench/hooks");
    let hooks = run(&mut b, &work, &wb_cli)?;
    let old = fs::read_to_string(&out_md).unwrap_or_default();
    let new = with_summary(&with_section(&old, &hooks.section), &hooks.summary);
    super::write(&out_md, &new)?;
    println!(
        "wrote section 1b and its summary row into {}",
        out_md.display()
    );
    Ok(())
}

/// Builds and measures the apps into `work`; returns the markdown section and summary row.
pub fn run(b: &mut Bench, work: &Path, wb_cli: &str) -> Result<Hooks> {
    let rel = env::target_dir(b.root).join(WASM_TARGET).join("release");
    let versions = crate_versions(b.root, &APPS.map(|(_, krate, _)| krate))?;
    let mut rows = Vec::new();
    for ((framework, _, pkg), version) in APPS.into_iter().zip(versions) {
        let mut sizes = [[0; 4]; 2];
        // The two variants write the same file: each is measured before the next build.
        for (i, (variant, features)) in [("plain", &[][..]), ("link", &["--features", "link"][..])]
            .into_iter()
            .enumerate()
        {
            b.wasm_build(pkg, features)?;
            let dir = work.join(pkg).join(variant);
            b.bindgen_opt(&rel.join(format!("{pkg}.wasm")), &dir, "app", &[])?;
            sizes[i] = app_sizes(&dir)?;
        }
        rows.push(Row {
            framework,
            version: version
                .split_once('=')
                .map_or(version.clone(), |(_, v)| v.to_owned()),
            plain: sizes[0],
            link: sizes[1],
        });
    }
    let table = table(&rows);
    println!("{table}");
    let rustc = out(b.tc.wasm_command("rustc")?.arg("--version"));
    let wasm_opt = out(&mut cmd(&b.wasm_opt, ["--version"]));
    let binaryen = npm_version(b.root, "binaryen").unwrap_or_default();
    let locked = crate_versions(b.root, &["flexpa-link", "wasm-bindgen"])?
        .iter()
        .map(|l| l.trim_start_matches("crate_").replacen('=', " ", 1))
        .collect::<Vec<_>>()
        .join(", ");
    let section = format!(
        "{BEGIN}
## 1b. wasm size: what each hook crate adds to its framework's app

Each framework's app (bench/hook-size/<framework>) is one button, with the same framework
features as examples/<framework>: without Link, a button whose click sets a state; with the
`link` feature, the hook crate's README quick start instead: `use_flexpa_link` and its
`FlexpaLinkButton` (Yew's `FlexpaLinkButton` takes the key and runs the hook itself), the
public token handed to the app. Built as section 1: workspace release profile (opt-level \"z\",
LTO, one codegen unit, panic = \"abort\"), `wasm-bindgen --target web`, `wasm-opt -Oz`; bytes,
gzip -9 of the wasm plus each JS file (the glue and the crate's `core.js`).

{table}

The difference is all of Link in the app: flexpa-link (`LinkController` and its JS core,
`core.js`), the hook and the button, less what the plain button did.

Measured by `cargo xtask bench hooks` on {date}, commit {commit}: {rustc} (wasm32); wasm-bindgen
CLI {wb_cli}; {wasm_opt} (npm binaryen {binaryen}); Cargo.lock: {locked}, {frameworks}.
{END}
",
        date = now(),
        commit = commit(
            b.root,
            &["src", "integrations", "bench/hook-size", "Cargo.toml"]
        ),
        frameworks = rows
            .iter()
            .map(|r| format!("{} {}", r.framework.to_lowercase(), r.version))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let summary = format!(
        "{SUMMARY} (gzip -9, wasm + JS; section 1b) | {} | the app without Link: {} | (measured, no goal) | — |",
        rows.iter()
            .map(|r| format!("{} {} B", r.framework, signed(total(r.link) as i64 - total(r.plain) as i64)))
            .collect::<Vec<_>>()
            .join(", "),
        rows.iter()
            .map(|r| format!("{} {} B", r.framework, thousands(total(r.plain) as i64)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    Ok(Hooks { section, summary })
}

/// Gzipped wasm + JS of [wasm, wasm gzip, js, js gzip].
fn total(s: [u64; 4]) -> u64 {
    s[1] + s[3]
}

/// The markdown table: per framework, gzip totals (wasm + JS) without and with Link.
fn table(rows: &[Row]) -> String {
    let mut t = String::from(
        "| Framework | without Link: wasm + JS gzip | with `use_flexpa_link` + `FlexpaLinkButton` | difference | of which wasm | of which JS |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let diff = |i: usize| r.link[i] as i64 - r.plain[i] as i64;
        t += &format!(
            "| {} {} | {} ({} + {}) | {} ({} + {}) | **{}** | {} | {} |\n",
            r.framework,
            r.version,
            thousands(total(r.plain) as i64),
            thousands(r.plain[1] as i64),
            thousands(r.plain[3] as i64),
            thousands(total(r.link) as i64),
            thousands(r.link[1] as i64),
            thousands(r.link[3] as i64),
            signed(diff(1) + diff(3)),
            signed(diff(1)),
            signed(diff(3)),
        );
    }
    t.pop();
    t
}

/// 12345 → "12,345".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut s = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    if n < 0 {
        format!("-{s}")
    } else {
        s
    }
}

/// 12345 → "+12,345".
fn signed(n: i64) -> String {
    if n >= 0 {
        format!("+{}", thousands(n))
    } else {
        thousands(n)
    }
}

/// `text` with `section` (markers included) in place of its hooks section, or, without one,
/// before section 2 (or at the end).
fn with_section(text: &str, section: &str) -> String {
    if let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) {
        if start < end {
            let after = &text[end + END.len()..];
            let after = after.strip_prefix('\n').unwrap_or(after);
            return format!("{}{section}{after}", &text[..start]);
        }
    }
    match text.find("\n## 2.") {
        Some(at) => format!("{}\n{section}{}", &text[..at], &text[at..]),
        None if text.is_empty() => section.to_owned(),
        None => format!("{}\n\n{section}", text.trim_end()),
    }
}

/// `text` with `row` in place of its hooks row of the summary table, or, without one, after
/// the table's first row (section 1's); unchanged if there is no summary table.
fn with_summary(text: &str, row: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    if let Some(i) = lines.iter().position(|l| l.starts_with(SUMMARY)) {
        lines[i] = row;
    } else if let Some(i) = lines.iter().position(|l| l.starts_with("| wasm size (")) {
        lines.insert(i + 1, row);
    } else {
        return text.to_owned();
    }
    let mut s = lines.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(signed(-1234), "-1,234");
        assert_eq!(signed(12), "+12");
    }

    #[test]
    fn puts_the_summary_row_after_the_size_row_then_replaces_it() {
        let doc = "| Benchmark |\n|---|\n| wasm size (gzip) | a |\n| server | b |\n";
        let r1 = format!("{SUMMARY} | 1 |");
        let once = with_summary(doc, &r1);
        assert_eq!(
            once,
            format!("| Benchmark |\n|---|\n| wasm size (gzip) | a |\n{r1}\n| server | b |\n")
        );
        let r2 = format!("{SUMMARY} | 2 |");
        assert_eq!(with_summary(&once, &r2), once.replace(&r1, &r2));
        assert_eq!(with_summary("no table\n", &r1), "no table\n");
    }

    #[test]
    fn puts_the_section_before_section_2_then_replaces_it() {
        let doc = "# B\n\n## 1. wasm size\n\ntext\n\n## 2. Server\n\nmore\n";
        let s1 = format!("{BEGIN}\n## 1b. one\n{END}\n");
        let once = with_section(doc, &s1);
        assert_eq!(
            once,
            format!("# B\n\n## 1. wasm size\n\ntext\n\n{s1}\n## 2. Server\n\nmore\n")
        );
        let s2 = format!("{BEGIN}\n## 1b. two\n{END}\n");
        let twice = with_section(&once, &s2);
        assert_eq!(
            twice,
            format!("# B\n\n## 1. wasm size\n\ntext\n\n{s2}\n## 2. Server\n\nmore\n")
        );
    }
}
