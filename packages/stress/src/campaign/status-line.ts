/**
 * The live progress of a long command, jcstress-style: on a terminal one status line that updates
 * in place (log-update), off a terminal — a CI log — a plain line every few seconds, so the log
 * shows the run is alive without a line per update. Lines that must stay (a failure found) are
 * printed above the status line. Quiet: nothing.
 */
import { createLogUpdate } from 'log-update';

export class StatusLine {
  private readonly tty: boolean;
  private readonly live: ReturnType<typeof createLogUpdate> | undefined;
  private lastPlain = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    /** Off a terminal: at most one line this often. */
    private readonly plainEveryMs = 10_000,
  ) {
    this.tty = stream.isTTY === true;
    this.live = this.tty && !quiet ? createLogUpdate(stream) : undefined;
  }

  /** The current status (replaces the previous one on a terminal). */
  update(text: string): void {
    if (this.quiet) return;
    if (this.live) {
      this.live(text);
      return;
    }
    const now = performance.now();
    if (now - this.lastPlain < this.plainEveryMs) return;
    this.lastPlain = now;
    this.stream.write(`${text}\n`);
  }

  /** A line that stays (printed above the status line). */
  log(line: string): void {
    if (this.quiet) return;
    this.live?.clear();
    this.stream.write(`${line}\n`);
  }

  /** Leave the terminal clean. */
  done(): void {
    this.live?.clear();
    this.live?.done();
  }
}

/** 83 s → "1m23s". */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** 12345 → "12.3k". */
export function rate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}
