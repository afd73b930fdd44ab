//! `cargo xtask npm build|pack|test`: the npm package, the crate's JavaScript API (src/js.rs,
//! feature `js`) built by wasm-pack. The top-level package.json's scripts call these.
//!
//!   build  wasm-pack build --target web into npm/pkg, wasm-opt -Oz, the npm README, the
//!          package.json's `exports` map (npm/manifest.mjs), and checks of the generated .d.ts
//!   pack   build, then `npm pack` -> npm/flexpa-link-<version>.tgz
//!   test   pack, install the tarball into a scratch project, type-check a TypeScript program
//!          against it (tsc, moduleResolution "bundler" and "node16"), run the JS API in
//!          headless Chromium as it is (npm/test/api.test.mjs) and bundled by esbuild
//!          (npm/test/bundle.test.mjs, which also checks what the `exports` map refuses)
//!
//! Needs the top-level devDependencies (`npm ci` at the top; `test` runs it when missing):
//! binaryen (a wasm-opt that reads what rustc 1.96 emits), typescript, playwright-core, esbuild
//! (its JavaScript API finds the native binary in @esbuild/<platform>; package.json's
//! allowScripts skips its postinstall, which only checks that binary).

use std::path::{Path, PathBuf};

use crate::cmd::{self, cmd, run, Fail, Result};
use crate::env::Toolchain;

pub const USAGE: &str = "cargo xtask npm build|pack|test";

pub fn main(root: &Path, args: &[String]) -> Result {
    let tc = Toolchain::detect(root)?;
    match args {
        [what] if what == "build" => build(root, &tc),
        [what] if what == "pack" => pack(root, &tc).map(|_| ()),
        [what] if what == "test" => test_package(root, &tc),
        _ => Err(Fail::usage(USAGE)),
    }
}

fn pkg_dir(root: &Path) -> PathBuf {
    root.join("npm/pkg")
}

fn need_node_modules(root: &Path) -> Result {
    let bin = root.join("node_modules/.bin");
    if !cmd::is_executable(&bin.join("tsc"))
        || !cmd::is_executable(&bin.join("wasm-opt"))
        || !root.join("node_modules/playwright-core").is_dir()
        || !root.join("node_modules/esbuild").is_dir()
    {
        run(cmd("npm", ["ci", "--no-audit", "--no-fund"]).current_dir(root))?;
    }
    Ok(())
}

pub fn build(root: &Path, tc: &Toolchain) -> Result {
    let pkg = pkg_dir(root);
    cmd::rmdir(&pkg)?;
    // --target web: plain ES modules that work in a browser without a bundler (<script
    // type="module">) and in bundlers that understand `new URL(..., import.meta.url)` (Vite,
    // webpack 5, Parcel, Rollup with its URL plugin). `bundler` would need a bundler with wasm
    // ESM integration and cannot run in a page as is. --mode no-install uses the installed
    // wasm-bindgen (the exact version in Cargo.lock). --no-opt: Debian's wasm-opt 108 cannot
    // read rustc 1.96's output (reference types' table.fill), so binaryen from npm runs below.
    let root_arg = root.to_string_lossy();
    let pkg_arg = pkg.to_string_lossy();
    run(tc
        .wasm_pack(&[
            "build",
            &root_arg,
            "--target",
            "web",
            "--mode",
            "no-install",
            "--release",
            "--no-opt",
            "--out-dir",
            &pkg_arg,
            "--out-name",
            "flexpa_link",
            "--features",
            "js",
        ])?
        .current_dir(root))?;
    let wasm = pkg.join("flexpa_link_bg.wasm");
    let wasm_opt = root.join("node_modules/.bin/wasm-opt");
    if cmd::is_executable(&wasm_opt) {
        run(&mut cmd(
            &wasm_opt,
            [
                "-Oz".as_ref(),
                wasm.as_os_str(),
                "-o".as_ref(),
                wasm.as_os_str(),
            ],
        ))?;
    } else {
        eprintln!(
            "{} missing (npm ci at the top): the wasm is not optimized",
            wasm_opt.display()
        );
    }
    cmd::copy(&root.join("npm/README.md"), &pkg.join("README.md"))?;
    let _ = std::fs::remove_file(pkg.join(".gitignore"));
    run(cmd("node", ["npm/manifest.mjs".as_ref(), pkg.as_os_str()]).current_dir(root))?;
    let dts_path = pkg.join("flexpa_link.d.ts");
    let dts = std::fs::read_to_string(&dts_path)
        .map_err(|e| Fail::new(format!("cannot read {}: {e}", dts_path.display())))?;
    let problems = check_dts(&dts);
    if !problems.is_empty() {
        return Err(Fail::new(format!(
            "{}:\n{}",
            dts_path.display(),
            problems.join("\n")
        )));
    }
    let (raw, gz) = cmd::sizes(&wasm)?;
    let js = std::fs::metadata(pkg.join("flexpa_link.js"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("npm/pkg: {raw} bytes wasm ({gz} gzipped), {js} bytes JS");
    Ok(())
}

/// The declarations a TypeScript user relies on, exactly as they must read.
const EXPECTED_DTS: &str = "\
export function loadFlexpaLink(options?: LoadOptions | null): Promise<FlexpaLink>;
export function isFlexpaLinkError(value: any): value is FlexpaLinkError;
export interface LoadOptions {
export interface LinkConfig {
  publishableKey: string;
  onSuccess?: (publicToken: string) => void;
  onExit?: (reason: string | undefined) => void;
export type Usage = \"ONE_TIME\" | \"MULTIPLE\";
export type FlexpaLinkErrorCode =
export interface FlexpaLinkError extends Error {
  name: \"FlexpaLinkError\";
  code: FlexpaLinkErrorCode;
    create(config: LinkConfig): LinkSession;
    publicToken(): Promise<string>;
    openWithEndpoint(endpoint_id: string): void;
    destroy(): void;
    readonly isOpen: boolean;
export default function __wbg_init";

/// What is wrong with the generated .d.ts: expected declarations it lacks, and `any` in the
/// API (the part before wasm-bindgen's InitInput/InitOutput declarations of the raw wasm
/// exports, comments aside) other than the type guard's parameter.
fn check_dts(dts: &str) -> Vec<String> {
    let mut problems: Vec<String> = EXPECTED_DTS
        .lines()
        .filter(|line| !dts.contains(line))
        .map(|line| format!("lacks: {line}"))
        .collect();
    let api = dts.split("export type InitInput").next().unwrap_or("");
    for (n, line) in api.lines().enumerate() {
        let trimmed = line.trim_start();
        let comment = trimmed.starts_with('*') || trimmed.starts_with("/*");
        if !comment && !line.contains("isFlexpaLinkError(value: any)") && has_word(line, "any") {
            problems.push(format!(
                "an untyped (any) declaration at line {}: {line}",
                n + 1
            ));
        }
    }
    problems
}

/// Whether `word` occurs in `line` as a whole word (as grep's `\bany\b`).
fn has_word(line: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// The packed tarballs in npm/.
fn tarballs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root.join("npm")) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("flexpa-link-") && n.ends_with(".tgz"))
        })
        .collect();
    found.sort();
    found
}

/// Builds and packs; returns the tarball.
pub fn pack(root: &Path, tc: &Toolchain) -> Result<PathBuf> {
    build(root, tc)?;
    for old in tarballs(root) {
        let _ = std::fs::remove_file(old);
    }
    let npm_dir = root.join("npm");
    run(cmd(
        "npm",
        [
            "pack".as_ref(),
            pkg_dir(root).as_os_str(),
            "--pack-destination".as_ref(),
            npm_dir.as_os_str(),
        ],
    )
    .current_dir(&npm_dir))?;
    match tarballs(root).as_slice() {
        [one] => {
            println!("{}", one.display());
            Ok(one.clone())
        }
        other => Err(Fail::new(format!(
            "expected one npm/flexpa-link-*.tgz after npm pack, found {}",
            other.len()
        ))),
    }
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The TypeScript settings of the two kinds of project that resolve the package through its
/// `exports` map: an app built by a bundler, and ES modules run by Node (the scratch project
/// is `"type": "module"`).
const TSCONFIGS: [(&str, &str); 2] = [
    (
        "bundler",
        r#""module": "es2022", "moduleResolution": "bundler""#,
    ),
    (
        "node16",
        r#""module": "node16", "moduleResolution": "node16""#,
    ),
];

fn tsconfig(resolution: &str) -> String {
    format!(
        r#"{{
  "compilerOptions": {{
    "target": "es2022", {resolution},
    "lib": ["es2022", "dom", "esnext.disposable"], "strict": true, "noEmit": true,
    "skipLibCheck": false
  }},
  "files": ["usage.ts"]
}}
"#
    )
}

/// What `tsc --traceResolution` prints when "flexpa-link" resolved through the `exports` map.
const TYPES_FROM_EXPORTS: &str = "Using 'exports' subpath '.' with target './flexpa_link.d.ts'.";

pub fn test_package(root: &Path, tc: &Toolchain) -> Result {
    need_node_modules(root)?;
    let tarball = pack(root, tc)?;
    let scratch =
        Scratch(std::env::temp_dir().join(format!("flexpa-link-npm-{}", std::process::id())));
    cmd::rmdir(&scratch.0)?;
    cmd::mkdir(&scratch.0)?;
    let dir = &scratch.0;
    // A fresh project installs the tarball as a user would; ES modules, as an app using the
    // package is (TypeScript's node16 resolution checks imports by the importer's kind).
    std::fs::write(
        dir.join("package.json"),
        r#"{ "name": "flexpa-link-npm-test", "private": true, "type": "module" }"#,
    )
    .map_err(|e| Fail::new(format!("cannot write {}/package.json: {e}", dir.display())))?;
    run(cmd(
        "npm",
        [
            "install".as_ref(),
            "--no-audit".as_ref(),
            "--no-fund".as_ref(),
            tarball.as_os_str(),
        ],
    )
    .current_dir(dir))?;
    let installed = dir.join("node_modules/flexpa-link");
    if !installed.join("flexpa_link_bg.wasm").is_file() {
        return Err(Fail::new(format!(
            "{} has no flexpa_link_bg.wasm: the tarball lacks it",
            installed.display()
        )));
    }
    // The .d.ts works for a TypeScript program that uses the API (and rejects misuse), found
    // through the `exports` map by both resolutions.
    cmd::copy(&root.join("npm/test/usage.ts"), &dir.join("usage.ts"))?;
    for (name, settings) in TSCONFIGS {
        type_check(root, dir, name, settings)?;
    }
    // The JavaScript API in headless Chromium: from the installed package as it is, and bundled
    // by esbuild.
    run(cmd(
        "node",
        [
            "--test".as_ref(),
            "--test-concurrency=1".as_ref(),
            root.join("npm/test/api.test.mjs").as_os_str(),
            root.join("npm/test/bundle.test.mjs").as_os_str(),
        ],
    )
    .env("FLEXPA_LINK_NPM_PROJECT", dir)
    .current_dir(root))
}

/// `tsc` on usage.ts in the scratch project `dir` with one module resolution. Fails with
/// tsc's errors, or when "flexpa-link" resolved but not through the `exports` map's types.
fn type_check(root: &Path, dir: &Path, name: &str, settings: &str) -> Result {
    let config = format!("tsconfig.{name}.json");
    std::fs::write(dir.join(&config), tsconfig(settings))
        .map_err(|e| Fail::new(format!("cannot write {}/{config}: {e}", dir.display())))?;
    let mut tsc = cmd(
        root.join("node_modules/.bin/tsc"),
        ["-p", &config, "--traceResolution"],
    );
    tsc.current_dir(dir);
    println!("+ {}", cmd::display(&tsc));
    let out = tsc
        .output()
        .map_err(|e| Fail::new(format!("cannot run tsc: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(Fail::new(format!(
            "tsc ({name} resolution) failed:\n{}",
            tsc_errors(&stdout)
        )));
    }
    if !stdout.contains(TYPES_FROM_EXPORTS) {
        return Err(Fail::new(format!(
            "tsc ({name} resolution) did not find the types through the exports map \
             (its trace lacks \"{TYPES_FROM_EXPORTS}\")"
        )));
    }
    println!("tsc ({name} resolution): usage.ts type-checks, types from exports[\".\"].types");
    Ok(())
}

/// tsc's error messages in its output, without the resolution trace around them: each
/// `file(line,col): error TS...` line and the indented lines that elaborate it.
fn tsc_errors(output: &str) -> String {
    let mut errors = Vec::new();
    let mut in_error = false;
    for line in output.lines() {
        in_error = line.contains(": error TS") || (in_error && line.starts_with(' '));
        if in_error {
            errors.push(line);
        }
    }
    errors.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_as_a_word_only() {
        assert!(has_word("  foo(x: any): void;", "any"));
        assert!(!has_word("  company: string; anything: Many;", "any"));
    }

    #[test]
    fn dts_checks_name_what_is_wrong() {
        let complete = format!(
            "{EXPECTED_DTS}\n/**\n * any comment\n */\n  bad(x: any): void;\nexport type InitInput = any;\n"
        );
        assert_eq!(
            check_dts(&complete),
            ["an untyped (any) declaration at line 22:   bad(x: any): void;"]
        );
        let missing = check_dts("export type InitInput = any;");
        assert_eq!(missing.len(), EXPECTED_DTS.lines().count());
        assert!(missing[0].starts_with("lacks: export function loadFlexpaLink"));
    }

    #[test]
    fn tsc_errors_leave_the_trace_out() {
        let output = "======== Resolving module 'flexpa-link' from '/p/usage.ts'. ========\n\
             Loading module 'flexpa-link' from 'node_modules' folder, target file types: TypeScript.\n\
             usage.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.\n\
             \x20 The expected type comes from here.\n\
             ======== Module name 'flexpa-link' was successfully resolved. ========\n\
             usage.ts(9,1): error TS2578: Unused '@ts-expect-error' directive.\n";
        assert_eq!(
            tsc_errors(output),
            "usage.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.\n\
             \x20 The expected type comes from here.\n\
             usage.ts(9,1): error TS2578: Unused '@ts-expect-error' directive."
        );
    }
}
