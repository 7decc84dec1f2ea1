/**
 * The checker's per-agent event ring: what each event code means and how a report prints it. One
 * declaration per event; the checker (lockdep.ts) records them, reports (lockdep-report.ts) read them.
 */
import { LAZY_MODE_NAMES } from '../arch/x86/paravirt-types.ts';
import { lockName } from '../locking/lock-classes.ts';

export const EV_LOCK = 1;
export const EV_UNLOCK = 2;
export const EV_LAZY_ENTER = 3;
export const EV_LAZY_LEAVE = 4;
export const EV_LAZY_FLUSH = 5;
export const EV_PROT_START = 6;
export const EV_PROT_COMMIT = 7;
export const EV_SWITCH_OUT = 8;
export const EV_SWITCH_IN = 9;
export const EV_IRQ_ENTER = 10;
export const EV_IRQ_EXIT = 11;
export const EV_LAZY_ENABLE = 12;
export const EV_LAZY_DISABLE = 13;

const lock = (arg: number): string => lockName(arg >>> 16, arg & 0xffff);

/** Each event's words, from its argument. */
const EVENT_TEXT: Record<number, (arg: number) => string> = {
  [EV_LOCK]: (arg) => `lock ${lock(arg)}`,
  [EV_UNLOCK]: (arg) => `unlock ${lock(arg)}`,
  [EV_LAZY_ENTER]: (arg) => `enter lazy ${LAZY_MODE_NAMES[arg]}`,
  [EV_LAZY_LEAVE]: (arg) => `leave lazy ${LAZY_MODE_NAMES[arg]}`,
  [EV_LAZY_FLUSH]: (arg) => `flush ${arg} queued`,
  [EV_PROT_START]: (arg) => `prot start va ${arg}`,
  [EV_PROT_COMMIT]: (arg) => `prot commit va ${arg}`,
  [EV_SWITCH_OUT]: (arg) => `switch out task ${arg}`,
  [EV_SWITCH_IN]: (arg) => `switch in task ${arg}`,
  [EV_IRQ_ENTER]: () => 'irq enter',
  [EV_IRQ_EXIT]: () => 'irq exit',
  [EV_LAZY_ENABLE]: (arg) => `lazy_mmu_mode_enable (count ${arg})`,
  [EV_LAZY_DISABLE]: (arg) => `lazy_mmu_mode_disable (count ${arg})`,
};

export function formatEvent(code: number, arg: number): string {
  return EVENT_TEXT[code]?.(arg) ?? `event ${code}:${arg}`;
}
