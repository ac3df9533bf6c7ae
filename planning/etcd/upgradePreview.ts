// An upgrade plan as the lines `pulumi preview` shows as warnings: the hops in order, what runs before
// each, the order members restart in, and what going back takes.
import { Hop, UpgradePlan, UpgradeRequest } from "./upgradePlan";
import { minorOf, normalize } from "./versions";

export function upgradePreviewLines(req: UpgradeRequest, plan: UpgradePlan): string[] {
  const head = `etcd ${normalize(req.running)} → ${normalize(req.target)}`;
  if (plan.refusal !== undefined) return [`${head}: refused: ${plan.refusal}`];
  if (plan.hops.length === 0) return [];
  const n = plan.hops.length;
  const lines = [`${head}: ${n === 1 ? "1 hop" : `${n} hops, one after the other`}`];
  plan.hops.forEach((h, i) => {
    lines.push(`  hop ${i + 1}/${n}: ${h.from} → ${h.to} (${kindLabel(h)})`);
    for (const b of h.before) lines.push(`    before: ${b}`);
    lines.push(`    restart on ${h.to}: ${restartOrder(h)}`);
    for (const note of h.notes) lines.push(`    note: ${note}`);
  });
  return lines;
}

function kindLabel(h: Hop): string {
  if (h.kind === "patch") return "patch";
  const minors = `${minorOf(h.from)} → ${minorOf(h.to)}`;
  return h.kind === "upgrade" ? `upgrade ${minors}` : `downgrade ${minors} through etcd's downgrade API`;
}

function restartOrder(h: Hop): string {
  if (!h.leader) return `${h.order.join(", ")}, except that the member leading then goes last`;
  const followers = h.order.filter((m) => m !== h.leader);
  if (followers.length === 0) return h.leader;
  return `${followers.join(", ")}, then ${h.leader} (the leader, after it hands leadership to ${followers[0]})`;
}
