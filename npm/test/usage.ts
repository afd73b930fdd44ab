// Type-checked by `cargo xtask npm test` against the installed tarball: what a
// TypeScript user writes must compile, and each misuse marked @ts-expect-error must not.
import init, {
  isFlexpaLinkError,
  loadFlexpaLink,
  type FlexpaLink,
  type FlexpaLinkErrorCode,
  type LinkConfig,
  type LinkSession,
  type LoadOptions,
} from "flexpa-link";
// @ts-expect-error the package's files are not importable one by one: only what its exports map names
import type * as deep from "flexpa-link/flexpa_link.js";

export async function linkHealthData(button: HTMLButtonElement): Promise<string | undefined> {
  await init();
  const options: LoadOptions = { src: "/v1/", nonce: "abc", timeoutMs: 10_000, crossOrigin: "anonymous" };
  const link: FlexpaLink = await loadFlexpaLink(options);
  const config: LinkConfig = {
    publishableKey: "pk_test_123",
    user: { externalId: "user-1" },
    usage: "MULTIPLE",
    endpoint: "evergreen",
    strict: true,
    autoExit: false,
    onSuccess: (publicToken) => void publicToken.toUpperCase(),
    onExit: (reason) => void reason?.length,
    onLoad: () => {},
  };
  const session: LinkSession = link.create(config);
  button.onclick = () => session.open();
  const open: boolean = session.isOpen && session.isLive;
  void open;
  try {
    const token: string = await session.publicToken();
    return token;
  } catch (e) {
    if (isFlexpaLinkError(e)) {
      const code: FlexpaLinkErrorCode = e.code;
      if (code === "EXITED") return e.reason;
      if (code === "SCRIPT_FAILED" || code === "TIMEOUT") return e.src;
    }
    throw e;
  } finally {
    session.destroy();
  }
}

export async function misuse(link: FlexpaLink, session: LinkSession): Promise<void> {
  // @ts-expect-error usage is "ONE_TIME" or "MULTIPLE"
  link.create({ publishableKey: "pk_test_1", usage: "SOMETIMES" });
  // @ts-expect-error publishableKey is required
  link.create({ onSuccess: () => {} });
  // @ts-expect-error onSuccess receives a string
  link.create({ publishableKey: "pk_test_1", onSuccess: (token: number) => void token });
  // @ts-expect-error crossOrigin is "anonymous" or "use-credentials"
  await loadFlexpaLink({ crossOrigin: "yes" });
  // @ts-expect-error the token is a string, not a number
  const n: number = await session.publicToken();
  void n;
  // @ts-expect-error open takes no argument (openWithEndpoint does)
  session.open("evergreen");
  // @ts-expect-error there is no such error code
  const code: FlexpaLinkErrorCode = "NOT_A_CODE";
  void code;
}
