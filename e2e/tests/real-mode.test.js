// The demo server with FLEXPA_PUBLISHABLE_KEY and FLEXPA_SECRET_KEY set: no sandbox, the real
// script and API URLs (or their overrides), and the keys never printed. Flexpa itself is not
// reachable from the test machines, so the API URL points at a closed local port.

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { SERVER_BIN, fetchConfig, startServer } from "../lib/harness.js";

const PUBLISHABLE = "pk_test_e2eRealModeKey000000000000";
const SECRET = "sk_test_e2eRealModeSecret0000000000000";

/** A local port with nothing listening. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("demo server with Flexpa keys (no sandbox)", () => {
  const servers = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  test("real mode: js.flexpa.com by default, no sandbox", async () => {
    const server = await startServer({
      env: { FLEXPA_PUBLISHABLE_KEY: PUBLISHABLE, FLEXPA_SECRET_KEY: SECRET },
    });
    servers.push(server);
    assert.equal(server.sandboxUrl, null, "no sandbox is started");
    const config = await fetchConfig(server);
    assert.deepEqual(config, { publishableKey: PUBLISHABLE, scriptUrl: "https://js.flexpa.com/v1/", sandbox: false });
    assert.match(server.output(), /Flexpa API: https:\/\/api\.flexpa\.com/);
    assert.ok(!server.output().includes(SECRET));
  });

  test("real mode: FLEXPA_LINK_SCRIPT_URL and FLEXPA_API_URL override; Flexpa down is a clear 502", async () => {
    const port = await closedPort();
    const server = await startServer({
      env: {
        FLEXPA_PUBLISHABLE_KEY: PUBLISHABLE,
        FLEXPA_SECRET_KEY: SECRET,
        FLEXPA_LINK_SCRIPT_URL: "http://127.0.0.1:9/flexpa-link.js",
        FLEXPA_API_URL: `http://127.0.0.1:${port}`,
      },
    });
    servers.push(server);
    const config = await fetchConfig(server);
    assert.equal(config.scriptUrl, "http://127.0.0.1:9/flexpa-link.js");
    assert.equal(config.sandbox, false);

    const token = "public_token_5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0";
    const response = await fetch(server.url + "/api/exchange", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ public_token: token }),
    });
    assert.equal(response.status, 502);
    const body = await response.json();
    assert.equal(body.error, "Bad Gateway");
    assert.match(body.message, /could not talk to Flexpa/);
    const everything = JSON.stringify(body) + server.output();
    assert.ok(!everything.includes(SECRET), "the secret key is never shown");
    assert.ok(!everything.includes(token), "the public token is never shown");
  });

  test("real mode: refuses bad set-ups with a message and without echoing keys", () => {
    const run = (env) =>
      spawnSync(SERVER_BIN, ["--port", "0"], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        encoding: "utf8",
        timeout: 20000,
      });
    // Only one of the two keys.
    let r = run({ FLEXPA_PUBLISHABLE_KEY: PUBLISHABLE });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /set both FLEXPA_PUBLISHABLE_KEY and FLEXPA_SECRET_KEY/);
    // A secret key where the publishable key goes.
    r = run({ FLEXPA_PUBLISHABLE_KEY: SECRET, FLEXPA_SECRET_KEY: SECRET });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /FLEXPA_PUBLISHABLE_KEY/);
    assert.ok(!(r.stdout + r.stderr).includes(SECRET));
    // The secret key would travel in clear over plain http to a remote host.
    r = run({ FLEXPA_PUBLISHABLE_KEY: PUBLISHABLE, FLEXPA_SECRET_KEY: SECRET, FLEXPA_API_URL: "http://api.example.com" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /FLEXPA_API_URL: (insecure or )?invalid base URL/);
    assert.ok(!(r.stdout + r.stderr).includes(SECRET));
  });
});
