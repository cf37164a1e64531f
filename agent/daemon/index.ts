// The daemon room: the node agent's start-up, its checks and the sides it talks to (Kubernetes,
// the aggregator, HTTP). Other folders import only this file.

export { startAgent } from "./agent.js";
