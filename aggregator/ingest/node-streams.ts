// The agent streams open now, and the one stream each node speaks through: commands go to that one,
// and a node's newer stream replaces its older one (an agent that restarted, or reconnected before
// its old connection was noticed dead).

export class NodeStreams<S> {
  private readonly byNode = new Map<string, S>();
  private readonly all = new Set<S>();

  opened(stream: S): void {
    this.all.add(stream);
  }

  /** `stream` is now the node's; returns the stream it replaces, if any. */
  claim(node: string, stream: S): S | undefined {
    const before = this.byNode.get(node);
    this.byNode.set(node, stream);
    return before;
  }

  isCurrent(node: string, stream: S): boolean {
    return this.byNode.get(node) === stream;
  }

  /** A stream closed; the node keeps a newer stream that replaced it. */
  closed(stream: S, node: string | undefined): void {
    this.all.delete(stream);
    if (node !== undefined && this.byNode.get(node) === stream) this.byNode.delete(node);
  }

  of(node: string): S | undefined {
    return this.byNode.get(node);
  }

  open(): S[] {
    return [...this.all];
  }
}
