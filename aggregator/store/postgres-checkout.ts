// A connection taken from a pg Pool, guarded. While a connection is checked out, pg-pool leaves it
// without an 'error' listener: a server that goes away between two queries of a transaction (a
// restart, a failover) would emit an unhandled 'error' and end the whole process. Guarded, the
// error only fails the next query, and the connection is released as broken (closed, not reused).

import type { Pool, PoolClient } from "pg";

interface CheckedOut {
  client: PoolClient;
  /** Puts the connection back, or closes it when `err` is given or the connection was lost. */
  release(err?: Error): void;
}

export async function checkout(pool: Pool): Promise<CheckedOut> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost = err;
  };
  client.on("error", onError);
  return {
    client,
    release: (err) => {
      client.removeListener("error", onError);
      client.release(err ?? lost);
    },
  };
}
