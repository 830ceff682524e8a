#!/usr/bin/env node
// cardcheck renders every card mvmbot can send the way Teams does: Microsoft's
// adaptivecards renderer (3.0.x) with Teams' light host config and styles, in
// headless Chromium, at the widths Teams gives a card. A JSON schema cannot
// see a button cut to "Resch…" or text that Markdown swallows; this can.
//
// Usage: node check.js CARDS_DIR [OUT_DIR]
//   CARDS_DIR holds one card per .json file (go test ./cards -run
//   TestWriteEveryCard with MVMBOT_CARDS_OUT set writes them).
//   OUT_DIR (default ./out) receives NAME-WIDTH.png for every card and width.
// Environment: CHROMIUM (default /usr/bin/chromium), CARD_BUDGET (bytes,
// default 28672: Teams' limit on a message, ~28 KB), CARD_WIDTHS
// (default 360,500,726).
//
// A card fails on: any parse or validation event of the renderer
// (SerializationContext 1.5, validateProperties), any text it cuts with an
// ellipsis (an element's scrollWidth over its clientWidth), any text that
// Markdown reads as an HTML tag or a link it was not meant to be, any text
// naming the bot "mvmbot" (the cards are built for an app packaged under
// another name), any image that does not load, and any card over the size
// budget. Exit status 1 when one does.
"use strict";

const fs = require("fs");
const path = require("path");
const puppeteer = require("puppeteer-core");

const here = __dirname;
const cardsDir = process.argv[2];
const outDir = path.resolve(process.argv[3] || path.join(here, "out"));
if (!cardsDir) {
  console.error("usage: node check.js CARDS_DIR [OUT_DIR]");
  process.exit(2);
}
const widths = (process.env.CARD_WIDTHS || "360,500,726").split(",").map(Number);
const budget = Number(process.env.CARD_BUDGET || 28 * 1024);
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";

// The page the cards render in: Teams' styles, and "Segoe UI" (which Linux
// lacks) mapped to Liberation Sans, whose widths are close to it; the
// fallback, DejaVu Sans, is much wider and would cut what Teams does not.
const pageHTML = `<!doctype html><html><head><meta charset="utf-8"><style>
@font-face { font-family: "Segoe UI"; src: local("Liberation Sans"); }
@font-face { font-family: "Segoe UI"; font-weight: 600; src: local("Liberation Sans Bold"); }
body { margin: 0; padding: 8px; background: #f5f5f5; font-family: "Segoe UI", sans-serif; }
#host { background: #fff; border: 1px solid #e1dfdd; border-radius: 4px; }
</style></head><body><div id="host"></div></body></html>`;

// Tags Markdown may make inside a TextBlock; anything else is text the
// author typed (<task id>) that CommonMark read as raw HTML, which Teams
// drops.
const allowedTags = ["P", "STRONG", "EM", "B", "I", "A", "UL", "OL", "LI", "CODE", "BR", "DIV", "SPAN", "PRE", "DEL", "S"];

// renderCard runs in the page: parse, validate, render at width, measure.
function renderCard(json, width, allowed) {
  const AC = window.AdaptiveCards;
  const problems = [];
  const eventName = (e) => AC.ValidationEvent[e] || String(e);
  const card = new AC.AdaptiveCard();
  card.hostConfig = new AC.HostConfig(window.teamsHostConfig);
  const ctx = new AC.SerializationContext(AC.Versions.v1_5);
  card.parse(JSON.parse(json), ctx);
  for (let i = 0; i < ctx.eventCount; i++) {
    const e = ctx.getEventAt(i);
    problems.push(`parse: ${eventName(e.event)}: ${e.message}`);
  }
  for (const e of card.validateProperties().validationEvents) {
    problems.push(`validate: ${eventName(e.event)}: ${e.message}`);
  }
  const host = document.getElementById("host");
  host.innerHTML = "";
  host.style.width = width + "px";
  const el = card.render();
  if (!el) {
    problems.push("render: the renderer made nothing");
    return problems;
  }
  host.appendChild(el);
  const visible = (n) => n.offsetParent !== null && n.getClientRects().length > 0;
  const text = (n) => (n.innerText || n.textContent || "").trim().replace(/\s+/g, " ").slice(0, 80);
  const seen = new Set();
  for (const n of host.querySelectorAll("*")) {
    if (!visible(n)) continue;
    const cs = getComputedStyle(n);
    const clips = cs.textOverflow === "ellipsis" || n.classList.contains("ac-pushButton");
    if (clips && n.scrollWidth > n.clientWidth + 1) {
      const t = text(n);
      if (!seen.has(t)) {
        seen.add(t);
        problems.push(`cut at ${width}px: "${t}" needs ${n.scrollWidth}px, has ${n.clientWidth}px`);
      }
    }
  }
  // The cards are built for an app packaged as "Contoso Onboarding": a text
  // that still says "mvmbot" names a bot people cannot @mention. The
  // operator's command line (mvmbot import, export, doctor) is not the bot.
  const all = host.innerText;
  const stale = all.match(/@?\bmvmbot\b(?! (import|export|doctor|package))/i);
  if (stale) {
    const at = all.indexOf(stale[0]);
    problems.push(`names the bot "mvmbot", not as Teams shows it: "…${all.slice(Math.max(0, at - 30), at + 30).replace(/\s+/g, " ")}…"`);
  }
  for (const tb of host.querySelectorAll(".ac-textBlock, .ac-richTextBlock")) {
    for (const n of tb.querySelectorAll("*")) {
      if (!allowed.includes(n.tagName)) {
        problems.push(`markdown read <${n.tagName.toLowerCase()}> as HTML in "${text(tb)}": Teams drops it`);
      } else if (n.tagName === "A" && !/^(https?:|mailto:)/i.test(n.getAttribute("href") || "")) {
        problems.push(`markdown made a link of "${text(n)}" in "${text(tb)}"`);
      }
    }
  }
  return problems;
}

// countImages counts the Image elements of a card.
function countImages(v) {
  if (Array.isArray(v)) return v.reduce((n, x) => n + countImages(x), 0);
  if (v && typeof v === "object") {
    return (v.type === "Image" ? 1 : 0) + Object.values(v).reduce((n, x) => n + countImages(x), 0);
  }
  return 0;
}

async function main() {
  const files = fs.readdirSync(cardsDir).filter((f) => f.endsWith(".json")).sort();
  if (files.length === 0) {
    console.error(`no cards in ${cardsDir}`);
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--font-render-hinting=none"],
  });
  let failed = 0;
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: Math.max(...widths) + 40, height: 800 });
    await page.setContent(pageHTML);
    await page.addStyleTag({ path: path.join(here, "teams-container-light.css") });
    await page.addScriptTag({ path: require.resolve("adaptivecards/dist/adaptivecards.min.js") });
    await page.addScriptTag({ path: require.resolve("markdown-it/dist/markdown-it.min.js") });
    const hostConfig = fs.readFileSync(path.join(here, "microsoft-teams-light.json"), "utf8");
    await page.evaluate((hc) => {
      window.teamsHostConfig = JSON.parse(hc);
      // CommonMark with raw HTML on, as Teams parses it: "<task id>" is a
      // tag there, so the check must see it as one.
      const md = window.markdownit({ html: true, linkify: false });
      window.AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
        result.outputHtml = md.render(text);
        result.didProcess = true;
      };
    }, hostConfig);
    for (const f of files) {
      const name = f.replace(/\.json$/, "");
      const raw = fs.readFileSync(path.join(cardsDir, f), "utf8");
      const size = Buffer.byteLength(JSON.stringify(JSON.parse(raw)));
      const problems = new Set();
      const images = countImages(JSON.parse(raw));
      if (size > budget) problems.add(`size: ${size} bytes, over the budget of ${budget}`);
      for (const w of widths) {
        const ps = await page.evaluate(renderCard, raw, w, allowedTags);
        ps.forEach((p) => problems.add(p));
        // Pictures (the progress chart is a data: URI) must load and show.
        await page.waitForFunction(() => [...document.images].every((i) => i.complete), { timeout: 10000 });
        // The renderer empties an image that fails to load, so count them.
        const shown = await page.evaluate(
          () => [...document.images].filter((i) => i.naturalWidth > 0 && i.getBoundingClientRect().width > 0).length,
        );
        if (shown < images) problems.add(`${images - shown} of ${images} images do not show at ${w}px`);
        const host = await page.$("#host");
        await host.screenshot({ path: path.join(outDir, `${name}-${w}.png`) });
      }
      if (problems.size > 0) {
        failed++;
        console.log(`FAIL ${name} (${size} bytes)`);
        for (const p of problems) console.log(`  ${p}`);
      } else {
        console.log(`ok   ${name} (${size} bytes)`);
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`\n${files.length - failed} passed, ${failed} failed`);
  console.log(`pictures: ${outDir}/NAME-WIDTH.png (widths ${widths.join(", ")})`);
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
