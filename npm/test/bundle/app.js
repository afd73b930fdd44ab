// An app as a user writes it, bundled by esbuild (bundle.test.mjs) from the installed tarball:
// each import below goes through the package's `exports` map.
import init, { isFlexpaLinkError, loadFlexpaLink } from "flexpa-link";
// The bundler copies the .wasm next to the bundle (esbuild's file loader; with Vite:
// "flexpa-link/flexpa_link_bg.wasm?url") and gives its URL to init().
import wasmUrl from "flexpa-link/flexpa_link_bg.wasm";
import pkg from "flexpa-link/package.json";

const status = document.getElementById("status");
const exit = document.getElementById("exit");
document.getElementById("version").textContent = `${pkg.name} ${pkg.version}`;

await init({ module_or_path: wasmUrl });
// The test server's stand-in of https://js.flexpa.com/v1/ (the default src).
const link = await loadFlexpaLink({ src: "/v1/" });

const button = document.getElementById("link-button");
button.onclick = async () => {
  const session = link.create({
    publishableKey: "pk_test_bundle",
    onExit: (reason) => (exit.textContent = reason ?? "none"),
  });
  session.open();
  try {
    status.textContent = `linked: ${await session.publicToken()}`;
  } catch (e) {
    status.textContent = isFlexpaLinkError(e) ? `not linked: ${e.code}` : `failed: ${e}`;
  } finally {
    session.destroy();
  }
};
button.disabled = false;
status.textContent = "ready";
window.ready = true; // what the tests wait for
