// A size-bounded text builder: GitHub rejects a job summary over 1 MiB and a comment over
// 65,536 characters, so the Markdown writers add pieces until the budget runs out and then say
// what was left out instead of failing the upload.

export type Measure = (text: string) => number;

export const utf8Bytes: Measure = (text) => Buffer.byteLength(text, 'utf8');
/** UTF-16 code units: never less than the characters GitHub counts. */
export const utf16Units: Measure = (text) => text.length;

export class BoundedText {
  private readonly parts: string[] = [];
  private used = 0;
  /** True once anything was refused. */
  truncated = false;

  /**
   * @param limit   the hard maximum for the whole text
   * @param reserve room kept back for the closing pieces added with `close` (notes, footers)
   */
  constructor(
    private readonly limit: number,
    private readonly measure: Measure,
    private readonly reserve: number,
  ) {}

  fits(text: string): boolean {
    return this.used + this.measure(text) + this.reserve <= this.limit;
  }

  /** Room left for `add`, the reserve kept back. */
  remaining(): number {
    return Math.max(0, this.limit - this.reserve - this.used);
  }

  /** Adds the text when it fits within the budget (less the reserve); remembers a refusal. */
  add(text: string): boolean {
    if (!this.fits(text)) {
      this.truncated = true;
      return false;
    }
    this.parts.push(text);
    this.used += this.measure(text);
    return true;
  }

  /** Adds a closing piece out of the reserve; still never past the hard limit. */
  close(text: string): void {
    if (this.used + this.measure(text) <= this.limit) {
      this.parts.push(text);
      this.used += this.measure(text);
    }
  }

  toString(): string {
    return this.parts.join('');
  }
}
