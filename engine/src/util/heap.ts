/** A binary min-heap ordered by a caller-supplied comparator; supports removal by handle. */
export class Heap<T> {
  private items: T[] = [];
  private readonly index = new Map<T, number>();
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  has(item: T): boolean {
    return this.index.has(item);
  }
  push(item: T): void {
    if (this.index.has(item)) return;
    this.items.push(item);
    this.index.set(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }
  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }
  remove(item: T): boolean {
    const i = this.index.get(item);
    if (i === undefined) return false;
    const last = this.items.pop() as T;
    this.index.delete(item);
    if (i < this.items.length) {
      this.items[i] = last;
      this.index.set(last, i);
      this.up(i);
      this.down(i);
    }
    return true;
  }
  values(): readonly T[] {
    return this.items;
  }
  private swap(a: number, b: number): void {
    const x = this.items[a] as T;
    const y = this.items[b] as T;
    this.items[a] = y;
    this.items[b] = x;
    this.index.set(y, a);
    this.index.set(x, b);
  }
  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.items[i] as T, this.items[p] as T)) break;
      this.swap(i, p);
      i = p;
    }
  }
  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.items[l] as T, this.items[m] as T)) m = l;
      if (r < n && this.less(this.items[r] as T, this.items[m] as T)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}
