/** What a report prints of an agent's checker state: its recent events and the locks it holds. */
import { lockName } from '../locking/lock-classes.ts';
import { AG_EV_HEAD, AG_EVENTS, AG_HELD, AG_NHELD, EVENTS, MAX_HELD } from '../mem/layout.ts';
import { formatEvent } from './lockdep-events.ts';

/** The events of an agent block (a live one or a snapshot), oldest first, in words. */
export function formatEvents(block: Int32Array, offset = 0): string[] {
  const head = block[offset + AG_EV_HEAD];
  const out: string[] = [];
  for (let n = Math.max(0, head - EVENTS); n < head; n++) {
    const slot = offset + AG_EVENTS + 2 * (n % EVENTS);
    if (block[slot] !== 0) out.push(formatEvent(block[slot], block[slot + 1]));
  }
  return out;
}

export function formatHeld(block: Int32Array, offset = 0): string[] {
  const out: string[] = [];
  const n = Math.min(block[offset + AG_NHELD], MAX_HELD);
  for (let i = 0; i < n; i++) out.push(lockName(block[offset + AG_HELD + 2 * i], block[offset + AG_HELD + 2 * i + 1]));
  return out;
}
