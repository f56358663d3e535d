import type { Config, Wiring } from '../../src/config';
import { dashboardHtml } from '../build/dashboard';
import { snippet } from '../snippet';
import type { Page } from './server';

const HTML = 'text/html; charset=utf-8';

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The pages `abtest dev` serves besides the API: a demo page at `/` (two experiments run by
 * the very snippet `abtest snippet` prints) and the dashboard at `/dashboard`, started with
 * this server's API key. Both use URLs relative to the page, so they work on any port.
 */
export function devPages(ctx: { config: Config; wiring: Wiring; root: string }): Record<string, Page> {
  const { config, root } = ctx;
  return {
    '/': {
      contentType: HTML,
      body: () => demoPage(snippet({ trackUrl: '/track', namespace: config.namespace }, root), config.namespace),
    },
    '/dashboard': {
      contentType: HTML,
      local: true,
      body: () => dashboardHtml({ api: '', key: config.api_key, namespace: config.namespace }, root),
    },
  };
}

/** The demo page: a Moon/Mars banner and a button colour, with one goal shared by both. */
function demoPage(snippetHtml: string, namespace: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>abtest demo</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1f2937; background: #f8fafc; }
.banner { padding: 48px 24px; text-align: center; color: #fff; }
.banner h1 { margin: 0; font-size: 36px; }
.banner[data-variant=moon] { background: linear-gradient(#1e293b, #475569); }
.banner[data-variant=mars] { background: linear-gradient(#7c2d12, #ea580c); }
main { max-width: 720px; margin: 0 auto; padding: 24px; }
#book { font-size: 18px; padding: 12px 28px; border: 0; border-radius: 6px; color: #fff; cursor: pointer; background: #64748b; }
#book[data-variant=green] { background: #15803d; }
#book[data-variant=orange] { background: #ea580c; }
.panel { margin-top: 24px; padding: 16px; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; font-size: 14px; }
code { background: #f1f5f9; padding: 1px 4px; border-radius: 3px; }
</style>
${snippetHtml}
</head>
<body>
<div class="banner" id="banner"><h1 id="banner-text">&nbsp;</h1></div>
<main>
<p>Two experiments run on this page: <b>banner</b> (moon or mars) and <b>button colour</b> (green or orange).
Booking a seat completes the goal <b>booked</b> in both.</p>
<button id="book" type="button">Book a seat</button>
<p id="thanks" hidden>Booked. Open the dashboard to see it counted.</p>
<div class="panel">
<div>You see: <span id="seen">…</span></div>
<div>Events waiting to be sent: <span id="queued">0</span></div>
<p><a href="/dashboard">Open the dashboard</a> ·
<a href="?user=alice">be user “alice” (same variants in any browser)</a> ·
<a href="?abtest_force=banner:mars">force Mars (QA, not tracked)</a> ·
<a href="#" id="reset">become a new visitor</a></p>
<p>On your own site, paste the output of <code>abtest snippet</code>; namespace <code>${escapeHtml(namespace)}</code>.</p>
</div>
</main>
<script>
(function () {
  var user = new URLSearchParams(location.search).get('user');
  if (user) abtest.init({ url: '/track', namespace: ${JSON.stringify(namespace).replace(/</g, '\\u003c')}, userId: user });
  var banner = document.getElementById('banner');
  var book = document.getElementById('book');
  var b = abtest.experiment({
    name: 'banner',
    variants: {
      moon: { activate: function () { banner.dataset.variant = 'moon'; document.getElementById('banner-text').textContent = 'Fly to the Moon'; } },
      mars: { activate: function () { banner.dataset.variant = 'mars'; document.getElementById('banner-text').textContent = 'Fly to Mars'; } }
    }
  });
  var c = abtest.experiment({
    name: 'button colour',
    variants: {
      green: { activate: function () { book.dataset.variant = 'green'; } },
      orange: { activate: function () { book.dataset.variant = 'orange'; } }
    }
  });
  // A first visit may wait (briefly) for the server's definitions: read the variants once decided.
  abtest.ready(function () {
    document.getElementById('seen').textContent = 'banner ' + b.variant + (b.tracked ? '' : ' (not tracked)') + ', button colour ' + c.variant + (c.tracked ? '' : ' (not tracked)');
  });
  book.addEventListener('click', function () {
    abtest.complete('booked');
    document.getElementById('thanks').hidden = false;
  });
  document.getElementById('reset').addEventListener('click', function (e) {
    e.preventDefault();
    try { localStorage.clear(); } catch (err) {}
    location.href = location.pathname;
  });
  setInterval(function () {
    try { document.getElementById('queued').textContent = JSON.parse(localStorage.getItem('abtest:queue') || '[]').length; } catch (err) {}
  }, 500);
})();
</script>
</body>
</html>
`;
}
