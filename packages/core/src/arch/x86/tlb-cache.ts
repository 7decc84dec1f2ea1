/**
 * One MMU agent's TLB (Intel SDM vol. 3 §4.10): the translations its walks cached — the frame, W,
 * and D as it stood when the entry was filled or last updated. A is not cached: a walk sets it in
 * the PTE before the entry exists. Private to the processor (plain arrays, no shared memory):
 * other CPUs empty it only by an IPI the owner takes (tlb.ts). Direct-mapped by virtual page.
 */
export const TLB_W = 1;
export const TLB_D = 2;
/** What an MMU did with its TLB, for Mem.tlbNote. */
export const TLB_READ = 0;
export const TLB_WRITE = 1;
export const TLB_FILL = 2;
/** tlb_single_page_flush_ceiling (arch/x86/mm/tlb.c): above this many pages a flush is a full one. */
export const TLB_SINGLE_PAGE_FLUSH_CEILING = 33;

export interface TlbEntry {
  pfn: number;
  /** TLB_W | TLB_D */
  flags: number;
  /** Harness: revocations cut on the PTE when the walk that filled it read it (check/revoke.ts). */
  cuts: number;
  /** Harness: the frame's generation then (check/freed.ts). */
  gen: number;
  /** Harness: the owner's access that filled it (ArchCpu.accesses), for reports. */
  filledAt: number;
}

export class TlbCache {
  /** va + 1 of the translation each slot holds, 0 when empty. */
  private readonly tags: Int32Array;
  private readonly pfns: Int32Array;
  private readonly flags: Int32Array;
  private readonly cuts: Int32Array;
  private readonly gens: Int32Array;
  private readonly filled: Int32Array;
  /** The entry lookup() found (reused: one lookup per access, no garbage per access). */
  private readonly hit: TlbEntry = { pfn: 0, flags: 0, cuts: 0, gen: 0, filledAt: 0 };

  constructor(readonly size: number) {
    this.tags = new Int32Array(size);
    this.pfns = new Int32Array(size);
    this.flags = new Int32Array(size);
    this.cuts = new Int32Array(size);
    this.gens = new Int32Array(size);
    this.filled = new Int32Array(size);
  }

  /** The cached translation of `va`, or undefined. The result is valid until the next call. */
  lookup(va: number): TlbEntry | undefined {
    const s = va % this.size;
    if (this.tags[s] !== va + 1) return undefined;
    this.hit.pfn = this.pfns[s];
    this.hit.flags = this.flags[s];
    this.hit.cuts = this.cuts[s];
    this.hit.gen = this.gens[s];
    this.hit.filledAt = this.filled[s];
    return this.hit;
  }

  fill(va: number, pfn: number, flags: number, cuts: number, gen: number, filledAt = 0): void {
    const s = va % this.size;
    this.tags[s] = va + 1;
    this.pfns[s] = pfn;
    this.flags[s] = flags;
    this.cuts[s] = cuts;
    this.gens[s] = gen;
    this.filled[s] = filledAt;
  }

  /** invlpg */
  drop(va: number): void {
    const s = va % this.size;
    if (this.tags[s] === va + 1) this.tags[s] = 0;
  }

  /** A full flush (a cr3 load, a shootdown of the whole mm or of a long range). */
  flushAll(): void {
    this.tags.fill(0);
  }

  /**
   * The flush of virtual pages [start, end) as x86's flush_tlb_func does it (arch/x86/mm/tlb.c): one
   * invlpg per page up to tlb_single_page_flush_ceiling pages, else (or for TLB_FLUSH_ALL, any
   * range past it) everything. Entries of other pages survive an invlpg.
   */
  flushRange(start: number, end: number): void {
    if (end - start > TLB_SINGLE_PAGE_FLUSH_CEILING) this.flushAll();
    else for (let va = start; va < end; va++) this.drop(va);
  }

  /** Entries held (for tests and reports). */
  get used(): number {
    let n = 0;
    for (const t of this.tags) if (t !== 0) n++;
    return n;
  }
}
