/**
 * Ctrl-C and SIGTERM, the way a long run should take them: the first asks the command to stop at
 * the next episode (or execution) boundary, print the summary of what ran and write its report
 * marked `interrupted`; the second aborts at once (report files are atomic: nothing half-written is
 * left). Exit 130 for SIGINT, 143 for SIGTERM — or 1 if a violation was already found.
 *
 * `pnpm ptesim` runs us under pnpm and sh; a signal sent to the process group (Ctrl-C, a CI
 * job's cancel) reaches us once directly and again as each wrapper relays it. Copies that arrive
 * within RELAY_MS of the first are those relays, not a second request.
 */
const RELAY_MS = 1000;

export class Interrupts {
  /** The first signal received, if any. */
  signal: 'SIGINT' | 'SIGTERM' | undefined;
  private at = 0;
  private readonly onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (this.signal !== undefined) {
      if (performance.now() - this.at < RELAY_MS) return;
      process.stderr.write(`ptesim: ${sig} again: aborting now\n`);
      process.exit(exitCodeOf(sig));
    }
    this.signal = sig;
    this.at = performance.now();
    process.stderr.write(`ptesim: ${sig}: stopping at the next episode boundary (send it again to abort now)\n`);
  };

  install(): this {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    return this;
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  get requested(): boolean {
    return this.signal !== undefined;
  }

  /** 130 / 143 after a signal, else undefined. */
  get exitCode(): number | undefined {
    return this.signal === undefined ? undefined : exitCodeOf(this.signal);
  }
}

function exitCodeOf(sig: 'SIGINT' | 'SIGTERM'): number {
  return sig === 'SIGINT' ? 130 : 143;
}
