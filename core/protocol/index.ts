// The pullmedic.v1 contract between agents and the aggregator: message types and the gRPC codec.
export * from "./protocol.js";
