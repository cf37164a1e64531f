// The HTTP room: the server (server.ts), its route table (routes.ts) and what the routes answer:
// the API (api.ts), the pre-pull command (prepull.ts), the dashboard's files (static.ts).

export type { HttpAccess } from "./guards.js";
export { startAggregatorHttp } from "./server.js";
