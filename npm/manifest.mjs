// Completes the package.json that wasm-pack writes into npm/pkg (run by `cargo xtask npm build`
// as `node npm/manifest.mjs npm/pkg`). wasm-pack takes the name, version, license, repository
// and keywords from Cargo.toml; this adds what Node, bundlers and TypeScript read to find the
// package's files, and fails, naming the file, when the map points at one the build lacks.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node npm/manifest.mjs PKG_DIR");
  process.exit(2);
}
const path = join(dir, "package.json");
const generated = JSON.parse(readFileSync(path, "utf8"));

const manifest = {
  ...generated,
  // Cargo.toml describes the whole crate; the npm package is its browser half only.
  description:
    "Flexpa Link in the browser: a promise-based JavaScript API with TypeScript types, compiled from the Rust crate flexpa-link to WebAssembly",
  // ES modules only (wasm-pack --target web): require() of it is refused rather than half-working.
  type: "module",
  // For tools that predate `exports` (webpack 4, TypeScript's moduleResolution "node10").
  main: "./flexpa_link.js",
  types: "./flexpa_link.d.ts",
  // What `import ... from "flexpa-link..."` may name. Anything else (the snippets the module
  // imports itself, the .d.ts files) is private: Node and bundlers refuse a deep import of it,
  // so its layout can change without breaking anyone.
  exports: {
    ".": {
      types: "./flexpa_link.d.ts",
      import: "./flexpa_link.js",
      default: "./flexpa_link.js",
    },
    // For bundlers that do not follow `new URL("flexpa_link_bg.wasm", import.meta.url)`:
    // import the file's URL (Vite: "flexpa-link/flexpa_link_bg.wasm?url"; esbuild: the file
    // loader) and pass it to init({ module_or_path }).
    "./flexpa_link_bg.wasm": "./flexpa_link_bg.wasm",
    "./package.json": "./package.json",
  },
  // Importing the package runs nothing observable (init() and the API calls do), so a bundler
  // may drop what an app does not use.
  sideEffects: false,
  // npm packs README.md and package.json whatever this says, but a license only when it is
  // named LICENSE or LICENCE: the crate's two are named here.
  files: [
    "flexpa_link.js",
    "flexpa_link.d.ts",
    "flexpa_link_bg.wasm",
    "snippets/",
    "LICENSE-APACHE",
    "LICENSE-MIT",
  ],
};

// Every file the manifest names must be in the build.
const named = [
  manifest.main,
  manifest.types,
  ...Object.values(manifest.exports).flatMap((target) =>
    typeof target === "string" ? [target] : Object.values(target),
  ),
  ...manifest.files,
];
const missing = [...new Set(named)].filter((file) => !existsSync(join(dir, file)));
if (missing.length > 0) {
  console.error(`${path} names files the build lacks: ${missing.join(", ")}`);
  process.exit(1);
}
writeFileSync(path, JSON.stringify(manifest, null, 2) + "\n");
