// The batching and paging rules of writing every object again after a restore (planning/kube/renewVersions.ts).
import { describe, expect, it } from "vitest";
import { keyAfter, nextPageLimit, prefixEnd, renewBatches } from "../../planning/kube/renewVersions";

const kv = (key: string, size: number) => ({ key: Buffer.from(key), value: Buffer.alloc(size) });

describe("renewBatches", () => {
  it("keeps order and cuts at the key count", () => {
    const kvs = Array.from({ length: 130 }, (_, i) => kv(`/registry/k${String(i).padStart(3, "0")}`, 10));
    const b = renewBatches(kvs, 64, 1 << 20);
    expect(b.map((x) => x.length)).toEqual([64, 64, 2]);
    expect(b.flat()).toEqual(kvs);
  });
  it("cuts at the byte budget, and a key bigger than it goes alone", () => {
    const b = renewBatches([kv("a", 400), kv("b", 400), kv("c", 400), kv("big", 5000), kv("d", 10)], 64, 1000);
    expect(b.map((x) => x.map((y) => y.key.toString()))).toEqual([["a", "b"], ["c"], ["big"], ["d"]]);
  });
  it("makes no batch of nothing", () => {
    expect(renewBatches([])).toEqual([]);
  });
});

describe("paging", () => {
  it("scales the page to the target size, between 1 and 512 keys", () => {
    expect(nextPageLimit(64, 64, 64 * 1024 * 1024, 4 * 1024 * 1024)).toBe(4);
    expect(nextPageLimit(64, 10, 10 * 100, 4 * 1024 * 1024)).toBe(512);
    expect(nextPageLimit(64, 1, 50 * 1024 * 1024, 4 * 1024 * 1024)).toBe(1);
    expect(nextPageLimit(64, 0, 0)).toBe(64);
  });
  it("ends a prefix range where etcd does", () => {
    expect(prefixEnd(Buffer.from("/registry/")).toString()).toBe("/registry0");
    expect([...prefixEnd(Buffer.from([0x61, 0xff]))]).toEqual([0x62]);
    expect([...prefixEnd(Buffer.from([0xff, 0xff]))]).toEqual([0]);
    expect(Buffer.compare(keyAfter(Buffer.from("/registry/a")), Buffer.from("/registry/a"))).toBe(1);
    expect(Buffer.compare(keyAfter(Buffer.from("/registry/a")), Buffer.from("/registry/a0"))).toBe(-1);
  });
});
