// etcd:cluster:Member: one member's place in the cluster and its service on the host, in etcd's
// order. Create: bootstrap with the initial members, or join: add as a learner, start with
// initial-cluster-state=existing and the current member list, promote once caught up, wait for a
// healthy cluster. Delete: refuse if quorum would be at risk, move leadership away, remove from
// the membership, then stop etcd and archive its data (the host step is skipped with a warning when
// the host is dead). Every membership change of a cluster runs alone: one at a time in this process
// (clusterRegistry.exclusive) and under the cluster lock across processes (provider/etcd/lock.ts),
// planned from the member list read after the lock was taken (another `pulumi up` may have changed it).
import { entryMode, joinInitialCluster, judgeRemoval, quorum } from "../../planning/etcd/membershipPlan";
import { Bootstrap as BootFacts } from "../../planning/etcd/etcdConfig";
import { MemberInputs, MemberOutputs } from "../../planning/etcd/resourceTypes";
import { clusterRegistry } from "./clusterRegistry";
import { preloadEtcdClient, probeMember } from "./client";
import { addLearner, discover, healthyEndpoints, LiveVoter, moveLeader, promote, removeMember } from "./membership";
import { runEtcdService } from "./etcdService";
import { LockUnavailableError, withClusterLock } from "./lock";
import { waitForVoters } from "./healthWait";
import { HostUnreachableError, runHostStep } from "../common/hostStep";
import { reveal, sameValue } from "../common/secrets";
import { changedKeys, Context, ResourceHandler } from "../common/handler";

type Inputs = MemberInputs;
type Outputs = MemberOutputs;

/** Inputs that only steer how changes are made: a new value changes nothing on the host. */
const STEERING = [
  "seedEndpoints",
  "adminTls",
  "bootstrap",
  "allowUnsafeScaleDown",
  "purgeDataOnDestroy",
  "startTimeoutSeconds",
  "lockTimeoutSeconds",
];
const OUTPUTS = ["memberId", "joinedWith"];

function seeds(i: Inputs): string[] {
  return [...new Set([...clusterRegistry.declaredEndpoints(i.token), ...(i.seedEndpoints ?? []), ...i.clientUrls])];
}

/**
 * Runs fn alone: after this process's other changes of the cluster, holding the cluster lock. fn
 * reads the live member list itself, after the lock is taken.
 */
function locked<T>(ctx: Context, i: Inputs, operation: string, fn: () => Promise<T>): Promise<T> {
  return clusterRegistry.exclusive(i.token, () =>
    withClusterLock(
      ctx,
      {
        clusterName: i.clusterName,
        endpoints: seeds(i),
        tls: i.adminTls,
        operation: `${operation} ${i.layout.name}`,
        timeoutSeconds: i.lockTimeoutSeconds,
      },
      fn,
    ),
  );
}

function runService(ctx: Context, i: Inputs, boot: BootFacts, phase: "create" | "update", fresh: boolean) {
  const start = { layout: i.layout, boot, tuning: i.tuning, phase, fresh, startTimeoutSeconds: i.startTimeoutSeconds };
  return runEtcdService(ctx, i.connection, start);
}

/**
 * After a change, before the next may start: every voter healthy, one leader (the one health wait).
 * On timeout it shows this member's journal when it is still one of them (not after its removal).
 */
function waitHealthy(ctx: Context, i: Inputs, timeoutSeconds: number, member: "stays" | "removed") {
  const hosts = member === "stays" ? [{ name: i.layout.name, connection: i.connection }] : [];
  return waitForVoters(ctx, { clusterName: i.clusterName, seeds: seeds(i), tls: i.adminTls, hosts, timeoutSeconds });
}

async function create(ctx: Context, i: Inputs): Promise<Outputs> {
  preloadEtcdClient();
  const me = i.layout.name;
  const bootstrapping = clusterRegistry.isFresh(i.token) && i.bootstrap.initialMembers.includes(me);
  if (bootstrapping) {
    // A brand-new token: no other cluster can have it, so the initial members start in parallel.
    const boot: BootFacts = { initialCluster: i.bootstrap.initialCluster, token: i.token, state: "new" };
    await runService(ctx, i, boot, "create", false);
    const p = await probeMember(i.clientUrls[0], i.adminTls);
    return { memberId: p.memberId ?? "", joinedWith: boot };
  }
  // etcd takes one learner at a time. A learner (or an added, unstarted member) of another declared
  // member is that member's unfinished join: its own create resumes it, so wait for it. One that no
  // declared member owns was left by an interrupted change: remove it (a learner never votes).
  const deadline = Date.now() + (i.startTimeoutSeconds ?? 300) * 1000;
  for (;;) {
    const pending = await locked(ctx, i, "member-add", async () => {
      const live = (await discover(seeds(i), i.adminTls)) as LiveVoter[] | undefined;
      const mine = i.peerUrls.join(",");
      const others = (live ?? []).filter((m) => (m.isLearner || m.name === "") && m.peerUrls.join(",") !== mine);
      for (const o of others.filter((m) => !clusterRegistry.isDeclaredPeer(i.token, m.peerUrls.join(",")))) {
        await ctx.warn(
          "member-add",
          me,
          `first removing ${o.isLearner ? "learner" : "unstarted member"} ${o.id} (${o.peerUrls.join(",")}): no declared member owns it (left by an interrupted change)`,
        );
        await removeMember(healthyEndpoints(live ?? [], o.id), i.adminTls, o.id);
      }
      return others.filter((m) => clusterRegistry.isDeclaredPeer(i.token, m.peerUrls.join(",")));
    });
    if (pending.length === 0) break;
    if (Date.now() > deadline) throw new Error(`${me}: ${pending.map((m) => m.peerUrls.join(",")).join("; ")} is still joining; try again`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return locked(ctx, i, "member-add", async () => {
    const live = (await discover(seeds(i), i.adminTls)) as LiveVoter[] | undefined;
    const mode = entryMode({ name: me, peerUrls: i.peerUrls, live, bootstrapping: false });
    if (mode.kind === "refuse") throw new Error(`${me}: ${mode.reason}`);
    if (mode.kind === "bootstrap") throw new Error(`${me}: cluster ${i.clusterName} already exists; a member cannot bootstrap it again`);
    const others = healthyEndpoints(live ?? []);
    let memberId: string;
    let list = live ?? [];
    if (mode.kind === "join") {
      const voters = list.filter((m) => !m.isLearner);
      const healthy = voters.filter((m) => m.healthy).length;
      if (healthy < quorum(voters.length)) {
        throw new Error(`${me}: the cluster has ${healthy} healthy voter(s) of ${voters.length}, no quorum: not adding a member`);
      }
      await ctx.log("member-add", me, `adding as a learner (${i.peerUrls.join(",")})`);
      const added = await addLearner(others, i.adminTls, i.peerUrls, (m) => void ctx.log("member-add", me, m));
      memberId = added.id;
      list = added.members.map((m) => ({ ...m, healthy: true, isLeader: false }));
    } else {
      memberId = mode.memberId;
      const self = list.find((m) => m.id === mode.memberId);
      if (mode.kind === "adopt" && self?.healthy) {
        // Joined by another operation (another `pulumi up` of this cluster, with its own state, that
        // held the lock before this one) or by an earlier, interrupted one: it runs, so its config is
        // left as it is (writing this run's initial-cluster, which lists more members now, would restart it).
        await ctx.log(
          "member-add",
          me,
          `already a healthy voter (${memberId}, added by an earlier or another operation): nothing to add or start`,
        );
        return {
          memberId,
          joinedWith: { initialCluster: joinInitialCluster(list, { name: me, peerUrls: i.peerUrls }), token: i.token, state: "existing" },
        };
      }
      await ctx.log(
        "member-add",
        me,
        `already in the member list (${mode.kind === "adopt" ? "started" : "added, not started"}): continuing from there`,
      );
    }
    const boot: BootFacts = {
      initialCluster: joinInitialCluster(list, { name: me, peerUrls: i.peerUrls }),
      token: i.token,
      state: "existing",
    };
    await ctx.log("member-join", me, "starting etcd with initial-cluster-state=existing");
    const learner = mode.kind === "join" || (mode.kind === "resume" && mode.isLearner);
    try {
      // A join starts from an empty data dir; an earlier incarnation's data is archived first.
      await runService(ctx, i, boot, "create", mode.kind === "join");
      if (learner) {
        const onWait = (m: string) => void ctx.log("member-promote", me, m);
        const attempts = await promote(others, i.adminTls, memberId, (i.startTimeoutSeconds ?? 300) * 1000, onWait);
        await ctx.log("member-promote", me, `promoted to voter (${attempts} attempt(s))`);
      }
    } catch (e) {
      // Never leave a learner that did not make it: it would block the next add (etcd allows one).
      if (learner) {
        await ctx.warn("member-add", me, `did not join; removing its learner entry ${memberId} so the cluster is as before`);
        await removeMember(others, i.adminTls, memberId).catch((err) =>
          ctx.warn("member-add", me, `could not remove learner ${memberId}: ${(err as Error).message}`),
        );
        await stopOnHost(ctx, i).catch(() => undefined);
      }
      throw e;
    }
    await waitHealthy(ctx, i, 120, "stays");
    return { memberId, joinedWith: boot };
  });
}

async function stopOnHost(ctx: Context, i: Inputs) {
  const script = "etcd-service-remove";
  try {
    await runHostStep(ctx, i.connection, {
      script,
      env: { PE_DATA_DIR: i.layout.dataDir, PE_PURGE: i.purgeDataOnDestroy ? "true" : "false" },
      timeoutMs: 180_000,
    });
  } catch (e) {
    if (!(e instanceof HostUnreachableError)) throw e;
    await ctx.warn(script, i.connection.host, `unreachable: its etcd was not stopped and its data dir not archived (${e.message})`);
  }
}

async function remove(ctx: Context, i: Inputs, o: Outputs): Promise<void> {
  const me = i.layout.name;
  if (clusterRegistry.isDestroying(i.token)) {
    await stopOnHost(ctx, i);
    return;
  }
  const noAnswer = () =>
    new Error(
      `${me}: no member of cluster ${i.clusterName} answers, so it cannot be removed safely; bring the cluster back first (or restore it)`,
    );
  await locked(ctx, i, "member-remove", async () => {
    const live = (await discover(seeds(i), i.adminTls)) as LiveVoter[] | undefined;
    if (!live) throw noAnswer();
    const target = live.find((m) => m.id === o.memberId) ?? live.find((m) => m.peerUrls.join(",") === i.peerUrls.join(","));
    const verdict = judgeRemoval(live, target?.id ?? "", clusterRegistry.unsafeScaleDownAllowed(i.token) ?? i.allowUnsafeScaleDown);
    if (!verdict.ok) throw new Error(`refusing to remove ${me}: ${verdict.reason}. Nothing was changed.`);
    if (target && !verdict.alreadyGone) {
      if (target.isLeader) {
        const successor = live.find((m) => m.id !== target.id && m.healthy && !m.isLearner);
        if (successor) {
          await ctx.log("leader-move", me, `leads: moving leadership to ${successor.name}`);
          await moveLeader(target.clientUrls[0], i.adminTls, successor.id);
        }
      }
      await ctx.log("member-remove", me, `removing ${target.id} from the membership`);
      await removeMember(healthyEndpoints(live, target.id), i.adminTls, target.id, (m) => void ctx.log("member-remove", me, m));
    } else {
      await ctx.log("member-remove", me, "not in the member list any more: nothing to remove");
    }
    await stopOnHost(ctx, i);
    await waitHealthy(ctx, i, 60, "removed");
  }).catch(async (e: Error) => {
    // No lock without a cluster that answers: say that, as without the lock.
    if (e instanceof LockUnavailableError && !(await discover(seeds(i), i.adminTls))) throw noAnswer();
    throw e;
  });
}

function strip(o: Record<string, unknown>, keys: string[]) {
  const c = { ...o };
  for (const k of keys) delete c[k];
  return c;
}

export const memberResource: ResourceHandler = {
  async check(news, olds) {
    const i = reveal<Partial<Inputs>>(news);
    // A version change is the cluster's Rollout's to carry out (after every member's update): refused
    // here only together with a member change, which the members' seed endpoints show.
    const o = olds ? reveal<Partial<Inputs>>(olds) : undefined;
    if (o?.layout?.version && i.layout?.version && o.layout.version !== i.layout.version && !sameValue(o.seedEndpoints, i.seedEndpoints))
      return {
        inputs: news,
        failures: [
          {
            property: "layout",
            reason: `${i.layout.name}: a version change (${o.layout.version} → ${i.layout.version}) and a member change in one \`pulumi up\` are refused: one kind of change at a time. Change the members first with version ${o.layout.version}, then the version`,
          },
        ],
      };
    if (i.token && Array.isArray(i.clientUrls))
      clusterRegistry.declareEndpoints(
        i.token,
        [...i.clientUrls, ...(i.seedEndpoints ?? [])].filter((u) => typeof u === "string"),
      );
    if (i.token) clusterRegistry.declareUnsafeScaleDown(i.token, i.allowUnsafeScaleDown === true);
    if (i.token && Array.isArray(i.peerUrls)) clusterRegistry.declarePeer(i.token, i.peerUrls.join(","));
    return { inputs: news };
  },
  async diff(olds, news) {
    const changed = changedKeys(strip(olds, [...OUTPUTS, ...STEERING]), strip(news, STEERING), sameValue);
    const o = reveal<Inputs>(olds);
    const n = reveal<Inputs>(news);
    const replaces: string[] = [];
    if (!sameValue(o.layout?.name, n.layout?.name)) replaces.push("layout.name");
    if (!sameValue(o.peerUrls, n.peerUrls)) replaces.push("peerUrls");
    if (!sameValue(o.layout?.dataDir, n.layout?.dataDir)) replaces.push("layout.dataDir");
    if (!sameValue(o.connection?.host, n.connection?.host)) replaces.push("connection.host");
    // Delete steering changes are kept (an update with no host action) so destroy uses them; so is
    // a renewed admin certificate, which a later removal or refresh must use (the old one expires).
    const steering = ["allowUnsafeScaleDown", "purgeDataOnDestroy", "adminTls"].filter((k) => !sameValue(olds[k], news[k]));
    return { changes: changed.length > 0 || replaces.length > 0 || steering.length > 0, replaces, deleteBeforeReplace: true };
  },
  async create(ctx, wire) {
    const out = await create(ctx, reveal<Inputs>(wire));
    return { id: `${reveal<Inputs>(wire).layout.name}@${reveal<Inputs>(wire).token}`, outs: { ...wire, ...out } };
  },
  async update(ctx, _id, olds, news) {
    const o = reveal<Inputs & Outputs>(olds);
    const n = reveal<Inputs>(news);
    if (o.token !== n.token) {
      // A restore made a new cluster (new token) and started this member on the restored data with
      // these facts: take them over. The config is as the restore wrote it, so nothing restarts.
      const boot: BootFacts = { initialCluster: n.bootstrap.initialCluster, token: n.token, state: "new" };
      await runService(ctx, n, boot, "update", false).catch((e: Error) => {
        throw new Error(
          `${e.message}\nThe cluster's token changed from ${o.token} to ${n.token}, which only a restore does. If a restore block was removed from the program, put it back as it was: a restored cluster keeps it.`,
        );
      });
      const p = await probeMember(n.clientUrls[0], n.adminTls);
      return { outs: { ...news, memberId: p.memberId ?? "", joinedWith: boot } };
    }
    // A version change alone is recorded only: the cluster's Rollout restarts the members on it, in order.
    const versionOnly = (x: Record<string, unknown>) => {
      const c = reveal<Inputs>(strip(x, [...OUTPUTS, ...STEERING]));
      return { ...c, layout: { ...c.layout, version: "" } };
    };
    const hostChange = changedKeys(versionOnly(olds), versionOnly(news), sameValue).length > 0;
    if (hostChange) {
      // A rolling restart: one member at a time, the cluster healthy before the next.
      await locked(ctx, n, "rolling restart of", async () => {
        await runService(ctx, n, { ...o.joinedWith, token: n.token }, "update", false);
        await waitHealthy(ctx, n, 120, "stays");
      });
    }
    return { outs: { ...news, memberId: o.memberId, joinedWith: o.joinedWith } };
  },
  async delete(ctx, _id, props) {
    const p = reveal<Inputs & Outputs>(props);
    await remove(ctx, p, p);
  },
  async read(ctx, id, props) {
    const p = reveal<Inputs & Outputs>(props);
    const live = await discover(seeds(p), p.adminTls);
    if (!live) return { id, props }; // cannot tell: keep what we know
    const me = live.find((m) => m.id === p.memberId);
    if (!me) {
      await ctx.warn(
        "refresh",
        p.layout.name,
        `${p.memberId} is not in the member list of ${p.clusterName}: it was removed outside Pulumi`,
      );
      return { id: "", props: {} };
    }
    return { id, props };
  },
};
