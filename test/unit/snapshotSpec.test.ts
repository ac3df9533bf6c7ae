import { describe, expect, it } from "vitest";
import { snapshotScheduleProblems } from "../../planning/etcd/snapshotSpec";

const s3 = { endpoint: "https://s3.eu-west-1.amazonaws.com", bucket: "etcd-backups", accessKeyId: "AK", secretAccessKey: "SK" };

describe("snapshotScheduleProblems", () => {
  it("accepts the defaults and a full S3 target", () => {
    expect(snapshotScheduleProblems({})).toEqual([]);
    expect(snapshotScheduleProblems({ schedule: "*-*-* 00/6:00:00", keep: 5, s3: { ...s3, prefix: "prod/etcd/" } })).toEqual([]);
  });

  it("refuses a retention below 1 (the newest snapshot is never deleted)", () => {
    expect(snapshotScheduleProblems({ keep: 0 })).toEqual(["keep must be an integer of at least 1, got 0"]);
  });

  it("refuses snapshots that would go nowhere", () => {
    expect(snapshotScheduleProblems({ localDir: "" })).toEqual(["with no localDir and no s3 the snapshots would go nowhere"]);
  });

  it("refuses shell-looking schedules, relative dirs, bad buckets and endpoints", () => {
    expect(snapshotScheduleProblems({ schedule: "$(reboot)" })[0]).toMatch(/not a systemd calendar expression/);
    expect(snapshotScheduleProblems({ localDir: "backups" })).toEqual(["localDir must be an absolute path"]);
    expect(snapshotScheduleProblems({ s3: { ...s3, bucket: "Bad_Bucket" } })[0]).toMatch(/not a valid bucket name/);
    expect(snapshotScheduleProblems({ s3: { ...s3, endpoint: "s3.amazonaws.com" } })).toEqual(["s3.endpoint must be an http(s) URL"]);
    expect(snapshotScheduleProblems({ s3: { ...s3, prefix: "a b" } })[0]).toMatch(/s3.prefix/);
  });
});
