// A steady writer for membership tests: puts keys at a fixed rate through one endpoint, retries a
// failed put until it is acknowledged (counting retries), and logs every acknowledged key.
import { ClientTls, etcdClient } from "../../provider/etcd/client";

export interface WriterReport {
  acknowledged: number;
  retries: number;
  failed: number;
  /** Keys acknowledged but not found at the end. */
  missing: string[];
}

export class Writer {
  private readonly acked: string[] = [];
  private retries = 0;
  private failed = 0;
  private seq = 0;
  private timer?: NodeJS.Timeout;
  private inflight = new Set<Promise<void>>();
  private readonly client;

  constructor(
    private readonly endpoints: string[],
    private readonly tls: ClientTls,
    private readonly perSecond = 300,
    private readonly prefix = `writer/${Date.now()}/`,
  ) {
    this.client = etcdClient(endpoints, tls, 5000);
  }

  start(): void {
    // Every 10 ms, rate/100 puts (300/s: 3 per tick).
    const perTick = this.perSecond / 100;
    let budget = 0;
    this.timer = setInterval(() => {
      budget += perTick;
      for (; budget >= 1; budget--) this.launch(this.prefix + String(this.seq++).padStart(8, "0"));
    }, 10);
  }

  private launch(key: string): void {
    const p = this.put(key).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private async put(key: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.put(key).value("v");
        this.acked.push(key);
        return;
      } catch {
        if (Date.now() > deadline) {
          this.failed++;
          return;
        }
        this.retries++;
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
      }
    }
  }

  /** Stops writing, waits for puts in flight, and checks every acknowledged key is there. */
  async stop(readEndpoints: string[]): Promise<WriterReport> {
    clearInterval(this.timer);
    await Promise.all([...this.inflight]);
    this.client.close();
    const reader = etcdClient(readEndpoints, this.tls, 30_000);
    try {
      const present = new Set(await reader.getAll().prefix(this.prefix).keys());
      return {
        acknowledged: this.acked.length,
        retries: this.retries,
        failed: this.failed,
        missing: this.acked.filter((k) => !present.has(k)),
      };
    } finally {
      reader.close();
    }
  }
}
