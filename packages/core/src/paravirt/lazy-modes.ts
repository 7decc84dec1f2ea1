/** The paravirt lazy modes (PARAVIRT_LAZY_NONE/MMU/CPU, seed 002): the one definition of them. */
export const PARAVIRT_LAZY_NONE = 0;
export const PARAVIRT_LAZY_MMU = 1;
export const PARAVIRT_LAZY_CPU = 2;
export const LAZY_MODE_NAMES = ['NONE', 'MMU', 'CPU'];
