// Walks the web UI as a user would, in Debian's Chromium: the jobs page, into a running job, its
// graph and numbers that change, cancel, the job's end. Prints what it saw as one JSON line;
// screenshots go to the directory given. Run by BrowserTest:
//   node ui-walk.mjs URL JOB_ID VERTICES SCREENSHOT_DIR
import { chromium } from "playwright-core";

const [url, jobId, vertices, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const seen = {};
const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Root in a container has no user namespace for Chromium's sandbox.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url, { waitUntil: "load" });
  const row = page.locator(`tr.job[data-job="${jobId}"]`);
  await row.waitFor({ timeout: 15000 });
  seen.jobsPageState = (await row.locator(".state").textContent()).trim();
  await page.screenshot({ path: `${shots}/jobs.png`, fullPage: true });

  await row.locator("a").click();
  await page.waitForURL(`**/jobs/${jobId}`);
  await page.locator("svg#graph g.vertex").first().waitFor();
  seen.graphVertices = await page.locator("svg#graph g.vertex").count();
  seen.firstIn = await page.locator("#v0-in").textContent();
  await page.waitForFunction(
    (first) => document.getElementById("v0-in").textContent !== first,
    seen.firstIn, { timeout: 15000 });
  seen.laterIn = await page.locator("#v0-in").textContent();
  await page.locator("tr.vertex details").first().evaluate((d) => { d.open = true; });
  await page.screenshot({ path: `${shots}/job.png`, fullPage: true });

  await page.locator('button[data-action="cancel"]').click();
  await page.waitForFunction(
    () => document.getElementById("state").textContent === "CANCELLED",
    null, { timeout: 30000 });
  seen.finalState = await page.locator("#state").textContent();
  seen.actionResult = await page.locator("#action-result").textContent();
  seen.buttonsDisabled = await page.locator('button[data-action="drain"]').isDisabled();
  await page.screenshot({ path: `${shots}/cancelled.png`, fullPage: true });
  if (seen.graphVertices !== Number(vertices)) {
    throw new Error(`expected ${vertices} vertices in the graph, saw ${seen.graphVertices}`);
  }
  console.log(JSON.stringify(seen));
} catch (e) {
  console.error(`ui-walk failed: ${e.message}; saw ${JSON.stringify(seen)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
