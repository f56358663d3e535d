import { clientScript, scriptSafe } from './build/browser';
import { packageRoot } from './paths';

/**
 * The `<script>` block to paste into a page: the browser client inlined (no CDN needed),
 * started with the track URL and namespace, followed by a commented example experiment and
 * goal. `abtest snippet` and `abtest deploy` print it.
 */
export function snippet(opts: { trackUrl: string; namespace: string }, root = packageRoot()): string {
  const config = scriptSafe(JSON.stringify({ url: opts.trackUrl, namespace: opts.namespace }));
  return `<!-- abtest: paste before the scripts that run experiments -->
<script>
${scriptSafe(clientScript(root).trim())}
abtest.init(${config.slice(0, -1)} /* , userId: "a stable user id, for the same variant on every device" */ });
</script>
<script>
/* An example experiment and goal: change the names and selectors, then delete this line and the last one.
// QA: open a page with ?abtest_force=buy%20button%20colour:orange to see that variant, untracked.
abtest.experiment({
  name: "buy button colour",
  variants: {
    green: { activate: function () { document.querySelector("#buy").style.background = "green"; } },
    orange: { activate: function () { document.querySelector("#buy").style.background = "orange"; } }
  }
  // , sample: 0.5                                   (half the visitors take part; the rest see "green", untracked)
  // , trigger: function () { return innerWidth > 800; }  (enter only when true)
});
document.querySelector("#buy").addEventListener("click", function () {
  abtest.complete("bought");                         // once per visitor; { unique: false } counts every time
});
*/
</script>
`;
}
