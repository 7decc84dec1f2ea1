/** The guest/hypervisor interface as far as the model uses it (xen/include/public/xen.h, errno.h). */
export const MMU_NORMAL_PT_UPDATE = 0;
export const MMU_PT_UPDATE_PRESERVE_AD = 2;
export const MMUEXT_NEW_BASEPTR = 5;
export const MMUEXT_TLB_FLUSH_MULTI = 8;
export const MMUEXT_INVLPG_MULTI = 9;
/** The errnos the model's hypervisor returns. */
export const EINVAL = 22;
export const ENOSYS = 38;
/** Not Xen's: what a harness report calls a failed emulated guest write (VI_A of hypercall-failed). */
export const REQ_EMULATED_WRITE = 100;
