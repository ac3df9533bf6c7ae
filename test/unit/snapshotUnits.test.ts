// The snapshot timer and service units, rendered in TypeScript (SnapshotSchedule passes them to
// etcd-snapshot-schedule as PE_TIMER_UNIT and PE_SERVICE_UNIT), against golden files.
// UPDATE_GOLDEN=1 npx vitest run test/unit/snapshotUnits.test.ts rewrites the golden files.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SNAPSHOT_SCHEDULE, renderSnapshotService, renderSnapshotTimer } from "../../planning/etcd/snapshotSpec";

function golden(name: string, text: string): void {
  const file = path.join(__dirname, "golden", name);
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, "utf8"));
}

describe("snapshot units", () => {
  it("the timer for the default schedule matches test/unit/golden/snapshot-timer.txt", () => {
    golden("snapshot-timer.txt", renderSnapshotTimer(DEFAULT_SNAPSHOT_SCHEDULE));
  });

  it("the service matches test/unit/golden/snapshot-service.txt", () => {
    golden("snapshot-service.txt", renderSnapshotService());
  });

  it("the timer carries the schedule as its one OnCalendar line", () => {
    const t = renderSnapshotTimer("*:*:00");
    expect(t.split("\n").filter((l) => l.startsWith("OnCalendar="))).toEqual(["OnCalendar=*:*:00"]);
    expect(t.endsWith("WantedBy=timers.target\n")).toBe(true);
  });

  it("refuses a schedule that would add lines to the unit", () => {
    expect(() => renderSnapshotTimer("*:*:00\nExecStart=/bin/sh")).toThrow(/must be one line/);
  });
});
