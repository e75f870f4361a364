/**
 * ETA of a run from the plan's per-step estimates, calibrated per step kind by the steps already
 * finished (plan estimates get the ratios between sizes right, not the speed of each kind on this
 * machine). Step ids start with their kind (`train/…`).
 */
export class StepEta {
  private remaining = new Map<string, number>();
  private real: Record<string, number> = {};
  private est: Record<string, number> = {};

  /** Estimated seconds per step id still to run. */
  constructor(estimates: Record<string, number>) {
    for (const [id, s] of Object.entries(estimates)) this.remaining.set(id, s);
  }

  finished(id: string, wallMs: number | undefined): void {
    const e = this.remaining.get(id);
    if (e === undefined) return;
    this.remaining.delete(id);
    if (wallMs === undefined) return;
    const kind = id.split('/')[0]!;
    this.real[kind] = (this.real[kind] ?? 0) + wallMs / 1000;
    this.est[kind] = (this.est[kind] ?? 0) + e;
  }

  /** Seconds left, or null before anything has been timed. */
  seconds(): number | null {
    const kinds = Object.keys(this.est);
    if (!kinds.length) return null;
    const global = kinds.reduce((a, k) => a + this.real[k]!, 0) / kinds.reduce((a, k) => a + this.est[k]!, 0);
    let left = 0;
    for (const [id, e] of this.remaining) {
      const k = id.split('/')[0]!;
      left += e * (this.est[k] ? this.real[k]! / this.est[k]! : global);
    }
    return left;
  }
}
