// Real headless Chromium for the dashboard tests: Debian's `chromium` package driven by
// playwright-core (which ships no browser of its own).
import { accessSync, constants } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

// Inside the page (the project compiles without the DOM lib).
declare const document: { body: { getAttribute(name: string): string | null } };

/** Debian's chromium; PULLMEDIC_CHROMIUM overrides it (another build, another path). */
const chromiumPath = process.env.PULLMEDIC_CHROMIUM || "/usr/bin/chromium";

/** The laptop screen the dashboard has to be readable on. */
const LAPTOP_VIEWPORT = { width: 1366, height: 768 };

function assertChromium(path = chromiumPath): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `the dashboard tests drive a real Chromium, and there is none at ${path}: ` +
        "install Debian's with `apt-get update && apt-get install -y chromium` " +
        "(or point PULLMEDIC_CHROMIUM at another chromium binary)",
    );
  }
}

/** Launches headless Chromium; tests run as root, which Chromium's sandbox refuses. */
async function launchChromium(): Promise<Browser> {
  assertChromium();
  try {
    return await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
  } catch (err) {
    throw new Error(`could not start ${chromiumPath} headless (is Debian's chromium package complete? apt-get install -y chromium): ${String(err)}`);
  }
}

export interface Dashboard {
  page: Page;
  /** Console errors, uncaught page errors, failed requests and HTTP error answers, in order. */
  problems: string[];
  /** Resolves when the page has drawn its `n`th refresh round (counted from page load). */
  waitForRefresh(n?: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Opens the dashboard at `url` in a fresh headless Chromium at laptop size and waits for its first
 * refresh round to be drawn. Everything that goes wrong in the page is collected in `problems`.
 */
export async function openDashboard(url: string, opts: { viewport?: { width: number; height: number } } = {}): Promise<Dashboard> {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: opts.viewport ?? LAPTOP_VIEWPORT });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("requestfailed", (req) => problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText ?? "?"}`));
    page.on("response", (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    });
    const response = await page.goto(url, { waitUntil: "load" });
    if (!response?.ok()) throw new Error(`the dashboard at ${url} answered ${response?.status() ?? "nothing"}`);
    const refreshCount = async (): Promise<number> => Number((await page.getAttribute("body", "data-refresh-count")) ?? 0);
    const waitForRefresh = async (n?: number, timeoutMs = 15_000): Promise<number> => {
      const target = n ?? (await refreshCount()) + 1;
      await page.waitForFunction((want) => Number(document.body.getAttribute("data-refresh-count") ?? 0) >= want, target, { timeout: timeoutMs });
      return refreshCount();
    };
    await waitForRefresh(1);
    return {
      page,
      problems,
      waitForRefresh,
      close: () => browser.close(),
    };
  } catch (err) {
    await browser.close().catch(() => undefined);
    throw err;
  }
}
