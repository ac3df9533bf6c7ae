// The inputs and outputs of the provider's custom resources of this domain, declared once: the client
// classes (components/, every value a pulumi.Input) and the handlers (provider/, plain wire values)
// import them, and `npm run gen` writes schema.json and the client classes' specs from them.
// Tags: `@secret` marks a value kept secret (the client class wraps it, the schema says so).

/** How the provider reaches a host: SSH with a key, and the host key pinned (never unchecked). */
export interface HostConnection {
  /** Address the provider connects to (IPv4, IPv6 or DNS name). */
  host: string;
  /** SSH port; default 22. */
  port?: number;
  /** The user to log in as; the host scripts change system files, so root. */
  user: string;
  /**
   * The SSH private key.
   * @secret
   */
  privateKey: string;
  /** The host's public key as in known_hosts, e.g. "ssh-ed25519 AAAA...". */
  hostKey: string;
}

/** One step of a HostScript: a script of the package and its parameters. */
export interface HostScriptStep {
  /** A script name from the package's hosts/ directory. */
  script: string;
  /** Parameters, given to the script as single-quoted environment assignments (data, never code). */
  env?: Record<string, string>;
  /** Content for the script on stdin, the only channel for secrets: pass secrets as secrets. */
  stdin?: string;
}

export interface HostScriptInputs {
  /** The host the steps run on; a new host or port replaces the resource. */
  connection: HostConnection;
  /** Runs on create (and on update when no update step is given). */
  create: HostScriptStep;
  /** Runs when the steps or their parameters change; default the create step. */
  update?: HostScriptStep;
  /** Runs on delete, with the parameters stored at the last create or update. */
  delete?: HostScriptStep;
  /** What delete does when the host cannot be reached: fail (default) or skip with a warning. */
  unreachableOnDelete?: "fail" | "skip";
  /** How long a step may run; default 600 s. */
  timeoutSeconds?: number;
}

export interface HostScriptOutputs {
  /** The `::output key=value` lines the last create or update step printed. */
  outputs: Record<string, string>;
}
