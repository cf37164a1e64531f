// DNS, TCP and TLS probes; filled in by the issue-3 work.
export {};
