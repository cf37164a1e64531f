// Open dashboards, in a process of their own: the aggregator bench's dashboards part runs this
// beside its simulated agents, so the dashboards' requests and answers cost the aggregator what
// browsers' would and nothing on the simulator's event loop, where the acks are timed (in the
// simulator's process they had added their own delay to the acks measured). Each dashboard does
// what aggregator/web/app.js does every refresh: asks for every section's view at once, at its own
// phase. On SIGTERM it prints "<refreshes answered> <refreshes failed>" and exits.
//
// usage: node dashboards-load.mjs <dashboard URL> <dashboards> <refresh ms> <queries as JSON: view name -> query string>

const [base, count, refreshArg, queriesArg] = process.argv.slice(2);
const dashboards = Number(count);
const refreshMs = Number(refreshArg);
const queries = JSON.parse(queriesArg ?? "{}");
if (!base || !(dashboards > 0) || !(refreshMs > 0)) {
  console.error("usage: node dashboards-load.mjs <dashboard URL> <dashboards> <refresh ms> <queries JSON>");
  process.exit(2);
}

let answered = 0;
let failed = 0;
async function refresh() {
  const answers = await Promise.all(
    Object.entries(queries).map(([view, query]) =>
      fetch(`${base}/api/v1/${view}${query}`)
        .then(async (r) => r.ok && (await r.arrayBuffer()).byteLength > 0)
        .catch(() => false),
    ),
  );
  if (answers.every(Boolean)) answered++;
  else failed++;
}

for (let d = 0; d < dashboards; d++) {
  setTimeout(() => {
    void refresh();
    setInterval(() => void refresh(), refreshMs);
  }, Math.random() * refreshMs);
}
process.on("SIGTERM", () => {
  process.stdout.write(`${answered} ${failed}\n`, () => process.exit(0));
});
