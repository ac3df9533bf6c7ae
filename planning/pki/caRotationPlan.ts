// CA rotation (issue 14, designed, not wired yet): the phases that take a cluster from one CA to
// another without a failed request, computed from where the cluster is (what its members trust and
// which CA issued their leaves), so an interrupted `up` resumes at the phase it stopped in.
//
// Facts it rests on (measured on loopback, 2026-12-03, etcd 3.5.35, 3.6.16 and 3.7.3):
// - etcd reads its certificate and key files again for every new TLS connection: new leaves need no
//   restart (see renewal.ts, hosts/pki/etcd-pki.sh);
// - etcd reads trusted-ca-file only when it starts: a client certificate from a CA added to the file
//   is refused until the member restarts, and accepted after. A change of what a member trusts is a
//   restart, one member at a time, followers first, the leader last after moving leadership away,
//   the cluster healthy before the next (provider/etcd/healthWait.ts).
//
// Phases, each gated on a healthy cluster:
//   1. trust-both: every member (and every client the package configures) trusts old + new; the
//      members restart one at a time. Leaves are still the old CA's: everything keeps working.
//   2. reissue: every leaf (server, peer, client) is issued by the new CA and installed without a
//      restart. Members trust both, so old and new leaves work side by side while it runs.
//   3. drop-old: every member trusts only the new CA; restarts again one at a time. A client still
//      holding an old-CA certificate is refused from here on.
// Each step that is already done (read live or recorded) is skipped.

export type CaRotationPhase = "trust-both" | "reissue" | "drop-old";

/** Where a cluster is, by CA fingerprint (sha256 of the CA certificate). */
export interface CaRotationFacts {
  /** The CA the cluster's leaves come from now (recorded), and the declared one. */
  currentCa: string;
  targetCa: string;
  /** Per member: the CAs its trusted-ca-file holds (read live), and the CA that issued its server and peer certificates. */
  members: { name: string; trusts: string[]; leafIssuer: string; isLeader?: boolean }[];
  /** The CA that issued the client certificates (admin, healthcheck, apiserver-etcd-client). */
  clientIssuer: string;
}

export interface CaRotationStep {
  phase: CaRotationPhase;
  /** What every member trusts after the step. */
  trust: string[];
  /** Members restarted, in order (followers first, the leader last); empty for reissue. */
  restart: string[];
  /** Leaves issued by the new CA in this step ("<member>/server", "<member>/peer", "clients"). */
  reissue: string[];
}

export type CaRotationPlan = { steps: CaRotationStep[]; refusal?: undefined } | { refusal: string; steps?: undefined };

/** Followers first (in declared order), the leader last. */
export function restartOrder(members: CaRotationFacts["members"]): string[] {
  return [...members.filter((m) => !m.isLeader), ...members.filter((m) => m.isLeader)].map((m) => m.name);
}

/** The PEM a trust bundle file holds: each CA once, in the given order. */
export function trustBundle(pems: string[]): string {
  const seen = new Set<string>();
  return pems
    .map((p) => p.trim())
    .filter((p) => p && !seen.has(p) && seen.add(p))
    .map((p) => `${p}\n`)
    .join("");
}

export function caRotationPlan(f: CaRotationFacts): CaRotationPlan {
  const { currentCa: oldCa, targetCa: newCa } = f;
  if (f.members.length === 0) return { refusal: "no member" };
  const known = new Set([oldCa, newCa]);
  const stranger = f.members.find((m) => m.trusts.some((c) => !known.has(c)) || !known.has(m.leafIssuer));
  if (stranger)
    return {
      refusal: `${stranger.name} trusts or presents a CA that is neither the current nor the declared one: inspect it before rotating`,
    };
  const trustsBoth = (m: CaRotationFacts["members"][number]) => m.trusts.includes(oldCa) && m.trusts.includes(newCa);
  const trustsOnlyNew = (m: CaRotationFacts["members"][number]) => m.trusts.length === 1 && m.trusts[0] === newCa;
  const steps: CaRotationStep[] = [];
  const order = restartOrder(f.members);

  const leavesDone = f.members.every((m) => m.leafIssuer === newCa) && f.clientIssuer === newCa;
  if (!leavesDone) {
    // Phase 1: only members that do not trust both yet restart.
    const needTrust = f.members.filter((m) => !trustsBoth(m) && !trustsOnlyNew(m)).map((m) => m.name);
    if (f.members.some(trustsOnlyNew) && f.members.some((m) => m.leafIssuer !== newCa))
      return {
        refusal:
          "some members trust only the new CA while others still present old-CA certificates: peers would refuse each other; restore trust in both first",
      };
    if (needTrust.length)
      steps.push({ phase: "trust-both", trust: [oldCa, newCa], restart: order.filter((n) => needTrust.includes(n)), reissue: [] });
    const reissue = [
      ...f.members.filter((m) => m.leafIssuer !== newCa).flatMap((m) => [`${m.name}/server`, `${m.name}/peer`]),
      ...(f.clientIssuer !== newCa ? ["clients"] : []),
    ];
    steps.push({ phase: "reissue", trust: [oldCa, newCa], restart: [], reissue });
  }
  // After phases 1-2 every member trusts both: all restart. Resumed here: only those not done yet.
  const needDrop = steps.length > 0 ? order : order.filter((n) => !trustsOnlyNew(f.members.find((m) => m.name === n)!));
  if (needDrop.length) steps.push({ phase: "drop-old", trust: [newCa], restart: needDrop, reissue: [] });
  return { steps };
}

/** What preview prints: the phases, what each changes, what is checked between them. */
export function caRotationPreviewLines(
  clusterName: string,
  plan: CaRotationPlan,
  short: (fp: string) => string = (fp) => fp.slice(0, 16),
): string[] {
  if (plan.refusal !== undefined) return [`CA rotation of ${clusterName} refused: ${plan.refusal}`];
  if (plan.steps.length === 0) return [];
  const lines = [`CA rotation of ${clusterName}: ${plan.steps.length} phase(s), each only once the cluster is healthy:`];
  plan.steps.forEach((s, i) => {
    const trust = s.trust.map(short).join(" + ");
    if (s.phase === "trust-both")
      lines.push(
        `  ${i + 1}. trust ${trust} on every member and client; restart one at a time: ${s.restart.join(", ")} (healthy before the next)`,
      );
    else if (s.phase === "reissue")
      lines.push(`  ${i + 1}. new leaves from the new CA, installed without a restart: ${s.reissue.join(", ")}`);
    else
      lines.push(
        `  ${i + 1}. trust only ${trust}; restart one at a time: ${s.restart.join(", ")}; from here a client with an old-CA certificate is refused`,
      );
  });
  return lines;
}
